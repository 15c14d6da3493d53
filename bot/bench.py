"""Speed of the bot, measured: ``python -m bot.bench`` (``make bench``).

1. Trains Rasa's stock pipeline (WhitespaceTokenizer + CountVectors + DIET, ``bot.evaluate.
   STOCK_PIPELINE``) with our policies, domain and stories — and our own model too, so both
   training times come from this run and this machine (``--reuse-model`` takes the newest model
   in models/ instead). Each training gets an empty Rasa cache, so nothing is reused between them.
2. For each model: starts the action server and Rasa as ``make run`` does (``bot.run.Stack``, a
   fresh seeded SQLite database with the real seed plus the demo events, so event searches and
   registrations have something to find), replays ``tests/data/bench_conversations.yml`` once to
   warm up, then with 1, 5, 10 and 20 concurrent users for a fixed time each.
3. The production set-up (``bot.deploy.cluster``: nginx, PostgreSQL tracker store, Redis lock
   store) with one and with two Rasa servers, when PostgreSQL and Redis answer.

Prints messages/s, latency p50/p95/p99 per message kind, errors, resident memory of Rasa and the
action server, training and start-up times, and ours/stock ratios. Writes ``results/bench.json``
and ``results/bench.md``.

``python -m bot.bench profile`` profiles the hot path instead (``results/profile-*.txt``).

Options (or environment): ``--users`` (BENCH_USERS, 20), ``--levels`` (BENCH_LEVELS, "1,5,10,20"),
``--seconds`` per level (BENCH_SECONDS, 20), ``--reuse-model`` (BENCH_REUSE_MODEL=1),
``--single nginx`` (BENCH_SINGLE: compare ours and stock behind nginx instead of as ``make run``
starts them), ``--no-stock``, ``--no-scale``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.deploy.load import (
    CONVERSATIONS,
    Conversation,
    load_conversations,
    run_users,
    summarize,
)

RESULTS = config.PROJECT_ROOT / "results"
P99_TARGET_MS = 300.0
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class BenchSettings:
    users: int = 20
    levels: tuple[int, ...] = (1, 5, 10, 20)
    seconds: float = 20.0
    reuse_model: bool = False
    single: str = "make-run"  # set-up of the ours/stock comparison: "make-run" or "nginx"
    stock: bool = True
    scale: bool = True
    out: Path = RESULTS / "bench.json"
    conversations: Path = CONVERSATIONS


# --- memory ----------------------------------------------------------------------------------


class MemorySampler:
    """Resident memory (RSS, children included) of named processes, sampled in a thread."""

    def __init__(self, pids: dict[str, int], interval: float = 0.5) -> None:
        import psutil

        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peak: dict[str, float] = dict.fromkeys(pids, 0.0)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss_mb(self) -> dict[str, float]:
        import psutil

        now = {}
        for name, process in self.processes.items():
            try:
                family = [process, *process.children(recursive=True)]
                now[name] = round(sum(p.memory_info().rss for p in family) / 2**20, 1)
            except psutil.Error:
                now[name] = 0.0
        return now

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for name, value in self.rss_mb().items():
                self.peak[name] = max(self.peak[name], value)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- training --------------------------------------------------------------------------------


def stock_config() -> dict[str, Any]:
    """Rasa's stock NLU pipeline with our own policies, so only the NLU differs."""
    from bot.evaluate import STOCK_PIPELINE

    ours = yaml.safe_load((config.PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    return {**STOCK_PIPELINE, "assistant_id": "stock-baseline", "policies": ours["policies"]}


def train_full(config_file: Path, out: Path, name: str) -> tuple[Path, float]:
    """``rasa train`` (NLU + dialogue) into ``out`` with an empty cache; (model, seconds)."""
    from bot.training import RASA, RASA_DATA

    data = [d for d in RASA_DATA if (config.PROJECT_ROOT / d).exists()]
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
           "RASA_CACHE_DIRECTORY": str(out / f"cache-{name}")}
    began = time.monotonic()
    subprocess.run(
        [RASA, "train", "--config", str(config_file), "--domain", "domain", "--data", *data,
         "--out", str(out), "--fixed-model-name", name, "--force", "--quiet"],
        cwd=config.PROJECT_ROOT, env=env, check=True,
    )
    return out / f"{name}.tar.gz", time.monotonic() - began


# --- databases -------------------------------------------------------------------------------


def seed_bench_database(url: str) -> None:
    """The real seed plus the demo events (invented, marked as samples): a throw-away database."""
    from bot.db import session_scope
    from bot.events.loader import DEMO_FIXTURE, load_events
    from bot.seed import seed_default

    seed_default(url)
    with session_scope(url) as session:
        load_events(session, DEMO_FIXTURE, allow_sample=True)


def services_available() -> str | None:
    """None when PostgreSQL and Redis answer, else why not."""
    try:
        import redis
        import sqlalchemy as sa

        engine = sa.create_engine(PG_ADMIN_URL, future=True)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"{exc.__class__.__name__}: {exc}"[:200]
    return None


# --- load ------------------------------------------------------------------------------------


def sweep(url: str, conversations: list[Conversation], settings: BenchSettings,
          sampler: MemorySampler) -> dict[str, Any]:
    """Warm up (one user plays every conversation once), then each concurrency level in turn."""
    warm = asyncio.run(run_users(url, conversations, 1, conversations_per_user=len(conversations),
                                 sender_prefix="warmup"))
    if not any("Nguồn:" in str(reply.get("text", "")) for r in warm for reply in r.replies):
        # Figures without the action server would flatter every run: refuse to report them.
        raise RuntimeError("no knowledge answer came back while warming up: the action server "
                           "was not reached (see the Rasa log; endpoints.yml's ${...} values "
                           "must not be quoted)")
    report: dict[str, Any] = {
        "warmup": {"messages": len(warm), "errors": sum(not r.ok for r in warm)},
        "memory_after_warmup_mb": sampler.rss_mb(),
        "levels": {},
    }
    for users in settings.levels:
        began = time.monotonic()
        results = asyncio.run(run_users(url, conversations, users, duration=settings.seconds,
                                        sender_prefix=f"u{users}"))
        report["levels"][str(users)] = summarize(results, time.monotonic() - began)
        level = report["levels"][str(users)]
        print(f"    {users:>3} users: {level['messages_per_s']:6.2f} msg/s, "
              f"p50 {level['latency']['p50_ms']} ms, p99 {level['latency']['p99_ms']} ms, "
              f"errors {sum(level['errors'].values())}", flush=True)
    report["memory_peak_mb"] = dict(sampler.peak)
    print(f"    resident memory after warm-up {report['memory_after_warmup_mb']} MB, "
          f"peak {report['memory_peak_mb']} MB", flush=True)
    report["best_under_p99_target"] = best_under_target(report["levels"])
    return report


def best_under_target(levels: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The highest throughput among the levels whose p99 stayed under 300 ms."""
    fine = [(int(users), level) for users, level in levels.items()
            if level["latency"]["p99_ms"] is not None
            and level["latency"]["p99_ms"] < P99_TARGET_MS and not level["errors"]]
    if not fine:
        return None
    users, level = max(fine, key=lambda item: item[1]["messages_per_s"])
    return {"users": users, "messages_per_s": level["messages_per_s"],
            "p99_ms": level["latency"]["p99_ms"]}


def run_single(label: str, model: Path, workdir: Path, settings: BenchSettings,
               conversations: list[Conversation]) -> dict[str, Any]:
    """One action server + one Rasa server as ``make run`` starts them (SQLite)."""
    from bot.deploy.cluster import free_port
    from bot.run import Stack

    database_url = f"sqlite:///{workdir / f'bot-{label}.sqlite3'}"
    seed_bench_database(database_url)
    stack = Stack(model=model, rasa_port=free_port(), action_port=free_port(),
                  web_port=free_port(), database_url=database_url,
                  tracker_db=str(workdir / f"tracker-{label}.sqlite3"),
                  log_dir=workdir / "logs" / label, with_web=False)
    began = time.monotonic()
    stack.start()
    startup = time.monotonic() - began
    print(f"  {label}: started in {startup:.1f} s", flush=True)
    try:
        pids = {"rasa": stack.processes["rasa"].pid, "actions": stack.processes["actions"].pid}
        with MemorySampler(pids) as sampler:
            report = sweep(f"http://127.0.0.1:{stack.rasa_port}", conversations, settings, sampler)
    finally:
        stack.stop()
    return {"model": model.name, "setup": "make run (SQLite tracker)",
            "startup_s": round(startup, 1), **report}


def run_cluster(label: str, model: Path, workdir: Path, servers: int, settings: BenchSettings,
                conversations: list[Conversation]) -> dict[str, Any]:
    """nginx + ``servers`` Rasa servers + one action server on PostgreSQL and Redis."""
    from bot.deploy.cluster import Cluster, RedisSettings, temporary_pg_database

    redis = RedisSettings()
    with temporary_pg_database(PG_ADMIN_URL, "asean_bench_bot") as bot_url, \
            temporary_pg_database(PG_ADMIN_URL, "asean_bench_tracker") as tracker_url:
        seed_bench_database(bot_url)
        slug = "".join(ch if ch.isalnum() else "-" for ch in label)
        cluster = Cluster(model=model, workdir=workdir / slug, database_url=bot_url,
                          tracker_store_url=tracker_url, redis=redis, rasa_servers=servers,
                          action_servers=1)
        began = time.monotonic()
        cluster.start()
        startup = time.monotonic() - began
        print(f"  {label}: started in {startup:.1f} s", flush=True)
        try:
            pids = {name: cluster.pid(name) for name in (*cluster.rasa_names,
                                                         *cluster.action_names, "nginx")}
            with MemorySampler(pids) as sampler:
                report = sweep(cluster.url, conversations, settings, sampler)
        finally:
            cluster.stop()
            redis.delete_keys()
    return {"model": model.name, "setup": f"nginx + {servers} Rasa + 1 action server "
            "(PostgreSQL tracker, Redis locks)", "startup_s": round(startup, 1), **report}


# --- report ----------------------------------------------------------------------------------


def ratio(ours: float | None, stock: float | None) -> float | None:
    if ours is None or stock in (None, 0):
        return None
    return round(ours / stock, 3)


def headline(run: dict[str, Any], users: int) -> dict[str, Any]:
    """The figures compared across runs: at ``users`` users, best under target, memory."""
    level = run["levels"].get(str(users)) or {}
    best = run.get("best_under_p99_target") or {}
    memory = run.get("memory_peak_mb", {})
    return {
        "messages_per_s": level.get("messages_per_s"),
        "p50_ms": (level.get("latency") or {}).get("p50_ms"),
        "p99_ms": (level.get("latency") or {}).get("p99_ms"),
        "errors": sum((level.get("errors") or {}).values()) if level else None,
        "best_messages_per_s_p99_under_300ms": best.get("messages_per_s"),
        "rasa_rss_mb": sum(v for k, v in memory.items() if k.startswith("rasa")) or None,
        "actions_rss_mb": sum(v for k, v in memory.items() if k.startswith("actions")) or None,
        "startup_s": run.get("startup_s"),
        "training_s": run.get("training_s"),
    }


def render_table(report: dict[str, Any]) -> str:
    users = report["settings"]["users"]
    rows = {label: headline(run, users) for label, run in report["runs"].items()}
    columns = [
        ("messages_per_s", f"msg/s @{users}"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"),
        ("errors", "errors"), ("best_messages_per_s_p99_under_300ms", "msg/s p99<300"),
        ("rasa_rss_mb", "Rasa MB"), ("actions_rss_mb", "actions MB"),
        ("startup_s", "start s"), ("training_s", "train s"),
    ]
    lines = ["| run | " + " | ".join(title for _, title in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for label, row in rows.items():
        cells = ["–" if row[key] is None else f"{row[key]:g}" for key, _ in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if report.get("ratios"):
        cells = ["–" if report["ratios"].get(key) is None else f"{report['ratios'][key]:g}"
                 for key, _ in columns]
        lines.append("| ratio ours/stock | " + " | ".join(cells) + " |")
    ours = report["runs"].get("ours")
    if ours and str(users) in ours["levels"]:
        lines += ["", f"Latency per message kind, ours, {users} users (p50 / p95 / p99 ms):"]
        for kind, figures in ours["levels"][str(users)]["latency_by_kind"].items():
            lines.append(f"- {kind}: {figures['p50_ms']} / {figures['p95_ms']} / "
                         f"{figures['p99_ms']} (n={figures['n']})")
        for label in ("latency_marked", "latency_plain"):
            figures = ours["levels"][str(users)][label]
            lines.append(f"- {label.split('_')[1]}: {figures['p50_ms']} / {figures['p95_ms']} / "
                         f"{figures['p99_ms']} (n={figures['n']})")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    import psutil

    return {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version()}


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> tuple[str, BenchSettings]:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="bench", choices=["bench", "profile"])
    parser.add_argument("--users", type=int, default=int(env("BENCH_USERS", 20)))
    parser.add_argument("--levels", default=env("BENCH_LEVELS", "1,5,10,20"))
    parser.add_argument("--seconds", type=float, default=float(env("BENCH_SECONDS", 20)))
    parser.add_argument("--reuse-model", action="store_true",
                        default=env("BENCH_REUSE_MODEL", "") == "1")
    parser.add_argument("--single", choices=("make-run", "nginx"),
                        default=env("BENCH_SINGLE", "make-run"),
                        help="set-up of the ours/stock comparison: `make run`'s (SQLite) or "
                             "one Rasa server behind nginx on PostgreSQL/Redis")
    parser.add_argument("--no-stock", action="store_true")
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "bench.json")
    args = parser.parse_args(argv)
    levels = sorted({int(x) for x in args.levels.split(",") if x.strip()} | {args.users})
    return args.command, BenchSettings(
        users=args.users, levels=tuple(levels), seconds=args.seconds,
        reuse_model=args.reuse_model, single=args.single, stock=not args.no_stock,
        scale=not args.no_scale,
        out=args.out,
    )


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="asean-bench-") as tmp:
        yield Path(tmp)


def bench(settings: BenchSettings) -> dict[str, Any]:
    from bot.run import latest_model

    conversations = load_conversations(settings.conversations)
    report: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {"users": settings.users, "levels": list(settings.levels),
                     "seconds_per_level": settings.seconds,
                     "conversations": len(conversations),
                     "turns": sum(len(c.turns) for c in conversations)},
        "runs": {},
    }
    began = time.monotonic()
    with _workdir() as work:
        models: dict[str, tuple[Path, float | None]] = {}
        if settings.reuse_model:
            newest = latest_model()
            if newest is None:
                raise SystemExit("No model in models/: run `make train` or drop --reuse-model.")
            models["ours"] = (newest, None)
        else:
            print("Training our model (empty cache)…", flush=True)
            models["ours"] = train_full(config.PROJECT_ROOT / "config.yml", work, "ours")
            print(f"  {models['ours'][1]:.0f} s", flush=True)
        if settings.stock:
            stock_file = work / "stock-config.yml"
            stock_file.write_text(yaml.safe_dump(stock_config(), allow_unicode=True), "utf-8")
            print("Training the stock-pipeline model (empty cache)…", flush=True)
            models["stock"] = train_full(stock_file, work, "stock")
            print(f"  {models['stock'][1]:.0f} s", flush=True)

        reason = services_available() if settings.scale or settings.single == "nginx" else None
        if reason and settings.single == "nginx":
            raise SystemExit(f"--single nginx needs PostgreSQL and Redis: {reason}")
        for label, (model, training) in models.items():
            print(f"Replaying with {label} ({model.name})…", flush=True)
            if settings.single == "nginx":
                run = run_cluster(label, model, work, 1, settings, conversations)
            else:
                run = run_single(label, model, work, settings, conversations)
            run["training_s"] = None if training is None else round(training, 1)
            report["runs"][label] = run

        if settings.scale:
            if reason:
                report["scale_skipped"] = f"PostgreSQL/Redis not reachable: {reason}"
                print(report["scale_skipped"], flush=True)
            else:
                # With --single nginx, "ours" already is one Rasa server behind nginx.
                for servers in (1, 2) if settings.single == "make-run" else (2,):
                    label = f"ours x{servers} (nginx)"
                    print(f"Replaying through nginx with {servers} Rasa server(s)…", flush=True)
                    report["runs"][label] = run_cluster(
                        label, models["ours"][0], work, servers, settings, conversations)

    if "stock" in report["runs"]:
        ours = headline(report["runs"]["ours"], settings.users)
        stock = headline(report["runs"]["stock"], settings.users)
        report["ratios"] = {key: ratio(ours[key], stock[key]) for key in ours}
    report["total_s"] = round(time.monotonic() - began, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    command, settings = parse_args(argv)
    if command == "profile":
        from bot.deploy.profile import profile_hot_path

        return profile_hot_path(RESULTS)
    report = bench(settings)
    table = render_table(report)
    settings.out.parent.mkdir(parents=True, exist_ok=True)
    settings.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    settings.out.with_suffix(".md").write_text(
        f"# Benchmark {report['when']}\n\nMachine: {report['machine']}\n\n{table}\n", "utf-8")
    print("\n" + table)
    print(f"\nWritten {settings.out} and {settings.out.with_suffix('.md')} "
          f"({report['total_s']:.0f} s in all).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
