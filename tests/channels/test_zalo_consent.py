"""Consent withdrawal deletes the user's conversation, registrations, reminders and follower row."""

from __future__ import annotations

import datetime as dt

import pytest
from .conftest import OTHER_USER, USER, now_ms, text_event
from sqlalchemy import func, select

from bot.channels.models import ZaloFollower
from bot.db import session_scope
from bot.events.models import Event, Registration, ReminderSubscription

START = dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)


def _seed_event_data(db_url: str) -> None:
    with session_scope(db_url) as session:
        event = Event(external_key="test-hoi-cho", title="Hội chợ", start_at=START, end_at=START)
        session.add(event)
        session.flush()
        consent = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
        for code, sender, channel in (
            ("DK-AAAAAA", USER, "zalo"),
            ("DK-BBBBBB", OTHER_USER, "zalo"),
            ("DK-CCCCCC", USER, "socketio"),  # a web-chat session that shares the id: kept
        ):
            session.add(
                Registration(
                    event_id=event.id,
                    code=code,
                    name="Nguyễn Văn A",
                    phone="0900000000",
                    consent_at=consent,
                    sender_id=sender,
                    channel=channel,
                )
            )
        for sender in (USER, OTHER_USER):
            session.add(
                ReminderSubscription(
                    event_id=event.id,
                    sender_id=sender,
                    channel="zalo",
                    remind_at=START - dt.timedelta(days=1),
                )
            )


def _count(db_url: str, model, **filters) -> int:
    with session_scope(db_url) as session:
        query = select(func.count()).select_from(model).filter_by(**filters)
        return session.scalar(query)


async def _tracker_keys(tracker_store) -> set[str]:
    return set(await tracker_store.keys())


@pytest.mark.parametrize("by", ["sender", "user_id_by_app"])
async def test_withdrawal_deletes_the_users_data_only(webhook, fake_zalo, tracker_store, by):
    db_url = webhook.channel.settings.db_url
    for user in (USER, OTHER_USER):
        await webhook.post(text_event("Tôi muốn đăng ký hội chợ", user=user))
    await webhook.channel.wait_idle()
    _seed_event_data(db_url)
    assert await _tracker_keys(tracker_store) == {USER, OTHER_USER}
    assert _count(db_url, ZaloFollower) == 2

    withdrawal = {
        "app_id": "x",
        "event_name": "user_withdraw",
        "timestamp": str(now_ms()),
        "user_id_by_app": f"app-{USER}",
    }
    if by == "sender":
        withdrawal["sender"] = {"id": USER}
    assert (await webhook.post(withdrawal)).status_code == 200
    await webhook.channel.wait_idle()

    assert await _tracker_keys(tracker_store) == {OTHER_USER}
    assert _count(db_url, Registration, sender_id=USER, channel="zalo") == 0
    assert _count(db_url, ReminderSubscription, sender_id=USER) == 0
    assert _count(db_url, ZaloFollower, sender_id=USER) == 0
    # Everyone else's data stays.
    assert _count(db_url, Registration, sender_id=OTHER_USER) == 1
    assert _count(db_url, ReminderSubscription, sender_id=OTHER_USER) == 1
    assert _count(db_url, Registration, sender_id=USER, channel="socketio") == 1
    assert _count(db_url, ZaloFollower, sender_id=OTHER_USER) == 1
    assert _count(db_url, Event) == 1
    # No message is sent to a user who has just withdrawn consent.
    assert len(fake_zalo.delivered()) == 2


async def test_configured_deletion_event_names(settings, tracker_store, fake_zalo):
    from dataclasses import replace

    from .conftest import start_webhook

    custom = replace(settings, deletion_events=("user_revoke_consent",))
    server, channel, agent, url = await start_webhook(custom, tracker_store)
    try:
        payload = text_event("xin chào")
        await channel.process_event(payload, agent.handle_message, agent)
        assert await _tracker_keys(tracker_store) == {USER}
        revoke = {"event_name": "user_revoke_consent", "timestamp": str(now_ms()), "user_id": USER}
        await channel.process_event(revoke, agent.handle_message, agent)
        assert await _tracker_keys(tracker_store) == set()
    finally:
        await channel.wait_idle()
        if channel._client is not None:
            await channel._client.aclose()
        server.close()
        await server.wait_closed()


def test_rows_referencing_a_deleted_row_go_first(tmp_path):
    """A table without ``sender_id`` that points at a deleted row (FK enforced) is cleaned too."""
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, insert

    from bot.channels.zalo_privacy import delete_sender_rows
    from bot.db import get_engine

    metadata = MetaData()
    parent = Table(
        "parent",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(64)),
        Column("channel", String(20)),
    )
    child = Table(
        "child",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey("parent.id"), nullable=False),
    )
    url = f"sqlite:///{tmp_path / 'fk.sqlite3'}"
    metadata.create_all(get_engine(url))
    with session_scope(url) as session:
        session.execute(
            insert(parent),
            [
                {"id": 1, "sender_id": USER, "channel": "zalo"},
                {"id": 2, "sender_id": USER, "channel": None},
                {"id": 3, "sender_id": OTHER_USER, "channel": "zalo"},
            ],
        )
        session.execute(insert(child), [{"parent_id": 1}, {"parent_id": 2}, {"parent_id": 3}])

    counts = delete_sender_rows(USER, db_url=url, metadata=metadata)

    assert counts == {"child": 2, "parent": 2}
    with session_scope(url) as session:
        assert session.execute(select(parent.c.id)).scalars().all() == [3]
        assert session.execute(select(child.c.parent_id)).scalars().all() == [3]
