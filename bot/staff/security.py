"""Sign-in throttling, the per-request staff identity and CSRF protection.

CSRF, in two layers:
1. The session cookie is ``SameSite=Strict``: browsers do not send it with any request started by
   another site (form posts, images, links), so a forged request arrives signed-out.
2. Every state-changing request (POST/PUT/PATCH/DELETE) must also carry the session's random token,
   as the ``csrf_token`` form field (our templates add it to every form) or the ``X-CSRF-Token``
   header (sqladmin's delete button uses AJAX; ``base.html`` adds the header). This holds even for a
   browser that ignores SameSite. sqladmin's GET "actions" never change anything here: they lead to
   a confirmation page whose form is POSTed with the token.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot import config
from bot.staff.accounts import StaffIdentity, identity_of, normalize_username
from bot.staff.models import StaffUser

CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_current_staff: ContextVar[StaffIdentity | None] = ContextVar("current_staff", default=None)


def current_staff() -> StaffIdentity | None:
    """The account behind the request being handled (None outside a signed-in request)."""
    return _current_staff.get()


def current_role() -> str | None:
    staff = _current_staff.get()
    return staff.role if staff else None


def set_current_staff(staff: StaffIdentity | None) -> Any:
    """Bind an identity to the running context (the CLI and tests use it); returns a reset token."""
    return _current_staff.set(staff)


def reset_current_staff(token: Any) -> None:
    _current_staff.reset(token)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (templates call this)."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = token
    return token


class LoginThrottle:
    """Counts failed sign-ins in a moving window, per account and per client address.

    Only failures count, so a person who types the right password is never slowed down; once a
    limit is reached, further attempts are refused without even checking the password.
    Counters live where RATE_LIMIT_STORAGE_URL says: memory for one web process, Redis when
    several serve the workspace.
    """

    def __init__(self, per_account: str, per_ip: str) -> None:
        # limits keeps only a weak reference to its storage: hold the strong one here. Shared
        # (Redis) when several web processes serve the workspace: RATE_LIMIT_STORAGE_URL.
        self._storage = storage_from_string(config.rate_limit_storage_url())
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._per_account = parse(per_account)
        self._per_ip = parse(per_ip)

    def is_blocked(self, ip: str, username: str) -> bool:
        account = normalize_username(username)
        return not (
            self._limiter.test(self._per_ip, "staff-login-ip", ip)
            and self._limiter.test(self._per_account, "staff-login-account", account)
        )

    def record_failure(self, ip: str, username: str) -> None:
        self._limiter.hit(self._per_ip, "staff-login-ip", ip)
        self._limiter.hit(self._per_account, "staff-login-account", normalize_username(username))

    def record_success(self, username: str) -> None:
        self._limiter.clear(self._per_account, "staff-login-account", normalize_username(username))


class StaffSessionMiddleware:
    """Resolves the signed-in account from the session cookie for every request.

    Runs inside Starlette's SessionMiddleware. The account is re-read from the database each time,
    so a deactivation, a role change or a password reset (``session_version``) takes effect on the
    next click; a sign-in older than ``max_seconds`` is ended whatever the activity.
    """

    def __init__(self, app: ASGIApp, session_maker: sessionmaker, max_seconds: int) -> None:
        self.app = app
        self.session_maker = session_maker
        self.max_seconds = max_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "/statics/" in scope["path"]:
            await self.app(scope, receive, send)
            return
        staff = self._resolve(scope["session"])
        scope.setdefault("state", {})["staff"] = staff
        token = _current_staff.set(staff)
        try:
            await self.app(scope, receive, send)
        finally:
            _current_staff.reset(token)

    def _resolve(self, session: dict[str, Any]) -> StaffIdentity | None:
        user_id = session.get("uid")
        if user_id is None:
            return None
        if time.time() - float(session.get("login_at", 0)) > self.max_seconds:
            _end_sign_in(session)
            return None
        with self.session_maker() as db:
            user = db.execute(select(StaffUser).where(StaffUser.id == user_id)).scalar_one_or_none()
            if user is None or not user.is_active or user.session_version != session.get("sv"):
                _end_sign_in(session)
                return None
            return identity_of(user)


def _end_sign_in(session: dict[str, Any]) -> None:
    for key in ("uid", "sv", "login_at"):
        session.pop(key, None)


_CSRF_REJECTION = """<!doctype html><html lang="vi"><meta charset="utf-8">
<title>Phiên làm việc không hợp lệ</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>Không thể thực hiện yêu cầu</h1>
<p>Biểu mẫu đã hết hạn hoặc không được gửi từ trang làm việc của cán bộ.
Vui lòng quay lại, tải lại trang rồi thử lại.</p>
<p><a href="{login}">Về trang đăng nhập</a></p></body></html>"""


class CsrfMiddleware:
    """Refuses state-changing requests that lack the session's CSRF token (see module doc)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, login_path: str = "/admin/login") -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.login_path = login_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        expected = scope["session"].get(CSRF_SESSION_KEY)
        supplied = Headers(scope=scope).get(CSRF_HEADER)
        if supplied is None:
            messages, body = await _read_body(receive, self.max_body_bytes)
            if body is None:
                await _reject(scope, receive, send, 413, "Tệp gửi lên quá lớn.")
                return
            receive = _replay(messages, receive)
            supplied = await _form_token(scope, messages)
        if not expected or not supplied or not hmac.compare_digest(str(expected), str(supplied)):
            html = _CSRF_REJECTION.format(login=self.login_path)
            await HTMLResponse(html, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive, limit: int) -> tuple[list[dict[str, Any]], bytes | None]:
    messages: list[dict[str, Any]] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            break
    return messages, b"".join(m.get("body", b"") for m in messages)


def _replay(messages: list[dict[str, Any]], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _form_token(scope: Scope, messages: list[dict[str, Any]]) -> str | None:
    content_type = Headers(scope=scope).get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    request = Request(scope, receive=_replay(messages, _no_more_body))
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - a malformed body simply carries no valid token
        return None
    try:
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


async def _no_more_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _reject(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    html = f'<!doctype html><html lang="vi"><meta charset="utf-8"><p>{text}</p></html>'
    await HTMLResponse(html, status_code=status)(scope, receive, send)
