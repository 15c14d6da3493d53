"""The staff workspace as an ASGI app, mounted by the web app at ``/admin``.

>>> from starlette.routing import Mount
>>> routes = [Mount("/admin", app=create_staff_app(), name="admin")]  # doctest: +SKIP

The mount must be named "admin" (sqladmin builds its links with ``url_for("admin:…")``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqladmin import Admin
from sqlalchemy.orm import sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bot.db import get_engine
from bot.db.models import load_all_models
from bot.staff.auth import StaffAuthBackend
from bot.staff.security import csrf_token, current_role
from bot.staff.settings import StaffSettings, tracker_store_url
from bot.staff.views.ui import action_label, local_time, pop_flashes, role_label

STAFF_DIR = Path(__file__).resolve().parent
TITLE = "Trợ lý ASEAN Cà Mau · Cán bộ"


class StaffAdmin(Admin):
    """sqladmin with Vietnamese sign-in messages, throttling and the dashboard as home page."""

    staff_settings: StaffSettings

    async def index(self, request: Request) -> Response:
        if getattr(request.state, "staff", None) is None:
            return RedirectResponse(request.url_for("admin:login"), status_code=302)
        return RedirectResponse(request.url_for("admin:dashboard"), status_code=302)

    async def ajax_lookup(self, request: Request) -> Response:
        """sqladmin serves this route without its login check: add it."""
        if getattr(request.state, "staff", None) is None:
            return Response("Cần đăng nhập.", status_code=401)
        return await super().ajax_lookup(request)

    async def login(self, request: Request) -> Response:
        backend = self.authentication_backend
        assert isinstance(backend, StaffAuthBackend)
        if request.method != "POST":  # GET and HEAD show the form; only a POST signs in
            if getattr(request.state, "staff", None) is not None:
                return RedirectResponse(request.url_for("admin:index"), status_code=302)
            return await self.templates.TemplateResponse(request, "sqladmin/login.html")
        result = await backend.attempt_login(request)
        if result.ok:
            return RedirectResponse(request.url_for("admin:index"), status_code=302)
        form = await request.form()
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/login.html",
            {"error": result.message, "username": str(form.get("username") or "")[:80]},
            status_code=result.status_code,
        )


def create_staff_app(
    database_url: str | None = None,
    settings: StaffSettings | None = None,
    base_url: str = "/admin",
) -> Starlette:
    """Build the workspace. Returns the ASGI app to mount at ``base_url`` under the name "admin".

    Args:
        database_url: the bot's database (default: ``DATABASE_URL``).
        settings: security settings (default: from the environment).
        base_url: where the web app mounts it.
    """
    load_all_models()
    settings = settings or StaffSettings()
    settings.database_url = database_url or settings.database_url
    if settings.tracker_url is None:
        settings.tracker_url = tracker_store_url()
    engine = get_engine(settings.database_url)
    # Our own sessionmaker: sqladmin reconfigures the one it is given (autoflush off).
    session_maker = sessionmaker(bind=engine, future=True, expire_on_commit=False)
    auth = StaffAuthBackend(settings, session_maker, base_url)
    admin = StaffAdmin(
        Starlette(),
        session_maker=session_maker,
        base_url=base_url,
        title=TITLE,
        templates_dir=str(STAFF_DIR / "templates"),
        authentication_backend=auth,
    )
    admin.staff_settings = settings
    admin.admin.router.routes.append(
        Mount("/staff-static", app=StaticFiles(directory=STAFF_DIR / "static"), name="staff-static")
    )
    admin.templates.env.globals.update(
        csrf_token=csrf_token,
        role_label=role_label,
        action_label=action_label,
        local_time=local_time,
        pop_flashes=pop_flashes,
        current_role=current_role,
        revision_diff=_revision_diff,
    )
    for view in _views():
        admin.add_view(view)
        # sqladmin names a page after its last exposed route; the menu must link to the page.
        if getattr(view, "home_identity", None):
            view.identity = view.home_identity
    return admin.admin


def _revision_diff(revision: Any) -> Any:
    from bot.staff.views.revisions import revision_diff

    return revision_diff(revision)


def _views() -> list[type]:
    """Pages in menu order; a capability that is not installed simply has no page."""
    from bot.staff.views.dashboard import DashboardView
    from bot.staff.views.revisions import RevisionView
    from bot.staff.views.transfer import TransferView
    from bot.staff.views.users import StaffUserView

    views: list[type] = [DashboardView]
    try:
        from bot.staff.views.faq import FaqEntryView
        from bot.staff.views.inbox import InboxView, UnansweredQuestionView

        views += [FaqEntryView, InboxView]
    except ImportError:
        UnansweredQuestionView = None  # noqa: N806
    try:
        from bot.staff.views.events import EventView, RegistrationView

        views += [EventView, RegistrationView]
    except ImportError:
        pass
    views += [TransferView, RevisionView]
    if UnansweredQuestionView is not None:
        views.append(UnansweredQuestionView)
    views.append(StaffUserView)
    return views


def standalone_app(database_url: str | None = None, settings: StaffSettings | None = None
                   ) -> Starlette:
    """The workspace alone, mounted at /admin (tests, and ``uvicorn`` before the web app)."""
    staff = create_staff_app(database_url, settings)
    app = Starlette(routes=[Mount("/admin", app=staff, name="admin")])

    async def root(request: Request) -> Response:
        return RedirectResponse("/admin/", status_code=302)

    app.add_route("/", root)
    return app
