"""Concurrent users replaying fixed conversations over Rasa's REST channel.

Shared by the benchmark (``bot.bench``) and the scale-out test (``tests/scale``). Each simulated
user plays conversations one after another, each under a new sender id, one turn at a time
(a user waits for the answer before typing the next message), like people using the widget.

With a ``RetryPolicy`` the client behaves like a careful widget: every message carries its own id
(``metadata.message_id``); on a connection error, a time-out or a 502/503/504 it waits and sends
the same message again with ``metadata.attempt`` counting up, so the retry-safe REST channel
(``bot.deploy.channel``) can answer a resend without recording it twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import config

CONVERSATIONS = config.PROJECT_ROOT / "tests" / "data" / "bench_conversations.yml"
RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class Turn:
    kind: str
    text: str
    plain: bool = False  # typed without Vietnamese marks


@dataclass(frozen=True)
class Conversation:
    name: str
    turns: tuple[Turn, ...]


def load_conversations(path: Path = CONVERSATIONS) -> list[Conversation]:
    """The fixed conversations of ``tests/data/bench_conversations.yml``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    kinds = set(data["kinds"])
    conversations = []
    for raw in data["conversations"]:
        turns = tuple(Turn(t["kind"], str(t["text"]), bool(t.get("plain", False)))
                      for t in raw["turns"])
        unknown = {t.kind for t in turns} - kinds
        if unknown:
            raise ValueError(f"{raw['name']}: unknown kinds {sorted(unknown)}")
        conversations.append(Conversation(raw["name"], turns))
    return conversations


@dataclass(frozen=True)
class RetryPolicy:
    """How a client resends: ``attempts`` in all, waiting ``backoff`` × 2ⁿ between them."""

    attempts: int = 1
    backoff: float = 0.5
    max_backoff: float = 8.0
    timeout: float = 60.0
    message_ids: bool = True  # send metadata.message_id / attempt

    def delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1))


NO_RETRY = RetryPolicy(attempts=1, message_ids=False)


@dataclass
class TurnResult:
    """What one user message got: the answer (or the error) and how long the user waited."""

    conversation: str
    sender: str
    index: int
    kind: str
    plain: bool
    message_id: str
    started: float  # seconds since the load started
    latency: float  # until the answer, resends included
    attempts: int = 1
    status: int | None = None
    error: str | None = None  # "connection", "timeout", "HTTP 502", "no reply", "traceback"
    failed_attempts: list[str] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


async def send_turn(
    session: Any,  # noqa: ANN401 - aiohttp.ClientSession
    url: str,
    sender: str,
    text: str,
    retry: RetryPolicy,
) -> tuple[int | None, list[dict[str, Any]], str | None, int, list[str], str]:
    """POST one message, resending per ``retry``.

    Returns: status, replies, error, attempts, failed attempts' errors, message id.
    """
    import aiohttp

    message_id = uuid.uuid4().hex
    failures: list[str] = []
    status: int | None = None
    error: str | None = None
    replies: list[dict[str, Any]] = []
    for attempt in range(1, retry.attempts + 1):
        body: dict[str, Any] = {"sender": sender, "message": text}
        if retry.message_ids:
            body["metadata"] = {"message_id": message_id, "attempt": attempt}
        try:
            async with session.post(url, json=body,
                                    timeout=aiohttp.ClientTimeout(total=retry.timeout)) as resp:
                status = resp.status
                if status == 200:
                    replies = await resp.json(content_type=None)
                    error = None
                else:
                    await resp.read()
                    error = f"HTTP {status}"
        except TimeoutError:
            status, error = None, "timeout"
        except aiohttp.ClientError:
            status, error = None, "connection"
        if error is None or (error.startswith("HTTP") and status not in RETRY_STATUSES):
            break
        failures.append(error)
        if attempt < retry.attempts:
            await asyncio.sleep(retry.delay(attempt))
    if error is None:
        if not replies:
            error = "no reply"
        elif any("Traceback" in str(r.get("text", "")) for r in replies):
            error = "traceback"
    return status, replies, error, attempt, failures, message_id


async def run_users(
    url: str,
    conversations: Sequence[Conversation],
    users: int,
    *,
    duration: float | None = None,
    conversations_per_user: int | None = None,
    retry: RetryPolicy = NO_RETRY,
    results: list[TurnResult] | None = None,
    sender_prefix: str = "load",
    on_result: Callable[[TurnResult], None] | None = None,
) -> list[TurnResult]:
    """Let ``users`` users talk at the same time; returns every turn's result.

    Stops after ``duration`` seconds (turns in flight finish; no new turn starts) or after each
    user played ``conversations_per_user`` conversations, whichever comes first.
    """
    import aiohttp

    if duration is None and conversations_per_user is None:
        raise ValueError("give a duration or a number of conversations per user")
    webhook = f"{url.rstrip('/')}/webhooks/rest/webhook"
    results = [] if results is None else results
    start = time.monotonic()
    deadline = start + duration if duration is not None else float("inf")

    async def user(number: int, session: aiohttp.ClientSession) -> None:
        played = 0
        while conversations_per_user is None or played < conversations_per_user:
            conversation = conversations[(number + played) % len(conversations)]
            sender = f"{sender_prefix}-{number}-{played}-{uuid.uuid4().hex[:8]}"
            for index, turn in enumerate(conversation.turns):
                if time.monotonic() >= deadline:
                    return
                began = time.monotonic()
                status, replies, error, attempts, failures, message_id = await send_turn(
                    session, webhook, sender, turn.text, retry
                )
                result = TurnResult(
                    conversation=conversation.name, sender=sender, index=index, kind=turn.kind,
                    plain=turn.plain, message_id=message_id, started=began - start,
                    latency=time.monotonic() - began, attempts=attempts, status=status,
                    error=error, failed_attempts=failures, replies=replies,
                )
                results.append(result)
                if on_result is not None:
                    on_result(result)
            played += 1

    connector = aiohttp.TCPConnector(limit=max(users * 2, 10))
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(user(n, session) for n in range(users)))
    return results


# --- figures ---------------------------------------------------------------------------------


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99 and mean in milliseconds (None when there is nothing to measure)."""
    import numpy as np

    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None, "n": 0}
    array = np.asarray(values) * 1000
    p50, p95, p99 = np.percentile(array, [50, 95, 99])
    return {"p50_ms": round(float(p50), 1), "p95_ms": round(float(p95), 1),
            "p99_ms": round(float(p99), 1), "mean_ms": round(float(array.mean()), 1),
            "n": len(values)}


def summarize(results: Sequence[TurnResult], elapsed: float) -> dict[str, Any]:
    """Throughput, latency (overall, per kind, marks vs no marks) and errors of one load run."""
    answered = [r for r in results if r.ok]
    errors: dict[str, int] = {}
    for result in results:
        if result.error:
            errors[result.error] = errors.get(result.error, 0) + 1
    kinds = sorted({r.kind for r in results})
    return {
        "messages": len(results),
        "answered": len(answered),
        "elapsed_s": round(elapsed, 2),
        "messages_per_s": round(len(answered) / elapsed, 2) if elapsed else 0.0,
        "latency": percentiles([r.latency for r in answered]),
        "latency_by_kind": {k: percentiles([r.latency for r in answered if r.kind == k])
                            for k in kinds},
        "latency_plain": percentiles([r.latency for r in answered if r.plain]),
        "latency_marked": percentiles([r.latency for r in answered if not r.plain]),
        "errors": errors,
        "resent": sum(1 for r in results if r.attempts > 1),
    }
