"""Event actions against a real (SQLite) database: rasa_sdk Tracker + CollectingDispatcher."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.events as ev
from bot.config import PROJECT_ROOT
from bot.events import registration as reg
from bot.events.models import Event, Registration, ReminderSubscription
from tests.events.conftest import NOW

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain" / "events.yml").read_text(encoding="utf-8"))


@pytest.fixture
def bot_db(demo_db, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", demo_db)
    monkeypatch.setattr(ev, "current_time", lambda: NOW)
    return demo_db


def make_tracker(text: str, intent: str = "ask_events", entities: list | None = None,
                 slots: dict | None = None, channel: str = "rest",
                 extra_events: list | None = None, sender: str = "user-1") -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.99},
               "entities": entities or []}
    events = [{"event": "user", "text": text, "parse_data": message, "input_channel": channel},
              *(extra_events or [])]
    return Tracker(sender, dict(slots or {}), message, events, False, None, {},
                   "action_listen")


async def run(action, tracker: Tracker) -> tuple[list[dict[str, Any]], str, list]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    text = "\n".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages)
    buttons = [b for m in dispatcher.messages for b in m.get("buttons") or []]
    return events, text, buttons


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def event_id(session_url: str, key: str) -> int:
    from bot.db import session_scope

    with session_scope(session_url) as session:
        return session.execute(select(Event.id).where(Event.external_key == key)).scalar_one()


async def test_search_lists_events_and_keeps_context(bot_db):
    events, text, _ = await run(ev.ActionSearchEvents(), make_tracker("tuần sau có hội thảo gì?"))
    assert "Hội thảo quy tắc xuất xứ ATIGA" in text and "Thêm vào lịch" in text
    slots = slots_of(events)
    assert slots["last_topic"] == "events"
    assert slots["event_query"]["kind"] == "hoi_thao"
    assert slots["event_query"]["range"] == {"start": "2026-11-30", "end": "2026-12-06"}
    assert slots["selected_event"] == slots["event_results"][0]


async def test_entities_from_the_nlu_are_used(bot_db):
    tracker = make_tracker("lịch tháng 12", entities=[
        {"entity": "time", "value": "tháng 12"}, {"entity": "event_kind", "value": "hoi_cho"}])
    events, text, _ = await run(ev.ActionSearchEvents(), tracker)
    assert "Hội chợ sản phẩm OCOP" in text
    assert slots_of(events)["event_query"]["kind"] == "hoi_cho"


async def test_followup_reruns_the_last_query_with_the_new_time(bot_db):
    first, _, _ = await run(ev.ActionSearchEvents(), make_tracker("tuần sau có tập huấn gì"))
    assert len(slots_of(first)["event_results"]) == 1
    tracker = make_tracker("còn tháng sau?", intent="ask_followup",
                           slots={"event_query": slots_of(first)["event_query"]})
    dispatcher = CollectingDispatcher()
    events = await ev.handle_followup(dispatcher, tracker, DOMAIN)
    text = dispatcher.messages[0]["text"]
    query = slots_of(events)["event_query"]
    assert query["kind"] == "tap_huan" and query["range"]["start"] == "2026-12-01"
    assert "thương mại điện tử" in text and "tự chứng nhận xuất xứ" in text
    assert "đã hết hạn đăng ký" in text


async def test_show_more_and_ordinals_refer_to_the_listed_page(bot_db):
    first, _, buttons = await run(ev.ActionSearchEvents(), make_tracker("sắp tới có sự kiện gì"))
    assert {"title": "Xem thêm", "payload": "/show_more"} in buttons
    slots = slots_of(first)
    detail, text, _ = await run(ev.ActionEventDetail(), make_tracker(
        "cái thứ hai ở đâu?", intent="ask_event_detail", slots=slots))
    assert "Hội trường Sở Công Thương" in text
    assert slots_of(detail)["selected_event"] == slots["event_results"][1]

    more, text, _ = await run(ev.ActionShowMoreEvents(), make_tracker(
        "xem thêm", intent="show_more", slots=slots))
    page2 = slots_of(more)
    assert page2["event_query"]["offset"] == 5 and text.startswith("Sự kiện sắp diễn ra")
    assert "6. " in text and "1. " not in text
    detail, text, _ = await run(ev.ActionEventDetail(), make_tracker(
        "chi tiết cái số 7", intent="ask_event_detail",
        entities=[{"entity": "ordinal", "value": "7"}], slots=page2))
    assert slots_of(detail)["selected_event"] == page2["event_results"][1]


async def test_detail_without_context_asks_which_event(bot_db):
    events, text, _ = await run(ev.ActionEventDetail(), make_tracker(
        "địa điểm ở đâu", intent="ask_event_detail"))
    assert events == [] and "Bạn muốn hỏi sự kiện nào?" in text


async def _register(slots: dict[str, Any]) -> tuple[list, str]:
    tracker = make_tracker("đồng ý", intent="affirm", slots=slots)
    events, text, _ = await run(ev.ActionSubmitRegistration(), tracker)
    return events, text


async def test_full_registration_then_cancel(bot_db, caplog):
    caplog.set_level(logging.DEBUG)
    key_id = str(event_id(bot_db, "demo-hoi-thao-xuat-xu-2026-12"))
    prep, text, _ = await run(ev.ActionPrepareRegistration(), make_tracker(
        "đăng ký cái đó", intent="register_event", slots={"selected_event": key_id}))
    assert slots_of(prep)["reg_ready"] is True and slots_of(prep)["reg_event"] == key_id
    assert "Hội thảo quy tắc xuất xứ" in text

    form = ev.ValidateEventRegistrationForm()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("x")
    assert form.validate_reg_name("  Nguyễn   Văn An ", dispatcher, tracker, DOMAIN) == {
        "reg_name": "Nguyễn Văn An"}
    assert form.validate_reg_org("không", dispatcher, tracker, DOMAIN) == {"reg_org": "-"}
    assert form.validate_reg_contact("+84 912 345 678", dispatcher, tracker, DOMAIN) == {
        "reg_contact": "0912345678"}
    assert form.validate_reg_consent("đồng ý", dispatcher, tracker, DOMAIN) == {
        "reg_consent": "yes"}

    events, text = await _register({"reg_event": key_id, "reg_name": "Nguyễn Văn An",
                                     "reg_org": "-", "reg_contact": "0912345678",
                                     "reg_consent": "yes"})
    code = reg.find_code(text)
    assert code and "Đăng ký thành công" in text and "/calendar/" in text
    cleared = slots_of(events)
    assert all(cleared[s] is None for s in ev.REG_SLOTS)  # personal data leaves the tracker slots
    from bot.db import session_scope

    with session_scope(bot_db) as session:
        stored = session.execute(select(Registration)).scalar_one()
        assert (stored.name, stored.organisation, stored.phone) == ("Nguyễn Văn An", None,
                                                                     "0912345678")
        assert (stored.sender_id, stored.channel) == ("user-1", "rest")

    _, text, _ = await run(ev.ActionCancelRegistration(), make_tracker(
        f"hủy đăng ký {code.lower()}", intent="cancel_registration"))
    assert f"Đã hủy đăng ký {code}" in text
    _, text, _ = await run(ev.ActionCancelRegistration(), make_tracker(
        "hủy đăng ký", intent="cancel_registration"))
    assert "DK-XXXXXX" in text
    for secret in ("Nguyễn Văn An", "0912345678", "0912 345 678"):
        assert secret not in caplog.text


async def test_bad_phone_is_asked_again(bot_db):
    dispatcher = CollectingDispatcher()
    result = ev.ValidateEventRegistrationForm().validate_reg_contact(
        "12345", dispatcher, make_tracker("12345"), DOMAIN)
    assert result == {"reg_contact": None}
    assert "10 số bắt đầu bằng 0" in dispatcher.messages[0]["text"]


async def test_form_validation_runs_through_rasa_sdk(bot_db):
    tracker = Tracker(
        "user-1", {"requested_slot": "reg_contact", "reg_name": "An", "reg_org": "-"},
        {"text": "0290 3831 234", "intent": {"name": "inform"}, "entities": []},
        [{"event": "user", "text": "0290 3831 234"},
         {"event": "slot", "name": "reg_contact", "value": "0290 3831 234"}],
        False, None, {"name": "event_registration_form"}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = await ev.ValidateEventRegistrationForm().run(dispatcher, tracker, DOMAIN)
    assert SlotSet("reg_contact", "02903831234") in events


async def test_no_consent_stores_nothing(bot_db):
    key_id = str(event_id(bot_db, "demo-hoi-thao-xuat-xu-2026-12"))
    dispatcher = CollectingDispatcher()
    assert ev.ValidateEventRegistrationForm().validate_reg_consent(
        "không đồng ý", dispatcher, make_tracker("không đồng ý"), DOMAIN) == {"reg_consent": "no"}
    events, text = await _register({"reg_event": key_id, "reg_name": "An", "reg_org": "-",
                                     "reg_contact": "0912345678", "reg_consent": "no"})
    assert "chưa đăng ký" in text and "không lưu gì" in text
    assert slots_of(events)["reg_contact"] is None
    from bot.db import session_scope

    with session_scope(bot_db) as session:
        assert session.execute(select(Registration)).first() is None


async def test_capacity_full_when_submitting(bot_db):
    from bot.db import session_scope

    key_id = event_id(bot_db, "demo-giao-luu-sv-asean-2026-12")
    with session_scope(bot_db) as session:
        event = session.get(Event, key_id)
        event.capacity = 1
        assert reg.register(session, key_id, name="Người khác", contact="0912000000",
                            now=NOW).status == "ok"
    events, text = await _register({"reg_event": str(key_id), "reg_name": "An", "reg_org": "-",
                                     "reg_contact": "an@example.vn", "reg_consent": "yes"})
    assert "đủ số lượng" in text and reg.find_code(text) is None


async def test_deadline_passed_gives_no_form(bot_db):
    key_id = str(event_id(bot_db, "demo-tap-huan-tu-chung-nhan-2026-12"))
    events, text, _ = await run(ev.ActionPrepareRegistration(), make_tracker(
        "đăng ký cái đó", intent="register_event", slots={"selected_event": key_id}))
    assert slots_of(events)["reg_ready"] is False
    assert "đã hết hạn đăng ký (17:00 25/11/2026)" in text


async def test_event_without_registration_says_so(bot_db):
    _, text, _ = await run(ev.ActionSearchEvents(), make_tracker("tháng 12 có triển lãm không"))
    assert "ĐÃ HỦY" in text
    key_id = str(event_id(bot_db, "demo-toa-dam-tom-thai-lan-2026-12"))
    events, text, _ = await run(ev.ActionPrepareRegistration(), make_tracker(
        "cho mình đăng ký", intent="register_event", slots={"selected_event": key_id}))
    assert slots_of(events)["reg_ready"] is False and "không nhận đăng ký qua trợ lý" in text


async def test_remind_me_on_zalo_subscribes_and_elsewhere_offers_the_calendar(bot_db):
    first, _, _ = await run(ev.ActionSearchEvents(), make_tracker("tháng sau có hội chợ nào"))
    slots = slots_of(first)
    _, text, _ = await run(ev.ActionRemindMe(), make_tracker(
        "nhắc tôi trước 2 tiếng", intent="remind_me", slots=slots, channel="zalo"))
    # An all-day fair: reminders count from 08:00 on its first day (18/12), minus 2 hours.
    assert "Mình sẽ nhắc bạn" in text and "lúc 06:00 18/12/2026" in text
    _, text, _ = await run(ev.ActionRemindMe(), make_tracker(
        "nhắc tôi", intent="remind_me", slots=slots, channel="socketio"))
    assert "chưa gửi tin nhắc chủ động" in text and "/calendar/" in text
    from bot.db import session_scope

    with session_scope(bot_db) as session:
        rows = session.execute(select(ReminderSubscription)).scalars().all()
        assert [(r.sender_id, r.channel) for r in rows] == [("user-1", "zalo")]


async def test_database_failure_gets_a_polite_answer(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")  # no tables
    events, text, _ = await run(ev.ActionSearchEvents(), make_tracker("sắp tới có gì"))
    assert events == [] and "thử lại sau" in text and "Traceback" not in text


async def test_starting_the_form_shows_no_error_and_leaves_every_question_to_ask():
    """Issue 15, finding 8: the form starts with its slots cleared; clearing is not an answer.

    Before: three validation errors at once, and "" stored as the organisation, so that question
    was never asked.
    """
    cleared = [{"event": "slot", "name": slot, "value": None} for slot in ev.REG_SLOTS]
    tracker = make_tracker("cho mình đăng ký", intent="register_event", extra_events=cleared,
                           slots={"reg_ready": True, "reg_event": "1"})
    tracker.active_loop = {"name": "event_registration_form"}
    events, text, _ = await run(ev.ValidateEventRegistrationForm(), tracker)
    assert text == ""
    assert all(value is None for value in slots_of(events).values())


async def test_validation_messages_follow_the_language_of_the_answer():
    dispatcher = CollectingDispatcher()
    form = ev.ValidateEventRegistrationForm()
    tracker = make_tracker("my phone is 123", intent="inform")
    assert form.validate_reg_contact("my phone is 123", dispatcher, tracker, DOMAIN) == {
        "reg_contact": None}
    assert "does not look right" in dispatcher.messages[0]["text"]


# --- issue 15, finding 6: cancelling through the action ------------------------------------------


async def _cancel(text: str, sender: str) -> str:
    _, reply, _ = await run(ev.ActionCancelRegistration(),
                            make_tracker(text, intent="cancel_registration", sender=sender))
    return reply


async def test_cancel_from_another_conversation_needs_the_contact_and_probes_look_alike(bot_db):
    key_id = str(event_id(bot_db, "demo-hoi-thao-xuat-xu-2026-12"))
    slots = {"reg_event": key_id, "reg_name": "Nguyễn Văn An", "reg_org": "-",
             "reg_contact": "an@example.vn", "reg_consent": "yes"}
    code = reg.find_code((await _register(slots))[1])
    gone = reg.find_code((await _register({**slots, "reg_contact": "0912345678"}))[1])
    assert f"Đã hủy đăng ký {gone}" in await _cancel(f"hủy đăng ký {gone}", "user-1")

    for lang, verb in (("vi", "hủy đăng ký"), ("en", "please cancel my registration")):
        probes = {(await _cancel(f"{verb} {probe}", "stranger")).replace(probe, "DK-?")
                  for probe in (code, gone, "DK-ZZZZZ2")}
        assert len(probes) == 1, probes  # valid, cancelled and unknown codes read the same
        (probe,) = probes
        assert "Nguyễn Văn An" not in probe and "an@example.vn" not in probe
        assert ("could not cancel" in probe) == (lang == "en")
    assert "Đã hủy" not in await _cancel(f"hủy đăng ký {code} 0912345678", "stranger")
    from bot.db import session_scope

    with session_scope(bot_db) as session:
        status = session.execute(select(Registration.status).where(Registration.code == code))
        assert status.scalar_one() == "active"
    reply = await _cancel(f"cancel registration {code}, my e-mail is AN@example.vn", "stranger")
    assert f"Registration {code}" in reply and "cancelled" in reply
    assert "an@example.vn" not in reply.lower()


async def test_the_registration_answers_in_english_to_an_english_speaker(bot_db):
    key_id = str(event_id(bot_db, "demo-hoi-thao-xuat-xu-2026-12"))
    tracker = make_tracker("yes, I agree to that", intent="affirm", slots={
        "reg_event": key_id, "reg_name": "Anna Tran", "reg_org": "-",
        "reg_contact": "anna@example.vn", "reg_consent": "yes"})
    _, text, _ = await run(ev.ActionSubmitRegistration(), tracker)
    assert "You are registered" in text and reg.find_code(text)
    tracker = make_tracker("no, I do not agree", intent="deny", slots={
        "reg_event": key_id, "reg_name": "Anna Tran", "reg_consent": "no"})
    _, text, _ = await run(ev.ActionSubmitRegistration(), tracker)
    assert "stored nothing" in text
