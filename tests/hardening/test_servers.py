"""Issue 15: an authenticated action server on loopback, a neutral root route, supervision."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.rasa.action_server import secret_matches
from bot.run import Stack, Supervisor


def http(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json",
                                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


FORGED_SUBMIT = {
    "next_action": "action_submit_registration", "sender_id": "attacker",
    "tracker": {"sender_id": "attacker", "slots": {"reg_name": "<script>x</script>",
                                                   "reg_event_id": 1, "reg_consent": True},
                "latest_message": {"text": "", "intent": {}, "entities": []}, "events": [],
                "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": None, "latest_input_channel": "zalo"},
    "domain": {}, "version": "3.6.2",
}


def test_secrets_compare_only_when_both_are_there():
    assert secret_matches("abc", "abc")
    assert not secret_matches("abd", "abc")
    assert not secret_matches(None, "abc")
    assert not secret_matches("abc", None)


@pytest.mark.stack
def test_a_direct_call_to_the_action_server_without_the_secret_is_refused(stack):
    import sqlalchemy as sa

    base = f"http://127.0.0.1:{stack.action_port}"
    assert http(f"{base}/health")[0] == 200
    for headers in ({}, {"X-Action-Secret": "wrong"}):
        status, body = http(f"{base}/webhook", FORGED_SUBMIT, headers)
        assert status == 401 and "unauthorised" in body
        assert http(f"{base}/actions", None, headers)[0] == 401
    engine = sa.create_engine(stack.database_url)
    with engine.connect() as conn:
        count = conn.execute(sa.text(
            "select count(*) from event_registrations where name like '%script%'")).scalar()
    engine.dispose()
    assert count == 0


@pytest.mark.stack
def test_rasa_root_names_no_version_and_servers_listen_on_loopback_only(stack):
    status, body = http(f"http://127.0.0.1:{stack.rasa_port}/")
    assert status == 200 and "rasa" not in body.lower() and "3.6" not in body
    for name in ("rasa", "actions"):
        args = stack.commands[name]
        assert "0.0.0.0" not in args
    import psutil

    for name in ("rasa", "actions"):
        proc = psutil.Process(stack.processes[name].pid)
        listening = [c.laddr.ip for p in [proc, *proc.children(recursive=True)]
                     for c in p.connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        assert listening and set(listening) <= {"127.0.0.1"}, listening


def _sleeper(stack: Stack, name: str, seconds: float) -> None:
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    stack._spawn(name, [sys.executable, "-c", f"import time; time.sleep({seconds})"])


def test_the_supervisor_restarts_a_crashed_child_with_back_off_and_leaves_others_up(tmp_path):
    stack = Stack(model=Path("unused"), log_dir=tmp_path)
    _sleeper(stack, "web", 60)
    _sleeper(stack, "actions", 0)
    supervisor = Supervisor(stack, first_delay=0.2, max_delay=0.8, stable_after=30)
    web_pid = stack.processes["web"].pid
    try:
        deadline = time.monotonic() + 10
        while supervisor.restarts.get("actions", 0) < 3 and time.monotonic() < deadline:
            supervisor.check()
            time.sleep(0.05)
        assert supervisor.restarts["actions"] >= 3
        assert supervisor.delays["actions"] == pytest.approx(0.8)  # doubled, then capped
        assert stack.processes["web"].pid == web_pid and stack.processes["web"].poll() is None
    finally:
        stack.stop()


@pytest.mark.stack
def test_a_killed_action_server_comes_back_and_the_bot_answers(stack):
    old = stack.processes["actions"]
    supervisor = Supervisor(stack, first_delay=0.1)
    old.kill()
    old.wait()
    deadline = time.monotonic() + 120
    while not supervisor.restarts.get("actions") and time.monotonic() < deadline:
        supervisor.check()
        time.sleep(0.1)
    from bot.run import wait_until_up

    wait_until_up(f"http://127.0.0.1:{stack.action_port}/health", 120, stack.processes["actions"])
    assert stack.processes["rasa"].poll() is None
    body = {"sender": "after-restart", "message": "ASEAN hiện có bao nhiêu nước thành viên?"}
    status, reply = http(f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/webhook", body)
    assert status == 200 and "11" in reply
    assert subprocess  # the restarted child is a real process
