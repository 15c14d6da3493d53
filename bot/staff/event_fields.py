"""Derived fields of an event that every staff write path must keep up to date."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect


def refresh_search_text(event: Any) -> None:
    """Recompute ``Event.search_text`` with the events package's own builder (one definition)."""
    from bot.events.store import build_search_text

    values = {prop.key: getattr(event, prop.key) for prop in inspect(type(event)).column_attrs}
    event.search_text = build_search_text(values)
