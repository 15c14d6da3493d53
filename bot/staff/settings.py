"""Settings of the staff workspace, from environment variables (secrets never defaulted)."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field

from bot import config

log = logging.getLogger(__name__)


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def tracker_store_url() -> str:
    """Rasa's SQL tracker store, read-only here (dashboard statistics): ``config``'s one rule."""
    return config.tracker_store_url()


def _secret_key() -> str:
    key = config.secret("STAFF_SECRET_KEY")
    if key:
        return key
    # No default secret: without one, each process signs with a random key, so sessions simply do
    # not survive a restart (safe, merely inconvenient).
    log.warning("STAFF_SECRET_KEY is not set; staff sessions end when the web app restarts.")
    return secrets.token_urlsafe(48)


@dataclass
class StaffSettings:
    """Security knobs of the workspace; tests pass their own instance."""

    secret_key: str = field(default_factory=_secret_key)
    # Idle timeout: the signed cookie's max_age, renewed by every request.
    session_idle_seconds: int = field(
        default_factory=lambda: _int_env("STAFF_SESSION_IDLE_MINUTES", 30) * 60
    )
    # Absolute lifetime of a sign-in, however active the person is.
    session_max_seconds: int = field(
        default_factory=lambda: _int_env("STAFF_SESSION_MAX_HOURS", 12) * 3600
    )
    # Secure cookies need HTTPS; production sets STAFF_COOKIE_SECURE=1 behind its TLS proxy.
    cookie_secure: bool = field(
        default_factory=lambda: os.environ.get("STAFF_COOKIE_SECURE", "") in ("1", "true", "yes")
    )
    login_limit_per_account: str = "5/15 minutes"
    login_limit_per_ip: str = "20/15 minutes"
    max_upload_bytes: int = 20 * 1024 * 1024
    database_url: str | None = None
    tracker_url: str | None = None
