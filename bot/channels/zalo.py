"""Rasa input/output channel for a Zalo Official Account (Open API v3, webhook events).

Registered in ``credentials.yml`` as ``bot.channels.zalo.ZaloInput``; Zalo posts events to
``POST /webhooks/zalo/webhook``. The webhook only authenticates and schedules: Zalo wants HTTP 200
within about two seconds, so every event is handled in a background task.

* Authentication: ``X-ZEvent-Signature`` (optionally ``mac=``-prefixed) must equal
  ``sha256(app_id + raw body + timestamp + OA secret key)`` in hex, ``timestamp`` taken from the
  JSON body; compared in constant time. Missing or wrong → 401; a timestamp further than
  ``max_event_age_seconds`` from now → 401 (replay). Malformed or oversized body → 400.
* Idempotency: each event is claimed once in the database (``message.msg_id``), so Zalo's
  redeliveries are answered once, also across restarts.
* ``user_send_text`` goes to Rasa; the turn's replies are merged (see ``zalo_messages``) and sent
  with ``/v3.0/oa/message/cs``. Other ``user_send_*`` kinds get a polite "text only" answer.
  ``follow`` sends ``follow_payload`` (``/greet``) to Rasa so the domain's greeting answers.
  A consent-withdrawal event deletes the conversation, registrations and reminders.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import InboundRejected, MessageTooLong, check_sender, check_text
from bot.channels.zalo_api import RetryPolicy, ZaloApiError, ZaloClient
from bot.channels.zalo_messages import compose_turn
from bot.channels.zalo_privacy import forget_sender
from bot.channels.zalo_settings import ZaloSettings, protect_secrets
from bot.channels.zalo_stores import EventLedger, FollowerStore, TokenStore, event_key
from bot.ratelimit import message_limiters

logger = logging.getLogger(__name__)

CHANNEL_NAME = "zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
PRUNE_EVERY = 500

RATE_LIMITED_REPLY = (
    "Bạn gửi quá nhiều tin nhắn, vui lòng thử lại sau ít phút. / "
    "Too many messages, please try again in a few minutes."
)
TEXT_ONLY_REPLY = (
    "Hiện mình chỉ đọc được tin nhắn chữ. Bạn vui lòng gõ câu hỏi bằng chữ giúp mình nhé.\n"
    "For now I can only read text messages: please type your question."
)


def anonymise(user_id: str) -> str:
    """A short stable tag for logs, so a Zalo user id never appears in them."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:10]


def expected_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """``sha256(app_id + body + timestamp + oa_secret_key)`` as lowercase hex."""
    digest = hashlib.sha256()
    for part in (app_id.encode("utf-8"), body, timestamp.encode("utf-8"), oa_secret_key.encode()):
        digest.update(part)
    return digest.hexdigest()


def signature_matches(
    header: str | None, app_id: str, body: bytes, timestamp: str, oa_secret_key: str
) -> bool:
    """Constant-time check of the ``X-ZEvent-Signature`` header (``mac=`` prefix allowed)."""
    if not header:
        return False
    given = header.strip()
    if given.lower().startswith("mac="):
        given = given[4:].strip()
    expected = expected_signature(app_id, body, timestamp, oa_secret_key)
    return hmac.compare_digest(given.lower().encode("utf-8"), expected.encode("utf-8"))


def timestamp_text(value: Any) -> str | None:
    """The body's ``timestamp`` exactly as it enters the signature, or None if unusable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return None


def is_fresh(timestamp: str, max_age_seconds: float, now_ms: float | None = None) -> bool:
    """Whether a millisecond timestamp lies within ``max_age_seconds`` of now (either side)."""
    try:
        event_ms = int(timestamp)
    except ValueError:
        return False
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    return abs(now_ms - event_ms) <= max_age_seconds * 1000


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"status": "error", "message": message}, status=status)


class ZaloOutput(OutputChannel):
    """Sends bot messages to one Zalo user.

    Buffered (a webhook turn): messages are collected and ``flush`` sends them merged, as few Zalo
    messages as possible. Unbuffered (``get_output_channel``, e.g. Rasa's trigger_intent): each
    response is sent when Rasa emits it.
    """

    def __init__(self, client: ZaloClient, text_limit: int = 2000, buffered: bool = True) -> None:
        self.client = client
        self.text_limit = text_limit
        self.buffered = buffered
        self._pending: list[tuple[str, dict[str, Any]]] = []

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self._pending.append((recipient_id, dict(message)))
        if not self.buffered:
            await self.flush()

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def flush(self) -> int:
        """Send what was collected (merged per recipient, in order); returns messages sent."""
        pending, self._pending = self._pending, []
        sent = 0
        recipients = list(dict.fromkeys(recipient for recipient, _ in pending))
        for recipient in recipients:
            turn = [message for r, message in pending if r == recipient]
            for zalo_message in compose_turn(turn, self.text_limit):
                try:
                    await self.client.send_message(recipient, zalo_message)
                    sent += 1
                except ZaloApiError as error:
                    logger.error(
                        "Could not send a Zalo message to user %s: %s", anonymise(recipient), error
                    )
                    break
        return sent


OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class ZaloInput(InputChannel):
    """The Zalo OA webhook: authenticates, answers at once, handles events in the background."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ZaloInput:
        return cls(ZaloSettings.from_credentials(credentials))

    def __init__(self, settings: ZaloSettings, retry: RetryPolicy | None = None) -> None:
        self.settings = settings
        protect_secrets(settings)
        self.tokens = TokenStore(settings.app_id or "unconfigured", settings.db_url)
        self.ledger = EventLedger(settings.db_url)
        self.followers = FollowerStore(settings.db_url)
        self._retry = retry
        self._limiter, _ = message_limiters(CHANNEL_NAME)  # per Zalo user; Zalo is the only peer
        self._client: ZaloClient | None = None
        self._seeded = False
        self._seed_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._user_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._claims = 0
        if settings.missing:
            logger.warning(
                "Zalo channel not configured (missing %s): its webhook answers 503",
                ", ".join(settings.missing),
            )

    # -- Zalo client ---------------------------------------------------------------------------

    @property
    def client(self) -> ZaloClient:
        if self._client is None:
            self._client = ZaloClient(
                self.settings.app_id,
                self.settings.app_secret_key,
                self.tokens,
                api_base=self.settings.api_base,
                oauth_base=self.settings.oauth_base,
                timeout=self.settings.send_timeout_seconds,
                retry=self._retry,
            )
        return self._client

    async def _ensure_tokens(self) -> None:
        """Seed the stored token pair from the credentials once per process."""
        async with self._seed_lock:  # concurrent first messages must not both insert
            if self._seeded:
                return
            if self.settings.refresh_token:
                await asyncio.to_thread(
                    self.tokens.seed, self.settings.access_token, self.settings.refresh_token
                )
            self._seeded = True

    def get_output_channel(self) -> OutputChannel | None:
        if self.settings.missing:
            return None
        return ZaloOutput(self.client, self.settings.text_limit, buffered=False)

    # -- webhook -------------------------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = Blueprint(f"zalo_webhook_{id(self)}", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return self.handle_request(request, on_new_message)

        return blueprint

    def handle_request(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """Validate one webhook call and schedule its processing; never raises."""
        if self.settings.missing:
            return _error(503, "Zalo channel is not configured")
        body = request.body or b""
        if len(body) > self.settings.max_body_bytes:
            return _error(400, "request body too large")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # incl. absurd nesting
            return _error(400, "request body is not valid JSON")
        if not isinstance(payload, dict):
            return _error(400, "request body must be a JSON object")
        timestamp = timestamp_text(payload.get("timestamp"))
        header = request.headers.get(SIGNATURE_HEADER)
        if timestamp is None or not signature_matches(
            header, self.settings.app_id, body, timestamp, self.settings.oa_secret_key
        ):
            logger.warning("Rejected a Zalo webhook call with a missing or invalid signature")
            return _error(401, "invalid signature")
        if not is_fresh(timestamp, self.settings.max_event_age_seconds):
            logger.warning("Rejected a Zalo webhook event with a stale timestamp (replay?)")
            return _error(401, "stale event")
        agent = getattr(request.app.ctx, "agent", None)
        self._schedule(self.process_event(payload, on_new_message, agent))
        return response.json({"status": "ok"})

    def _schedule(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait for the background tasks scheduled so far (tests, graceful shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    # -- events --------------------------------------------------------------------------------

    async def process_event(
        self, payload: dict[str, Any], on_new_message: OnNewMessage, agent: Any = None
    ) -> None:
        """Handle one authenticated event once; errors are logged, never raised."""
        name = str(payload.get("event_name") or "")
        user = self._user_of(payload)
        lock = self._user_locks.setdefault(user or "", asyncio.Lock())
        try:
            async with lock:  # one user's events in arrival order
                if not await asyncio.to_thread(self.ledger.claim, event_key(payload), name):
                    logger.info("Ignored a redelivered Zalo event (%s)", name)
                    return
                await self._maybe_prune()
                await self._dispatch(name, user, payload, on_new_message, agent)
        except Exception:  # noqa: BLE001 - a background task has nobody else to report to
            logger.exception("Failed to handle a Zalo %s event", name or "unnamed")

    async def _dispatch(
        self,
        name: str,
        user: str | None,
        payload: dict[str, Any],
        on_new_message: OnNewMessage,
        agent: Any,
    ) -> None:
        if name in self.settings.deletion_events:
            await self._forget(payload, user, agent)
            return
        try:
            user = check_sender(user) if user else None
        except InboundRejected:
            user = None
        if not user:
            logger.debug("Ignored Zalo event %s without a valid user", name)
            return
        by_app = str(payload.get("user_id_by_app") or "") or None
        if name == "user_send_text":
            await asyncio.to_thread(self.followers.touch, user, by_app)
            message = payload.get("message")
            message = message if isinstance(message, dict) else {}
            try:
                text = check_text(message.get("text") or "").strip()
            except MessageTooLong as too_long:
                await self._send_now(user, too_long.reply)
                return
            except InboundRejected as rejected:
                logger.info("Ignored a Zalo message: %s", rejected.reason)
                return
            if not self._limiter.hit(user):
                await self._send_now(user, RATE_LIMITED_REPLY)
                return
            msg_id = message.get("msg_id")
            if text:
                await self._ask_rasa(user, text, msg_id if isinstance(msg_id, (str, int)) else None,
                                     name, on_new_message)
        elif name.startswith("user_send_"):
            await asyncio.to_thread(self.followers.touch, user, by_app)
            await self._send_now(user, TEXT_ONLY_REPLY)
        elif name == "follow":
            await asyncio.to_thread(self.followers.touch, user, by_app, True)
            if self.settings.follow_payload:
                await self._ask_rasa(user, self.settings.follow_payload, None, name, on_new_message)
        elif name == "unfollow":
            await asyncio.to_thread(self.followers.touch, user, by_app, False, False)
        else:
            logger.debug("Ignored Zalo event %s", name)

    @staticmethod
    def _user_of(payload: dict[str, Any]) -> str | None:
        """The OA-scoped user id of an event from a user (sender, follower or user_id)."""
        for key in ("sender", "follower", "user"):
            value = payload.get(key)
            if isinstance(value, dict) and value.get("id"):
                return str(value["id"])
        return str(payload["user_id"]) if payload.get("user_id") else None

    async def _ask_rasa(
        self,
        user: str,
        text: str,
        msg_id: Any,
        event_name: str,
        on_new_message: OnNewMessage,
    ) -> None:
        await self._ensure_tokens()
        output = ZaloOutput(self.client, self.settings.text_limit, buffered=True)
        message = UserMessage(
            text,
            output,
            user,
            input_channel=CHANNEL_NAME,
            message_id=str(msg_id) if msg_id else None,
            metadata={"zalo_event": event_name},
        )
        try:
            await on_new_message(message)
        finally:
            # Whatever Rasa produced before a failure still reaches the user.
            sent = await output.flush()
            logger.debug("Answered Zalo user %s with %d message(s)", anonymise(user), sent)

    async def _send_now(self, user: str, text: str) -> None:
        await self._ensure_tokens()
        await ZaloOutput(self.client, self.settings.text_limit, buffered=False).send_response(
            user, {"text": text}
        )

    async def _forget(self, payload: dict[str, Any], user: str | None, agent: Any) -> None:
        if not user and payload.get("user_id_by_app"):
            user = await asyncio.to_thread(self.followers.resolve, str(payload["user_id_by_app"]))
        if not user:
            logger.warning("Consent withdrawal without a known Zalo user; nothing to delete")
            return
        report = await forget_sender(
            user,
            tracker_store=getattr(agent, "tracker_store", None),
            lock_store=getattr(agent, "lock_store", None),
            db_url=self.settings.db_url,
            channel=CHANNEL_NAME,
        )
        logger.info(
            "Deleted the data of Zalo user %s after consent withdrawal: tracker %s, rows %s",
            anonymise(user),
            report.tracker,
            report.rows,
        )

    async def _maybe_prune(self) -> None:
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            await asyncio.to_thread(self.ledger.prune)
