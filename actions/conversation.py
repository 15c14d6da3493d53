"""Conversation-level actions: session start, fallback, and routing of follow-up questions."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text

logger = logging.getLogger(__name__)


class ActionSessionStart(Action):
    """Starts each conversation by saying who the bot is and what it can help with."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_intro")
        return [SessionStarted(), ActionExecuted("action_listen")]


class ActionFallback(Action):
    """Low NLU confidence: try the knowledge base before asking the user to rephrase."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = latest_text(tracker)
        if not any(ch.isalnum() for ch in text):
            dispatcher.utter_message(response="utter_no_text")
            return []
        try:
            from actions.knowledge import answer_if_known

            events = await answer_if_known(dispatcher, tracker, domain, reason="fallback")
        except Exception:  # noqa: BLE001 - a broken knowledge path must not break the fallback
            logger.exception("Knowledge lookup failed during fallback")
            events = None
        if events is None:
            dispatcher.utter_message(response="utter_rephrase")
            return []
        return events


class ActionFollowup(Action):
    """ "còn mẫu E thì sao?" / "còn tháng sau?": continue the topic of the previous answer."""

    def name(self) -> str:
        return "action_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        topic = tracker.get_slot("last_topic")
        entities = {e.get("entity") for e in tracker.latest_message.get("entities", [])}
        if topic == "events" or (topic is None and entities & {"time", "event_kind", "audience"}):
            from actions.events import handle_followup
        else:
            from actions.knowledge import handle_followup
        return await handle_followup(dispatcher, tracker, domain)
