"""The production set-up on one machine: nginx in front of several Rasa servers and action servers.

Rasa servers share a PostgreSQL tracker store and a Redis lock store (``deploy/
endpoints.production.yml``) and use the retry-safe REST channel (``deploy/credentials.production
.yml``); nginx runs the operators' location rules (``deploy/nginx/asean-bot-locations.conf``)
with upstreams pointing at this machine's ports. The scale-out test and the benchmark start it;
operators run the same pieces on several machines (``deploy/README.md``).

Every process is a child of ours with its own session, so ``stop()`` (or a crash of ours) never
leaves anything behind, and ``kill()`` can take one server down mid-run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot import config
from bot.run import action_server_command, rasa_server_command, service_env, wait_until_up

BIN = Path(sys.executable).parent
DEPLOY_DIR = config.PROJECT_ROOT / "deploy"
ENDPOINTS = DEPLOY_DIR / "endpoints.production.yml"
CREDENTIALS = DEPLOY_DIR / "credentials.production.yml"
LOGGING_JSON = DEPLOY_DIR / "logging.json.yml"
NGINX_LOCATIONS = DEPLOY_DIR / "nginx" / "asean-bot-locations.conf"
NGINX_ACTION_LOCATIONS = DEPLOY_DIR / "nginx" / "asean-bot-actions-locations.conf"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary() -> str | None:
    """nginx from Debian's ``nginx-light`` (``make system-deps``), or None when not installed."""
    for candidate in ("/usr/sbin/nginx", "/usr/bin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass(frozen=True)
class RedisSettings:
    """Where the lock store lives; ``key_prefix`` keeps each run's locks apart (alphanumeric)."""

    host: str = "127.0.0.1"
    port: int = 6379
    db: int = 1
    password: str = ""
    key_prefix: str = field(default_factory=lambda: f"asean{uuid.uuid4().hex[:10]}")

    def env(self) -> dict[str, str]:
        return {
            "REDIS_HOST": self.host,
            "REDIS_PORT": str(self.port),
            "REDIS_DB": str(self.db),
            "REDIS_PASSWORD": self.password,
            "LOCK_KEY_PREFIX": self.key_prefix,
        }

    def delete_keys(self) -> int:
        """Remove this run's lock keys (only ours: they all start with ``key_prefix``)."""
        import redis

        client = redis.Redis(host=self.host, port=self.port, db=self.db,
                             password=self.password or None)
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()
        return len(keys)


@contextlib.contextmanager
def temporary_pg_database(admin_url: str, prefix: str) -> Iterator[str]:
    """Create a PostgreSQL database named ``<prefix>_<random>``, yield its URL, drop it after."""
    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    parts = urllib.parse.urlsplit(admin_url)
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield url
    finally:
        from bot.db.base import reset_engines

        reset_engines()  # our own pooled connections to the database about to be dropped
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Cluster:
    """nginx + ``rasa_servers`` Rasa servers + ``action_servers`` action servers (+ web app).

    Args:
        model: the trained model every Rasa server loads.
        workdir: nginx configuration, temp files, pid file and every service's log.
        database_url: the bot's own database (action servers, web app).
        tracker_store_url: SQLAlchemy URL of the shared PostgreSQL tracker store.
        redis: the shared lock store.
        lock_lifetime: seconds a conversation lock outlives a crashed server (Rasa's
            ``TICKET_LOCK_LIFETIME``); a turn for that conversation waits at most this long.
        json_logs: services log one JSON object per line (``deploy/logging.json.yml``).
    """

    model: Path
    workdir: Path
    database_url: str
    tracker_store_url: str
    redis: RedisSettings = field(default_factory=RedisSettings)
    rasa_servers: int = 2
    action_servers: int = 1
    with_web: bool = False
    lock_lifetime: int = 30
    json_logs: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    action_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    # --- addresses -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The public entry point (nginx)."""
        return f"http://127.0.0.1:{self.ports['nginx']}"

    @property
    def rasa_names(self) -> list[str]:
        return [f"rasa-{i}" for i in range(1, self.rasa_servers + 1)]

    @property
    def action_names(self) -> list[str]:
        return [f"actions-{i}" for i in range(1, self.action_servers + 1)]

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    # --- life cycle ------------------------------------------------------------------------------

    def start(self, timeout: float = 420) -> None:
        """Start everything and return once each service and the balancer answer."""
        nginx = nginx_binary()
        if nginx is None:
            raise RuntimeError("nginx is not installed: run `make system-deps`")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in (*self.action_names, *self.rasa_names, "web", "nginx", "nginx-actions"):
            self.ports[name] = free_port()
        try:
            for name in self.action_names:
                self._spawn(name, self._action_command(name))
            self._spawn("nginx", [nginx, "-c", str(self._write_nginx_conf()),
                                  "-p", str(self.workdir), "-e", str(self.workdir / "nginx.err")])
            for name in self.rasa_names:
                self._spawn(name, self._rasa_command(name))
            if self.with_web:
                self._spawn("web", self._web_command())
            for name in self.action_names:
                self._wait(f"http://127.0.0.1:{self.ports[name]}/health", timeout, name)
            for name in self.rasa_names:
                self._wait(f"http://127.0.0.1:{self.ports[name]}/", timeout, name)
            if self.with_web:
                self._wait(f"http://127.0.0.1:{self.ports['web']}/healthz", timeout, "web")
            self._wait(f"{self.url}/webhooks/rest/", 30, "nginx")
        except Exception:
            self.stop()
            raise

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL, wait: bool = True) -> None:
        """Send ``sig`` to one service (SIGKILL: a crash; SIGTERM: a graceful stop), and wait
        for it to exit unless ``wait`` is False."""
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, sig)
            if wait:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=30)

    def exit_code(self, name: str, timeout: float = 30) -> int | None:
        """The exit code of a stopped service (None if it is still running after ``timeout``)."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.processes[name].wait(timeout=timeout)
        return None

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def stop(self) -> None:
        """Stop the balancer's backends gracefully (SIGTERM), then nginx (SIGQUIT)."""
        order = ["web", *self.rasa_names, *self.action_names, "nginx"]
        for name in order:
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        for name in order:
            process = self.processes.get(name)
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    # --- processes -------------------------------------------------------------------------------

    def _env(self, name: str) -> dict[str, str]:
        extra = {
            "SERVICE_NAME": name,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.ports['nginx-actions']}/webhook",
            "TRACKER_STORE_URL": self.tracker_store_url,
            "TICKET_LOCK_LIFETIME": str(self.lock_lifetime),
            "PUBLIC_RASA_URL": self.url,
            "CORS_ORIGINS": self.url,
            "ACTION_SERVER_SECRET": self.action_secret,
            **self.redis.env(),
            **self.extra_env,
        }
        return service_env(self.database_url, **extra)

    def _logging_config(self) -> Path | None:
        return LOGGING_JSON if self.json_logs else None

    def _action_command(self, name: str) -> list[str]:
        return action_server_command(self.ports[name], self._logging_config())

    def _rasa_command(self, name: str) -> list[str]:
        return rasa_server_command(self.model, self.ports[name], [self.url],
                                   credentials=CREDENTIALS, endpoints=ENDPOINTS,
                                   logging_config=self._logging_config())

    def _web_command(self) -> list[str]:
        args = [str(BIN / "python"), "-m", "uvicorn", "--factory", "bot.web.app:create_web_app",
                "--host", "127.0.0.1", "--port", str(self.ports["web"]), "--proxy-headers",
                # No WebSocket routes here (socket.io goes to Rasa), and uvicorn's websockets
                # driver does not import with the websockets 10 that Rasa pins.
                "--ws", "none"]
        if self.json_logs:
            args += ["--log-config", str(LOGGING_JSON)]
        return args

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        process = subprocess.Popen(
            args, cwd=config.PROJECT_ROOT, env=self._env(name), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.processes[name] = process
        return process

    def _wait(self, url: str, timeout: float, name: str) -> None:
        try:
            wait_until_up(url, timeout, self.processes.get(name))
        except (RuntimeError, TimeoutError) as error:
            tail = self.log_tail(name)
            message = f"{name} did not start: {error}\n--- {name}.log ---\n{tail}"
            raise RuntimeError(message) from None

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / "logs" / f"{name}.log"
        if name == "nginx" and (self.workdir / "nginx.err").exists():
            path = self.workdir / "nginx.err"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # --- nginx -----------------------------------------------------------------------------------

    def _write_nginx_conf(self) -> Path:
        """A stand-alone nginx.conf: this machine's upstreams + the operators' location rules."""
        work = self.workdir
        (work / "tmp").mkdir(exist_ok=True)

        def servers(names: list[str]) -> str:
            return "\n".join(f"        server 127.0.0.1:{self.ports[n]} max_fails=1 "
                             "fail_timeout=10s;" for n in names)

        rasa, actions = servers(self.rasa_names), servers(self.action_names)
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read our temp dirs
        text = f"""# Written by bot.deploy.cluster for a local run; see deploy/nginx/.
{user}daemon off;
master_process on;
worker_processes 1;
pid "{work / 'nginx.pid'}";
error_log "{work / 'nginx.err'}" warn;
events {{ worker_connections 1024; }}
http {{
    access_log "{work / 'logs' / 'nginx-access.log'}";
    client_body_temp_path "{work / 'tmp' / 'body'}";
    proxy_temp_path "{work / 'tmp' / 'proxy'}";
    fastcgi_temp_path "{work / 'tmp' / 'fastcgi'}";
    uwsgi_temp_path "{work / 'tmp' / 'uwsgi'}";
    scgi_temp_path "{work / 'tmp' / 'scgi'}";
    default_type application/octet-stream;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream asean_rasa {{
        least_conn;
{rasa}
    }}
    upstream asean_rasa_socketio {{
        ip_hash;
{rasa}
    }}
    upstream asean_actions {{
        least_conn;
{actions}
    }}
    upstream asean_web {{
        server 127.0.0.1:{self.ports['web']} max_fails=1 fail_timeout=10s;
    }}
    server {{
        listen 127.0.0.1:{self.ports['nginx']};
        server_name localhost;
        include "{NGINX_LOCATIONS}";
    }}
    server {{
        listen 127.0.0.1:{self.ports['nginx-actions']};
        include "{NGINX_ACTION_LOCATIONS}";
    }}
}}
"""
        path = work / "nginx.conf"
        path.write_text(text, encoding="utf-8")
        return path
