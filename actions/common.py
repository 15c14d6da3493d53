"""Helpers every action module shares. Imports nothing from the other action modules, so the
conversation actions can route to events and knowledge without an import circle."""

from __future__ import annotations

from rasa_sdk import Tracker


def latest_text(tracker: Tracker) -> str:
    """What the user typed last (before NLU normalisation)."""
    message = tracker.latest_message or {}
    return message.get("text_original") or message.get("text") or ""
