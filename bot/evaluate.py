"""Held-out evaluation: ``python -m bot.evaluate`` (``make eval``).

NLU: trains our Vietnamese pipeline (config.yml) and Rasa's stock pipeline (WhitespaceTokenizer +
CountVectors + DIET, same epochs) on data/nlu, parses tests/data/nlu_test.yml — messages kept out
of training — with both, and prints intent accuracy and macro-F1, overall and for the messages
typed without diacritics or with teencode. Then runs the knowledge-retrieval evaluation.
Results go to results/eval.json.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from bot import config

NLU_TEST = config.PROJECT_ROOT / "tests" / "data" / "nlu_test.yml"
RESULTS = config.PROJECT_ROOT / "results"
STOCK_PIPELINE = {
    "recipe": "default.v1",
    "language": "vi",
    "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "DIETClassifier", "epochs": 80, "constrain_similarities": True, "random_seed": 42},
        {"name": "EntitySynonymMapper"},
    ],
}


def is_plain_or_teencode(text: str) -> bool:
    """True for messages typed without Vietnamese marks or using chat abbreviations."""
    from bot.nlp.normalize import normalize_text

    letters = [ch for ch in text if ch.isalpha()]
    no_marks = all(ch.isascii() for ch in letters)
    teencode = normalize_text(text, expand_teencode=True) != normalize_text(
        text, expand_teencode=False
    )
    return no_marks or teencode


@dataclass
class NluScores:
    messages: int
    accuracy: float
    macro_f1: float
    fallback_rate: float


@dataclass
class NluReport:
    pipeline: str
    overall: NluScores
    plain_or_teencode: NluScores
    english: NluScores


def _scores(gold: list[str], top: list[str], final: list[str]) -> NluScores:
    from sklearn.metrics import f1_score

    if not gold:
        return NluScores(0, 0.0, 0.0, 0.0)
    accuracy = sum(g == p for g, p in zip(gold, top, strict=True)) / len(gold)
    labels = sorted(set(gold))
    macro = f1_score(gold, top, labels=labels, average="macro", zero_division=0)
    fallback = sum(p == "nlu_fallback" for p in final) / len(gold)
    return NluScores(len(gold), round(accuracy, 4), round(float(macro), 4), round(fallback, 4))


def load_test_messages(path: Path = NLU_TEST) -> list[tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file, entity annotations stripped."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def evaluate_nlu_model(model: Path, name: str, messages: list[tuple[str, str]]) -> NluReport:
    """Parse every held-out message.

    "top" is the classifier's best intent, "final" the intent the bot acts on (after fallback).
    """
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all() -> list[dict]:
        return [await agent.parse_message(text) for text, _ in messages]

    parsed = asyncio.run(parse_all())
    rows = []
    for (text, gold), result in zip(messages, parsed, strict=True):
        ranking = result.get("intent_ranking") or [result.get("intent") or {}]
        top = ranking[0].get("name") if ranking else None
        final = (result.get("intent") or {}).get("name")
        if final in ("nlu_fallback", "unsupported_language") and ranking:
            # FallbackClassifier keeps the ranking; the classifier's own guess is ranking[1].
            top = next((r["name"] for r in ranking if r["name"] != "nlu_fallback"), top)
        rows.append((text, gold, top, final))

    def subset(keep) -> NluScores:  # noqa: ANN001
        chosen = [r for r in rows if keep(r[0])]
        return _scores([r[1] for r in chosen], [r[2] for r in chosen], [r[3] for r in chosen])

    from bot.nlp.language import detect_language

    return NluReport(
        pipeline=name,
        overall=subset(lambda _: True),
        plain_or_teencode=subset(is_plain_or_teencode),
        english=subset(lambda t: detect_language(t) == "en"),
    )


def compare_pipelines() -> list[NluReport]:
    from bot.training import train_nlu

    messages = load_test_messages()
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        stock_config = Path(tmp) / "stock.yml"
        stock_config.write_text(yaml.safe_dump(STOCK_PIPELINE), encoding="utf-8")
        for name, config_file in (
            ("vietnamese (config.yml)", config.PROJECT_ROOT / "config.yml"),
            ("rasa stock", stock_config),
        ):
            model = train_nlu(config_file, Path(tmp) / name.split()[0])
            reports.append(evaluate_nlu_model(model, name, messages))
    return reports


def print_nlu(reports: list[NluReport]) -> None:
    print(f"\nNLU on {NLU_TEST.relative_to(config.PROJECT_ROOT)} (held out of training)")
    print(f"{'pipeline':26} {'subset':18} {'n':>4} {'accuracy':>9} {'macro-F1':>9} {'fallback':>9}")
    for report in reports:
        for subset in ("overall", "plain_or_teencode", "english"):
            s: NluScores = getattr(report, subset)
            print(
                f"{report.pipeline:26} {subset:18} {s.messages:>4} {s.accuracy:>9.3f} "
                f"{s.macro_f1:>9.3f} {s.fallback_rate:>9.3f}"
            )
    if len(reports) == 2:
        ours, stock = reports
        for subset in ("overall", "plain_or_teencode"):
            a, b = getattr(ours, subset).accuracy, getattr(stock, subset).accuracy
            print(f"ratio ours/stock accuracy ({subset}): {a / b if b else float('inf'):.3f}")


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    results: dict[str, object] = {}
    reports = compare_pipelines()
    print_nlu(reports)
    results["nlu"] = [asdict(r) for r in reports]
    try:
        from bot.knowledge.evaluate import main as knowledge_main
    except ImportError:
        print("(knowledge evaluation not available)")
    else:
        results["knowledge"] = knowledge_main()
    (RESULTS / "eval.json").write_text(json.dumps(results, indent=2, default=str), "utf-8")
    print(f"\nWritten {RESULTS / 'eval.json'}")


if __name__ == "__main__":
    main()
