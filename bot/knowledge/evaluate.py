"""Knowledge retrieval figures: held-out evaluation, and threshold tuning on a separate dev split.

``python -m bot.knowledge.evaluate`` seeds a throw-away SQLite database from ``data/knowledge``
and runs ``answer_question`` over the held-out questions, printing top-1/top-3 accuracy per style,
the share of out-of-scope questions answered "low", and answer latency (p50/p99).

The held-out set is ``tests/data/knowledge_eval.yml`` when that merged file exists, otherwise every
``tests/data/knowledge_eval/*.yml`` part (the parts are the source; the merged file is optional).
Each item: ``text``, ``style`` (e.g. paraphrase, no_diacritics, teencode, english, out_of_kb) and
the expected entry id(s) in ``expected`` (a string or a list; empty for out-of-scope questions).

``--tune`` never reads the held-out set. It holds out the seed variants themselves, five folds at
a time (the index is rebuilt without them), adds a diacritic-free copy of each held-out variant,
and uses the out-of-scope questions in ``bot/knowledge/data/tuning_out_of_scope.yml``; it prints
accuracy for a small grid of ranking settings and the confidence thresholds that fit them.
"""

from __future__ import annotations

import argparse
import itertools
import random
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.knowledge.search import (
    DEFAULT_SETTINGS,
    EntrySnapshot,
    KnowledgeIndex,
    SearchSettings,
    snapshots_from_db,
)
from bot.nlp.normalize import fold_diacritics

EVAL_FILE = config.PROJECT_ROOT / "tests" / "data" / "knowledge_eval.yml"
EVAL_PARTS = config.PROJECT_ROOT / "tests" / "data" / "knowledge_eval"
TUNING_OUT_OF_SCOPE = Path(__file__).resolve().parent / "data" / "tuning_out_of_scope.yml"
OUT_OF_KB = "out_of_kb"
CONFIDENT_PRECISION = 0.85  # share of "confident" dev answers that must be right


@dataclass(frozen=True)
class EvalItem:
    text: str
    style: str
    expected: tuple[str, ...]  # empty: the bot should say it does not know

    @property
    def in_kb(self) -> bool:
        return bool(self.expected)


@dataclass
class StyleFigures:
    total: int = 0
    top1: int = 0  # the best-ranked entry is a right one
    top3: int = 0  # a right entry is among the three best
    answered: int = 0  # the bot answered (confident or middling) with a right entry
    low: int = 0  # answered "low" (right for out-of-scope, a miss for the rest)

    def as_dict(self) -> dict[str, float]:
        n = max(self.total, 1)
        return {"n": self.total, "top1": self.top1 / n, "top3": self.top3 / n,
                "answered": self.answered / n, "low": self.low / n}


@dataclass
class EvalReport:
    styles: dict[str, StyleFigures] = field(default_factory=lambda: defaultdict(StyleFigures))
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, str, str | None]] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        values = sorted(self.latencies_ms)
        if not values:
            return 0.0
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]

    def overall(self) -> StyleFigures:
        total = StyleFigures()
        for style, figures in self.styles.items():
            if style == OUT_OF_KB:
                continue
            total.total += figures.total
            total.top1 += figures.top1
            total.top3 += figures.top3
            total.answered += figures.answered
            total.low += figures.low
        return total


def load_eval_items(path: Path | None = None) -> list[EvalItem]:
    """The held-out questions (merged file if present, else all parts)."""
    files = [path] if path else ([EVAL_FILE] if EVAL_FILE.exists() else
                                 sorted(EVAL_PARTS.glob("*.yml")))
    items: list[EvalItem] = []
    for file in files:
        raw = yaml.safe_load(Path(file).read_text(encoding="utf-8")) or []
        if isinstance(raw, dict):
            raw = raw.get("questions") or raw.get("items") or []
        for item in raw:
            expected = item.get("expected", item.get("entry_id", item.get("expected_ids")))
            if expected is None:
                expected = []
            elif isinstance(expected, str):
                expected = [expected]
            style = str(item.get("style") or "paraphrase")
            items.append(EvalItem(str(item.get("text") or item["question"]), style,
                                  tuple(str(e) for e in expected)))
    return items


def evaluate(session: Any, items: list[EvalItem]) -> EvalReport:
    """Run ``answer_question`` (the action's own path) over ``items``."""
    from bot.knowledge.service import answer_question
    from bot.nlp.language import detect_language

    report = EvalReport()
    answer_question(session, "ASEAN là gì", "vi")  # build the index outside the timings
    for item in items:
        lang = "en" if detect_language(item.text) == "en" else "vi"
        started = time.perf_counter()
        answer = answer_question(session, item.text, lang)
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        figures = report.styles[item.style]
        figures.total += 1
        ranked = [c["id"] for c in answer.candidates]
        if answer.exporter:
            ranked = ["exporter"]
        figures.low += answer.kind == "low"
        if not item.in_kb:
            continue
        answered = answer.entry_id or (ranked[0] if answer.exporter else None)
        if ranked[:1] and ranked[0] in item.expected:
            figures.top1 += 1
        else:
            report.misses.append((item.style, item.text, ranked[0] if ranked else None))
        if answer.kind != "low" and answered in item.expected:
            figures.answered += 1
        if set(ranked[:3]) & set(item.expected):
            figures.top3 += 1
    return report


def print_report(report: EvalReport) -> None:
    print(f"{'style':<16}{'n':>5}{'top-1':>8}{'top-3':>8}{'answered':>10}{'low':>8}")
    for style in sorted(report.styles):
        f = report.styles[style].as_dict()
        if style == OUT_OF_KB:
            print(f"{style:<16}{f['n']:>5}{'':>26}{f['low']:>8.1%}  (correctly 'low')")
        else:
            print(f"{style:<16}{f['n']:>5}{f['top1']:>8.1%}{f['top3']:>8.1%}"
                  f"{f['answered']:>10.1%}{f['low']:>8.1%}")
    total = report.overall().as_dict()
    print(f"{'all in-KB':<16}{total['n']:>5}{total['top1']:>8.1%}{total['top3']:>8.1%}"
          f"{total['answered']:>10.1%}{total['low']:>8.1%}")
    print("top-1/top-3: rank of the right entry; answered: a right answer given (not 'low')")
    print(f"answer latency: p50 {report.percentile(50):.1f} ms, p99 {report.percentile(99):.1f} ms "
          f"over {len(report.latencies_ms)} questions")


# --- tuning on held-out variants ----------------------------------------------------------------


@dataclass(frozen=True)
class DevResult:
    in_kb: bool
    rank: int | None  # 0-based rank of the right entry, None if not in the top 5
    coverage: float
    conflict: bool
    margin: float = 0.0


def dev_results(
    snapshots: list[EntrySnapshot], settings: SearchSettings, folds: int = 5, seed: int = 7
) -> list[DevResult]:
    """Hold out each variant once (in ``folds`` folds), plus its diacritic-free copy."""
    held: list[tuple[str, str]] = [
        (entry.id, text)
        for entry in snapshots
        for text, _lang in entry.phrasings[1:]  # the canonical question always stays indexed
        if len(entry.phrasings) > 2
    ]
    random.Random(seed).shuffle(held)
    results: list[DevResult] = []
    for fold in range(folds):
        out = held[fold::folds]
        removed = defaultdict(set)
        for entry_id, text in out:
            removed[entry_id].add(text)
        reduced = [
            replace(e, phrasings=tuple(p for p in e.phrasings if p[0] not in removed[e.id]))
            for e in snapshots
        ]
        index = KnowledgeIndex(reduced, settings)
        for entry_id, text in out:
            queries = {text, fold_diacritics(text)}
            for query in queries:
                result = index.search(query)
                ids = [c.entry_id for c in result.candidates]
                best = result.best
                results.append(DevResult(
                    True,
                    ids.index(entry_id) if entry_id in ids else None,
                    best.coverage if best else 0.0,
                    bool(best and best.conflicts),
                    KnowledgeIndex.margin(result.candidates),
                ))
    index = KnowledgeIndex(snapshots, settings)
    for text in yaml.safe_load(TUNING_OUT_OF_SCOPE.read_text(encoding="utf-8")):
        best = index.search(text).best
        results.append(DevResult(False, None, best.coverage if best else 0.0, False))
    return results


def choose_thresholds(results: list[DevResult]) -> tuple[float, float, float, dict[str, float]]:
    """Thresholds from dev results: (confident_at, confident_margin, middling_at, stats).

    ``middling_at`` maximises (in-scope questions answered and right within the top 3) +
    (out-of-scope questions answered "low"), each as a share. The confident pair (coverage,
    margin over the runner-up) is the one that makes the most answers confident while at least
    ``CONFIDENT_PRECISION`` of them are right and at most 5% of out-of-scope questions are.
    """
    positives = [r for r in results if r.in_kb]
    negatives = [r for r in results if not r.in_kb]
    grid = [round(0.05 * i, 2) for i in range(2, 20)]

    def balanced(t: float) -> float:
        kept = sum(1 for r in positives if r.coverage >= t and r.rank is not None and r.rank < 3)
        rejected = sum(1 for r in negatives if r.coverage < t)
        return kept / len(positives) + rejected / max(len(negatives), 1)

    middling_at = max(grid, key=lambda t: (balanced(t), -t))
    best_pair, best_share, best_precision = (1.01, 1.0), 0.0, 0.0
    for t in (g for g in grid if g >= middling_at):
        for m in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
            confident = [r for r in positives
                         if r.coverage >= t and r.margin >= m and not r.conflict]
            if not confident:
                continue
            precision = sum(1 for r in confident if r.rank == 0) / len(confident)
            false_conf = sum(1 for r in negatives if r.coverage >= t and r.margin >= m)
            share = len(confident) / len(positives)
            if (precision >= CONFIDENT_PRECISION and false_conf <= 0.05 * max(len(negatives), 1)
                    and share > best_share):
                best_pair, best_share, best_precision = (t, m), share, precision
    top1 = sum(1 for r in positives if r.rank == 0) / len(positives)
    top3 = sum(1 for r in positives if r.rank is not None and r.rank < 3) / len(positives)
    stats = {
        "dev_in_kb": len(positives), "dev_out_of_scope": len(negatives),
        "top1": top1, "top3": top3, "balanced": balanced(middling_at) / 2,
        "confident_precision": best_precision, "confident_share": best_share,
        "out_of_scope_low": sum(1 for r in negatives if r.coverage < middling_at)
        / max(len(negatives), 1),
    }
    return best_pair[0], best_pair[1], middling_at, stats


def tune(session: Any) -> SearchSettings:
    snapshots = snapshots_from_db(session)
    best: tuple[float, SearchSettings] | None = None
    # A small grid: the machine is shared; each setting rebuilds the index five times.
    grid = itertools.product((1.2,), (0.5,), (0.15,), (0.5, 1.0))
    for k1, b, answer_weight, pooled_weight in grid:
        settings = replace(DEFAULT_SETTINGS, k1=k1, b=b, answer_weight=answer_weight,
                           pooled_weight=pooled_weight)
        results = dev_results(snapshots, settings)
        confident_at, confident_margin, middling_at, stats = choose_thresholds(results)
        print(f"k1={k1} b={b} answer={answer_weight} pooled={pooled_weight}: dev top-1 "
              f"{stats['top1']:.1%} top-3 {stats['top3']:.1%} | middling≥{middling_at} "
              f"confident≥{confident_at}/margin≥{confident_margin} "
              f"(precision {stats['confident_precision']:.1%}, "
              f"{stats['confident_share']:.1%} of in-scope) balanced {stats['balanced']:.1%}",
              flush=True)
        score = stats["top1"] + stats["balanced"]
        if best is None or score > best[0]:
            best = (score, replace(settings, confident_at=confident_at,
                                   confident_margin=confident_margin, middling_at=middling_at))
    assert best is not None
    print(f"chosen: {best[1]}")
    return best[1]


# --- command line -------------------------------------------------------------------------------


def seeded_session(database_url: str | None) -> Any:
    """A session on ``database_url``, or on a fresh SQLite seeded from data/knowledge."""
    from bot.db import get_sessionmaker
    from bot.db.migrate import upgrade
    from bot.knowledge.loader import load_knowledge

    if database_url is None:
        directory = Path(tempfile.mkdtemp(prefix="kb-eval-"))
        database_url = f"sqlite:///{directory / 'eval.sqlite3'}"
        upgrade(database_url)
        with get_sessionmaker(database_url)() as session:
            print(load_knowledge(session).summary())
            session.commit()
    return get_sessionmaker(database_url)()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="evaluate an existing database instead of a seed")
    parser.add_argument("--tune", action="store_true", help="tune settings on held-out variants")
    parser.add_argument("--misses", action="store_true", help="list the wrong top-1 answers")
    args = parser.parse_args(argv)
    with seeded_session(args.database_url) as session:
        if args.tune:
            tune(session)
            return 0
        items = load_eval_items()
        if not items:
            print("no evaluation questions found (tests/data/knowledge_eval*.yml)")
            return 1
        report = evaluate(session, items)
        print_report(report)
        if args.misses:
            for style, text, answered in report.misses:
                print(f"  [{style}] {text!r} → {answered}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
