"""Load event YAML files into the database: the real seed and, only on request, the demo fixture.

``data/events/real.yml`` holds only real, sourced events and is what the default database gets.
``tests/fixtures/demo_events.yml`` holds invented events marked ``sample: true``; they load only
with ``allow_sample=True`` (tests and ``make demo``, which uses its own database file).

CLI (the lead wires ``python -m bot seed``/``make demo`` to these)::

    python -m bot.events.loader                      # real seed into DATABASE_URL
    python -m bot.events.loader --demo               # real + demo into var/demo.sqlite3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT, VAR_DIR
from bot.events.store import WriteReport, store_record

REAL_SEED = PROJECT_ROOT / "data" / "events" / "real.yml"
DEMO_FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "demo_events.yml"


def demo_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'demo.sqlite3'}"


def load_events(session: Session, path: str | Path, *, allow_sample: bool = False) -> WriteReport:
    """Create or update the events of a YAML file (idempotent: same ``key`` → same row).

    Args:
        session: open session; the caller commits.
        path: YAML file with a top-level ``events:`` list.
        allow_sample: accept records marked ``sample: true`` (demo/test databases only).
    """
    path = Path(path)
    report = WriteReport()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    seen: set[str] = set()
    for index, raw in enumerate(data.get("events") or [], start=1):
        key = raw.get("key", "?") if isinstance(raw, dict) else "?"
        label = f"sự kiện #{index} ({key})"
        if not isinstance(raw, dict):
            report.errors.append(f"{label}: không phải một bản ghi")
            continue
        store_record(session, report, label, raw, changed_by=f"seed:{path.name}", seen=seen,
                     allow_sample=allow_sample)
    return report


def seed_database(url: str | None = None, *, demo: bool = False) -> list[WriteReport]:
    """Migrate ``url`` and load the real seed (plus the demo fixture when ``demo``)."""
    from bot import config
    from bot.db import session_scope
    from bot.db.migrate import upgrade

    if demo and (url or config.database_url()) == config.database_url():
        # Citizens must never see an invented event as real: demo data needs its own database.
        raise ValueError("demo events go into their own database, not DATABASE_URL")
    upgrade(url)
    reports = []
    with session_scope(url) as session:
        reports.append(load_events(session, REAL_SEED))
        if demo:
            reports.append(load_events(session, DEMO_FIXTURE, allow_sample=True))
    return reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Nạp dữ liệu sự kiện")
    parser.add_argument("--demo", action="store_true",
                        help="thêm sự kiện mẫu vào cơ sở dữ liệu demo riêng (var/demo.sqlite3)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    url = args.database_url or (demo_database_url() if args.demo else None)
    reports = seed_database(url, demo=args.demo)
    for name, report in zip(("real.yml", "demo_events.yml"), reports, strict=False):
        print(f"{name}: {report}")
    return 1 if any(r.errors for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
