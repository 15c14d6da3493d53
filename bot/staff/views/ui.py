"""Small helpers shared by pages and templates: one-time messages, labels, date display."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request

from bot.config import TIMEZONE
from bot.staff.models import ACTION_LABELS, ROLE_LABELS

FAQ_STATUS_LABELS = {"draft": "Bản nháp", "published": "Đã xuất bản", "archived": "Đã lưu trữ"}
UNANSWERED_REASON_LABELS = {
    "fallback": "Bot không hiểu",
    "low_confidence": "Độ tin cậy thấp",
    "thumbs_down": "Người dùng chấm 👎",
}
_FLASH_KEY = "flash"


def flash(request: Request, text: str, level: str = "info") -> None:
    """Keep a message for the next page shown to this person (stored in the signed session)."""
    messages = list(request.session.get(_FLASH_KEY, []))
    messages.append({"text": text, "level": level})
    request.session[_FLASH_KEY] = messages[-5:]


def pop_flashes(request: Request) -> list[dict[str, str]]:
    try:
        return list(request.session.pop(_FLASH_KEY, []))
    except AssertionError:  # no session (should not happen under the auth middleware)
        return []


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def local_time(value: Any) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time; '' for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(TIMEZONE).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)
