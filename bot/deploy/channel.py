"""Rasa's REST channel, made safe to retry: a message resent by the client is answered once.

Behind a load balancer a client sometimes cannot know whether its message arrived: the Rasa
server may die after saving the turn but before answering (the client sees a 502), or the answer
may be slow and the client times out. A widget then resends. Without care the resent message is
a second user turn — the tracker shows the question twice and the bot answers twice.

The client therefore sends an id of its own with each message and marks resends::

    {"sender": "...", "message": "...", "metadata": {"message_id": "<uuid>", "attempt": 2}}

The id becomes the ``message_id`` of the ``user`` event in the tracker. For a resend (attempt > 1)
the channel takes the conversation's lock — the same Redis lock every Rasa server uses — and looks
in the tracker store: if the id is already there, the turn was processed and its saved bot replies
are sent back; otherwise the message is processed as usual, still under that lock, so two resends
racing on two servers cannot both process it. First attempts skip the look-up (nothing can have
been saved yet), so ordinary traffic pays nothing.

Rasa saves a turn (user event, actions, bot replies) in one transaction at its end, so a turn is
either wholly in the tracker or not at all; that is what makes "look, else process" exact.

Enable it in the credentials file in place of ``rest:`` (URL stays ``/webhooks/rest/webhook``)::

    bot.deploy.channel.IdempotentRestInput:
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import InboundRejected, MessageTooLong, check_inbound
from bot.ratelimit import client_address, message_limiters

logger = logging.getLogger(__name__)

# A client-chosen id: short, URL-safe. Anything else is ignored (the message is then not retried
# safely, exactly like the stock channel).
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
# Conversation ids other channels own: Zalo's OA-scoped user ids (digits) and the widget's signed
# ids. A REST client naming one would read that person's conversation, so REST refuses them.
_OTHER_CHANNELS_IDS = re.compile(r"^(\d{8,}|[0-9a-f]{32}-[0-9a-f]{32})$")
_REPLY_KEYS = ("text", "buttons", "quick_replies", "image", "attachment", "custom", "elements")


def client_message_id(metadata: dict[str, Any] | None) -> str | None:
    """The client's message id from the request metadata, when it is a well-formed one."""
    value = (metadata or {}).get("message_id")
    return value if isinstance(value, str) and _MESSAGE_ID.match(value) else None


def is_resend(metadata: dict[str, Any] | None) -> bool:
    """True when the client marks the message as a resend (``attempt`` 2 or more)."""
    attempt = (metadata or {}).get("attempt")
    return isinstance(attempt, int) and not isinstance(attempt, bool) and attempt > 1


def saved_replies(events: list[Any], message_id: str) -> list[dict[str, Any]] | None:
    """The bot replies the user got for the user event ``message_id``; None if it was never saved.

    Those are the bot events after it up to the next user event and, for the first message of a
    session, also the greeting of the session start (saved before the user event).
    """
    replies: list[dict[str, Any]] | None = None
    opening: list[dict[str, Any]] | None = None  # greeting of a session start, once one began
    for event in events:
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME:
            if replies is not None:
                break  # a new session: its greeting goes with the next message
            opening = []
        elif isinstance(event, UserUttered):
            if replies is not None:
                break  # the next user turn: ours is complete
            if event.message_id == message_id:
                replies = opening or []
            opening = None
        elif isinstance(event, BotUttered):
            message = event.message()
            reply = {key: message[key] for key in _REPLY_KEYS if message.get(key)}
            if replies is not None:
                replies.append(reply)
            elif opening is not None:
                opening.append(reply)
    return replies


class IdempotentRestInput(RestInput):
    """``/webhooks/rest/webhook`` with the client's message id honoured (see the module doc)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Any) -> Blueprint:  # noqa: ANN401 - Rasa's callback type
        hooks = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @hooks.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        by_sender, by_address = message_limiters(self.name())

        @hooks.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
                inbound = check_inbound(body)
            except MessageTooLong as too_long:
                sender = body.get("sender") if isinstance(body, dict) else None
                return response.json([{"recipient_id": sender, "text": too_long.reply}])
            except InboundRejected as rejected:
                return response.json({"error": rejected.reason}, status=400)
            except Exception:  # noqa: BLE001 - body that is not JSON at all
                return response.json({"error": "the body must be a JSON object"}, status=400)
            if _OTHER_CHANNELS_IDS.match(inbound.sender):
                return response.json({"error": "sender id belongs to another channel"}, status=400)
            address = client_address(request.ip, request.headers.get("x-forwarded-for"))
            if not (by_address.hit(address) and by_sender.hit(inbound.sender)):
                return response.json(
                    {"error": "Bạn gửi quá nhiều tin nhắn, vui lòng thử lại sau ít phút. / "
                              "Too many messages, please try again in a few minutes."},
                    status=429,
                )
            sender_id, metadata = inbound.sender, inbound.metadata
            message_id = client_message_id(metadata)
            collector = CollectingOutputChannel()
            # The channel name is this channel's own: a body saying "zalo" is not believed.
            message = UserMessage(
                inbound.text, collector, sender_id, input_channel=self.name(),
                message_id=message_id, metadata=metadata,
            )
            try:
                if message_id and is_resend(metadata):
                    await self._handle_resend(request.app.ctx.agent, message, collector)
                else:
                    await on_new_message(message)
            except Exception:  # noqa: BLE001 - same contract as Rasa's channel: log, answer
                # The stock channel logs the user's text here; personal data stays out of ours.
                logger.exception("Message could not be handled (sender %s)", _short(sender_id))
            return response.json(collector.messages)

        return hooks

    @staticmethod
    async def _handle_resend(
        agent: Any,  # noqa: ANN401 - rasa.core.agent.Agent
        message: UserMessage,
        collector: CollectingOutputChannel,
    ) -> None:
        """Send the saved replies if this message was processed before, else process it now."""
        if not agent.is_ready():
            return
        async with agent.lock_store.lock(message.sender_id):
            # The full tracker: a session start's greeting is saved before its session_started.
            tracker = await agent.tracker_store.retrieve_full_tracker(message.sender_id)
            replies = saved_replies(list(tracker.events), message.message_id) if tracker else None
            if replies is None:
                # Agent.handle_message would take the lock we hold: call the processor directly.
                await agent.processor.handle_message(message)
                return
            logger.info("Resent message answered from the tracker (sender %s)",
                        _short(message.sender_id))
            for reply in replies:
                await collector.send_response(message.sender_id, dict(reply))


def _short(sender_id: Any) -> str:  # noqa: ANN401
    """Enough of a sender id to correlate log lines, not enough to be a handle on a person."""
    return str(sender_id)[:8] if sender_id else "-"
