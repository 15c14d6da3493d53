"""A small client for the Zalo Official Account Open API: send a message, refresh the token.

Only what the bot needs, with the failure handling Zalo requires:

* ``POST {api_base}/v3.0/oa/message/cs`` (header ``access_token``) sends a customer-service
  message. Zalo answers HTTP 200 with ``{"error": 0, ...}`` or a negative error code.
* On error -216 (invalid access token) or -220 (expired) the client refreshes the token once and
  retries: ``POST {oauth_base}/v4/oa/access_token`` with header ``secret_key`` (the app secret)
  and form ``refresh_token``, ``app_id``, ``grant_type=refresh_token``. The refresh token is
  single use, so the new pair is stored (``TokenStore.rotate``) before it is used.
* Rate-limit errors, HTTP 429/5xx and timeouts are retried a bounded number of times with
  exponential back-off; other errors are raised as ``ZaloApiError`` at once.

Secrets (app secret, tokens) never appear in logs or exception messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.channels.zalo_settings import redactor
from bot.channels.zalo_stores import TokenPair, TokenStore
from bot.db import utcnow

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://openapi.zalo.me"
DEFAULT_OAUTH_BASE = "https://oauth.zaloapp.com"
SEND_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"

TOKEN_ERRORS = frozenset({-216, -220})  # access token invalid / expired
RATE_LIMIT_ERRORS = frozenset({-32})  # "Your application reached limit call api"
# Refresh a little before the stored expiry so a send rarely meets an expired token.
EXPIRY_MARGIN_SECONDS = 120


class ZaloApiError(Exception):
    """Zalo refused a call. ``code`` is Zalo's error code (or the HTTP status when not JSON)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo error {code}: {message}")
        self.code = code
        self.message = message


class ZaloAuthError(ZaloApiError):
    """The token pair cannot be refreshed: an administrator must authorise the app again."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries for transient failures (timeouts, HTTP 429/5xx, rate-limit codes)."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * (2**attempt))


class _TransientError(Exception):
    """A failure worth retrying; carries what to raise when retries run out."""

    def __init__(self, error: ZaloApiError) -> None:
        super().__init__(str(error))
        self.error = error


class ZaloClient:
    """Sends OA messages with a self-refreshing token pair stored in the database."""

    def __init__(
        self,
        app_id: str,
        app_secret_key: str,
        token_store: TokenStore,
        api_base: str = DEFAULT_API_BASE,
        oauth_base: str = DEFAULT_OAUTH_BASE,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.app_id = app_id
        self._app_secret_key = app_secret_key
        self.tokens = token_store
        self.api_base = api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
        self._refresh_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"<ZaloClient app={self.app_id} api={self.api_base}>"

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- sending -----------------------------------------------------------------------------

    async def send_text(self, user_id: str, text: str) -> dict[str, Any]:
        return await self.send_message(user_id, {"text": text})

    async def send_message(self, user_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Send one customer-service message; returns Zalo's ``data`` object."""
        body = {"recipient": {"user_id": str(user_id)}, "message": message}
        pair = await self._current_tokens()
        try:
            return await self._post_message(body, pair.access_token)
        except ZaloApiError as error:
            if error.code not in TOKEN_ERRORS:
                raise
            logger.info("Zalo access token rejected (%s); refreshing once", error.code)
        pair = await self.refresh(failed_access_token=pair.access_token)
        return await self._post_message(body, pair.access_token)

    async def _post_message(self, body: dict[str, Any], access_token: str) -> dict[str, Any]:
        async def call() -> dict[str, Any]:
            response = await self._http.post(
                f"{self.api_base}{SEND_PATH}", json=body, headers={"access_token": access_token}
            )
            data = _json_or_error(response)
            code = _error_code(data)
            if code in RATE_LIMIT_ERRORS:
                raise _TransientError(ZaloApiError(code, str(data.get("message", "rate limited"))))
            if code != 0:
                raise ZaloApiError(code, str(data.get("message", "")))
            return data.get("data") or {}

        return await self._with_retries(call, "send")

    # -- tokens ------------------------------------------------------------------------------

    async def _current_tokens(self) -> TokenPair:
        pair = await asyncio.to_thread(self.tokens.load)
        if pair is None:
            raise ZaloAuthError(0, "no Zalo token stored: seed it from the credentials first")
        if not pair.access_token or pair.expires_within(EXPIRY_MARGIN_SECONDS):
            return await self.refresh(failed_access_token=pair.access_token)
        return pair

    async def refresh(self, failed_access_token: str | None = None) -> TokenPair:
        """Get a new pair with the stored refresh token and store it before returning it.

        Concurrent callers share one refresh: whoever waited on the lock and finds a different
        access token than the one that failed uses it instead of spending the refresh token again.
        """
        async with self._refresh_lock:
            stored = await asyncio.to_thread(self.tokens.load)
            if stored is None:
                raise ZaloAuthError(0, "no Zalo refresh token stored")
            if (
                failed_access_token is not None
                and stored.access_token
                and stored.access_token != failed_access_token
                and not stored.expires_within(EXPIRY_MARGIN_SECONDS)
            ):
                return stored
            new = await self._request_new_pair(stored.refresh_token)
            if not await asyncio.to_thread(self.tokens.rotate, stored.refresh_token, new):
                # Another process rotated meanwhile; its pair is the current one.
                current = await asyncio.to_thread(self.tokens.load)
                if current is not None:
                    return current
            logger.info("Zalo token pair refreshed and stored")
            return new

    async def _request_new_pair(self, refresh_token: str) -> TokenPair:
        async def call() -> TokenPair:
            response = await self._http.post(
                f"{self.oauth_base}{REFRESH_PATH}",
                data={
                    "refresh_token": refresh_token,
                    "app_id": self.app_id,
                    "grant_type": "refresh_token",
                },
                headers={"secret_key": self._app_secret_key},
            )
            data = _json_or_error(response)
            if data.get("access_token") and data.get("refresh_token"):
                redactor.add(str(data["access_token"]), str(data["refresh_token"]))
                return TokenPair(
                    str(data["access_token"]),
                    str(data["refresh_token"]),
                    _expiry(data.get("expires_in")),
                )
            code = _error_code(data) or -1
            reason = str(data.get("error_name") or data.get("message") or "no token in answer")
            if code in RATE_LIMIT_ERRORS:
                raise _TransientError(ZaloApiError(code, reason))
            logger.error(
                "Zalo refused to refresh the OA token (%s %s): an administrator must "
                "authorise the app again and update the credentials",
                code,
                reason,
            )
            raise ZaloAuthError(code, reason)

        return await self._with_retries(call, "refresh")

    # -- retries -----------------------------------------------------------------------------

    async def _with_retries(self, call: Callable[[], Awaitable[Any]], what: str) -> Any:
        last: ZaloApiError | None = None
        for attempt in range(self.retry.attempts):
            if attempt:
                delay = self.retry.delay(attempt - 1)
                logger.warning("Zalo %s failed (%s); retry %d in %.1fs", what, last, attempt, delay)
                await self._sleep(delay)
            try:
                return await call()
            except _TransientError as transient:
                last = transient.error
            except httpx.TimeoutException:
                last = ZaloApiError(-1, "timeout")
            except httpx.TransportError as error:
                last = ZaloApiError(-1, f"connection failed ({error.__class__.__name__})")
        assert last is not None
        raise last


def _json_or_error(response: httpx.Response) -> dict[str, Any]:
    """The JSON answer; HTTP 429/5xx are transient, other non-JSON answers are errors."""
    if response.status_code == 429 or response.status_code >= 500:
        raise _TransientError(ZaloApiError(response.status_code, f"HTTP {response.status_code}"))
    try:
        data = response.json()
    except ValueError as error:
        raise ZaloApiError(response.status_code, "answer is not JSON") from error
    if not isinstance(data, dict):
        raise ZaloApiError(response.status_code, "answer is not a JSON object")
    return data


def _error_code(data: dict[str, Any]) -> int:
    try:
        return int(data.get("error", 0) or 0)
    except (TypeError, ValueError):
        return -1


def _expiry(expires_in: Any) -> dt.datetime | None:
    """Zalo sends ``expires_in`` in seconds, as a string."""
    try:
        seconds = int(expires_in)
    except (TypeError, ValueError):
        return None
    return utcnow() + dt.timedelta(seconds=seconds)
