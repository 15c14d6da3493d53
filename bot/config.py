"""Settings from environment variables, in one place.

Every service (Rasa components, the action server, the web/staff app, the CLI) reads its settings
here, so the defaults below are the single source of truth. Secrets never have defaults.
"""

from __future__ import annotations

import os
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


def secret(name: str) -> str | None:
    """A secret from the environment; None when unset. Never logged, never defaulted."""
    value = os.environ.get(name)
    return value or None
