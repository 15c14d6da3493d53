"""Where a turn's time goes: ``python -m bot.bench profile``.

Replays the benchmark conversations one at a time (no concurrency, so the figures are the cost of
a turn, not of waiting) against the newest model in models/:

- Rasa in this process (``Agent`` with a SQLite tracker store and the real action server), under
  pyinstrument → ``results/profile-rasa.txt``; NLU parsing alone → ``results/profile-nlu.txt``;
- the action server as a child process under pyinstrument → ``results/profile-actions.txt``;
- the functions the actions call, timed directly on the seeded database: knowledge answering
  (``answer_question``) and event search (``parse_event_question`` + ``search_events``).

Per-turn timings (NLU, whole turn, action call, knowledge, events) go to ``results/profile.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot import config
from bot.deploy.load import Conversation, load_conversations

REPEATS = 3
# Rasa's frames are library code, hidden by pyinstrument's default; the hot path runs through them.
SHOW = {"show_regex": r".*/(rasa|rasa_sdk|bot|actions|sqlalchemy|tensorflow|keras|spacy|"
                      r"underthesea|rank_bm25)/.*", "filter_threshold": 0.005}


def _report(profiler: Any) -> str:  # noqa: ANN401 - pyinstrument.Profiler
    """Call tree (our code and Rasa's) followed by the 40 functions with most self time."""
    tree = profiler.output_text(unicode=True, color=False, processor_options=SHOW)
    flat = profiler.output_text(unicode=True, color=False, flat=True,
                                processor_options={"filter_threshold": 0.0})
    return tree + "\n\nFunctions by self time\n" + "\n".join(flat.splitlines()[:50])


def _ms(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median_ms": None, "mean_ms": None, "max_ms": None}
    return {"n": len(values), "median_ms": round(statistics.median(values) * 1000, 2),
            "mean_ms": round(statistics.fmean(values) * 1000, 2),
            "max_ms": round(max(values) * 1000, 2)}


def _start_action_server(port: int, database_url: str, out: Path) -> subprocess.Popen:
    from bot.run import service_env, wait_until_up

    args = [sys.executable, "-m", "pyinstrument", "-r", "text", "--no-color", "-o", str(out),
            "--show-regex", SHOW["show_regex"], "-m", "rasa_sdk", "--actions", "actions",
            "--port", str(port)]
    process = subprocess.Popen(args, cwd=config.PROJECT_ROOT, env=service_env(database_url),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    wait_until_up(f"http://127.0.0.1:{port}/health", 180, process)
    return process


async def _replay(agent: Any, conversations: list[Conversation], tag: str,  # noqa: ANN401
                  turn_times: list[float] | None = None) -> None:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    for number, conversation in enumerate(conversations):
        sender = f"profile-{tag}-{number}"
        for turn in conversation.turns:
            began = time.perf_counter()
            await agent.handle_message(UserMessage(turn.text, CollectingOutputChannel(), sender))
            if turn_times is not None:
                turn_times.append(time.perf_counter() - began)


def _time_functions(database_url: str, conversations: list[Conversation]) -> dict[str, Any]:
    """Knowledge answering and event search called directly, as the actions call them."""
    from bot.db import session_scope
    from bot.events.query import parse_event_question
    from bot.events.search import search_events
    from bot.knowledge.service import answer_question

    knowledge = [t.text for c in conversations for t in c.turns if t.kind == "knowledge"]
    events = [t.text for c in conversations for t in c.turns if t.kind == "events"]
    now = __import__("datetime").datetime.now(config.TIMEZONE)
    timings: dict[str, list[float]] = {"answer_question": [], "session_scope": [],
                                       "parse_event_question": [], "search_events": []}
    for repeat in range(REPEATS + 1):  # the first round builds caches: not counted
        for text in knowledge:
            began = time.perf_counter()
            with session_scope(database_url) as session:
                opened = time.perf_counter()
                answer_question(session, text)
                done = time.perf_counter()
            if repeat:
                timings["session_scope"].append((opened - began) + (time.perf_counter() - done))
                timings["answer_question"].append(done - opened)
        for text in events:
            with session_scope(database_url) as session:
                began = time.perf_counter()
                query = parse_event_question(text, entities=[], now=now)
                parsed = time.perf_counter()
                search_events(session, query, now)
                done = time.perf_counter()
            if repeat:
                timings["parse_event_question"].append(parsed - began)
                timings["search_events"].append(done - parsed)
    return {name: _ms(values) for name, values in timings.items()}


def profile_hot_path(results: Path) -> int:
    """Write the profiles and timings described in the module docstring; 0 on success."""
    import logging

    from pyinstrument import Profiler
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    from bot.bench import seed_bench_database
    from bot.deploy.cluster import free_port
    from bot.run import latest_model

    # As a server runs: INFO. Rasa's debug events render whole trackers and would dominate.
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("rasa").setLevel(logging.INFO)
    configure_structlog(logging.INFO)
    model = latest_model()
    if model is None:
        print("No model in models/: run `make train` first.", file=sys.stderr)
        return 1
    results.mkdir(parents=True, exist_ok=True)
    conversations = load_conversations()
    texts = [t.text for c in conversations for t in c.turns]
    with tempfile.TemporaryDirectory(prefix="asean-profile-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'bot.sqlite3'}"
        seed_bench_database(database_url)
        os.environ["DATABASE_URL"] = database_url
        port = free_port()
        actions = _start_action_server(port, database_url, results / "profile-actions.txt")
        report: dict[str, Any] = {"model": model.name, "turns_per_replay": len(texts),
                                  "repeats": REPEATS}
        try:
            endpoints = AvailableEndpoints(
                action=EndpointConfig(url=f"http://127.0.0.1:{port}/webhook"),
                tracker_store=EndpointConfig(type="SQL", dialect="sqlite",
                                             db=str(Path(tmp) / "tracker.sqlite3")),
            )

            async def run() -> None:
                agent = await load_agent(model_path=str(model), endpoints=endpoints)
                await _replay(agent, conversations, "warmup")
                for text in texts:
                    await agent.parse_message(text)
                nlu_times: list[float] = []
                with Profiler(async_mode="disabled") as nlu_profiler:
                    for _ in range(REPEATS):
                        for text in texts:
                            began = time.perf_counter()
                            await agent.parse_message(text)
                            nlu_times.append(time.perf_counter() - began)
                turn_times: list[float] = []
                with Profiler(async_mode="enabled") as turn_profiler:
                    for repeat in range(REPEATS):
                        await _replay(agent, conversations, f"r{repeat}", turn_times)
                report["nlu_parse"] = _ms(nlu_times)
                report["whole_turn_in_rasa"] = _ms(turn_times)
                (results / "profile-nlu.txt").write_text(_report(nlu_profiler), "utf-8")
                (results / "profile-rasa.txt").write_text(_report(turn_profiler), "utf-8")

            asyncio.run(run())
            report["functions"] = _time_functions(database_url, conversations)
        finally:
            os.killpg(actions.pid, signal.SIGINT)  # pyinstrument writes its report on exit
            try:
                actions.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(actions.pid, signal.SIGKILL)
    (results / "profile.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))
    print(f"Profiles: {results}/profile-nlu.txt, profile-rasa.txt, profile-actions.txt")
    return 0
