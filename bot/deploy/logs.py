"""One JSON object per log line, for log collectors (journald, Loki, CloudWatch, ...).

Used through ``deploy/logging.json.yml``, which every service accepts::

    rasa run --logging-config-file deploy/logging.json.yml ...
    rasa run actions --logging-config-file deploy/logging.json.yml ...
    uvicorn --log-config deploy/logging.json.yml ...

Each line carries ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``service`` (``SERVICE_NAME``
from the environment, e.g. ``rasa-1``), ``pid``, ``message`` and, for errors, ``exc``. Values
passed with ``extra={...}`` are kept. Rasa's own structured events (already JSON strings when
Rasa runs without a terminal) are merged in rather than nested as text.

What the services log is unchanged: no user text at INFO level, and our code never logs
names, phone numbers or e-mail addresses.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "color_message",
}


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON."""

    def __init__(self, service: str | None = None, **_: object) -> None:
        super().__init__()
        self.service = service or os.environ.get("SERVICE_NAME") or None

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if self.service:
            entry["service"] = self.service
        entry["pid"] = record.process
        message = record.getMessage()
        structured = _as_object(message)
        if structured is not None:
            # Rasa's structlog events: {"event": "...", "level": "...", ...}
            entry.update({k: v for k, v in structured.items() if k not in entry})
        else:
            entry["message"] = message
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _as_object(message: str) -> dict | None:
    if not (message.startswith("{") and message.endswith("}")):
        return None
    try:
        value = json.loads(message)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
