"""Reminder pushes through Zalo, settings from credentials/environment, and the 0004 migration."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from .conftest import ACCESS, APP_ID, APP_SECRET, OA_SECRET, REFRESH, USER

from bot.channels.push import ZaloPusher
from bot.channels.zalo_api import RetryPolicy
from bot.channels.zalo_settings import ZaloSettings, read_credentials_block

CREDENTIALS = """
rest:
bot.channels.zalo.ZaloInput:
  app_id: ${TEST_ZALO_APP_ID}
  app_secret_key: ${TEST_ZALO_APP_SECRET}
  oa_secret_key: ${TEST_ZALO_OA_SECRET}
  refresh_token: ${TEST_ZALO_REFRESH}
  access_token: ${TEST_ZALO_ACCESS}
  api_base: ${TEST_ZALO_BASE}
  oauth_base: ${TEST_ZALO_BASE}
  database_url: ${TEST_DB_URL}
"""


@pytest.fixture
def credentials_file(tmp_path, monkeypatch, fake_zalo, db_url):
    for name, value in {
        "TEST_ZALO_APP_ID": APP_ID,
        "TEST_ZALO_APP_SECRET": APP_SECRET,
        "TEST_ZALO_OA_SECRET": OA_SECRET,
        "TEST_ZALO_REFRESH": REFRESH,
        "TEST_ZALO_ACCESS": ACCESS,
        "TEST_ZALO_BASE": fake_zalo.base_url,
        "TEST_DB_URL": db_url,
    }.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "credentials.yml"
    path.write_text(CREDENTIALS, encoding="utf-8")
    return path


async def test_pusher_sends_reminders_to_zalo_conversations_only(credentials_file, fake_zalo):
    pusher = ZaloPusher.from_credentials_file(credentials_file)
    try:
        assert await pusher("zalo", USER, "Nhắc bạn: hội chợ bắt đầu lúc 8 giờ sáng mai.")
        assert not await pusher("socketio", "web-session-1", "không gửi được")
    finally:
        await pusher.aclose()
    (sent,) = fake_zalo.delivered()
    assert sent.body["recipient"] == {"user_id": USER}
    assert sent.body["message"]["text"].startswith("Nhắc bạn")


async def test_pusher_reports_a_refused_push(credentials_file, fake_zalo):
    fake_zalo.fail("/v3.0/oa/message/cs", ("error", -230))
    pusher = ZaloPusher(
        ZaloSettings.from_credentials(read_credentials_block(credentials_file)),
        retry=RetryPolicy(attempts=1),
    )
    try:
        assert not await pusher.send_text(USER, "ngoài khung giờ")
    finally:
        await pusher.aclose()


async def test_output_channel_for_rasa_pushes_sends_each_response_at_once(settings, fake_zalo):
    from bot.channels.zalo import ZaloInput

    channel = ZaloInput(settings)
    await channel._ensure_tokens()
    output = channel.get_output_channel()
    try:
        await output.send_response(USER, {"text": "Nhắc lịch: hội thảo lúc 14 giờ."})
        assert len(fake_zalo.delivered()) == 1
        await output.send_text_message(USER, "Chúc bạn một ngày tốt lành.")
        assert len(fake_zalo.delivered()) == 2
    finally:
        await channel.client.aclose()


def test_due_reminders_go_out_through_zalo_from_a_synchronous_command(
    credentials_file, fake_zalo, db_url
):
    """The way ``python -m bot send-reminders`` drives the pusher (its own event loop)."""
    import asyncio
    import datetime as dt

    from bot.db import session_scope
    from bot.events.models import Event, ReminderSubscription
    from bot.events.reminders import send_due_reminders

    now = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    with session_scope(db_url) as session:
        event = Event(
            external_key="hoi-thao-rcep",
            title="Hội thảo RCEP",
            start_at=now + dt.timedelta(days=1),
            end_at=now + dt.timedelta(days=1, hours=3),
        )
        session.add(event)
        session.flush()
        for sender_id, channel in ((USER, "zalo"), ("web-session-1", "socketio")):
            session.add(
                ReminderSubscription(
                    event_id=event.id, sender_id=sender_id, channel=channel, remind_at=now
                )
            )

    pusher = ZaloPusher.from_credentials_file(credentials_file)
    loop = asyncio.new_event_loop()

    def sender(channel: str, sender_id: str, text: str) -> None:
        if not loop.run_until_complete(pusher(channel, sender_id, text)):
            raise RuntimeError("not delivered")

    try:
        with session_scope(db_url) as session:
            report = send_due_reminders(session, now, sender)
    finally:
        loop.run_until_complete(pusher.aclose())
        loop.close()
    assert (report.sent, report.failed) == (1, 1)
    (sent,) = fake_zalo.delivered()
    assert sent.body["recipient"] == {"user_id": USER}
    assert "Hội thảo RCEP" in sent.body["message"]["text"]


def test_unset_credentials_fall_back_to_zalo_environment(monkeypatch):
    monkeypatch.setenv("ZALO_APP_ID", "42")
    monkeypatch.setenv("ZALO_APP_SECRET_KEY", "secret-from-env")
    monkeypatch.setenv("ZALO_OA_SECRET_KEY", "oa-secret-from-env")
    monkeypatch.delenv("ZALO_API_BASE", raising=False)
    settings = ZaloSettings.from_credentials({"app_id": "${UNEXPANDED}", "app_secret_key": ""})
    assert (settings.app_id, settings.app_secret_key, settings.oa_secret_key) == (
        "42",
        "secret-from-env",
        "oa-secret-from-env",
    )
    assert settings.api_base == "https://openapi.zalo.me"
    assert settings.missing == []
    assert "secret-from-env" not in repr(settings)


def test_missing_configuration_is_named_not_crashing(monkeypatch):
    for name in ("ZALO_APP_ID", "ZALO_APP_SECRET_KEY", "ZALO_OA_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = ZaloSettings.from_credentials(None)
    assert settings.missing == ["app_id", "app_secret_key", "oa_secret_key"]
    with pytest.raises(ValueError, match="missing app_id"):
        ZaloPusher(settings)


def test_migration_matches_the_models(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db.models import load_all_models

    engine = sa.create_engine(db_url)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), load_all_models().metadata)
    engine.dispose()
    ours = [d for d in diffs if "zalo_" in repr(d)]
    assert ours == []


def test_migration_downgrades_and_upgrades(db_url):
    from alembic import command

    from bot.db.migrate import alembic_config

    config = alembic_config(db_url)
    command.downgrade(config, "0003_staff")
    engine = sa.create_engine(db_url)
    assert not any(t.startswith("zalo_") for t in sa.inspect(engine).get_table_names())
    command.upgrade(config, "0004_channels")
    assert {"zalo_tokens", "zalo_processed_events", "zalo_followers"} <= set(
        sa.inspect(engine).get_table_names()
    )
    engine.dispose()
