"""Rasa's socket.io channel, made to work with our pinned libraries and locked to the portal.

Rasa 3.6's ``SocketIOInput`` has two problems here, both fixed in this subclass:

1. With python-socketio 5.18 (what ``constraints.txt`` resolves), ``AsyncServer.enter_room`` is a
   coroutine, but Rasa calls it without ``await``: the browser never joins its session's room,
   so with ``session_persistence: true`` no answer ever reaches the widget. We register our own
   ``session_request`` handler that awaits it.
2. Rasa creates the server with ``cors_allowed_origins=[]``, which turns python-engineio's Origin
   check off; ``rasa run --cors`` only adds CORS headers to HTTP long-polling replies, so a page on
   any other site could still talk to the bot. We refuse connections whose Origin is not one of
   ``bot.config.CORS_ORIGINS`` — the same list ``rasa run --cors`` gets, kept in one place.

Also (issue 15):

* Session ids are issued by the server and signed: ``<32 hex>-<HMAC>``, with the key
  ``config.socketio_session_secret()``. A browser keeps its id in localStorage and proposes it
  after a reload; a proposed id without a valid signature (another browser's id it cannot have
  seen, a REST or Zalo sender id, anything made up) gets a fresh one, so a session can only join
  conversations it was given.
* A message is accepted only for a session this connection has joined, is checked by the one
  inbound check (``bot.channels.inbound``: types, Unicode, length), and counts against the rate
  limits per session and per address. Transport messages are capped in size
  (``MAX_PACKET_BYTES``).

Register it in ``credentials.yml`` instead of ``socketio``::

    bot.web.socketio_channel.PortalSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from bot import config
from bot.channels.inbound import InboundRejected, MessageTooLong, check_metadata, check_text
from bot.ratelimit import client_address, message_limiters

logger = logging.getLogger(__name__)

SESSION_ID_PATTERN = re.compile(r"([0-9a-f]{32})-([0-9a-f]{32})")
# One long-poll POST: several messages of the longest allowed text, JSON-escaped (\\uXXXX),
# plus metadata fit. engine.io closes a connection that sends more.
MAX_PACKET_BYTES = 256 * 1024
LIMITED_REPLY = (
    "Bạn gửi quá nhiều tin nhắn, vui lòng thử lại sau ít phút. / "
    "Too many messages, please try again in a few minutes."
)


def _signature(random_part: str) -> str:
    key = config.socketio_session_secret().encode("utf-8")
    return hmac.new(key, random_part.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def new_session_id() -> str:
    """A fresh conversation id of this channel: random part and its signature."""
    random_part = uuid.uuid4().hex
    return f"{random_part}-{_signature(random_part)}"


def is_issued_session_id(value: object) -> bool:
    """True only for an id this deployment issued (checked in constant time)."""
    if not isinstance(value, str):
        return False
    match = SESSION_ID_PATTERN.fullmatch(value)
    return bool(match) and hmac.compare_digest(match.group(2), _signature(match.group(1)))


def parse_origins(value: str | Iterable[str] | None) -> frozenset[str]:
    """Origins from a comma-separated string or a list, without trailing slashes.

    >>> sorted(parse_origins("http://a.vn, https://b.vn/"))
    ['http://a.vn', 'https://b.vn']
    """
    items = value.split(",") if isinstance(value, str) else (value or [])
    return frozenset(item.strip().rstrip("/") for item in items if item and item.strip())


class PortalSocketIOInput(SocketIOInput):
    """``SocketIOInput`` with working session rooms and an Origin allow-list.

    Connections without an Origin header (server-side clients; browsers always send one for
    cross-origin requests) are let through: the check protects people's browsers, it is not
    authentication.
    """

    def __init__(
        self, *args: Any, allowed_origins: str | Iterable[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_origins = parse_origins(
            allowed_origins if allowed_origins is not None else config.CORS_ORIGINS
        )

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> PortalSocketIOInput:
        channel = super().from_credentials(credentials)
        origins = (credentials or {}).get("allowed_origins")
        if origins is not None:
            channel.allowed_origins = parse_origins(origins)
        return channel

    def origin_allowed(self, origin: str | None) -> bool:
        if not origin or "*" in self.allowed_origins:
            return True
        return origin.rstrip("/") in self.allowed_origins

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        sio.eio.max_http_buffer_size = MAX_PACKET_BYTES
        namespace = self.namespace or "/"
        by_session, by_address = message_limiters(self.name())
        addresses: dict[str, str] = {}
        rasa_connect = sio.handlers[namespace]["connect"]
        rasa_handle_message = sio.handlers[namespace][self.user_message_evt]

        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if not self.origin_allowed(origin):
                logger.warning("socket.io connection refused for origin %s", origin)
                return False
            addresses[sid] = client_address(environ.get("REMOTE_ADDR"),
                                            environ.get("HTTP_X_FORWARDED_FOR"))
            return await rasa_connect(sid, environ, auth)

        async def disconnect(sid: str) -> None:
            addresses.pop(sid, None)

        async def reply(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=namespace)

        async def session_request(sid: str, data: Any = None) -> None:
            proposed = data.get("session_id") if isinstance(data, dict) else None
            session_id = proposed if is_issued_session_id(proposed) else new_session_id()
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id, namespace=namespace)
                if inspect.isawaitable(entered):  # a coroutine from python-socketio 5.10 on
                    await entered
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def handle_message(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                session_id = data.get("session_id")
                if not isinstance(session_id, str) or session_id not in sio.rooms(sid, namespace):
                    logger.warning("socket.io message for a session this connection has not joined")
                    return
            try:
                text = check_text(data.get("message", ""))
                metadata = check_metadata(data.get(self.metadata_key))
            except MessageTooLong as too_long:
                await reply(sid, too_long.reply)
                return
            except InboundRejected as rejected:
                logger.info("socket.io message refused: %s", rejected.reason)
                return
            sender = data.get("session_id") if self.session_persistence else sid
            if not (by_address.hit(addresses.get(sid, "unknown")) and by_session.hit(str(sender))):
                await reply(sid, LIMITED_REPLY)
                return
            # Only what was checked goes on; the channel name is Rasa's own ("socketio").
            clean = {"message": text, "session_id": data.get("session_id")}
            if metadata is not None:
                clean[self.metadata_key] = metadata
            await rasa_handle_message(sid, clean)

        sio.on("connect", connect, namespace=namespace)
        sio.on("disconnect", disconnect, namespace=namespace)
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        return socketio_webhook
