"""Event actions: search, paging, details, follow-ups, registration form, cancellation, reminders.

Thin by design: read slots/entities/text, call ``bot.events``, send the formatted reply. The
last search lives in slots (``event_query`` filters, ``event_results`` ids of the page shown,
``selected_event``) so "còn tháng sau?", "cái thứ hai ở đâu?" and "đăng ký cái đó" work.
Personal data from the registration form is cleared from the slots once it has been stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text
from bot.config import TIMEZONE, database_url
from bot.db import session_scope as _session_scope
from bot.events import registration as reg
from bot.events import reminders, replies
from bot.events.ics import calendar_url
from bot.events.models import Event
from bot.events.query import EventQuery, parse_event_question
from bot.events.replies import (
    format_detail,
    format_search_reply,
    registration_state,
    registration_text,
    title_of,
)
from bot.events.search import PAGE_SIZE, find_by_name, get_event, search_events
from bot.nlp.normalize import search_key

logger = logging.getLogger(__name__)

REG_SLOTS = ("reg_name", "reg_org", "reg_contact", "reg_consent")
# Channels whose users can receive a message the bot starts (reminders). The web widget cannot.
PUSH_CHANNELS = frozenset(
    c.strip() for c in os.environ.get("EVENT_PUSH_CHANNELS", "zalo").split(",") if c.strip()
)
_ORDINAL_WORDS = {
    "nhat": 1, "dau": 1, "dau tien": 1, "mot": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3,
    "4th": 4, "5th": 5,
}
_ORDINAL_RE = re.compile(
    r"\b(?:cai|su kien|so|muc|hoi thao|hoi nghi|hoi cho|cuoc thi|tap huan|toa dam|trien lam"
    r"|chuong trinh)\s+(?:thu\s+|so\s+)?(\d{1,2}|nhat|dau tien|dau|hai|ba|tu|bon|nam|cuoi)\b"
    r"|\bthe\s+(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|last)\b"
    r"|^\s*(?:so\s+)?(\d{1,2})\s*$"
)


def session_scope():  # noqa: ANN201 - a context manager of Session
    """A session on DATABASE_URL as it is now (engines are cached per URL, never per None)."""
    return _session_scope(database_url())


def current_time() -> dt.datetime:
    """Now in Asia/Ho_Chi_Minh. ``BOT_FIXED_NOW`` (ISO 8601) pins it for demos and story tests."""
    fixed = os.environ.get("BOT_FIXED_NOW")
    if fixed:
        moment = dt.datetime.fromisoformat(fixed)
        return moment if moment.tzinfo else moment.replace(tzinfo=TIMEZONE)
    return dt.datetime.now(TIMEZONE)


def _lang(text: str) -> str:
    try:
        from bot.nlp.language import detect_language

        return "en" if detect_language(text) == "en" else "vi"
    except Exception:  # noqa: BLE001 - language detection is a nicety, never a failure
        return "vi"


def _entities(tracker: Tracker) -> list[dict[str, Any]]:
    return list((tracker.latest_message or {}).get("entities") or [])


def _sender(tracker: Tracker) -> tuple[str, str]:
    return tracker.sender_id, tracker.get_latest_input_channel() or ""


def _ordinal(tracker: Tracker, text: str) -> int | None:
    """1-based position asked for ("cái thứ hai", ordinal entity "2"); -1 means the last one."""
    for entity in _entities(tracker):
        if entity.get("entity") == "ordinal":
            value = search_key(str(entity.get("value")))
            if value.isdigit():
                return int(value)
            if value in ("last", "cuoi"):
                return -1
            if value in _ORDINAL_WORDS:
                return _ORDINAL_WORDS[value]
    match = _ORDINAL_RE.search(search_key(text))
    if not match:
        return None
    token = next(g for g in match.groups() if g)
    if token in ("cuoi", "last"):
        return -1
    return int(token) if token.isdigit() else _ORDINAL_WORDS.get(token)


def _resolve_event(session, tracker: Tracker, text: str, now: dt.datetime) -> Event | None:  # noqa: ANN001
    """The event a message refers to: by position in the last list, the one being discussed,
    the only one listed, or its name.
    """
    ids = [int(i) for i in tracker.get_slot("event_results") or []]
    position = _ordinal(tracker, text)
    if position is not None and ids:
        offset = EventQuery.from_dict(tracker.get_slot("event_query")).offset
        if position == -1:
            return get_event(session, ids[-1])
        if offset < position <= offset + len(ids):
            return get_event(session, ids[position - offset - 1])
        if 1 <= position <= len(ids):
            return get_event(session, ids[position - 1])
        return None
    query = parse_event_question(text, now, _entities(tracker))
    named = find_by_name(session, query, now)
    if named:
        return named[0]
    selected = tracker.get_slot("selected_event")
    if selected:
        return get_event(session, selected)
    if len(ids) == 1:
        return get_event(session, ids[0])
    return None


def _sorry(dispatcher: CollectingDispatcher, lang: str) -> None:
    dispatcher.utter_message(text=(
        "Sorry, I cannot look up events right now. Please try again in a few minutes."
        if lang == "en" else
        "Xin lỗi, mình đang không tra cứu được lịch sự kiện. Bạn vui lòng thử lại sau ít phút."
    ))


def _run_search(dispatcher: CollectingDispatcher, query: EventQuery, lang: str
                ) -> list[EventType]:
    now = current_time()
    with session_scope() as session:
        result = search_events(session, query, now, limit=PAGE_SIZE)
        text, buttons = format_search_reply(result, now, lang)
        ids = [e.id for e in result.events]
    dispatcher.utter_message(text=text, buttons=buttons or None)
    return [
        SlotSet("event_query", query.to_dict()),
        SlotSet("event_results", [str(i) for i in ids] or None),
        SlotSet("selected_event", str(ids[0]) if len(ids) == 1 else None),
        SlotSet("last_topic", "events"),
    ]


class ActionSearchEvents(Action):
    """ "tuần sau có hội thảo gì?" → the first page of matching events."""

    def name(self) -> str:
        return "action_search_events"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        lang = _lang(text)
        try:
            query = parse_event_question(text, current_time(), _entities(tracker))
            return _run_search(dispatcher, query, lang)
        except Exception:  # noqa: BLE001 - the user gets an apology, the log the traceback
            logger.exception("event search failed")
            _sorry(dispatcher, lang)
            return []


class ActionShowMoreEvents(Action):
    """ "xem thêm" → the next page of the last search."""

    def name(self) -> str:
        return "action_show_more_events"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        lang = _lang(latest_text(tracker))
        data = tracker.get_slot("event_query")
        if not data:
            dispatcher.utter_message(text=(
                "Bạn muốn xem sự kiện nào? Ví dụ: \"tháng 12 có hội thảo gì?\"" if lang != "en"
                else "Which events would you like to see? E.g. \"workshops in December\"."))
            return []
        query = EventQuery.from_dict(data)
        query.offset += PAGE_SIZE
        try:
            return _run_search(dispatcher, query, lang)
        except Exception:  # noqa: BLE001
            logger.exception("event paging failed")
            _sorry(dispatcher, lang)
            return []


class ActionEventDetail(Action):
    """ "cái thứ hai ở đâu?" → everything about that event."""

    def name(self) -> str:
        return "action_event_detail"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        lang = _lang(text)
        now = current_time()
        try:
            with session_scope() as session:
                event = _resolve_event(session, tracker, text, now)
                reply = format_detail(event, now, lang) if event else None
                event_id = event.id if event else None
        except Exception:  # noqa: BLE001
            logger.exception("event detail failed")
            _sorry(dispatcher, lang)
            return []
        if reply is None:
            dispatcher.utter_message(text=(
                "Which event do you mean? Ask for a list first, e.g. \"events next month\"."
                if lang == "en" else
                "Bạn muốn hỏi sự kiện nào? Bạn có thể hỏi danh sách trước, ví dụ \"tháng sau có "
                "sự kiện gì?\", rồi chọn \"cái thứ nhất\", \"cái thứ hai\"..."))
            return []
        dispatcher.utter_message(text=reply)
        return [SlotSet("selected_event", str(event_id)), SlotSet("last_topic", "events")]


async def handle_followup(dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> list[EventType]:
    """ "còn tháng sau?", "còn cho sinh viên thì sao?": the last search with what changed."""
    text = latest_text(tracker)
    lang = _lang(text)
    try:
        previous = EventQuery.from_dict(tracker.get_slot("event_query"))
        new = parse_event_question(text, current_time(), _entities(tracker))
        merged = EventQuery(
            range=new.range or previous.range,
            kind=new.kind or previous.kind,
            audience=new.audience or previous.audience,
            place=new.place or previous.place,
            topic=new.topic or previous.topic,
            name_terms=new.name_terms if len(new.name_terms) >= 2 else previous.name_terms,
            open_registration=new.open_registration or previous.open_registration,
        )
        return _run_search(dispatcher, merged, lang)
    except Exception:  # noqa: BLE001
        logger.exception("event follow-up failed")
        _sorry(dispatcher, lang)
        return []


class ActionPrepareRegistration(Action):
    """ "đăng ký cái đó": pick the event and check it takes registrations before the form."""

    def name(self) -> str:
        return "action_prepare_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        lang = _lang(text)
        now = current_time()
        not_ready = [SlotSet("reg_ready", False), SlotSet("reg_event", None)]
        try:
            with session_scope() as session:
                event = _resolve_event(session, tracker, text, now)
                if event is None:
                    dispatcher.utter_message(text=(
                        "Bạn muốn đăng ký sự kiện nào? Bạn hỏi danh sách trước (ví dụ \"tháng "
                        "sau có hội thảo gì?\") rồi nhắn \"đăng ký cái thứ nhất\" nhé."))
                    return not_ready
                state = registration_state(event, now)
                title = title_of(event, lang)
                if state != "open":
                    detail = registration_text(event, now, lang)
                    contact = f" Liên hệ: {event.contact}." if event.contact else ""
                    dispatcher.utter_message(
                        text=f"Sự kiện \"{title}\": {detail}.{contact}".replace("..", "."))
                    return [*not_ready, SlotSet("selected_event", str(event.id))]
                event_id = event.id
        except Exception:  # noqa: BLE001
            logger.exception("registration preparation failed")
            _sorry(dispatcher, lang)
            return not_ready
        dispatcher.utter_message(text=replies.registration_started(title, lang))
        return [SlotSet("reg_ready", True), SlotSet("reg_event", str(event_id)),
                SlotSet("selected_event", str(event_id)),
                *(SlotSet(slot, None) for slot in REG_SLOTS)]


class ValidateEventRegistrationForm(FormValidationAction):
    """Checks each answer of the registration form; never logs what people typed."""

    def name(self) -> str:
        return "validate_event_registration_form"

    @staticmethod
    def _answer(slot: str, check: reg.FieldCheck, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> dict[str, Any]:
        if check.problem:
            dispatcher.utter_message(
                text=replies.field_problem_reply(check.problem, _lang(latest_text(tracker))))
        return {slot: check.value}

    def validate_reg_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        return self._answer("reg_name", reg.check_name(value), dispatcher, tracker)

    def validate_reg_org(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        return self._answer("reg_org", reg.check_organisation(value), dispatcher, tracker)

    def validate_reg_contact(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._answer("reg_contact", reg.check_contact(value), dispatcher, tracker)

    def validate_reg_consent(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        check = reg.check_consent(value, tracker.get_intent_of_latest_message())
        return self._answer("reg_consent", check, dispatcher, tracker)


def _clear_registration_slots() -> list[EventType]:
    return [*(SlotSet(slot, None) for slot in REG_SLOTS), SlotSet("reg_ready", False),
            SlotSet("reg_event", None)]


class ActionSubmitRegistration(Action):
    """Stores the registration (deadline and capacity checked atomically) → DK-XXXXXX."""

    def name(self) -> str:
        return "action_submit_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        clear = _clear_registration_slots()
        if tracker.get_slot("reg_consent") is None:  # "dừng" in the middle of the form
            dispatcher.utter_message(response="utter_registration_stopped")
            return clear
        lang = _lang(latest_text(tracker))
        if tracker.get_slot("reg_consent") != "yes":
            dispatcher.utter_message(text=replies.registration_result("no_consent", "", None, "",
                                                                      lang))
            return clear
        event_id = tracker.get_slot("reg_event")
        org = tracker.get_slot("reg_org")
        sender_id, channel = _sender(tracker)
        now = current_time()
        try:
            with session_scope() as session:
                outcome = reg.register(
                    session, int(event_id), name=tracker.get_slot("reg_name") or "",
                    contact=tracker.get_slot("reg_contact") or "", now=now,
                    organisation=None if org in (None, "-") else org,
                    sender_id=sender_id, channel=channel,
                )
                title = replies.title_of(outcome.event, lang) if outcome.event else ""
                ics = calendar_url(outcome.event.id) if outcome.event else ""
        except Exception:  # noqa: BLE001 - no personal data in this log line
            logger.exception("registration failed for event %s", event_id)
            _sorry(dispatcher, lang)
            return clear
        dispatcher.utter_message(
            text=replies.registration_result(outcome.status, title, outcome.code, ics, lang))
        return clear


class ActionCancelRegistration(Action):
    """ "hủy đăng ký DK-7K3F9Q" → cancels it and frees the seat."""

    def name(self) -> str:
        return "action_cancel_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        values = [str(e.get("value")) for e in _entities(tracker)
                  if e.get("entity") == "confirmation_code"]
        code = reg.find_code(" ".join(values)) or reg.find_code(text)
        lang = _lang(text)
        if code is None:
            dispatcher.utter_message(text=replies.cancellation_reply("missing_code", "", "", lang))
            return []
        try:
            with session_scope() as session:
                outcome = reg.cancel_registration(
                    session, code, current_time(), sender_id=tracker.sender_id, text=text
                )
                title = replies.title_of(outcome.event, lang) if outcome.event else ""
        except Exception:  # noqa: BLE001
            logger.exception("cancellation failed")
            _sorry(dispatcher, lang)
            return []
        dispatcher.utter_message(text=replies.cancellation_reply(outcome.status, code, title, lang))
        return []


class ActionRemindMe(Action):
    """ "nhắc tôi (trước 2 tiếng)" → a reminder for the selected event on push channels."""

    def name(self) -> str:
        return "action_remind_me"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        now = current_time()
        sender_id, channel = _sender(tracker)
        try:
            with session_scope() as session:
                event = _resolve_event(session, tracker, text, now)
                if event is None:
                    dispatcher.utter_message(text=(
                        "Bạn muốn mình nhắc sự kiện nào? Bạn chọn trong danh sách, ví dụ \"nhắc "
                        "tôi cái thứ nhất\"."))
                    return []
                title, ics, event_id = event.title, calendar_url(event.id), event.id
                if channel not in PUSH_CHANNELS:
                    dispatcher.utter_message(text=(
                        f"Trên kênh này mình chưa gửi tin nhắc chủ động được. Bạn thêm \"{title}\" "
                        f"vào lịch điện thoại để được nhắc: {ics}\n(Nhắn cho trang Zalo OA của "
                        "tỉnh thì mình nhắc được qua tin nhắn.)"))
                    return [SlotSet("selected_event", str(event_id))]
                outcome = reminders.subscribe(session, event_id, sender_id, channel, now,
                                              reminders.parse_lead_time(text))
                when = outcome.reminder.remind_at.astimezone(TIMEZONE) if outcome.reminder \
                    else None
        except Exception:  # noqa: BLE001
            logger.exception("reminder subscription failed")
            _sorry(dispatcher, "vi")
            return []
        dispatcher.utter_message(text={
            "ok": f"🔔 Mình sẽ nhắc bạn về \"{title}\" lúc {when:%H:%M %d/%m/%Y}" if when else "",
            "past": f"\"{title}\" đã bắt đầu hoặc đã diễn ra nên mình không đặt nhắc được.",
            "cancelled": f"\"{title}\" đã bị hủy nên mình không đặt nhắc.",
            "not_found": "Mình không tìm thấy sự kiện này nữa.",
        }[outcome.status] + (f".\n📅 Thêm vào lịch: {ics}" if outcome.status == "ok" else ""))
        return [SlotSet("selected_event", str(event_id))]
