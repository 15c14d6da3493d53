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

Also: a client-proposed session id must look like one we hand out (so nobody can pick a short,
guessable id), and a message is accepted only for a session this connection has joined.

Register it in ``credentials.yml`` instead of ``socketio``::

    bot.web.socketio_channel.PortalSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
"""

from __future__ import annotations

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

logger = logging.getLogger(__name__)

# Rasa and this channel hand out uuid4().hex; accept ids of that kind (also with dashes).
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")


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
        namespace = self.namespace or "/"
        rasa_connect = sio.handlers[namespace]["connect"]
        rasa_handle_message = sio.handlers[namespace][self.user_message_evt]

        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if not self.origin_allowed(origin):
                logger.warning("socket.io connection refused for origin %s", origin)
                return False
            return await rasa_connect(sid, environ, auth)

        async def session_request(sid: str, data: Any = None) -> None:
            proposed = data.get("session_id") if isinstance(data, dict) else None
            if isinstance(proposed, str) and SESSION_ID_PATTERN.fullmatch(proposed):
                session_id = proposed
            else:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id, namespace=namespace)
                if inspect.isawaitable(entered):  # a coroutine from python-socketio 5.10 on
                    await entered
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                session_id = data.get("session_id")
                if not isinstance(session_id, str) or session_id not in sio.rooms(sid, namespace):
                    logger.warning("socket.io message for a session this connection has not joined")
                    return
            await rasa_handle_message(sid, data)

        sio.on("connect", connect, namespace=namespace)
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        return socketio_webhook
