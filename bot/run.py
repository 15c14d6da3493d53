"""Run the whole bot on one machine: ``python -m bot.run`` (what ``make run`` calls).

Migrates and seeds the database, then starts the action server, the Rasa server (REST and
socket.io channels) and the web app (portal page with the chat widget, staff workspace), waits
until each answers, prints where to talk to the bot, and stops everything cleanly on Ctrl-C.
The same ``Stack`` class starts the servers for the end-to-end tests and the benchmark.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot import config

logger = logging.getLogger(__name__)
BIN = Path(sys.executable).parent


def latest_model(models_dir: Path = config.PROJECT_ROOT / "models") -> Path | None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def service_env(database_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment shared by all services (explicit values win over the caller's environment)."""
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("TRACKER_DB", str(config.VAR_DIR / "tracker.sqlite3"))
    env["DATABASE_URL"] = database_url or config.database_url()
    env.update(extra)
    return env


def action_server_command(port: int, logging_config: Path | None = None) -> list[str]:
    """The one command line that starts an action server (authenticated, loopback by default)."""
    args = [str(BIN / "python"), "-m", "bot.rasa.action_server", "--port", str(port)]
    return args + (["--logging-config-file", str(logging_config)] if logging_config else [])


def rasa_server_command(
    model: Path,
    port: int,
    cors: list[str],
    credentials: Path | str = "credentials.yml",
    endpoints: Path | str = "endpoints.yml",
    logging_config: Path | None = None,
) -> list[str]:
    """The one command line that starts a Rasa server with the project's runtime changes."""
    args = [
        str(BIN / "python"), "-m", "bot.rasa.server", "run",
        "--model", str(model),
        "--interface", config.rasa_server_host(),
        "--port", str(port),
        "--credentials", str(credentials),
        "--endpoints", str(endpoints),
        "--cors", *cors,
    ]
    return args + (["--logging-config-file", str(logging_config)] if logging_config else [])


def wait_until_up(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


@dataclass
class Stack:
    """The three services of the bot as child processes."""

    model: Path
    rasa_port: int = config.RASA_PORT
    action_port: int = config.ACTION_PORT
    web_port: int = config.WEB_PORT
    database_url: str | None = None
    tracker_db: str | None = None
    log_dir: Path = config.VAR_DIR / "logs"
    with_web: bool = True
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    action_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    session_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    commands: dict[str, list[str]] = field(default_factory=dict)

    def _env(self) -> dict[str, str]:
        extra = {
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "RASA_PORT": str(self.rasa_port),
            "WEB_PORT": str(self.web_port),
            "KNOWLEDGE_WARM_UP": "1",
            # Rasa sends it, the action server requires it: one random secret per stack unless
            # the operator set one.
            "ACTION_SERVER_SECRET": config.action_server_secret() or self.action_secret,
            # Widget conversation ids stay valid when the supervisor restarts Rasa.
            "SOCKETIO_SESSION_SECRET": config.secret("SOCKETIO_SESSION_SECRET")
            or self.session_secret,
        }
        extra.setdefault(
            "PUBLIC_RASA_URL",
            os.environ.get("PUBLIC_RASA_URL", f"http://127.0.0.1:{self.rasa_port}"),
        )
        if self.tracker_db:
            extra["TRACKER_DB"] = self.tracker_db
        return service_env(self.database_url, **extra)

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        process = subprocess.Popen(
            args,
            cwd=config.PROJECT_ROOT,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
        )
        self.processes[name] = process
        self.commands[name] = args
        return process

    def restart(self, name: str) -> subprocess.Popen:
        """Start child ``name`` again with the command it was first started with."""
        return self._spawn(name, self.commands[name])

    def start(self, timeout: float = 240) -> None:
        # Read now, not at import: the one list of portal origins (the widget channel checks it).
        origins = os.environ.get("CORS_ORIGINS", config.CORS_ORIGINS)
        cors = [origin.strip() for origin in origins.split(",") if origin.strip()]
        actions = self._spawn("actions", action_server_command(self.action_port))
        rasa = self._spawn("rasa", rasa_server_command(self.model, self.rasa_port, cors))
        web = None
        if self.with_web:
            web = self._spawn(
                "web",
                [
                    str(BIN / "python"),
                    "-m",
                    "uvicorn",
                    "--factory",
                    "bot.web.app:create_web_app",
                    "--host",
                    "127.0.0.1",
                    "--ws",
                    "none",  # long-polling only, see bot/web/README.md
                    # Nothing sits in front under `make run`: no client may claim an address.
                    "--no-proxy-headers",
                    "--port",
                    str(self.web_port),
                ],
            )
        try:
            wait_until_up(f"http://127.0.0.1:{self.action_port}/health", timeout, actions)
            wait_until_up(f"http://127.0.0.1:{self.rasa_port}/", timeout, rasa)
            if web is not None:
                wait_until_up(f"http://127.0.0.1:{self.web_port}/healthz", timeout, web)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        for name in ("web", "rasa", "actions"):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@dataclass
class Supervisor:
    """Keeps every child of a ``Stack`` running: a child that exits is started again.

    One crash (a bad request, an out-of-memory kill) must not take the other services down with
    it, and a child that keeps crashing must not spin the CPU: restarts wait 1 s, then twice as
    long each time up to ``max_delay``, and the wait resets once the child has stayed up for
    ``stable_after`` seconds.
    """

    stack: Stack
    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 60.0
    poll_every: float = 1.0
    delays: dict[str, float] = field(default_factory=dict)
    started_at: dict[str, float] = field(default_factory=dict)
    due: dict[str, float] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)

    def check(self, now: float | None = None) -> list[str]:
        """One round: schedule exited children, restart those whose wait is over."""
        now = time.monotonic() if now is None else now
        restarted = []
        for name, process in list(self.stack.processes.items()):
            self.started_at.setdefault(name, now)
            if process.poll() is None:
                if now - self.started_at[name] >= self.stable_after:
                    self.delays.pop(name, None)
                continue
            if name not in self.due:
                delay = self.delays.get(name, self.first_delay)
                self.due[name] = now + delay
                self.delays[name] = min(delay * 2, self.max_delay)
                logger.warning("%s exited with code %s; restarting in %.0f s",
                               name, process.returncode, delay)
            elif now >= self.due[name]:
                del self.due[name]
                self.stack.restart(name)
                self.started_at[name] = now
                self.restarts[name] = self.restarts.get(name, 0) + 1
                restarted.append(name)
        return restarted

    def run_forever(self) -> None:
        while True:
            self.check()
            time.sleep(self.poll_every)


def prepare_database(database_url: str | None = None, demo: bool = False) -> None:
    """Migrate the bot database to the newest schema and load the seed data (idempotent)."""
    from bot.seed import seed_default

    report = seed_default(database_url, demo=demo)
    knowledge = report["knowledge"]
    published = sum(knowledge.published_per_topic.values())
    print(f"Database ready: {published} published FAQ entries "
          f"({len(knowledge.created)} new, {len(knowledge.updated)} updated); "
          f"events: {', '.join(str(r) for r in report['events'])}")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Run the ASEAN assistant on this machine.")
    parser.add_argument("--demo", action="store_true",
                        help="use var/demo.sqlite3 with ~30 invented sample events (never the "
                             "default database)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    model = latest_model()
    if model is None:
        print("No trained model in models/: run `make train` first.", file=sys.stderr)
        return 1
    database_url = None
    if args.demo:
        from bot.events.loader import demo_database_url

        database_url = demo_database_url()
        print(f"DEMO MODE: sample events (invented) in {database_url}")
    prepare_database(database_url, demo=args.demo)
    stack = Stack(model=model, database_url=database_url)
    print("Starting the action server, the Rasa server and the web app…")
    stack.start()
    print(
        "\nThe ASEAN assistant is running:\n"
        f"  Web page with chat widget:  http://localhost:{stack.web_port}/\n"
        f"  Staff workspace:            http://localhost:{stack.web_port}/admin\n"
        f"  REST channel:               POST http://localhost:{stack.rasa_port}/webhooks/rest/webhook\n"
        f"  socket.io channel:          http://localhost:{stack.rasa_port}/socket.io\n"
        f"  Logs:                       {stack.log_dir}/\n"
        "Press Ctrl-C to stop."
    )

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        Supervisor(stack).run_forever()
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
