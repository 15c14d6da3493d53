"""Issue 15, finding 1: no request can make the tracker store exit the Rasa server.

Stock Rasa's ``SQLTrackerStore.session_scope`` calls ``sys.exit`` on any ``ValueError``, and the
``UnicodeEncodeError`` of a sender id holding a lone surrogate is one. Here such an id is an error
of that one operation, and the store keeps serving everybody else.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy.tracker_store import TrackerStoreError, check_sender_id

BAD_IDS = ["a\ud800b", "\udfff", "", "x" * 300, "a\x00b"]


@pytest.mark.parametrize("sender", BAD_IDS)
async def test_an_id_the_database_cannot_hold_is_an_error_not_an_exit(store, domain, sender):
    tracker = DialogueStateTracker.from_events(sender, [UserUttered("xin chào")])
    try:
        with pytest.raises(TrackerStoreError):
            await store.save(tracker)
        with pytest.raises(TrackerStoreError):
            await store.retrieve(sender)
    except SystemExit:  # pragma: no cover - the bug this test exists for
        pytest.fail("the tracker store tried to exit the process")
    good = DialogueStateTracker.from_events("citizen-1", [UserUttered("xin chào")])
    await store.save(good)
    again = await store.retrieve("citizen-1")
    assert again is not None and again.latest_message.text == "xin chào"


def test_a_missing_schema_is_an_error_of_the_operation(store, monkeypatch):
    def missing(_session: object) -> None:
        raise ValueError("no_such_schema")

    monkeypatch.setattr("bot.privacy.tracker_store.ensure_schema_exists", missing)
    with pytest.raises(TrackerStoreError), store.session_scope():
        pass


def test_ordinary_ids_pass_unchanged():
    assert check_sender_id("zalo:1234567890") == "zalo:1234567890"
    assert check_sender_id("Người dùng 😀") == "Người dùng 😀"


async def test_saving_a_huge_message_does_not_hold_up_the_event_loop(store):
    """Redaction of 100,000 characters runs in a thread: a ticker on the loop keeps ticking."""
    text = "gửi cho tôi " + "a." * 50_000 + " an.nguyen@gmail.com"
    tracker = DialogueStateTracker.from_events("long-1", [UserUttered(text)])
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        for _ in range(40):
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    await asyncio.gather(store.save(tracker), ticker())
    stored = await store.retrieve("long-1")
    assert "an.nguyen@gmail.com" not in stored.latest_message.text
    assert max(gaps) < 0.5
