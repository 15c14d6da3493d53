"""What every channel checks before a message reaches Rasa: one place for REST, socket.io, Zalo.

A message from outside is ``(sender, text, metadata)``. ``check_inbound`` returns it cleaned, or
raises ``InboundRejected`` with a short reason that is safe to show (the channel answers 400), or
``MessageTooLong`` when only the length is wrong (the channel answers the polite ``TOO_LONG_REPLY``
itself and Rasa never sees the text: NLU, the scrubber and the tracker store stay bounded).

Why here: Rasa's own channels pass whatever JSON they get to the tracker store, where an id holding
a lone surrogate stopped the whole server, and a 100,000-character text held every user up.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot import config

TOO_LONG_REPLY = (
    "Tin nhắn quá dài để trợ lý xử lý. Bạn vui lòng hỏi ngắn gọn hơn (dưới {limit} ký tự). / "
    "Your message is too long. Please ask in fewer than {limit} characters."
)
# Format characters (zero-width joiners, directional marks) are kept: emoji and Vietnamese text
# typed on phones use them. Other control characters are dropped.
_KEEP_CONTROLS = {"\n", "\t"}


class InboundRejected(ValueError):  # noqa: N818 - reads as what happened
    """The request is malformed; ``reason`` is short and safe to show to the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MessageTooLong(InboundRejected):
    """The text is well formed but longer than the bot reads."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"message longer than {limit} characters")
        self.limit = limit

    @property
    def reply(self) -> str:
        return TOO_LONG_REPLY.format(limit=self.limit)


@dataclass(frozen=True)
class Inbound:
    sender: str
    text: str
    metadata: dict[str, Any] | None


def _valid_unicode(value: str, what: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InboundRejected(f"{what} is not valid Unicode") from exc
    return value


def check_sender(value: object) -> str:
    """A conversation id: text, valid Unicode, printable, not empty, not too long."""
    if not isinstance(value, str):
        raise InboundRejected("sender must be a string")
    sender = _valid_unicode(value, "sender").strip()
    if not sender:
        raise InboundRejected("sender must not be empty")
    if len(sender) > config.max_sender_chars():
        raise InboundRejected(f"sender longer than {config.max_sender_chars()} characters")
    if any(not ch.isprintable() for ch in sender):
        raise InboundRejected("sender holds control characters")
    return sender


def check_text(value: object) -> str:
    """A message text: a string of valid Unicode, control characters dropped, length capped."""
    if not isinstance(value, str):
        raise InboundRejected("message must be a string")
    text = _valid_unicode(value, "message")
    text = "".join(
        ch for ch in text if ch in _KEEP_CONTROLS or unicodedata.category(ch) != "Cc"
    )
    limit = config.max_message_chars()
    if len(text) > limit:
        raise MessageTooLong(limit)
    return text


def check_metadata(value: object) -> dict[str, Any] | None:
    """Client metadata: absent, or a small JSON object of valid Unicode."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InboundRejected("metadata must be an object")
    try:
        size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise InboundRejected("metadata is not valid JSON text") from exc
    if size > config.max_metadata_bytes():
        raise InboundRejected("metadata too large")
    # The channel name and similar are the channel's to say, never the client's.
    return {k: v for k, v in value.items() if k not in ("input_channel", "channel")}


def check_inbound(body: object) -> Inbound:
    """The ``{"sender", "message", "metadata"}`` body of a channel request, checked."""
    if not isinstance(body, dict):
        raise InboundRejected("the body must be a JSON object")
    sender = check_sender(body.get("sender"))
    metadata = check_metadata(body.get("metadata"))
    text = check_text(body.get("message"))
    return Inbound(sender=sender, text=text, metadata=metadata)
