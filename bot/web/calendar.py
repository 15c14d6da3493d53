"""`/calendar/{event_id}.ics`: an event as an iCalendar file, for "add to my calendar" links.

The iCalendar text comes from the events capability (``bot.events.ics.event_to_ics``). It is
imported on first use so the page keeps working while that capability is absent or broken;
then the route answers a polite 404 instead of an error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

logger = logging.getLogger(__name__)

# Ids the events database can produce (integers, UUIDs, slugs); anything else is not looked up.
EVENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
NOT_FOUND_TEXT = "Không tìm thấy sự kiện này. Có thể sự kiện đã bị gỡ hoặc đường dẫn chưa đúng."
UNAVAILABLE_TEXT = "Lịch sự kiện tạm thời chưa tải được. Bạn vui lòng thử lại sau."

# Loads the iCalendar text of one event; None when there is no such event.
CalendarLoader = Callable[[str], "str | bytes | None"]


class EventsNotInstalledError(Exception):
    """The events capability (``bot.events.ics``, ``bot.events.models``) is not there yet."""


class CalendarUnavailableError(Exception):
    """The events database cannot be read right now."""


def make_event_loader(database_url: str | None = None) -> CalendarLoader:
    """A loader reading events from the bot database through ``bot.events``."""

    def load_event_ics(event_id: str) -> str | bytes | None:
        try:
            from bot.events.ics import event_to_ics
            from bot.events.models import Event
        except ImportError as exc:
            raise EventsNotInstalledError(str(exc)) from exc

        from bot.db import session_scope

        primary_key = next(iter(Event.__table__.primary_key.columns))
        try:
            key = primary_key.type.python_type(event_id)
        except (TypeError, ValueError, NotImplementedError):
            return None
        if isinstance(key, int) and (not 0 < key < 2**63 or str(key) != event_id):
            # No such row can exist (a database would refuse the number anyway), and one event
            # has one address: "007" or "1_000" (int() accepts both) are not ids.
            return None
        try:
            with session_scope(database_url) as session:
                event = session.get(Event, key)
                return None if event is None else event_to_ics(event)
        except Exception as exc:  # noqa: BLE001 - a database error must not reach the user
            raise CalendarUnavailableError(f"cannot read event: {exc.__class__.__name__}") from exc

    return load_event_ics


def calendar_endpoint(loader: CalendarLoader) -> Callable[[Request], object]:
    """The Starlette endpoint serving ``/calendar/{event_id}.ics`` with ``loader``."""

    async def event_calendar(request: Request) -> Response:
        event_id: str = request.path_params["event_id"]
        if not EVENT_ID_PATTERN.fullmatch(event_id):
            return PlainTextResponse(NOT_FOUND_TEXT, status_code=404)
        try:
            ics = await run_in_threadpool(loader, event_id)
        except EventsNotInstalledError as exc:
            logger.info("calendar files not available: %s", exc)
            return PlainTextResponse(NOT_FOUND_TEXT, status_code=404)
        except CalendarUnavailableError as exc:
            logger.warning("calendar file for an event not served: %s", exc)
            return PlainTextResponse(UNAVAILABLE_TEXT, status_code=503)
        if ics is None:
            return PlainTextResponse(NOT_FOUND_TEXT, status_code=404)
        body = ics.encode("utf-8") if isinstance(ics, str) else ics
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="su-kien-{event_id}.ics"',
                "Cache-Control": "no-cache",
            },
        )

    return event_calendar
