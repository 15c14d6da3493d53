"""The figure scripts run: held-out question accuracy and the latency benchmark (small)."""

from __future__ import annotations

from bot.events import bench
from bot.events.evaluate import evaluate


def test_held_out_event_questions(capsys):
    result = evaluate()
    print(result.summary())
    assert result.total >= 40
    assert result.accuracy >= 0.9, result.summary()


def test_benchmark_runs_on_a_small_database(tmp_path):
    figures = bench.run(f"sqlite:///{tmp_path / 'bench.sqlite3'}", events=300, queries=24)
    assert figures["events"] == 300 and figures["queries"] == 24
    assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
