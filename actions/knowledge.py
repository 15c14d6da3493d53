"""Knowledge actions: answer from the FAQ database, record 👍/👎, continue with follow-ups.

Thin by design: read the text, entities and slots, call ``bot.knowledge.service``, format buttons.
The previous answer lives in slots (``kb_entry_id``, ``kb_entities``, ``kb_query``, ``kb_lang``)
so "còn mẫu E thì sao?" can be understood. A database that is down gets a polite "try again"
instead of a stack trace.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import latest_text
from bot.config import database_url
from bot.db import session_scope
from bot.knowledge.service import (
    Answer,
    FollowupContext,
    answer_entry,
    answer_question,
    log_unanswered,
)

logger = logging.getLogger(__name__)


def _warm_up_index() -> None:
    """Build the search index before the first question (it takes seconds; a user should not)."""
    from bot.knowledge.search import get_index

    try:
        with session_scope(database_url()) as session:
            get_index(session)
    except Exception:  # noqa: BLE001 - the first question will build it (or say it is busy)
        logger.warning("Knowledge index warm-up failed; it will be built on first use.")


if os.environ.get("KNOWLEDGE_WARM_UP") == "1":  # set for the action server by bot/run.py
    threading.Thread(target=_warm_up_index, name="knowledge-warm-up", daemon=True).start()

BUSY = {
    "vi": "Xin lỗi, hệ thống đang bận, vui lòng thử lại sau ít phút.",
    "en": "Sorry, the system is busy right now. Please try again in a few minutes.",
}
THANKS_UP = {
    "vi": "Cảm ơn bạn đã phản hồi! Bạn còn muốn hỏi gì thêm về ASEAN không?",
    "en": "Thanks for your feedback! Anything else you would like to know about ASEAN?",
}
THANKS_DOWN = {
    "vi": "Cảm ơn bạn đã góp ý. Mình đã chuyển câu hỏi cho cán bộ để xem lại câu trả lời.",
    "en": "Thanks for telling us. I have passed the question to our staff to review the answer.",
}
RELATED_LEAD = {"vi": "Hoặc có thể bạn muốn hỏi:", "en": "Or maybe you wanted to ask:"}


def _lang(tracker: Tracker, text: str) -> str:
    """The language of ``text``; for button payloads, the language of the previous question."""
    if text.startswith("/"):
        return tracker.get_slot("kb_lang") or "vi"
    from bot.nlp.language import detect_language

    return "en" if detect_language(text) == "en" else "vi"


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value") not in (None, ""):
            return str(entity["value"])
    return None


def _context(tracker: Tracker) -> FollowupContext | None:
    entry_id, query = tracker.get_slot("kb_entry_id"), tracker.get_slot("kb_query")
    if not entry_id and not query:
        return None
    entities = tracker.get_slot("kb_entities") or {}
    return FollowupContext(entry_id, dict(entities) if isinstance(entities, dict) else {}, query)


def _payload(intent: str, **entities: str) -> str:
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def _feedback_buttons(entry_id: str) -> list[dict[str, str]]:
    return [
        {"title": "👍", "payload": _payload("feedback", feedback_value="up", entry_id=entry_id)},
        {"title": "👎", "payload": _payload("feedback", feedback_value="down", entry_id=entry_id)},
    ]


def send_answer(dispatcher: CollectingDispatcher, answer: Answer, lang: str) -> None:
    """Confident: answer + 👍/👎. Middling: answer + related questions. Low: the honest no."""
    if (answer.kind == "middling" or answer.exporter) and answer.related:
        buttons = [
            {"title": related.question, "payload": _payload("ask_knowledge",
                                                           entry_id=related.entry_id)}
            for related in answer.related[:3]
        ]
        dispatcher.utter_message(text=answer.text)
        dispatcher.utter_message(text=RELATED_LEAD[lang], buttons=buttons)
    elif answer.kind != "low" and answer.entry_id:
        dispatcher.utter_message(text=answer.text, buttons=_feedback_buttons(answer.entry_id))
    else:
        dispatcher.utter_message(text=answer.text)


def _slots(answer: Answer, lang: str) -> list[EventType]:
    return [
        SlotSet("kb_entry_id", answer.entry_id),
        SlotSet("kb_entities", answer.entities or None),
        SlotSet("kb_query", answer.query or None),
        SlotSet("kb_lang", lang),
        SlotSet("last_topic", "knowledge"),
    ]


def _answer_and_log(text: str, lang: str, channel: str | None,
                    context: FollowupContext | None, followup: bool | None,
                    reason: str) -> Answer:
    with session_scope(database_url()) as session:
        answer = answer_question(session, text, lang, context, followup=followup)
        if answer.kind == "low":
            log_unanswered(session, text, channel, reason, answer.candidates)
        return answer


async def answer_if_known(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any],
    reason: str = "fallback",
) -> list[EventType] | None:
    """Answer from the knowledge base when it knows (used by the NLU fallback); None otherwise.

    An unknown question is logged for staff with ``reason`` and the caller asks to rephrase.
    """
    text = latest_text(tracker)
    lang = _lang(tracker, text)
    answer = await asyncio.to_thread(
        _answer_and_log, text, lang, tracker.get_latest_input_channel(), None, False, reason
    )
    if answer.kind == "low":
        return None
    send_answer(dispatcher, answer, lang)
    return _slots(answer, lang)


class ActionAnswerKnowledge(Action):
    """Answers a knowledge question (or the question of a "did you mean" button)."""

    def name(self) -> str:
        return "action_answer_knowledge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = latest_text(tracker)
        lang = _lang(tracker, text)
        entry_id = _entity(tracker, "entry_id")
        try:
            if entry_id:
                with session_scope(database_url()) as session:
                    answer = answer_entry(session, entry_id, lang)
                if answer is None:
                    text = text if not text.startswith("/") else ""
                    answer = await asyncio.to_thread(
                        _answer_and_log, text or entry_id, lang,
                        tracker.get_latest_input_channel(), None, False, "low_confidence",
                    )
            else:
                answer = await asyncio.to_thread(
                    _answer_and_log, text, lang, tracker.get_latest_input_channel(),
                    _context(tracker), None, "low_confidence",
                )
        except (SQLAlchemyError, OSError):
            logger.exception("Knowledge database unavailable")
            dispatcher.utter_message(text=BUSY[lang])
            return []
        send_answer(dispatcher, answer, lang)
        return _slots(answer, lang)


class ActionRecordFeedback(Action):
    """👍 → thanks; 👎 → the question goes to the staff inbox with the answer that was given."""

    def name(self) -> str:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        lang = tracker.get_slot("kb_lang") or _lang(tracker, latest_text(tracker))
        value = (_entity(tracker, "feedback_value") or "").lower()
        if value != "down":
            dispatcher.utter_message(text=THANKS_UP[lang])
            return []
        entry_id = _entity(tracker, "entry_id") or tracker.get_slot("kb_entry_id")
        question = tracker.get_slot("kb_query") or ""
        try:
            await asyncio.to_thread(
                _log_thumbs_down, question, entry_id, tracker.get_latest_input_channel()
            )
        except (SQLAlchemyError, OSError):
            logger.exception("Knowledge database unavailable")
            dispatcher.utter_message(text=BUSY[lang])
            return []
        dispatcher.utter_message(text=THANKS_DOWN[lang])
        return []


def _log_thumbs_down(question: str, entry_id: str | None, channel: str | None) -> None:
    with session_scope(database_url()) as session:
        if not question and entry_id:
            answered = answer_entry(session, entry_id)
            question = answered.question if answered else entry_id
        log_unanswered(session, question or "(không rõ câu hỏi)", channel, "thumbs_down", [],
                       entry_id=entry_id)


async def handle_followup(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[EventType]:
    """ "còn mẫu E thì sao?" after a knowledge answer: the previous question, new entity."""
    text = latest_text(tracker)
    lang = _lang(tracker, text)
    context = _context(tracker)
    try:
        answer = await asyncio.to_thread(
            _answer_and_log, text, lang, tracker.get_latest_input_channel(), context,
            True if context else None, "low_confidence",
        )
    except (SQLAlchemyError, OSError):
        logger.exception("Knowledge database unavailable")
        dispatcher.utter_message(text=BUSY[lang])
        return []
    send_answer(dispatcher, answer, lang)
    return _slots(answer, lang)
