"""The port-8000 web app: a mock of the Cà Mau portal page with the chat widget.

Routes:
    ``/``                        the portal mock page, with the widget embedded
    ``/static/...``              widget script and styles, vendored socket.io client
    ``/calendar/{event_id}.ics`` an event as an iCalendar file (from ``bot.events.ics``)
    ``/healthz``                 liveness probe
    ``/admin``                   the staff workspace (``bot.staff.app``), when it is installed

Run it with ``python -m bot.web`` or
``uvicorn --factory bot.web.app:create_web_app --port 8000``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import cache
from os import PathLike
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Scope

from bot import config
from bot.web.calendar import CalendarLoader, calendar_endpoint, make_event_loader
from bot.web.security import SecurityHeadersMiddleware

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"
SOCKET_IO_CLIENT = "vendor/socket.io-4.8.3.min.js"
STAFF_PREFIX = "/admin"

# Versioned vendor files never change under the same name; our own assets carry ?v=<hash>
# in the page but may be linked without it from a real portal, so they are cached briefly.
VENDOR_CACHE = "public, max-age=31536000, immutable"
ASSET_CACHE = "public, max-age=3600"

ERROR_TEXTS = {
    404: "Không tìm thấy trang bạn yêu cầu.",
    405: "Yêu cầu không được hỗ trợ.",
    500: "Đã có lỗi xảy ra. Bạn vui lòng thử lại sau.",
}


class CachedStaticFiles(StaticFiles):
    """Static files with Cache-Control (Starlette already adds ETag and Last-Modified)."""

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        is_vendor = Path(full_path).parent.name == "vendor"
        response.headers["Cache-Control"] = VENDOR_CACHE if is_vendor else ASSET_CACHE
        return response


@cache
def asset_version(relative_path: str) -> str:
    """Short content hash of a static file, appended to its URL so a new release is fetched."""
    digest = hashlib.sha256((STATIC_DIR / relative_path).read_bytes()).hexdigest()
    return digest[:12]


def _staff_mount(database_url: str | None) -> Mount | None:
    """The staff workspace under /admin, or None when ``bot.staff.app`` is absent or broken.

    A broken staff app must not take the public page down with it, so its errors are logged
    loudly and the page is served without /admin.
    """
    try:
        from bot.staff.app import create_staff_app
    except ImportError as exc:
        if exc.name == "bot.staff.app":
            logger.info("staff workspace not installed; /admin is not served")
        else:
            logger.error("staff workspace failed to import; /admin is not served: %r", exc)
        return None
    try:
        staff_app = create_staff_app(database_url=database_url, base_url=STAFF_PREFIX)
    except Exception:
        logger.exception("staff workspace failed to start; /admin is not served")
        return None
    # sqladmin builds its links with url_for("admin:..."), so the mount must be named "admin".
    return Mount(STAFF_PREFIX, app=staff_app, name="admin")


async def _error_page(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 500:
        logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
    text = ERROR_TEXTS.get(status, ERROR_TEXTS[500] if status >= 500 else ERROR_TEXTS[404])
    return PlainTextResponse(text, status_code=status)


def create_web_app(
    public_rasa_url: str | None = None,
    socketio_path: str = "/socket.io/",
    calendar_loader: CalendarLoader | None = None,
    database_url: str | None = None,
    mount_staff: bool = True,
) -> Starlette:
    """Build the web app.

    Args:
        public_rasa_url: Rasa as the browser reaches it (default ``config.PUBLIC_RASA_URL``).
        socketio_path: path of Rasa's socket.io endpoint (``socketio_path`` in credentials.yml).
        calendar_loader: returns an event's iCalendar text by id (default: the bot database).
        database_url: bot database for the default calendar loader (default: ``DATABASE_URL``).
        mount_staff: mount ``bot.staff.app`` under ``/admin`` when it is installed.
    """
    rasa_url = public_rasa_url or os.environ.get("PUBLIC_RASA_URL") or config.PUBLIC_RASA_URL
    rasa_url = rasa_url.rstrip("/")
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

    async def portal_page(request: Request) -> Response:
        context = {
            "rasa_url": rasa_url,
            "socketio_path": socketio_path,
            "socket_io_client": SOCKET_IO_CLIENT,
            "widget_js_version": asset_version("widget.js"),
            "widget_css_version": asset_version("widget.css"),
            "portal_css_version": asset_version("portal.css"),
        }
        return templates.TemplateResponse(
            request, "portal.html", context, headers={"Cache-Control": "no-cache"}
        )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes: list[BaseRoute] = [
        Route("/", portal_page, name="portal"),
        Route("/healthz", healthz, name="healthz"),
        Route(
            "/calendar/{event_id}.ics",
            calendar_endpoint(calendar_loader or make_event_loader(database_url)),
            name="event_calendar",
        ),
        Mount("/static", app=CachedStaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    if mount_staff and (staff := _staff_mount(database_url)) is not None:
        routes.append(staff)

    return Starlette(
        routes=routes,
        middleware=[
            # Redirects are built from the Host header (sqladmin's url_for): only the
            # configured names may reach the app, so a forged Host is refused, not reflected.
            Middleware(TrustedHostMiddleware, allowed_hosts=list(config.allowed_hosts())),
            Middleware(SecurityHeadersMiddleware, rasa_url=rasa_url),
        ],
        exception_handlers={404: _error_page, 405: _error_page, 500: _error_page},
    )
