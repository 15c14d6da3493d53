"""Rasa actions against a real seeded SQLite database (rasa_sdk Trackers built here)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.knowledge import (
    BUSY,
    ActionAnswerKnowledge,
    ActionRecordFeedback,
    answer_if_known,
    handle_followup,
)
from bot.db import get_sessionmaker
from bot.knowledge.models import UnansweredQuestion


@pytest.fixture
def database(seeded_url, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", seeded_url)
    return seeded_url


def tracker(text: str, intent: str = "ask_knowledge", entities: list[dict[str, Any]] | None = None,
            slots: dict[str, Any] | None = None) -> Tracker:
    return Tracker(
        sender_id="test-user",
        slots=slots or {},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9},
                        "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def slots_of(events) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def unanswered(url: str) -> list[UnansweredQuestion]:
    with get_sessionmaker(url)() as session:
        return session.scalars(select(UnansweredQuestion)).all()


@pytest.fixture
def always_confident(monkeypatch):
    from bot.knowledge import search

    monkeypatch.setattr(search, "DEFAULT_SETTINGS",
                        search.SearchSettings(confident_at=0.0, confident_margin=0.0))


async def test_confident_answer_has_source_and_feedback_buttons(database, always_confident):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerKnowledge().run(dispatcher, tracker("C/O mẫu D xin ở đâu?"), {})
    message = dispatcher.messages[-1]
    assert "Nguồn:" in message["text"] and "Cập nhật:" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == [
        '/feedback{"feedback_value":"up","entry_id":"co-d-where"}',
        '/feedback{"feedback_value":"down","entry_id":"co-d-where"}',
    ]
    assert slots_of(events)["kb_entry_id"] == "co-d-where"
    assert SlotSet("last_topic", "knowledge") in events


async def test_button_payload_answers_the_entry_by_id(database):
    dispatcher = CollectingDispatcher()
    payload = '/ask_knowledge{"entry_id":"asean-founding"}'
    events = await ActionAnswerKnowledge().run(
        dispatcher, tracker(payload, entities=[{"entity": "entry_id", "value": "asean-founding"}]),
        {},
    )
    assert "1967" in dispatcher.messages[0]["text"]
    assert slots_of(events)["kb_entry_id"] == "asean-founding"


async def test_middling_answer_offers_related_questions_as_buttons(database, monkeypatch):
    from bot.knowledge import search

    monkeypatch.setattr(search, "DEFAULT_SETTINGS",
                        search.SearchSettings(confident_at=1.01, middling_at=0.0))
    dispatcher = CollectingDispatcher()
    await ActionAnswerKnowledge().run(dispatcher, tracker("ASEAN thành lập năm nào"), {})
    assert dispatcher.messages[0]["text"].startswith("Có phải bạn hỏi:")
    buttons = dispatcher.messages[1]["buttons"]
    assert 2 <= len(buttons) <= 3
    assert all(b["payload"].startswith('/ask_knowledge{"entry_id":') for b in buttons)


async def test_low_confidence_is_logged_and_answered_honestly(database):
    dispatcher = CollectingDispatcher()
    text = "giá vàng hôm nay bao nhiêu, gọi mình 0987654321"
    await ActionAnswerKnowledge().run(dispatcher, tracker(text), {})
    assert dispatcher.messages[0]["text"].startswith("Mình chưa có thông tin chắc chắn")
    [row] = unanswered(database)
    assert row.reason == "low_confidence" and "0987654321" not in row.text


async def test_fallback_returns_none_and_logs_when_unknown(database):
    dispatcher = CollectingDispatcher()
    assert await answer_if_known(dispatcher, tracker("cách nấu canh chua", "nlu_fallback"), {}) \
        is None
    assert dispatcher.messages == []
    assert [row.reason for row in unanswered(database)] == ["fallback"]


async def test_thumbs_down_goes_to_the_staff_inbox(database):
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "feedback_value", "value": "down"},
                {"entity": "entry_id", "value": "co-d-where"}]
    slots = {"kb_query": "C/O mẫu D xin ở đâu?", "kb_entry_id": "co-d-where", "kb_lang": "vi"}
    await ActionRecordFeedback().run(dispatcher, tracker("/feedback", "feedback", entities, slots),
                                     {})
    [row] = unanswered(database)
    assert (row.reason, row.entry_id, row.text) == ("thumbs_down", "co-d-where",
                                                    "C/O mẫu D xin ở đâu?")
    assert "Cảm ơn bạn đã góp ý" in dispatcher.messages[0]["text"]


async def test_thumbs_up_thanks(database):
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "feedback_value", "value": "up"}]
    await ActionRecordFeedback().run(dispatcher, tracker("👍", "feedback", entities), {})
    assert dispatcher.messages[0]["text"].startswith("Cảm ơn bạn đã phản hồi")
    assert unanswered(database) == []


async def test_follow_up_uses_the_slots_of_the_previous_answer(database):
    first = CollectingDispatcher()
    events = await ActionAnswerKnowledge().run(first, tracker("C/O mẫu D xin ở đâu?"), {})
    dispatcher = CollectingDispatcher()
    follow = await handle_followup(
        dispatcher,
        tracker("còn mẫu E thì sao?", "ask_followup", [{"entity": "co_form", "value": "E"}],
                slots_of(events)),
        {},
    )
    assert slots_of(follow)["kb_entities"]["co_form"] == ["E"]
    assert "mẫu E" in dispatcher.messages[0]["text"]


async def test_database_down_gets_a_polite_busy_reply(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerKnowledge().run(dispatcher, tracker("ASEAN là gì?"), {})
    assert events == []
    assert dispatcher.messages[0]["text"] == BUSY["vi"]
