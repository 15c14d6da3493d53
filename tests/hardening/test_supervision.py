"""Issue 15: ``make run`` restarts a crashed child with back-off and keeps the others up."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pytest

from bot.run import Stack, Supervisor, wait_until_up

from .servers_http import ask, http


def _spawn_sleeper(stack: Stack, name: str, seconds: float) -> None:
    stack._spawn(name, [sys.executable, "-c", f"import time; time.sleep({seconds})"])


def _check_until(supervisor: Supervisor, name: str, restarts: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    while supervisor.restarts.get(name, 0) < restarts and time.monotonic() < deadline:
        supervisor.check()
        time.sleep(0.05)


def test_a_crashing_child_is_restarted_with_back_off_and_the_others_stay_up(tmp_path, caplog):
    stack = Stack(model=Path("unused"), log_dir=tmp_path)
    _spawn_sleeper(stack, "web", 60)
    _spawn_sleeper(stack, "rasa", 0)  # a Rasa server that dies at once, every time
    supervisor = Supervisor(stack, first_delay=0.2, max_delay=0.8, stable_after=30)
    web_pid = stack.processes["web"].pid
    try:
        with caplog.at_level(logging.WARNING, logger="bot.run"):
            _check_until(supervisor, "rasa", 3, limit=10)
        assert supervisor.restarts["rasa"] >= 3
        assert supervisor.delays["rasa"] == pytest.approx(0.8)  # 0.2, 0.4, 0.8, then capped
        assert sum("rasa exited" in r.getMessage() for r in caplog.records) >= 3
        assert stack.processes["web"].pid == web_pid and stack.processes["web"].poll() is None
        assert "web" not in supervisor.restarts
    finally:
        stack.stop()


def test_the_wait_resets_once_a_child_has_stayed_up(tmp_path):
    stack = Stack(model=Path("unused"), log_dir=tmp_path)
    _spawn_sleeper(stack, "actions", 0)
    supervisor = Supervisor(stack, first_delay=0.1, max_delay=5, stable_after=1.0)
    try:
        _check_until(supervisor, "actions", 2, limit=10)
        assert supervisor.delays["actions"] > supervisor.first_delay
        stack.commands["actions"] = [sys.executable, "-c", "import time; time.sleep(60)"]
        _check_until(supervisor, "actions", 3, limit=10)
        later = time.monotonic() + 1.5
        supervisor.check(now=later)  # up for longer than stable_after
        assert "actions" not in supervisor.delays
    finally:
        stack.stop()


@pytest.mark.stack
def test_a_killed_action_server_comes_back_and_the_bot_answers(stack):
    web = stack.processes.get("web")
    old = stack.processes["actions"]
    supervisor = Supervisor(stack, first_delay=0.1)
    old.kill()  # SIGKILL: no chance to clean up
    old.wait()
    _check_until(supervisor, "actions", 1, limit=30)
    assert supervisor.restarts.get("actions") == 1
    new = stack.processes["actions"]
    assert new.pid != old.pid
    wait_until_up(f"http://127.0.0.1:{stack.action_port}/health", 120, new)
    assert stack.processes["rasa"].poll() is None
    question = "ASEAN hiện có bao nhiêu nước thành viên?"
    status, reply = ask(stack.rasa_port, "after-restart", question)
    assert status == 200 and "11" in reply
    if web is not None:  # the web app was never touched
        assert stack.processes["web"] is web and web.poll() is None
        assert http(f"http://127.0.0.1:{stack.web_port}/healthz")[0] == 200
