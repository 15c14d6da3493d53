"""Security headers for the public page, the widget assets and the calendar files.

The Content-Security-Policy allows scripts and styles from this app only (the page has no inline
script or style) and lets the widget open connections to this app and to Rasa's socket.io
channel. The mounted staff app (``/admin``) builds its own pages, so it only gets the headers
that cannot break a page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Headers safe for every response, including the staff app's.
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def rasa_origins(rasa_url: str) -> list[str]:
    """The HTTP and WebSocket origins of Rasa as the browser reaches it.

    >>> rasa_origins("http://localhost:5005/")
    ['http://localhost:5005', 'ws://localhost:5005']
    """
    parts = urlsplit(rasa_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"PUBLIC_RASA_URL must be an http(s) URL, got {rasa_url!r}")
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    return [f"{parts.scheme}://{parts.netloc}", f"{ws_scheme}://{parts.netloc}"]


def content_security_policy(rasa_url: str) -> str:
    """CSP for pages of this app: only our own assets, and connections to us and to Rasa."""
    connect = " ".join(["'self'", *rasa_origins(rasa_url)])
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        f"connect-src {connect}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
    return "; ".join(directives)


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response (CSP except under ``skip_csp_prefix``)."""

    def __init__(self, app: ASGIApp, rasa_url: str, skip_csp_prefix: str = "/admin") -> None:
        self.app = app
        self.csp = content_security_policy(rasa_url)
        self.skip_csp_prefix = skip_csp_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        with_csp = not (path == self.skip_csp_prefix or path.startswith(self.skip_csp_prefix + "/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASE_HEADERS.items():
                    headers.setdefault(name, value)
                if with_csp:
                    headers.setdefault("Content-Security-Policy", self.csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)
