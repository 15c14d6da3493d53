"""Settings of the Zalo OA channel, read from its ``credentials.yml`` block or the environment.

Secrets are never written in the repository. In ``credentials.yml`` a value may reference an
environment variable (``app_id: ${ZALO_APP_ID}``, Rasa substitutes it); a key that is absent,
empty or left unexpanded falls back to the environment variable of the same meaning, so the bot
also starts without any Zalo configuration (the webhook then answers 503).

Every secret is registered with ``SecretRedactor``, a logging filter that masks it in the records
of the channel's loggers and of httpx/httpcore, should it ever reach a log line.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import config

CREDENTIALS_KEY = "bot.channels.zalo.ZaloInput"

# credentials key -> environment variable used when the key is absent or empty
ENV_FALLBACK = {
    "app_id": "ZALO_APP_ID",
    "app_secret_key": "ZALO_APP_SECRET_KEY",
    "oa_secret_key": "ZALO_OA_SECRET_KEY",
    "access_token": "ZALO_ACCESS_TOKEN",
    "refresh_token": "ZALO_REFRESH_TOKEN",
    "api_base": "ZALO_API_BASE",
    "oauth_base": "ZALO_OAUTH_BASE",
}
SECRET_KEYS = ("app_secret_key", "oa_secret_key", "access_token", "refresh_token")

# Zalo names for "this user withdrew consent / asked for deletion". The OA webhook documents
# ``user_withdraw``; the others are sent by Zalo's consent flows. Configurable: deletion_events.
DEFAULT_DELETION_EVENTS = (
    "user_withdraw",
    "user_revoke_consent",
    "user_revoke_consent_and_remove_data",
)

REDACTED_LOGGERS = (
    "bot.channels.zalo",
    "bot.channels.zalo_api",
    "bot.channels.zalo_messages",
    "bot.channels.zalo_privacy",
    "bot.channels.zalo_stores",
    "bot.channels.push",
    "httpx",
    "httpcore",
)


def _value(credentials: dict[str, Any], key: str) -> str:
    raw = credentials.get(key)
    text = "" if raw is None else str(raw).strip()
    if not text or "${" in text:
        text = os.environ.get(ENV_FALLBACK.get(key, ""), "").strip() if key in ENV_FALLBACK else ""
    return text


def _number(credentials: dict[str, Any], key: str, default: float) -> float:
    try:
        return float(credentials.get(key, default))
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class ZaloSettings:
    """Everything the channel needs; ``repr`` never shows a secret."""

    app_id: str = ""
    app_secret_key: str = field(default="", repr=False)
    oa_secret_key: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    api_base: str = "https://openapi.zalo.me"
    oauth_base: str = "https://oauth.zaloapp.com"
    # Events whose timestamp is further than this from now are replays (Zalo sends milliseconds).
    max_event_age_seconds: float = 300.0
    max_body_bytes: int = 64 * 1024
    text_limit: int = 2000
    send_timeout_seconds: float = 10.0
    follow_payload: str = "/greet"
    deletion_events: tuple[str, ...] = DEFAULT_DELETION_EVENTS
    db_url: str | None = None

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ZaloSettings:
        credentials = credentials or {}
        events = credentials.get("deletion_events") or DEFAULT_DELETION_EVENTS
        if isinstance(events, str):
            events = [e.strip() for e in events.split(",")]
        return cls(
            app_id=_value(credentials, "app_id"),
            app_secret_key=_value(credentials, "app_secret_key"),
            oa_secret_key=_value(credentials, "oa_secret_key"),
            access_token=_value(credentials, "access_token"),
            refresh_token=_value(credentials, "refresh_token"),
            api_base=_value(credentials, "api_base") or cls.api_base,
            oauth_base=_value(credentials, "oauth_base") or cls.oauth_base,
            max_event_age_seconds=_number(credentials, "max_event_age_seconds", 300.0),
            max_body_bytes=int(_number(credentials, "max_body_bytes", 64 * 1024)),
            text_limit=int(_number(credentials, "text_limit", 2000)),
            send_timeout_seconds=_number(credentials, "send_timeout_seconds", 10.0),
            follow_payload=str(credentials.get("follow_payload", "/greet") or ""),
            deletion_events=tuple(e for e in events if e),
            db_url=str(credentials["database_url"]) if credentials.get("database_url") else None,
        )

    @property
    def missing(self) -> list[str]:
        """Required settings that are not set (names only)."""
        required = ("app_id", "app_secret_key", "oa_secret_key")
        return [key for key in required if not getattr(self, key)]

    @property
    def secrets(self) -> list[str]:
        return [getattr(self, key) for key in SECRET_KEYS if getattr(self, key)]


def read_credentials_block(path: str | Path | None = None) -> dict[str, Any]:
    """The Zalo block of a Rasa credentials file, ``${VAR}`` expanded (for the reminders CLI)."""
    import yaml

    path = Path(path or config.PROJECT_ROOT / "credentials.yml")
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    block = data.get(CREDENTIALS_KEY) or {}
    return {k: os.path.expandvars(v) if isinstance(v, str) else v for k, v in block.items()}


class SecretRedactor(logging.Filter):
    """Masks registered secrets in log records (message, arguments and exception text)."""

    MASK = "***"

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, *secrets: str) -> None:
        # Very short values would mask ordinary words; real Zalo secrets are long.
        self._secrets.update(s for s in secrets if s and len(s) >= 6)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, self.MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not break logging
            message = str(record.msg)
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


redactor = SecretRedactor()


def protect_secrets(settings: ZaloSettings) -> None:
    """Register the settings' secrets with the redactor on every logger that might see them."""
    redactor.add(*settings.secrets)
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if redactor not in logger.filters:
            logger.addFilter(redactor)
