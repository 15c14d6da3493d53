"""The operators' files in deploy/ are valid: Rasa reads the production endpoints from the
environment, nginx accepts the production site, systemd accepts the units, and docker-compose
refers only to files that exist."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.deploy.cluster import free_port, nginx_binary

DEPLOY = PROJECT_ROOT / "deploy"
PRODUCTION_ENV = {
    "ACTION_ENDPOINT_URL": "http://10.0.0.10:5055/webhook",
    "TRACKER_STORE_URL": "postgresql://asean:secret@10.0.0.40:5432/asean_tracker",
    "REDIS_HOST": "10.0.0.41",
    "REDIS_PORT": "6379",
    "REDIS_DB": "1",
    "REDIS_PASSWORD": "",
    "LOCK_KEY_PREFIX": "aseanprod",
    "ACTION_SERVER_SECRET": "s3cret-from-the-environment",
}


def read_endpoint(name: str):  # noqa: ANN201 - rasa's EndpointConfig
    from rasa.utils.endpoints import read_endpoint_config

    return read_endpoint_config(str(DEPLOY / "endpoints.production.yml"), name)


def test_production_endpoints_come_from_the_environment(monkeypatch) -> None:
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    tracker, lock, action = (read_endpoint(n) for n in
                             ("tracker_store", "lock_store", "action_endpoint"))
    assert tracker.type == "bot.privacy.tracker_store.RedactingSQLTrackerStore"
    assert tracker.kwargs["dialect"] == "postgresql"
    assert tracker.url == PRODUCTION_ENV["TRACKER_STORE_URL"]
    assert lock.type == "bot.deploy.lock_store.ClusterRedisLockStore"
    assert lock.url == "10.0.0.41"
    assert lock.kwargs == {"port": "6379", "db": "1", "password": "",
                           "key_prefix": "aseanprod"}
    assert action.url == PRODUCTION_ENV["ACTION_ENDPOINT_URL"]
    assert action.headers == {"X-Action-Secret": PRODUCTION_ENV["ACTION_SERVER_SECRET"]}


def test_a_missing_variable_stops_rasa_instead_of_falling_back(monkeypatch) -> None:
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TRACKER_STORE_URL")
    with pytest.raises(Exception, match="TRACKER_STORE_URL"):
        read_endpoint("tracker_store")


def test_production_credentials_use_the_retry_safe_rest_channel() -> None:
    credentials = yaml.safe_load((DEPLOY / "credentials.production.yml").read_text("utf-8"))
    assert "bot.deploy.channel.IdempotentRestInput" in credentials
    assert "rest" not in credentials  # one REST channel only: the retry-safe one
    from bot.deploy.channel import IdempotentRestInput

    assert IdempotentRestInput.name() == "rest"  # same URL as before: /webhooks/rest/webhook


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chatbot.example.gov.vn")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_nginx_accepts_the_production_site(tmp_path) -> None:
    nginx = nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed (make system-deps)")
    cert, key = _self_signed(tmp_path)
    site = (DEPLOY / "nginx" / "asean-bot.conf").read_text("utf-8")
    for placeholder, here in {
        "/etc/ssl/asean-bot/fullchain.pem": str(cert),
        "/etc/ssl/asean-bot/privkey.pem": str(key),
        "/etc/nginx/snippets/": f"{DEPLOY / 'nginx'}/",
        "/var/log/nginx/": f"{tmp_path}/",
    }.items():
        assert placeholder in site
        site = site.replace(placeholder, here)
    # `nginx -t` binds the listen addresses: this machine's loopback and free ports stand in.
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
    site = re.sub(r"listen (?:10\.0\.0\.10:)?\d+",
                  lambda _: f"listen 127.0.0.1:{free_port()}", site)
    (tmp_path / "site.conf").write_text(site, "utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ include {tmp_path}/site.conf; }}\n", "utf-8")
    result = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path),
                             "-e", str(tmp_path / "error.log")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_systemd_accepts_the_units(tmp_path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    venv = Path(os.sys.executable).parent.parent
    user = os.environ.get("USER") or "root"
    (tmp_path / "env").write_text("PUBLIC_ORIGIN=https://chatbot.example.gov.vn\n", "utf-8")
    for unit in (DEPLOY / "systemd").iterdir():
        text = (unit.read_text("utf-8")
                .replace("/opt/asean-bot/.venv", str(venv))
                .replace("/opt/asean-bot", str(PROJECT_ROOT))
                .replace("/etc/asean-bot/env", str(tmp_path / "env"))
                .replace("User=asean-bot", f"User={user}")
                .replace("Group=asean-bot", f"Group={user}"))
        (tmp_path / unit.name).write_text(text, "utf-8")
    shutil.copy(tmp_path / "asean-rasa@.service", tmp_path / "asean-rasa@5005.service")
    shutil.copy(tmp_path / "asean-actions@.service", tmp_path / "asean-actions@5055.service")
    units = ["asean-rasa@5005.service", "asean-actions@5055.service", "asean-web.service",
             "asean-reminders.service", "asean-reminders.timer", "asean-bot.target"]
    result = subprocess.run([analyze, "verify", "--man=no", *(str(tmp_path / u) for u in units)],
                            capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "asean" in line or "Failed" in line]
    assert result.returncode == 0 and not problems, problems or result.stderr


def test_docker_compose_refers_to_files_that_exist() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text("utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "actions", "rasa", "web", "nginx"} <= set(services)
    assert services["rasa"]["deploy"]["replicas"] >= 2
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).resolve().exists() or source == "../models", volume
        for argument in service.get("command") or []:
            if isinstance(argument, str) and argument.startswith("deploy/"):
                assert (PROJECT_ROOT / argument).exists(), argument
    assert (DEPLOY / services["rasa"]["build"]["dockerfile"].removeprefix("deploy/")).exists()


def test_compose_trusts_forwarded_headers_only_from_nginx_and_restarts_services() -> None:
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    assert '"--forwarded-allow-ips", "*"' not in text
    assert "ACTION_SERVER_SECRET: ${ACTION_SERVER_SECRET:?" in text
    for unit in ("asean-rasa@.service", "asean-actions@.service", "asean-web.service"):
        service = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        assert "Restart=always" in service
        assert "0.0.0.0" not in service


SHARED_SECRETS = ("ACTION_SERVER_SECRET", "SOCKETIO_SESSION_SECRET")


def test_every_long_running_compose_service_restarts_and_gets_the_shared_settings() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text("utf-8"))
    for name, service in compose["services"].items():
        if service.get("restart") == "no":  # one-shot jobs (migrations)
            continue
        assert service.get("restart") == "unless-stopped", name
    for name in ("rasa", "actions", "web"):
        environment = compose["services"][name]["environment"]
        for variable in SHARED_SECRETS:  # required, never a committed value
            assert environment[variable].startswith(f"${{{variable}:?"), (name, variable)
        assert environment["RATE_LIMIT_STORAGE_URL"].startswith("redis://")
    for name, launcher in (("rasa", "bot.rasa.server"), ("actions", "bot.rasa.action_server")):
        assert compose["services"][name]["command"][:3] == ["python", "-m", launcher]


def test_env_example_documents_the_secrets_without_values() -> None:
    lines = (DEPLOY / "env.example").read_text("utf-8").splitlines()
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    for variable in SHARED_SECRETS:
        assert settings[variable] == "", variable
    assert settings["RATE_LIMIT_STORAGE_URL"].startswith("redis://")
    assert settings["RASA_SERVER_HOST"] == settings["ACTION_SERVER_HOST"] == "127.0.0.1"
