"""Correctness of event-question parsing on the held-out set ``tests/data/event_questions.yml``.

A question counts as correct when the date range, kind and audience all match exactly (and place
and topic, where the set gives them). Run: ``python -m bot.events.evaluate``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.events.query import parse_event_question
from bot.events.timeexpr import DateRange

QUESTIONS = PROJECT_ROOT / "tests" / "data" / "event_questions.yml"
FIELDS = ("range", "kind", "audience", "place", "topic")


@dataclass
class Evaluation:
    total: int = 0
    correct: int = 0
    field_hits: dict[str, list[int]] = field(default_factory=dict)  # field → [hits, checked]
    failures: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def summary(self) -> str:
        lines = [f"event questions: {self.correct}/{self.total} fully correct "
                 f"({self.accuracy:.1%})"]
        for name in FIELDS:
            hits, checked = self.field_hits.get(name, [0, 0])
            if checked:
                lines.append(f"  {name:<9} {hits}/{checked} ({hits / checked:.1%})")
        lines += [f"  ✗ {failure}" for failure in self.failures]
        return "\n".join(lines)


def evaluate(path: Path = QUESTIONS, batch: int | None = None) -> Evaluation:
    """Score the questions (all, or one ``batch``: 1 = the original set, 2 = written later)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    now = dt.datetime.fromisoformat(data["now"])
    result = Evaluation()
    for item in data["questions"]:
        if batch is not None and item.get("batch", 1) != batch:
            continue
        query = parse_event_question(item["text"], now)
        expected_range = item.get("range")
        expected = {
            "range": DateRange(*(dt.date.fromisoformat(str(d)) for d in expected_range))
            if expected_range else None,
            "kind": item.get("kind"),
            "audience": item.get("audience"),
        }
        for optional in ("place", "topic"):
            if optional in item:
                expected[optional] = item[optional]
        wrong = []
        for name, value in expected.items():
            hits = result.field_hits.setdefault(name, [0, 0])
            hits[1] += 1
            got = getattr(query, name)
            if got == value:
                hits[0] += 1
            else:
                wrong.append(f"{name}: expected {value}, got {got}")
        result.total += 1
        if wrong:
            result.failures.append(f"{item['text']!r} → " + "; ".join(wrong))
        else:
            result.correct += 1
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    args = parser.parse_args(argv)
    for batch in (1, 2):
        print(f"batch {batch}: " + evaluate(args.questions, batch).summary())
    print("all: " + evaluate(args.questions).summary().splitlines()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
