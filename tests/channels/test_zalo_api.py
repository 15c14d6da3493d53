"""The Open API client against the fake Zalo server: refresh, rotation, retries and back-off."""

from __future__ import annotations

import asyncio

import pytest
from .conftest import ACCESS, APP_ID, APP_SECRET, REFRESH, USER
from sqlalchemy import select
from .zalo_fake_server import REFRESH_PATH, SEND_PATH

from bot.channels.models import ZaloToken
from bot.channels.zalo_api import RetryPolicy, ZaloApiError, ZaloAuthError, ZaloClient
from bot.channels.zalo_stores import TokenStore
from bot.db import session_scope


@pytest.fixture
async def client(db_url, fake_zalo):
    sleeps: list[float] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    store = TokenStore(APP_ID, db_url)
    store.seed(ACCESS, REFRESH)
    zalo = ZaloClient(
        APP_ID,
        APP_SECRET,
        store,
        api_base=fake_zalo.base_url,
        oauth_base=fake_zalo.base_url,
        timeout=0.3,
        retry=RetryPolicy(attempts=3, base_delay=0.5, max_delay=4),
        sleep=record_sleep,
    )
    zalo.sleeps = sleeps
    yield zalo
    await zalo.aclose()


def _stored(db_url: str) -> tuple[str, str, int]:
    with session_scope(db_url) as session:
        row = session.scalar(select(ZaloToken))
        return row.access_token, row.refresh_token, row.refreshed_count


async def test_send_text(client, fake_zalo):
    data = await client.send_text(USER, "Xin chào")
    assert data["user_id"] == USER
    (sent,) = fake_zalo.sent()
    assert sent.body == {"recipient": {"user_id": USER}, "message": {"text": "Xin chào"}}


async def test_invalid_token_refreshes_once_rotates_and_retries(client, fake_zalo, db_url):
    fake_zalo.expire_access_token()
    await client.send_text(USER, "thử lại")
    assert [s.headers["access_token"] for s in fake_zalo.sent()] == [ACCESS, "access-rotated-1-xyz"]
    assert _stored(db_url) == ("access-rotated-1-xyz", "refresh-rotated-1-xyz", 1)
    # The old refresh token is dead at Zalo now; the stored one is what works next time.
    fake_zalo.expire_access_token()
    await client.send_text(USER, "lần nữa")
    assert fake_zalo.refreshes()[-1].body["refresh_token"] == "refresh-rotated-1-xyz"
    assert _stored(db_url) == ("access-rotated-2-xyz", "refresh-rotated-2-xyz", 2)


async def test_a_second_token_error_after_refresh_is_raised_not_looped(client, fake_zalo):
    fake_zalo.expire_access_token()
    fake_zalo.fail(SEND_PATH, ("error", -216), ("error", -216))
    with pytest.raises(ZaloApiError) as error:
        await client.send_text(USER, "x")
    assert error.value.code == -216
    assert len(fake_zalo.refreshes()) == 1


async def test_refresh_refused_means_reauthorisation(client, fake_zalo, db_url):
    fake_zalo.refresh_token = "revoked-by-admin"
    fake_zalo.expire_access_token()
    with pytest.raises(ZaloAuthError) as error:
        await client.send_text(USER, "x")
    assert error.value.code == -14014
    assert _stored(db_url)[:2] == (ACCESS, REFRESH)  # nothing overwritten by a failure


async def test_concurrent_sends_share_one_refresh(client, fake_zalo):
    fake_zalo.expire_access_token()
    await asyncio.gather(*(client.send_text(USER, f"tin {i}") for i in range(4)))
    assert len(fake_zalo.refreshes()) == 1
    assert len(fake_zalo.delivered()) == 4


async def test_5xx_is_retried_with_backoff(client, fake_zalo):
    fake_zalo.fail(SEND_PATH, "http500", "http500")
    await client.send_text(USER, "x")
    assert len(fake_zalo.sent()) == 3
    assert client.sleeps == [0.5, 1.0]


async def test_retries_are_bounded(client, fake_zalo):
    fake_zalo.fail(SEND_PATH, "http500", "http500", "http500", "http500")
    with pytest.raises(ZaloApiError) as error:
        await client.send_text(USER, "x")
    assert error.value.code == 500
    assert len(fake_zalo.sent()) == 3


async def test_rate_limit_backs_off_then_succeeds(client, fake_zalo):
    fake_zalo.fail(SEND_PATH, ("error", -32))
    await client.send_text(USER, "x")
    assert client.sleeps == [0.5]
    assert len(fake_zalo.delivered()) == 1


async def test_slow_answer_times_out_and_is_retried(client, fake_zalo):
    fake_zalo.fail(SEND_PATH, ("slow", 0.6))
    await client.send_text(USER, "x")
    assert len(fake_zalo.sent()) == 2
    assert len(fake_zalo.delivered()) >= 1


async def test_other_zalo_errors_are_not_retried(client, fake_zalo):
    fake_zalo.fail(SEND_PATH, ("error", -230))  # user outside the customer-service window
    with pytest.raises(ZaloApiError) as error:
        await client.send_text(USER, "x")
    assert error.value.code == -230
    assert len(fake_zalo.sent()) == 1 and client.sleeps == []


async def test_refresh_5xx_is_retried(client, fake_zalo, db_url):
    fake_zalo.expire_access_token()
    fake_zalo.fail(REFRESH_PATH, "http500")
    await client.send_text(USER, "x")
    assert len(fake_zalo.refreshes()) == 2
    assert _stored(db_url)[2] == 1


def test_seeding_keeps_a_rotated_chain_until_new_credentials(db_url):
    store = TokenStore(APP_ID, db_url)
    store.seed(ACCESS, REFRESH)
    assert store.rotate(REFRESH, store.load().__class__("a2", "r2"))
    store.seed(ACCESS, REFRESH)  # restart with the same credentials
    assert (store.load().access_token, store.load().refresh_token) == ("a2", "r2")
    store.seed("a-new", "r-new")  # an administrator re-authorised the app
    assert (store.load().access_token, store.load().refresh_token) == ("a-new", "r-new")


def test_rotation_is_compare_and_swap(db_url):
    store = TokenStore(APP_ID, db_url)
    store.seed(ACCESS, REFRESH)
    pair = type(store.load())
    assert store.rotate(REFRESH, pair("a2", "r2"))
    assert not store.rotate(REFRESH, pair("stale", "stale"))  # a writer with the old token
    assert store.load().refresh_token == "r2"


def test_token_repr_hides_tokens(db_url):
    store = TokenStore(APP_ID, db_url)
    pair = store.seed(ACCESS, REFRESH)
    assert ACCESS not in repr(pair) and REFRESH not in repr(pair)
