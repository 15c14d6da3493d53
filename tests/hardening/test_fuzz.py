"""Issue 15: fuzz the stack `make run` starts — REST and socket.io — with a fixed seed.

Pass: no 5xx, no service crashed or restarted (same PIDs, all alive), and a normal question is
still answered right afterwards. The Zalo webhook is fuzzed through its own real-socket harness in
tests/channels/test_zalo_edge.py (it needs the fake Zalo server for replies).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import random
import time
import urllib.error
import urllib.request

import pytest
import socketio

from tests.hardening.fuzzing import SEED, malformed_bodies, messages

pytestmark = pytest.mark.stack

REST_MESSAGES = 2000
MALFORMED = 120
SOCKETIO_EVENTS = 300


def _post(url: str, body: bytes) -> tuple[int, float]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def _alive(stack) -> dict[str, int]:
    assert all(p.poll() is None for p in stack.processes.values()), "a service exited"
    return {name: p.pid for name, p in stack.processes.items()}


def _answers_normally(stack) -> None:
    url = f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/webhook"
    question = "ASEAN hiện có bao nhiêu nước thành viên?"
    body = json.dumps({"sender": "after-fuzz", "message": question})
    request = urllib.request.Request(url, data=body.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        assert "11" in response.read().decode()


def test_rest_fuzz_causes_no_5xx_and_no_crash(stack):
    pids = _alive(stack)
    url = f"http://127.0.0.1:{stack.rasa_port}/webhooks/rest/webhook"
    rng = random.Random(SEED)
    bodies = [json.dumps({"sender": f"fuzz-{rng.getrandbits(48):x}", "message": text}).encode()
              for text in messages(REST_MESSAGES)]
    bodies += malformed_bodies(MALFORMED)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda body: _post(url, body), bodies))
    elapsed = time.monotonic() - started
    statuses: dict[int, int] = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    worst = max(latency for _, latency in results)
    print(f"\nREST fuzz: {len(bodies)} requests in {elapsed:.0f}s, statuses {statuses}, "
          f"worst latency {worst:.2f}s")
    assert not [s for s in statuses if s >= 500], statuses
    assert _alive(stack) == pids
    _answers_normally(stack)


async def test_socketio_fuzz_causes_no_crash(stack):
    pids = _alive(stack)
    origin = f"http://127.0.0.1:{stack.web_port}"
    client = socketio.AsyncClient(reconnection=False)
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", confirmed.put_nowait)
    await client.connect(f"http://127.0.0.1:{stack.rasa_port}", headers={"Origin": origin},
                         transports=["polling"], wait_timeout=30)
    try:
        await client.emit("session_request", {"session_id": None})
        session_id = await asyncio.wait_for(confirmed.get(), 30)
        rng = random.Random(SEED + 2)
        # None: an event with no data at all, which once raised in the handler.
        odd = [None, 1, [], "x", {"message": 5}, {"session_id": session_id},
               {"message": "hi", "session_id": "someone-else"}, {"message": "hi", "session_id": 7}]
        texts = messages(SOCKETIO_EVENTS, seed=SEED + 3)
        for index, text in enumerate(texts):
            if index % 3 == 0:
                payload = rng.choice(odd)
            else:
                # Under the transport's packet cap (a bigger packet closes the connection,
                # which is engine.io's answer, tested in tests/web).
                fitting = text[:8000]
                payload = {"message": fitting, "session_id": session_id}
            await client.emit("user_uttered", payload)
            if index % 10 == 0:
                await client.emit("session_request", rng.choice([None, [], "x", {"session_id": 5}]))
            await asyncio.sleep(0.02)  # engine.io refuses over 16 packets in one long-poll
    finally:
        await client.eio.disconnect(abort=True)
    assert _alive(stack) == pids
    _answers_normally(stack)
