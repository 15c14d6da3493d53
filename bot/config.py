"""Settings from environment variables, in one place.

Every service (Rasa components, the action server, the web/staff app, the CLI) reads its settings
here, so the defaults below are the single source of truth. Secrets never have defaults.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BOT_VAR_DIR", PROJECT_ROOT / "var"))
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def database_url() -> str:
    """SQLAlchemy URL of the bot's own database (FAQ, events, registrations, staff)."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'bot.sqlite3'}"


RASA_PORT = _int("RASA_PORT", 5005)
ACTION_PORT = _int("ACTION_PORT", 5055)
WEB_PORT = _int("WEB_PORT", 8000)
# Where citizens' browsers reach the web app (calendar links in chat replies).
PUBLIC_WEB_URL = os.environ.get("PUBLIC_WEB_URL", f"http://localhost:{WEB_PORT}")
# Where the web page's widget finds Rasa's socket.io channel (as the browser sees it).
PUBLIC_RASA_URL = os.environ.get("PUBLIC_RASA_URL", f"http://localhost:{RASA_PORT}")
# Origins allowed to call Rasa from a browser: the provincial portal(s). Comma-separated.
CORS_ORIGINS = os.environ.get("CORS_ORIGINS", f"http://localhost:{WEB_PORT},http://127.0.0.1:{WEB_PORT}")

# Offices the bot hands people over to. Kept here (and in data/knowledge) rather than in code paths.
OFFICE_TRADE = "Sở Công Thương tỉnh Cà Mau"
OFFICE_FOREIGN_AFFAIRS = "Văn phòng UBND tỉnh Cà Mau (công tác đối ngoại)"


def tracker_store_url() -> str:
    """Rasa's tracker store as an SQLAlchemy URL: the one rule every reader of it follows.

    ``TRACKER_STORE_URL`` (production, PostgreSQL) wins; otherwise the SQLite file that
    endpoints.yml gives Rasa, ``TRACKER_DB`` (default ``var/tracker.sqlite3``).
    """
    url = os.environ.get("TRACKER_STORE_URL")
    if url:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            relative = url[len("sqlite:///"):]
            if relative and relative != ":memory:":
                return f"sqlite:///{PROJECT_ROOT / relative}"
        return url
    path = Path(os.environ.get("TRACKER_DB") or VAR_DIR / "tracker.sqlite3")
    return f"sqlite:///{path if path.is_absolute() else PROJECT_ROOT / path}"


# --- limits at the channel edge (bot/channels/inbound.py, bot/ratelimit.py); read at call time ---


def max_message_chars() -> int:
    """Longest message text the bot reads; longer ones get a polite "too long" reply."""
    return _int("MAX_MESSAGE_CHARS", 4000)


def max_sender_chars() -> int:
    """Longest conversation id a channel accepts (Rasa's column holds 255)."""
    return _int("MAX_SENDER_CHARS", 128)


def max_metadata_bytes() -> int:
    """Largest client metadata object, as UTF-8 JSON."""
    return _int("MAX_METADATA_BYTES", 4096)


def rate_limit_per_sender() -> str:
    """Messages one conversation may send (``limits`` notation)."""
    return os.environ.get("RATE_LIMIT_PER_SENDER", "30/minute")


def rate_limit_per_address() -> str:
    """Messages one client address may send, all its conversations together."""
    return os.environ.get("RATE_LIMIT_PER_ADDRESS", "120/minute")


def rate_limit_storage_url() -> str:
    """Where counters live: ``memory://`` on one machine, ``redis://…`` when servers share them."""
    return os.environ.get("RATE_LIMIT_STORAGE_URL", "memory://")


def trusted_proxies() -> frozenset[str]:
    """Peer addresses whose X-Forwarded-For is believed (nginx in production); none by default."""
    raw = os.environ.get("TRUSTED_PROXIES", "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def allowed_hosts() -> tuple[str, ...]:
    """Host names the web app answers to: the public one, loopback, and ``ALLOWED_HOSTS``."""
    from urllib.parse import urlsplit

    public = urlsplit(os.environ.get("PUBLIC_WEB_URL", PUBLIC_WEB_URL)).hostname or "localhost"
    extra = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    return tuple(dict.fromkeys([public, "localhost", "127.0.0.1", *extra]))


# --- the internal servers --------------------------------------------------------------------


def action_server_secret() -> str | None:
    """Shared secret the Rasa server sends to the action server (header X-Action-Secret)."""
    return secret("ACTION_SERVER_SECRET")


def action_server_host() -> str:
    """Interface the action server listens on: loopback unless production says otherwise."""
    return os.environ.get("ACTION_SERVER_HOST", "127.0.0.1")


def rasa_server_host() -> str:
    """Interface the Rasa server listens on: loopback; nginx in front in production."""
    return os.environ.get("RASA_SERVER_HOST", "127.0.0.1")


_PROCESS_SESSION_SECRET = secrets.token_hex(32)


def socketio_session_secret() -> str:
    """Key that signs the widget's conversation ids. Every Rasa server of one deployment must
    share it (set ``SOCKETIO_SESSION_SECRET``); unset, a per-process key is used, and a browser
    gets a new conversation after a restart."""
    return secret("SOCKETIO_SESSION_SECRET") or _PROCESS_SESSION_SECRET


def secret(name: str) -> str | None:
    """A secret from the environment; None when unset. Never logged, never defaulted."""
    value = os.environ.get(name)
    return value or None
