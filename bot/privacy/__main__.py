"""Operator commands for the tracker store's personal data.

    python -m bot.privacy sweep            # scrub forms left unfinished in idle conversations
    python -m bot.privacy redact-history   # redact conversations stored before the redacting store

The tracker database is ``--url`` or ``TRACKER_STORE_URL`` (a SQLAlchemy URL), else
``TRACKER_DB`` (a SQLite file), else ``var/tracker.sqlite3``. Prints counts, never content.
"""

from __future__ import annotations

import argparse
import os
import sys

from bot import config


def tracker_url(explicit: str | None = None) -> str:
    """The tracker store's SQLAlchemy URL, resolved as the module docstring says."""
    return explicit or config.tracker_store_url()


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    parser = argparse.ArgumentParser(prog="python -m bot.privacy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("sweep", "redact-history"))
    parser.add_argument("--url", help="tracker store SQLAlchemy URL (default: see above)")
    parser.add_argument("--domain", default=str(config.PROJECT_ROOT / "domain"),
                        help="Rasa domain (its session expiry sets the idle time)")
    args = parser.parse_args(argv)

    from rasa.shared.core.domain import Domain

    from bot.privacy.tracker_store import RedactingSQLTrackerStore

    store = RedactingSQLTrackerStore(
        domain=Domain.load(args.domain), host=tracker_url(args.url),
        personal_data_sweep_minutes=0,
    )
    if args.command == "sweep":
        changed = store.scrub_idle_forms()
        print(f"Đã ẩn {changed} giá trị đăng ký trong các hội thoại bỏ dở.")
    else:
        changed = store.redact_stored_conversations()
        print(f"Đã ẩn thông tin cá nhân trong {changed} sự kiện hội thoại đã lưu.")
    store.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
