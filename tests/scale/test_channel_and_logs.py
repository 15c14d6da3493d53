"""The retry-safe REST channel's rules and the JSON log formatter (no servers needed)."""

from __future__ import annotations

import json
import logging

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from bot.deploy.channel import client_message_id, is_resend, saved_replies
from bot.deploy.logs import JsonFormatter


def conversation() -> list:
    """A session start with its greeting, then two turns (the second one has buttons)."""
    return [
        ActionExecuted("action_session_start"),
        BotUttered("Chào bạn, mình là trợ lý ASEAN."),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("xin chào", message_id="first-message-1"),
        ActionExecuted("utter_greet"),
        BotUttered("Xin chào!"),
        ActionExecuted("action_listen"),
        UserUttered("ASEAN là gì?", message_id="second-message-2"),
        ActionExecuted("action_answer_knowledge"),
        BotUttered("ASEAN là Hiệp hội các quốc gia Đông Nam Á.",
                   data={"buttons": [{"title": "👍", "payload": "/feedback"}]}),
        BotUttered("Nguồn: asean.org"),
        ActionExecuted("action_listen"),
    ]


def test_saved_replies_of_a_later_turn_are_its_bot_messages() -> None:
    replies = saved_replies(conversation(), "second-message-2")
    assert replies == [
        {"text": "ASEAN là Hiệp hội các quốc gia Đông Nam Á.",
         "buttons": [{"title": "👍", "payload": "/feedback"}]},
        {"text": "Nguồn: asean.org"},
    ]


def test_saved_replies_of_a_first_turn_include_the_session_greeting() -> None:
    assert [r["text"] for r in saved_replies(conversation(), "first-message-1")] == [
        "Chào bạn, mình là trợ lý ASEAN.", "Xin chào!"]


def test_an_unsaved_message_has_no_saved_replies() -> None:
    assert saved_replies(conversation(), "never-saved-3") is None
    assert saved_replies([], "never-saved-3") is None


def test_a_turn_saved_without_replies_yet_is_still_known() -> None:
    events = [UserUttered("?", message_id="lonely-message")]
    assert saved_replies(events, "lonely-message") == []


def test_a_later_session_start_greets_with_the_next_message() -> None:
    events = [*conversation(), ActionExecuted("action_session_start"),
              BotUttered("Chào lại bạn."), SessionStarted(),
              UserUttered("còn gì nữa?", message_id="third-message-3"),
              BotUttered("Bạn hỏi tiếp nhé.")]
    assert [r["text"] for r in saved_replies(events, "third-message-3")] == [
        "Chào lại bạn.", "Bạn hỏi tiếp nhé."]
    # The previous turn keeps only its own replies.
    assert [r["text"] for r in saved_replies(events, "second-message-2")] == [
        "ASEAN là Hiệp hội các quốc gia Đông Nam Á.", "Nguồn: asean.org"]


@pytest.mark.parametrize("metadata, expected", [
    ({"message_id": "3f2c9a0e6b1d4c7f"}, "3f2c9a0e6b1d4c7f"),
    ({"message_id": "widget:42:abcdef"}, "widget:42:abcdef"),
    ({"message_id": "short"}, None),
    ({"message_id": "x" * 65}, None),
    ({"message_id": "has space inside"}, None),
    ({"message_id": "<script>alert(1)</script>"}, None),
    ({"message_id": 1234567890}, None),
    ({}, None),
    (None, None),
])
def test_only_well_formed_client_ids_are_used(metadata, expected) -> None:
    assert client_message_id(metadata) == expected


@pytest.mark.parametrize("metadata, expected", [
    ({"attempt": 2}, True), ({"attempt": 7}, True), ({"attempt": 1}, False),
    ({"attempt": "2"}, False), ({"attempt": True}, False), ({}, False), (None, False),
])
def test_a_resend_is_attempt_two_or_more(metadata, expected) -> None:
    assert is_resend(metadata) is expected


def record(message: str, level: int = logging.INFO, **extra) -> logging.LogRecord:
    item = logging.LogRecord("bot.events", level, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(item, key, value)
    return item


def test_json_log_lines_carry_time_level_service_and_message() -> None:
    line = json.loads(JsonFormatter(service="actions-1").format(record("Đã lưu đăng ký")))
    assert line["level"] == "info" and line["logger"] == "bot.events"
    assert line["service"] == "actions-1" and line["message"] == "Đã lưu đăng ký"
    assert line["ts"].endswith("+00:00") and isinstance(line["pid"], int)


def test_json_log_lines_keep_extra_fields_and_merge_rasa_events() -> None:
    formatter = JsonFormatter(service="rasa-1")
    line = json.loads(formatter.format(record("served", event_id=7)))
    assert line["event_id"] == 7
    rasa_event = json.dumps({"event": "rest.message.received", "level": "info"})
    merged = json.loads(formatter.format(record(rasa_event)))
    assert merged["event"] == "rest.message.received" and "message" not in merged


def test_json_log_lines_include_the_traceback_of_an_error() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        item = logging.LogRecord("bot", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = json.loads(JsonFormatter().format(item))
    assert line["level"] == "error" and "ValueError: boom" in line["exc"]
    assert "\n" not in JsonFormatter().format(item)  # one line per record
