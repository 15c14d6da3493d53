"""Scale-out on this machine: nginx → two Rasa servers (PostgreSQL tracker store, Redis lock store)
→ two action servers (PostgreSQL bot database). Mid-run one Rasa server crashes (SIGKILL) and,
later, one action server is stopped the graceful way (SIGTERM).

Users talk through nginx like widgets do: each message carries its own id and is resent after a
502, a refused connection or a time-out. Afterwards the tracker store must hold every user message
exactly once, each followed by the bot's replies, and those replies must be what the user saw.
"""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.request
from collections import Counter, defaultdict

import pytest

from bot.deploy.cluster import Cluster
from bot.deploy.load import RetryPolicy, TurnResult, load_conversations, run_users

pytestmark = [pytest.mark.scale, pytest.mark.stack, pytest.mark.slow, pytest.mark.timeout(1500)]

USERS = 8
CONVERSATIONS_PER_USER = 3
KILL_AFTER_TURNS = 25
STOP_ACTIONS_AFTER_TURNS = 50
WIDGET = RetryPolicy(attempts=8, backoff=0.5, max_backoff=4.0, timeout=60.0)


@pytest.fixture(scope="module")
def cluster(nginx, scale_model, bot_database, tracker_database, lock_store, tmp_path_factory):
    running = Cluster(
        model=scale_model, workdir=tmp_path_factory.mktemp("cluster"),
        database_url=bot_database, tracker_store_url=tracker_database, redis=lock_store,
        rasa_servers=2, action_servers=2, with_web=True, lock_lifetime=10,
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def get_json(url: str) -> tuple[int, object]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        body = response.read().decode("utf-8")
        try:
            return response.status, json.loads(body)
        except ValueError:
            return response.status, body


def post(url: str, body: dict) -> list[dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def tracker_rows(url: str) -> dict[str, list[tuple[str, dict]]]:
    """Every tracker event per conversation, in the order Rasa saved them."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT sender_id, type_name, data FROM events ORDER BY id")).all()
    finally:
        engine.dispose()
    by_sender: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for sender, type_name, data in rows:
        by_sender[sender].append((type_name, json.loads(data)))
    return by_sender


def rest_texts(data: dict) -> list[str]:
    """The texts Rasa's REST channel sends for one saved bot event (plain text is split at
    blank lines, a text with buttons is not)."""
    text = (data.get("text") or "").strip()
    extra = data.get("data") or {}
    if not text:
        return []
    return [text] if extra.get("buttons") or extra.get("quick_replies") else text.split("\n\n")


def turns_in_tracker(events: list[tuple[str, dict]]) -> list[tuple[str, list[str]]]:
    """(message id, texts the user was sent) for each user event of one conversation.

    A session start's greeting is saved just before the first user event and sent with it.
    """
    turns: list[tuple[str, list[str]]] = []
    opening: list[str] | None = None
    for type_name, data in events:
        if type_name == "action" and data.get("name") == "action_session_start":
            opening = []  # its greeting goes with the next user message
        elif type_name == "user":
            turns.append((data.get("message_id"), opening or []))
            opening = None
        elif type_name == "bot":
            if opening is not None:
                opening.extend(rest_texts(data))
            elif turns:
                turns[-1][1].extend(rest_texts(data))
    return turns


def test_every_service_reports_health_through_the_balancer(cluster) -> None:
    assert get_json(f"{cluster.url}/healthz") == (200, {"status": "ok"})  # web app
    status, body = get_json(f"{cluster.url}/healthz/rasa")  # a Rasa server
    assert status == 200 and str(body) == "ok"  # up, and naming no version (issue 15)
    assert get_json(f"{cluster.url}/webhooks/rest/")[0] == 200  # REST channel mounted
    actions = f"http://127.0.0.1:{cluster.ports['nginx-actions']}/health"
    assert get_json(actions) == (200, {"status": "ok"})  # action servers' internal balancer


def test_a_resent_message_is_answered_once(cluster, tracker_database) -> None:
    """The same message id sent again (attempt 2) returns the saved replies, not a new turn."""
    url = f"{cluster.url}/webhooks/rest/webhook"
    sender = "resend-check-0001"
    body = {"sender": sender, "message": "ASEAN có bao nhiêu nước thành viên?",
            "metadata": {"message_id": "resend-message-0001", "attempt": 1}}
    first = post(url, body)
    again = post(url, {**body, "metadata": {"message_id": "resend-message-0001", "attempt": 2}})
    assert first and [m.get("text") for m in again] == [m.get("text") for m in first]
    turns = turns_in_tracker(tracker_rows(tracker_database)[sender])
    assert [message_id for message_id, _ in turns] == ["resend-message-0001"]


def test_killing_a_rasa_server_loses_and_duplicates_nothing(cluster, tracker_database,
                                                           bot_database, capsys) -> None:
    conversations = load_conversations()
    results: list[TurnResult] = []
    killed_at: list[float] = []

    def kill_when_busy(result: TurnResult) -> None:
        if len(results) == KILL_AFTER_TURNS and not killed_at:
            killed_at.append(result.started)
            cluster.kill("rasa-1", signal.SIGKILL)
        if len(results) == STOP_ACTIONS_AFTER_TURNS:
            cluster.kill("actions-1", signal.SIGTERM, wait=False)  # don't block the clients

    asyncio.run(run_users(cluster.url, conversations, USERS,
                          conversations_per_user=CONVERSATIONS_PER_USER, retry=WIDGET,
                          results=results, sender_prefix="scale", on_result=kill_when_busy))

    assert killed_at, "the run ended before the kill"
    assert not cluster.alive("rasa-1") and cluster.alive("rasa-2")
    assert cluster.exit_code("actions-1") == 0, "the action server did not stop cleanly"
    assert cluster.alive("actions-2")
    expected_turns = sum(len(conversations[(user + played) % len(conversations)].turns)
                         for user in range(USERS) for played in range(CONVERSATIONS_PER_USER))
    assert len(results) == expected_turns

    # Every message got an answer (after resends where needed).
    failed = [(r.sender, r.index, r.error) for r in results if not r.ok]
    assert not failed, failed

    # The tracker store holds each user message exactly once, in order, each with its replies,
    # and those replies are what the user saw.
    stored = tracker_rows(tracker_database)
    sent: dict[str, list[TurnResult]] = defaultdict(list)
    for result in results:
        sent[result.sender].append(result)
    for sender, turns in sent.items():
        turns.sort(key=lambda r: r.index)
        saved = turns_in_tracker(stored.get(sender, []))
        ids = [message_id for message_id, _ in saved]
        assert ids == [t.message_id for t in turns], f"{sender}: user events {ids}"
        for turn, (_, bot_texts) in zip(turns, saved, strict=True):
            assert bot_texts, f"{sender} turn {turn.index}: no bot reply in the tracker"
            seen = [m["text"] for m in turn.replies if m.get("text")]
            assert seen == bot_texts, f"{sender} turn {turn.index}: replies differ"

    # A registration is never recorded twice for one conversation and event.
    import sqlalchemy as sa

    engine = sa.create_engine(bot_database, future=True)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT sender_id, event_id FROM event_registrations WHERE sender_id LIKE 'scale-%'"
        )).all()
    engine.dispose()
    duplicates = [key for key, count in Counter(map(tuple, rows)).items() if count > 1]
    assert not duplicates, duplicates

    resent = [r for r in results if r.attempts > 1]
    with capsys.disabled():
        print(f"\nscale-out: {len(results)} turns by {USERS} users, rasa-1 killed after "
              f"{killed_at[0]:.1f} s; {len(resent)} turns resent "
              f"({Counter(e for r in resent for e in r.failed_attempts)}), max latency "
              f"{max(r.latency for r in results):.1f} s, registrations {len(rows)}")
