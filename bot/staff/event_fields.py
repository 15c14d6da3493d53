"""Derived fields of an event that every staff write path must keep up to date."""

from __future__ import annotations

from typing import Any

from bot.nlp.normalize import search_key


def refresh_search_text(event: Any) -> None:
    """Recompute ``Event.search_text`` after a staff edit or import.

    The events package's own builder is used when it offers one (so there is one definition);
    otherwise the text the model documents: title, host, place, topics and summary, folded.
    """
    try:
        from bot.events import models as event_models

        builder = getattr(event_models, "build_search_text", None)
    except ImportError:  # pragma: no cover - events capability absent
        builder = None
    if builder is not None:
        event.search_text = builder(event)
        return
    parts = [
        event.title, event.title_en, event.host, event.venue, event.address, event.city,
        (event.topics or "").replace(",", " ").replace("_", " "), event.summary,
    ]
    event.search_text = search_key(" ".join(p for p in parts if p))
