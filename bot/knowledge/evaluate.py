"""Knowledge retrieval figures: the held-out evaluation, and tuning on a separate dev set.

``python -m bot.knowledge.evaluate`` seeds a throw-away SQLite database from ``data/knowledge``
and runs ``answer_question`` (the action's own path) over the held-out questions, printing per
style: top-1/top-3 accuracy, the share of questions given a right answer (confident or middling,
right entry first), given a wrong one, and answered "low"; then the share of out-of-scope
questions answered "low", and answer latency (p50/p99).

The held-out set is ``tests/data/knowledge_eval.yml`` when that merged file exists, otherwise every
``tests/data/knowledge_eval/*.yml`` part. Each item: ``text``, ``style`` (paraphrase,
no_diacritics, teencode, english, out_of_kb) and the expected entry id(s) in ``expected`` (a
string or a list, "exporter" for the exporter helper; empty for out-of-scope questions).

``--tune`` reads only the seed and the DEV set ``tests/data/knowledge_dev.yml`` (same format,
written apart from the evaluation set; ``--dev`` prints its report). Objective, on the dev set:

- maximise the share of in-KB questions given a right answer (confident or middling, right top-1);
- subject to: out-of-scope questions answered "low" >= 75%, in-KB questions given a wrong answer
  <= 15%;
- and among the thresholds that reach that optimum, the confident band (answer without "did you
  mean" buttons) is the largest whose answers are >= 95% right, with <= 5% of out-of-scope
  questions confident.

It searches ranking weights coordinate by coordinate (BM25 k1/b, answer and pooled weights, entity
boost/penalty, the weight of question words in coverage), and for each the confidence weight of
the margin, the two thresholds and the confident band's minimum margin on a grid;
it prints the chosen ``SearchSettings`` to copy into ``bot/knowledge/search.py``.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.knowledge.search import (
    DEFAULT_SETTINGS,
    Candidate,
    KnowledgeIndex,
    SearchResult,
    SearchSettings,
    band_of,
    exporter_vocabulary,
    snapshots_from_db,
)
from bot.nlp.normalize import search_key

EVAL_FILE = config.PROJECT_ROOT / "tests" / "data" / "knowledge_eval.yml"
EVAL_PARTS = config.PROJECT_ROOT / "tests" / "data" / "knowledge_eval"
DEV_FILE = config.PROJECT_ROOT / "tests" / "data" / "knowledge_dev.yml"
OUT_OF_KB = "out_of_kb"
EXPORTER = "exporter"  # the id that stands for the exporter helper's answer

# The objective's constraints (see the module docstring).
MIN_OUT_OF_KB_LOW = 0.75
MAX_WRONG_GIVEN = 0.15
MIN_CONFIDENT_PRECISION = 0.95
MAX_OUT_OF_KB_CONFIDENT = 0.05


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
    answered: int = 0  # a right answer given (confident or middling)
    wrong: int = 0  # a wrong answer given (confident or middling)
    low: int = 0  # answered "low" (right for out-of-scope, a miss for the rest)
    confident: int = 0
    confident_right: int = 0

    def add(self, other: StyleFigures) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, float]:
        n = max(self.total, 1)
        return {"n": self.total, "top1": self.top1 / n, "top3": self.top3 / n,
                "answered": self.answered / n, "wrong": self.wrong / n, "low": self.low / n,
                "confident": self.confident / n,
                "confident_precision": self.confident_right / max(self.confident, 1)}


@dataclass
class EvalReport:
    styles: dict[str, StyleFigures] = field(default_factory=lambda: defaultdict(StyleFigures))
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, str, str | None, str]] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        values = sorted(self.latencies_ms)
        if not values:
            return 0.0
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]

    def overall(self) -> StyleFigures:
        total = StyleFigures()
        for style, figures in self.styles.items():
            if style != OUT_OF_KB:
                total.add(figures)
        return total

    def record(self, item: EvalItem, ranked: Sequence[str], answered: str | None,
               kind: str) -> None:
        """Count one answer: ``ranked`` ids (or ["exporter"]), the id answered, the band."""
        figures = self.styles[item.style]
        figures.total += 1
        figures.low += kind == "low"
        if not item.in_kb:
            figures.wrong += kind != "low"
            figures.confident += kind == "confident"
            return
        right = answered in item.expected
        if ranked[:1] and ranked[0] in item.expected:
            figures.top1 += 1
        else:
            self.misses.append((item.style, item.text, ranked[0] if ranked else None, kind))
        if set(ranked[:3]) & set(item.expected):
            figures.top3 += 1
        if kind != "low":
            figures.answered += right
            figures.wrong += not right
        if kind == "confident":
            figures.confident += 1
            figures.confident_right += right


def load_eval_items(path: Path | None = None) -> list[EvalItem]:
    """The held-out questions (merged file if present, else all parts), or those of ``path``."""
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


def load_dev_items() -> list[EvalItem]:
    """The dev set: the only questions tuning reads."""
    return load_eval_items(DEV_FILE)


def dev_overlaps(dev: Iterable[EvalItem], others: Iterable[str]) -> list[str]:
    """Dev questions equal to one of ``others`` once folded (``search_key``, end punctuation)."""
    def key(text: str) -> str:
        return " ".join(search_key(text).strip(" ?!.").split())

    taken = {key(text) for text in others}
    return [item.text for item in dev if key(item.text) in taken]


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
        ranked = [EXPORTER] if answer.exporter else [c["id"] for c in answer.candidates]
        answered = EXPORTER if answer.exporter else answer.entry_id
        report.record(item, ranked, answered, answer.kind)
    return report


def print_report(report: EvalReport) -> None:
    print(f"{'style':<16}{'n':>5}{'top-1':>8}{'top-3':>8}{'right':>8}{'wrong':>8}{'low':>8}")
    for style in sorted(report.styles):
        f = report.styles[style].as_dict()
        if style == OUT_OF_KB:
            print(f"{style:<16}{f['n']:>5}{'':>32}{f['low']:>8.1%}  (correctly 'low'; "
                  f"{f['confident']:.1%} confident)")
        else:
            print(f"{style:<16}{f['n']:>5}{f['top1']:>8.1%}{f['top3']:>8.1%}"
                  f"{f['answered']:>8.1%}{f['wrong']:>8.1%}{f['low']:>8.1%}")
    total = report.overall().as_dict()
    print(f"{'all in-KB':<16}{total['n']:>5}{total['top1']:>8.1%}{total['top3']:>8.1%}"
          f"{total['answered']:>8.1%}{total['wrong']:>8.1%}{total['low']:>8.1%}")
    print(f"right/wrong: a right/wrong answer given (confident or middling); confident answers: "
          f"{total['confident']:.1%} of in-KB questions, {total['confident_precision']:.1%} right")
    print(f"answer latency: p50 {report.percentile(50):.1f} ms, p99 {report.percentile(99):.1f} ms "
          f"over {len(report.latencies_ms)} questions")


# --- tuning on the dev set ----------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One dev question ranked once; its outcome is then replayed for each threshold setting."""

    item: EvalItem
    entities: dict[str, list[str]]
    candidates: tuple[Candidate, ...]
    destinations: tuple[str, ...]  # export destinations the helper knows (an export question)
    exporter_known: bool  # the helper has agreements for the first one


def observe(index: KnowledgeIndex, items: Iterable[EvalItem]) -> list[Observation]:
    """Rank each question the way ``answer_question`` does (no follow-up context)."""
    from bot.knowledge import exporter
    from bot.knowledge.entities import group_by_kind
    from bot.knowledge.service import export_question_destinations
    from bot.nlp.normalize import normalize_text

    rules = exporter.load_rules()
    observations = []
    for item in items:
        query = normalize_text(item.text)
        entities = group_by_kind(index.find_entities(query))
        result = index.search(query, entities=entities)
        destinations = tuple(export_question_destinations(index, query, entities))
        known = bool(rules and destinations and rules.destination(destinations[0]).routes)
        observations.append(
            Observation(item, entities, tuple(result.candidates), destinations, known)
        )
    return observations


def replay(index: KnowledgeIndex, observations: Iterable[Observation],
           settings: SearchSettings) -> EvalReport:
    """The report ``evaluate`` would give under ``settings``' bands, without re-ranking."""
    from bot.knowledge.service import faq_is_decent

    report = EvalReport()
    for obs in observations:
        candidates = list(obs.candidates)
        band = band_of(candidates, settings)
        result = SearchResult(candidates, obs.entities, band)
        destinations = list(obs.destinations)
        if destinations and not faq_is_decent(index, result, destinations, obs.entities):
            kind = "confident" if obs.exporter_known else "low"
            report.record(obs.item, [EXPORTER], EXPORTER, kind)
        else:
            ranked = [c.entry_id for c in candidates]
            report.record(obs.item, ranked, ranked[0] if band != "low" else None, band)
    return report


@dataclass(frozen=True)
class TuneResult:
    settings: SearchSettings
    in_kb: dict[str, float]
    out_of_kb_low: float
    out_of_kb_confident: float
    feasible: bool

    @property
    def objective(self) -> tuple[float, ...]:
        """Feasible first, then right answers given, then top-1, then fewer wrong answers."""
        return (float(self.feasible), self.in_kb["answered"], self.in_kb["top1"],
                -self.in_kb["wrong"], self.in_kb["confident"])


def _summary(report: EvalReport, settings: SearchSettings) -> TuneResult:
    in_kb = report.overall().as_dict()
    out = report.styles[OUT_OF_KB].as_dict()
    feasible = out["low"] >= MIN_OUT_OF_KB_LOW and in_kb["wrong"] <= MAX_WRONG_GIVEN
    return TuneResult(settings, in_kb, out["low"], out["confident"], feasible)


def choose_thresholds(index: KnowledgeIndex, observations: list[Observation],
                      base: SearchSettings) -> TuneResult:
    """The bands that meet the objective for one ranking (see the module docstring)."""
    grid = [round(0.025 * i, 3) for i in range(4, 37)]  # 0.10 .. 0.90
    best: TuneResult | None = None
    for margin_weight in (0.0, 0.25, 0.5, 0.75, 1.0):
        for middling_at in grid:
            # Middling first: with nothing confident, the bands' answers are the same set.
            settings = replace(base, margin_weight=margin_weight, middling_at=middling_at,
                               confident_at=1.01, confident_margin=0.0)
            middling = _summary(replay(index, observations, settings), settings)
            if best is not None and middling.objective[:4] < best.objective[:4]:
                continue
            for confident_at, confident_margin in itertools.product(
                (g for g in grid if g >= middling_at), (0.0, 0.05, 0.1, 0.2)
            ):
                candidate = replace(settings, confident_at=confident_at,
                                    confident_margin=confident_margin)
                result = _summary(replay(index, observations, candidate), candidate)
                precise = (result.in_kb["confident_precision"] >= MIN_CONFIDENT_PRECISION
                           and result.out_of_kb_confident <= MAX_OUT_OF_KB_CONFIDENT)
                if precise and (best is None or result.objective > best.objective):
                    best = result
    assert best is not None
    return best


def tune(session: Any, items: list[EvalItem] | None = None) -> TuneResult:
    """Coordinate search over ranking weights; thresholds chosen for each (prints progress)."""
    items = items if items is not None else load_dev_items()
    snapshots = snapshots_from_db(session)
    overlaps = dev_overlaps(items, (text for e in snapshots for text, _lang in e.phrasings))
    if overlaps:
        raise SystemExit(f"dev questions copied from the seed: {overlaps[:5]}")
    steps: list[dict[str, Sequence[float]]] = [
        {"k1": (0.9, 1.2, 1.5), "b": (0.3, 0.5, 0.75)},
        {"answer_weight": (0.05, 0.15, 0.3), "pooled_weight": (0.5, 1.0, 1.5)},
        {"entity_boost": (0.2, 0.35, 0.5), "entity_penalty": (0.25, 0.5)},
        {"generic_weight": (1.0, 0.5, 0.25)},
    ]
    tried: dict[SearchSettings, TuneResult] = {}

    def run(settings: SearchSettings) -> TuneResult:
        ranking = replace(settings, margin_weight=0.0, confident_at=0.0, middling_at=0.0,
                          confident_margin=0.0)
        if ranking not in tried:
            index = KnowledgeIndex(snapshots, ranking, vocabulary=exporter_vocabulary())
            tried[ranking] = choose_thresholds(index, observe(index, items), ranking)
            _print_tune_line(tried[ranking])
        return tried[ranking]

    best = run(DEFAULT_SETTINGS)
    for step in steps:
        for values in itertools.product(*step.values()):
            result = run(replace(best.settings, **dict(zip(step, values, strict=True))))
            if result.objective > best.objective:
                best = result
    print(f"chosen: {best.settings}")
    return best


def _print_tune_line(result: TuneResult) -> None:
    s, f = result.settings, result.in_kb
    print(f"k1={s.k1} b={s.b} answer={s.answer_weight} pooled={s.pooled_weight} "
          f"boost={s.entity_boost} penalty={s.entity_penalty} generic={s.generic_weight} | "
          f"margin_weight={s.margin_weight} "
          f"middling>={s.middling_at} confident>={s.confident_at}/margin>={s.confident_margin} "
          f"| top-1 {f['top1']:.1%} "
          f"top-3 {f['top3']:.1%} right {f['answered']:.1%} wrong {f['wrong']:.1%} "
          f"low {f['low']:.1%} confident {f['confident']:.1%} ({f['confident_precision']:.1%} "
          f"right) | out-of-KB low {result.out_of_kb_low:.1%}"
          f"{'' if result.feasible else ' (constraints not met)'}", flush=True)


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
    parser.add_argument("--tune", action="store_true", help="tune settings on the dev set")
    parser.add_argument("--dev", action="store_true", help="report on the dev set, not the eval")
    parser.add_argument("--misses", action="store_true", help="list the wrong top-1 answers")
    args = parser.parse_args(argv)
    with seeded_session(args.database_url) as session:
        if args.tune:
            tune(session)
            return 0
        items = load_dev_items() if args.dev else load_eval_items()
        if not items:
            print("no evaluation questions found (tests/data/knowledge_eval*.yml)")
            return 1
        report = evaluate(session, items)
        print_report(report)
        if args.misses:
            for style, text, answered, kind in report.misses:
                print(f"  [{style}] {text!r} → {answered} ({kind})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
