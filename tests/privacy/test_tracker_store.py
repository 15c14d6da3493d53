"""RedactingSQLTrackerStore on SQLite and PostgreSQL, driven the way Rasa's processor drives it.

Each turn does what ``MessageProcessor.handle_message`` does with the store: rebuild the tracker
from the store (``get_or_create_tracker``), append that turn's events (the ones Rasa 3.6 logs for
the project's rules and registration form), then ``save``. So a value the form needs on a later
turn is only there if it survived the store.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.privacy.redaction import FORM_ANSWER_PLACEHOLDER
from bot.privacy.tracker_store import RedactingSQLTrackerStore

FORM = "event_registration_form"
NAME = "Nguyễn Văn An"
ORG = "Công ty TNHH Thủy sản Minh Phú"
PHONE_TYPED = "0912 345 678"
PHONE = "0912345678"
EMAIL = "an.nguyen@gmail.com"
# How each secret could appear in a row: as typed, normalised, digits only, JSON-escaped.
SECRETS = (NAME, ORG, PHONE_TYPED, PHONE, "912345678", "912 345 678", EMAIL, "Minh Phú")


def user(text: str, intent: str, entities: list[dict[str, Any]] | None = None) -> UserUttered:
    """A user message as the project's NLU pipeline parses it (text_original kept by it)."""
    return UserUttered(
        text,
        intent={"name": intent, "confidence": 0.93},
        entities=entities or [],
        parse_data={
            "text_original": text,
            "intent_ranking": [{"name": intent, "confidence": 0.93}],
        },
        input_channel="socketio",
    )


def listen() -> ActionExecuted:
    return ActionExecuted("action_listen")


async def turn(store: RedactingSQLTrackerStore, domain: Any, sender: str,
               *events: Event) -> DialogueStateTracker:
    """One message handled by Rasa: tracker from the store, the turn's events, save."""
    tracker = await store.get_or_create_tracker(sender)
    for event in events:
        tracker.update(event, domain)
    await store.save(tracker)
    return tracker


def session_start() -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(), listen()]


def search_turn() -> list[Event]:
    return [
        *session_start(),
        user("tháng 12 có hội thảo gì?", "ask_events", [
            {"entity": "time", "value": "tháng 12", "start": 0, "end": 8},
            {"entity": "event_kind", "value": "hoi_thao", "start": 12, "end": 20},
        ]),
        ActionExecuted("action_extract_slots"),
        ActionExecuted("action_search_events"),
        BotUttered("1. Hội thảo quy tắc xuất xứ RCEP — 10/12/2026"),
        SlotSet("event_query", {"kind": "hoi_thao", "offset": 0}),
        SlotSet("event_results", ["3"]),
        SlotSet("selected_event", "3"),
        SlotSet("last_topic", "events"),
        listen(),
    ]


def start_form_turn() -> list[Event]:
    return [
        user("đăng ký cái thứ nhất", "register_event",
             [{"entity": "ordinal", "value": "1", "start": 8, "end": 20}]),
        ActionExecuted("action_extract_slots"),
        ActionExecuted("action_prepare_registration"),
        BotUttered("Mình đăng ký cho bạn tham gia \"Hội thảo quy tắc xuất xứ RCEP\"."),
        SlotSet("reg_ready", True),
        SlotSet("reg_event", "3"),
        SlotSet("selected_event", "3"),
        *(SlotSet(slot, None) for slot in ("reg_name", "reg_org", "reg_contact", "reg_consent")),
        ActionExecuted(FORM),
        ActiveLoop(FORM),
        SlotSet("requested_slot", "reg_name"),
        BotUttered("Bạn cho mình xin họ và tên người tham dự?"),
        listen(),
    ]


def answer_turn(text: str, slot: str, validated: Any, next_slot: str | None,
                intent: str = "inform") -> list[Event]:
    """The user answers the question the form asked: extraction, validation, next question."""
    events: list[Event] = [
        user(text, intent),
        ActionExecuted("action_extract_slots"),
        SlotSet(slot, text),
        ActionExecuted(FORM),
        SlotSet(slot, validated),
    ]
    if validated is None:  # rejected: the form asks again
        return [*events, BotUttered("Số điện thoại hoặc email chưa đúng."), listen()]
    return [*events, SlotSet("requested_slot", next_slot), BotUttered("…?"), listen()]


def submit_turn(answer: str = "đồng ý") -> list[Event]:
    """Consent given: the form ends (rules: form → active_loop null → submit) in one turn."""
    return [
        user(answer, "affirm"),
        ActionExecuted("action_extract_slots"),
        SlotSet("reg_consent", answer),
        ActionExecuted(FORM),
        SlotSet("reg_consent", "yes"),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        ActionExecuted("action_submit_registration"),
        BotUttered("✅ Đăng ký thành công. Mã xác nhận của bạn: DK-AB2345."),
        *(SlotSet(slot, None) for slot in ("reg_name", "reg_org", "reg_contact", "reg_consent")),
        SlotSet("reg_ready", False),
        SlotSet("reg_event", None),
        listen(),
    ]


async def fill_form_until_consent(store: RedactingSQLTrackerStore, domain: Any,
                                  sender: str) -> DialogueStateTracker:
    await turn(store, domain, sender, *search_turn())
    await turn(store, domain, sender, *start_form_turn())
    await turn(store, domain, sender, *answer_turn(NAME, "reg_name", NAME, "reg_org"))
    await turn(store, domain, sender, *answer_turn(ORG, "reg_org", ORG, "reg_contact"))
    await turn(store, domain, sender, *answer_turn("số của tôi là 123", "reg_contact", None, None))
    return await turn(store, domain, sender,
                      *answer_turn(PHONE_TYPED, "reg_contact", PHONE, "reg_consent"))


def stored_rows(store: RedactingSQLTrackerStore, sender: str | None = None) -> list[Any]:
    with store.session_scope() as session:
        query = session.query(store.SQLEvent)
        if sender is not None:
            query = query.filter(store.SQLEvent.sender_id == sender)
        return [
            (row.type_name, row.intent_name, row.action_name, row.data)
            for row in query.order_by(store.SQLEvent.id)
        ]


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def personal_data_left(store: RedactingSQLTrackerStore, sender: str | None = None) -> list[str]:
    """Secrets found anywhere in stored rows: in JSON string values or the raw (escaped) text."""
    found = []
    for _, _, _, raw in stored_rows(store, sender):
        texts = [*strings_in(json.loads(raw)), raw]
        for secret in SECRETS:
            escaped = json.dumps(secret)[1:-1]
            if any(secret in text or escaped in text for text in texts):
                found.append(secret)
    return found


def user_texts(store: RedactingSQLTrackerStore, sender: str) -> list[str]:
    return [json.loads(raw)["text"] for kind, _, _, raw in stored_rows(store, sender)
            if kind == "user"]


# --- ordinary messages ---------------------------------------------------------------------------


async def test_phones_and_emails_in_ordinary_messages_are_stored_redacted(store, domain):
    message = user(f"Cho mình hỏi, số mình {PHONE_TYPED}, email {EMAIL}", "ask_knowledge",
                   [{"entity": "topic", "value": EMAIL, "start": 30, "end": 49}])
    tracker = await turn(store, domain, "citizen-1", *session_start(), message,
                         ActionExecuted("action_answer_knowledge"), BotUttered("…"), listen())

    assert personal_data_left(store) == []
    stored = json.loads(next(raw for kind, _, _, raw in stored_rows(store) if kind == "user"))
    assert stored["text"] == "Cho mình hỏi, số mình [số điện thoại], email [email]"
    assert stored["parse_data"]["text"] == stored["text"]
    assert stored["parse_data"]["text_original"] == stored["text"]
    assert stored["parse_data"]["entities"][0] == {
        "entity": "topic", "value": "[email]", "start": 30, "end": 49}
    assert stored["parse_data"]["intent"]["name"] == "ask_knowledge"
    # The live turn is untouched: actions of this turn already read the real text.
    assert tracker.latest_message.text.endswith(EMAIL)


async def test_messages_without_personal_data_are_stored_exactly_as_rasa_stores_them(store, domain):
    tracker = await turn(store, domain, "citizen-2", *search_turn())

    rows = stored_rows(store, "citizen-2")
    assert [json.loads(raw) for *_, raw in rows] == [
        json.loads(json.dumps(e.as_dict())) for e in tracker.events]
    assert [(kind, intent, action) for kind, intent, action, _ in rows] == [
        (e.type_name, getattr(e, "intent_name", None),
         e.as_dict().get("name")) for e in tracker.events]


# --- the registration form ---------------------------------------------------------------------


async def test_form_values_live_while_the_form_runs_and_are_scrubbed_when_it_ends(store, domain):
    sender = "citizen-3"
    await fill_form_until_consent(store, domain, sender)

    # Next message: Rasa rebuilds the tracker from the store. The form and the submit action
    # must find what the person typed, exactly as the form validated it.
    live = await store.retrieve(sender)
    assert live.active_loop_name == FORM
    assert live.get_slot("requested_slot") == "reg_consent"
    assert (live.get_slot("reg_name"), live.get_slot("reg_org"), live.get_slot("reg_contact")) \
        == (NAME, ORG, PHONE)
    # ... and that is what the action server receives.
    state = live.current_state(EventVerbosity.AFTER_RESTART)
    assert state["slots"]["reg_contact"] == PHONE and state["active_loop"]["name"] == FORM
    # The answers' message texts are gone already; nothing reads them after their own turn.
    assert user_texts(store, sender)[-4:] == [FORM_ANSWER_PLACEHOLDER] * 4

    await turn(store, domain, sender, *submit_turn())

    assert personal_data_left(store) == []
    slot_values = [(action, json.loads(raw)["value"]) for kind, _, action, raw
                   in stored_rows(store, sender) if kind == "slot"]
    assert ("reg_name", FORM_ANSWER_PLACEHOLDER) in slot_values
    assert ("reg_org", FORM_ANSWER_PLACEHOLDER) in slot_values
    assert ("reg_contact", FORM_ANSWER_PLACEHOLDER) in slot_values
    assert ("reg_consent", "yes") in slot_values  # not personal: kept
    assert ("event_query", {"kind": "hoi_thao", "offset": 0}) in slot_values  # untouched
    intents = [intent for kind, intent, _, _ in stored_rows(store, sender) if kind == "user"]
    assert intents == ["ask_events", "register_event", "inform", "inform", "inform", "inform",
                       "affirm"]


async def test_retrieved_tracker_continues_the_conversation(store, domain):
    sender = "citizen-4"
    await fill_form_until_consent(store, domain, sender)
    await turn(store, domain, sender, *submit_turn())

    tracker = await store.retrieve(sender)
    assert tracker.active_loop_name is None
    assert tracker.get_slot("reg_name") is None and tracker.get_slot("reg_ready") is False
    assert tracker.get_slot("event_results") == ["3"]  # other context survives untouched
    # Rasa can featurise it (what policies do before predicting) ...
    states = tracker.past_states(domain)
    assert states[-1]["prev_action"] == {"action_name": "action_listen"}
    assert states[-2]["user"]["intent"] == "affirm"
    # ... and append to it without duplicating or losing rows.
    rows_before, events_before = len(stored_rows(store, sender)), len(tracker.events)
    await turn(store, domain, sender, user("cảm ơn", "thank"),
               ActionExecuted("utter_thank"), BotUttered("Không có gì ạ."), listen())
    tracker = await store.retrieve(sender)
    assert len(stored_rows(store, sender)) == rows_before + 4
    assert len(tracker.events) == events_before + 4
    assert tracker.latest_message.text == "cảm ơn"
    # A second registration in the same conversation works the same way.
    await turn(store, domain, sender, *start_form_turn())
    await turn(store, domain, sender, *answer_turn("Trần Thị Bình", "reg_name", "Trần Thị Bình",
                                                   "reg_org"))
    assert (await store.retrieve(sender)).get_slot("reg_name") == "Trần Thị Bình"


async def test_stop_in_the_middle_of_the_form_scrubs_what_was_given(store, domain):
    sender = "citizen-5"
    await turn(store, domain, sender, *search_turn())
    await turn(store, domain, sender, *start_form_turn())
    await turn(store, domain, sender, *answer_turn(NAME, "reg_name", NAME, "reg_org"))
    assert (await store.retrieve(sender)).get_slot("reg_name") == NAME

    await turn(store, domain, sender, user("dừng", "stop"), ActionExecuted("action_extract_slots"),
               ActionExecuted("action_deactivate_loop"), ActiveLoop(None),
               SlotSet("requested_slot", None), ActionExecuted("action_submit_registration"),
               BotUttered("Mình đã dừng việc đăng ký."),
               *(SlotSet(s, None) for s in ("reg_name", "reg_org", "reg_contact", "reg_consent")),
               listen())

    assert personal_data_left(store) == []
    assert user_texts(store, sender)[-1] == FORM_ANSWER_PLACEHOLDER  # "dừng" answered reg_org


async def test_new_session_or_restart_mid_form_scrubs_the_old_values(store, domain):
    await fill_form_until_consent(store, domain, "expired")
    await fill_form_until_consent(store, domain, "restarted")
    # Back after the session expired: Rasa starts a new session on the same tracker.
    await turn(store, domain, "expired", *session_start(), user("xin chào", "greet"),
               ActionExecuted("utter_greet"), listen())
    await turn(store, domain, "restarted", user("/restart", "restart"), Restarted(), listen())

    assert personal_data_left(store) == []
    full = await store.retrieve_full_tracker("expired")
    assert FORM_ANSWER_PLACEHOLDER in [e.value for e in full.events if isinstance(e, SlotSet)]
    assert (await store.retrieve("expired")).get_slot("reg_name") is None


async def test_forms_abandoned_in_idle_conversations_are_swept(store, domain, monkeypatch):
    idle = store.idle_seconds()
    assert idle == 60 * 60  # the domain's session expiry
    real_time, shift = time.time, {"seconds": idle + 120}
    monkeypatch.setattr(time, "time", lambda: real_time() - shift["seconds"])
    await fill_form_until_consent(store, domain, "walked-away")  # two hours ago
    assert store.scrub_idle_forms(now=real_time() - 300) == 0  # 5 minutes short of idle
    assert (await store.retrieve("walked-away")).get_slot("reg_contact") == PHONE
    shift["seconds"] = 0
    await fill_form_until_consent(store, domain, "still-typing")  # now

    changed = store.scrub_idle_forms()

    assert changed >= 3  # extraction + validation SlotSets of name, organisation, phone
    assert personal_data_left(store, "walked-away") == []
    assert (await store.retrieve("still-typing")).get_slot("reg_contact") == PHONE
    assert store.scrub_idle_forms() == 0  # nothing left to do
    # Once still-typing goes idle too, the next sweep (reading only recent rows) finds it.
    assert store.scrub_idle_forms(now=real_time() + idle + 5) >= 3
    assert personal_data_left(store) == []


# --- configuration, history, logs -------------------------------------------------------------


def test_endpoints_yml_type_loads_this_store(tmp_path, domain):
    """Rasa falls back to an in-memory store, with only a warning, if the class cannot load."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n"
        "  type: bot.privacy.tracker_store.RedactingSQLTrackerStore\n"
        '  dialect: "sqlite"\n'
        f'  db: "{tmp_path / "tracker.sqlite3"}"\n'
        "  personal_data_sweep_minutes: 0\n",
        encoding="utf-8",
    )
    store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), domain)

    assert type(store) is RedactingSQLTrackerStore
    assert store.engine.url.database == str(tmp_path / "tracker.sqlite3")
    assert store.personal_data_sweep_minutes == 0


def test_production_style_url_works_on_postgresql(pg_tracker_db, domain):
    url = (f"postgresql://{pg_tracker_db['username']}@{pg_tracker_db['host']}:"
           f"{pg_tracker_db['port']}/{pg_tracker_db['db']}")
    store = RedactingSQLTrackerStore(domain=domain, dialect="postgresql", host=url)
    try:
        assert store.engine.dialect.name == "postgresql"
    finally:
        store.engine.dispose()


async def test_history_stored_by_the_plain_sql_store_can_be_redacted(store_settings, domain):
    from rasa.core.tracker_store import SQLTrackerStore

    plain = SQLTrackerStore(domain=domain, **store_settings)
    for sender in ("old-finished", "old-open"):
        await fill_form_until_consent(plain, domain, sender)  # type: ignore[arg-type]
    await turn(plain, domain, "old-finished", *submit_turn())  # type: ignore[arg-type]
    plain.engine.dispose()
    store = RedactingSQLTrackerStore(domain=domain, personal_data_sweep_minutes=0,
                                     **store_settings)
    try:
        assert personal_data_left(store, "old-finished")

        changed = store.redact_stored_conversations()

        assert changed > 0
        assert personal_data_left(store, "old-finished") == []
        # The form still running (recent) keeps its slot values, but not its messages.
        assert (await store.retrieve("old-open")).get_slot("reg_contact") == PHONE
        assert PHONE_TYPED not in user_texts(store, "old-open")
        assert store.redact_stored_conversations() == 0
    finally:
        store.engine.dispose()


async def test_event_broker_only_sees_redacted_events(tmp_path, domain):
    class Collecting:
        def __init__(self) -> None:
            self.published: list[dict[str, Any]] = []

        def publish(self, body: dict[str, Any]) -> None:
            self.published.append(body)

    broker = Collecting()
    store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite",
                                     db=str(tmp_path / "t.sqlite3"), event_broker=broker,
                                     personal_data_sweep_minutes=0)
    await fill_form_until_consent(store, domain, "brokered")

    published = json.dumps(broker.published)
    assert broker.published and "reg_contact" in published
    assert PHONE not in published and json.dumps(NAME)[1:-1] not in published
    store.engine.dispose()


async def test_nothing_personal_reaches_the_logs(store, domain, caplog):
    caplog.set_level(logging.DEBUG)
    await fill_form_until_consent(store, domain, "logged")
    await turn(store, domain, "logged", *submit_turn())
    store.scrub_idle_forms()

    text = "\n".join(record.getMessage() for record in caplog.records)
    for secret in SECRETS:
        assert secret not in text


async def test_background_sweep_runs_off_the_event_loop(tmp_path, domain):
    import asyncio

    store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite",
                                     db=str(tmp_path / "t.sqlite3"),
                                     personal_data_sweep_minutes=0.0001)
    await turn(store, domain, "a", *search_turn())
    await asyncio.sleep(0.05)
    await turn(store, domain, "a", *start_form_turn())
    await asyncio.gather(*store._background)
    assert store._swept_before is not None  # a sweep ran (nothing idle to scrub)
    store.engine.dispose()


@pytest.mark.parametrize("minutes, expected", [(None, 60), (30, 60), (180, 180)])
def test_idle_time_is_never_shorter_than_a_session(domain, tmp_path, minutes, expected):
    store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite",
                                     db=str(tmp_path / "t.sqlite3"),
                                     personal_data_idle_minutes=minutes)
    assert store.idle_seconds() == expected * 60
    store.engine.dispose()


async def test_operator_commands(tmp_path, domain, capsys):
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.privacy.__main__ import main

    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    plain = SQLTrackerStore(domain=domain, host=url)
    await fill_form_until_consent(plain, domain, "before-upgrade")  # type: ignore[arg-type]
    await turn(plain, domain, "before-upgrade", *submit_turn())  # type: ignore[arg-type]
    plain.engine.dispose()

    assert main(["sweep", "--url", url]) == 0
    assert "Đã ẩn 0 giá trị" in capsys.readouterr().out  # recent conversations are not idle yet
    assert main(["redact-history", "--url", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Đã ẩn thông tin cá nhân trong ") and PHONE not in out

    store = RedactingSQLTrackerStore(domain=domain, host=url, personal_data_sweep_minutes=0)
    assert personal_data_left(store) == []
    store.engine.dispose()
