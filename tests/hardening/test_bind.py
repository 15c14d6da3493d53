"""Issue 15: the internal servers listen on loopback by default; Rasa's root names no version."""

from __future__ import annotations

import pytest

from bot import config
from bot.run import action_server_command, rasa_server_command

from .servers_http import http


def test_hosts_default_to_loopback_and_come_from_the_environment_at_call_time(monkeypatch):
    monkeypatch.delenv("RASA_SERVER_HOST", raising=False)
    monkeypatch.delenv("ACTION_SERVER_HOST", raising=False)
    assert config.rasa_server_host() == config.action_server_host() == "127.0.0.1"
    monkeypatch.setenv("RASA_SERVER_HOST", "10.0.0.5")
    monkeypatch.setenv("ACTION_SERVER_HOST", "10.0.0.6")
    assert config.rasa_server_host() == "10.0.0.5"
    assert config.action_server_host() == "10.0.0.6"
    rasa = rasa_server_command(config.PROJECT_ROOT / "m.tar.gz", 5005, ["http://x"])
    assert rasa[rasa.index("--interface") + 1] == "10.0.0.5"
    assert "--host" not in action_server_command(5055)  # the launcher reads ACTION_SERVER_HOST


@pytest.mark.stack
def test_rasa_root_names_no_version_and_servers_listen_on_loopback_only(stack):
    import psutil

    status, body = http(f"http://127.0.0.1:{stack.rasa_port}/")
    assert status == 200 and "rasa" not in body.lower() and "3.6" not in body
    for name in ("rasa", "actions"):
        proc = psutil.Process(stack.processes[name].pid)
        listening = [c.laddr.ip for p in [proc, *proc.children(recursive=True)]
                     for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        assert listening and set(listening) <= {"127.0.0.1"}, (name, listening)
