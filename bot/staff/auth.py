"""Signing staff in and out of the sqladmin workspace.

The middlewares run in this order for every request under /admin:
SessionMiddleware (signed cookie, idle expiry, SameSite=Strict) → StaffSessionMiddleware (who is
signed in, absolute expiry, revoked sessions) → CsrfMiddleware (token on every state change).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import anyio
from sqladmin.authentication import AuthenticationBackend
from sqlalchemy.orm import sessionmaker
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request

from bot.ratelimit import client_address
from bot.staff.accounts import verify_credentials
from bot.staff.security import (
    CSRF_SESSION_KEY,
    CsrfMiddleware,
    LoginThrottle,
    StaffSessionMiddleware,
)
from bot.staff.settings import StaffSettings

SESSION_COOKIE = "staff_session"


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""
    status_code: int = 200


class StaffAuthBackend(AuthenticationBackend):
    """sqladmin authentication backed by ``StaffUser`` rows (argon2id) with throttled sign-in."""

    def __init__(self, settings: StaffSettings, session_maker: sessionmaker, base_url: str) -> None:
        # Not calling super().__init__: it would add a default, non-expiring, Lax session cookie.
        self.settings = settings
        self.session_maker = session_maker
        self.throttle = LoginThrottle(settings.login_limit_per_account, settings.login_limit_per_ip)
        self.middlewares = [
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=settings.session_idle_seconds,
                same_site="strict",
                https_only=settings.cookie_secure,
            ),
            Middleware(
                StaffSessionMiddleware,
                session_maker=session_maker,
                max_seconds=settings.session_max_seconds,
            ),
            Middleware(
                CsrfMiddleware,
                max_body_bytes=settings.max_upload_bytes,
                login_path=f"{base_url}/login",
            ),
        ]

    async def attempt_login(self, request: Request) -> LoginResult:
        form = await request.form()
        username = str(form.get("username") or "")[:200]
        password = str(form.get("password") or "")[:1000]
        # The one rule for who the client is: X-Forwarded-For only from a configured proxy.
        ip = client_address(request.client.host if request.client else None,
                            request.headers.get("x-forwarded-for"))
        if self.throttle.is_blocked(ip, username):
            return LoginResult(
                False, "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.", 429
            )
        user_id, version = await anyio.to_thread.run_sync(self._check, username, password)
        if user_id is None:
            self.throttle.record_failure(ip, username)
            return LoginResult(False, "Tên đăng nhập hoặc mật khẩu không đúng.", 400)
        self.throttle.record_success(username)
        # A fresh session (and CSRF token) at sign-in: nothing planted before it carries over.
        request.session.clear()
        request.session.update(
            {"uid": user_id, "sv": version, "login_at": time.time(),
             CSRF_SESSION_KEY: secrets.token_urlsafe(32)}
        )
        return LoginResult(True)

    def _check(self, username: str, password: str) -> tuple[int | None, int | None]:
        with self.session_maker() as db:
            user = verify_credentials(db, username, password)
            if user is None:
                return None, None
            db.commit()
            return user.id, user.session_version

    async def login(self, request: Request) -> bool:
        return (await self.attempt_login(request)).ok

    async def logout(self, request: Request) -> bool:
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> bool:
        return getattr(request.state, "staff", None) is not None
