"""Turn a bot turn (Rasa response dicts) into as few Zalo OA messages as possible.

Zalo counts the OA's free replies per window after the user's last message, so a turn's texts are
merged into one message where they fit, each message at most ``TEXT_LIMIT`` characters, split on
paragraph, line, sentence and only then word boundaries, never inside a word.

Rasa buttons become a Zalo button template attached to the text they belong to:

* a payload that is a web address (or a button with ``url``) → ``oa.open.url``;
* an intent payload (``/feedback{...}``) → ``oa.query.hide``: the click still reaches the bot as the
  user's message, but the raw ``/intent{json}`` is not shown in the citizen's chat;
* any other payload (plain words) → ``oa.query.show``, shown as the user's message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

TEXT_LIMIT = 2000
MAX_BUTTONS = 5
BUTTON_TITLE_LIMIT = 100
BUTTON_PAYLOAD_LIMIT = 1000
CHOOSE_PROMPT = "Mời bạn chọn:"
MORE_CHOICES = "Thêm lựa chọn:"

_MARKDOWN_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.DOTALL)
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)

# Boundaries from coarse to fine; each keeps its separator with the piece before it.
_BOUNDARIES = (
    re.compile(r"(?<=\n)\s*\n"),  # blank line: paragraph
    re.compile(r"\n"),  # line
    re.compile(r"(?<=[.!?…:;])\s+"),  # sentence (and clause after ':' ';')
    re.compile(r"\s+"),  # word
)


def clean_text(text: str) -> str:
    """Zalo shows plain text: markdown links become ``label: url``, bold markers go."""
    text = _MARKDOWN_LINK.sub(lambda m: f"{m.group(1)}: {m.group(2)}", text)
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    return text.strip()


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters on the coarsest boundary.

    A single word longer than ``limit`` (a very long web address) is the only thing ever cut.

    >>> split_text("Một câu. Hai câu.", limit=10)
    ['Một câu.', 'Hai câu.']
    """
    text = text.strip()
    if not text:
        return []
    return _split(text, limit, 0)


def _split(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level >= len(_BOUNDARIES):
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    pieces = _pieces(text, _BOUNDARIES[level])
    if len(pieces) == 1:
        return _split(text, limit, level + 1)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if len(current) + len(piece.rstrip()) <= limit:
            current += piece
            continue
        if current.strip():
            chunks.append(current.strip())
        if len(piece.rstrip()) > limit:
            parts = _split(piece.strip(), limit, level + 1)
            chunks.extend(parts[:-1])
            # The tail of an oversized piece may still share a message with what follows.
            current = parts[-1] + piece[len(piece.rstrip()) :]
        else:
            current = piece
    if current.strip():
        chunks.append(current.strip())
    return chunks


def _pieces(text: str, boundary: re.Pattern[str]) -> list[str]:
    """``text`` cut after each boundary match, separators kept so joining gives ``text`` back."""
    pieces, start = [], 0
    for match in boundary.finditer(text):
        if match.end() > start and match.start() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    pieces.append(text[start:])
    return [p for p in pieces if p]


def zalo_button(button: dict[str, Any]) -> dict[str, Any] | None:
    """One Rasa button as a Zalo button, or None when Zalo cannot carry it."""
    title = str(button.get("title") or "").strip()
    url = str(button.get("url") or "").strip()
    payload = str(button.get("payload") or "").strip()
    if not url and _URL.match(payload):
        url = payload
    title = _shorten(title or payload or url, BUTTON_TITLE_LIMIT)
    if not title:
        return None
    if url:
        return {"title": title, "type": "oa.open.url", "payload": {"url": url}}
    payload = payload or title
    if len(payload) > BUTTON_PAYLOAD_LIMIT:
        logger.warning("Dropped a button with a payload over %d characters", BUTTON_PAYLOAD_LIMIT)
        return None
    kind = "oa.query.hide" if payload.startswith("/") else "oa.query.show"
    return {"title": title, "type": kind, "payload": payload}


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip() + "…"


def _with_buttons(text: str, buttons: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": text, "attachment": {"type": "template", "payload": {"buttons": buttons}}}


def _image(url: str) -> dict[str, Any]:
    element = {"media_type": "image", "url": url}
    payload = {"template_type": "media", "elements": [element]}
    return {"attachment": {"type": "template", "payload": payload}}


class _TurnComposer:
    """Accumulates texts and closes a Zalo message whenever buttons or media must follow."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pending: list[str] = []
        self.out: list[dict[str, Any]] = []

    def add_text(self, text: str | None) -> None:
        cleaned = clean_text(text or "")
        if cleaned:
            self.pending.append(cleaned)

    def close(self, buttons: Iterable[dict[str, Any]] = ()) -> None:
        converted = [b for b in (zalo_button(raw) for raw in buttons) if b]
        chunks = split_text("\n\n".join(self.pending), self.limit)
        self.pending = []
        if not converted:
            self.out.extend({"text": chunk} for chunk in chunks)
            return
        chunks = chunks or [CHOOSE_PROMPT]
        self.out.extend({"text": chunk} for chunk in chunks[:-1])
        self.out.append(_with_buttons(chunks[-1], converted[:MAX_BUTTONS]))
        for start in range(MAX_BUTTONS, len(converted), MAX_BUTTONS):
            self.out.append(_with_buttons(MORE_CHOICES, converted[start : start + MAX_BUTTONS]))

    def add(self, message: dict[str, Any]) -> None:
        buttons = message.get("buttons") or message.get("quick_replies") or []
        self.add_text(message.get("text"))
        if buttons:
            self.close(buttons)
        for element in message.get("elements") or []:
            self.add_text("\n".join(filter(None, (element.get("title"), element.get("subtitle")))))
            self.close(element.get("buttons") or [])
        if message.get("image"):
            self.close()
            self.out.append(_image(str(message["image"])))
        if message.get("attachment"):
            self.add_text(str(message["attachment"]))
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("zalo"), dict):
            self.close()
            self.out.append(custom["zalo"])  # a response written for Zalo, sent as is
        elif custom:
            logger.debug("Skipped a custom payload without a 'zalo' message")


def compose_turn(
    messages: Iterable[dict[str, Any]], limit: int = TEXT_LIMIT
) -> list[dict[str, Any]]:
    """The Zalo ``message`` objects for one bot turn, in order, as few as the limits allow."""
    composer = _TurnComposer(limit)
    for message in messages:
        composer.add(message)
    composer.close()
    return composer.out
