"""Run the whole bot on one machine: ``python -m bot.run`` (what ``make run`` calls).

Migrates and seeds the database, then starts the action server, the Rasa server (REST and
socket.io channels) and the web app (portal page with the chat widget, staff workspace), waits
until each answers, prints where to talk to the bot, and stops everything cleanly on Ctrl-C.
The same ``Stack`` class starts the servers for the end-to-end tests and the benchmark.
"""

from __future__ import annotations

import logging
import os
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

    def _env(self) -> dict[str, str]:
        extra = {
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "RASA_PORT": str(self.rasa_port),
            "WEB_PORT": str(self.web_port),
            "KNOWLEDGE_WARM_UP": "1",
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
        return process

    def start(self, timeout: float = 240) -> None:
        # Read now, not at import: the one list of portal origins (the widget channel checks it).
        origins = os.environ.get("CORS_ORIGINS", config.CORS_ORIGINS)
        cors = [origin.strip() for origin in origins.split(",") if origin.strip()]
        actions = self._spawn(
            "actions",
            [
                str(BIN / "rasa"),
                "run",
                "actions",
                "--actions",
                "actions",
                "--port",
                str(self.action_port),
            ],
        )
        rasa = self._spawn(
            "rasa",
            [
                str(BIN / "rasa"),
                "run",
                "--model",
                str(self.model),
                "--port",
                str(self.rasa_port),
                "--credentials",
                "credentials.yml",
                "--endpoints",
                "endpoints.yml",
                "--cors",
                *cors,
            ],
        )
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
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(1)
        crashed = [name for name, p in stack.processes.items() if p.poll() is not None]
        print(f"Stopped because {', '.join(crashed)} exited; see {stack.log_dir}/", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
