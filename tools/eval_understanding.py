"""Held-out understanding evaluation (issue 11): questions as users write them, through REST.

``python -m tools.eval_understanding`` (``make eval-understanding``) starts the bot as ``make run``
does (``bot.run.Stack``, the newest model in ``models/``, a fresh seeded SQLite in a temp dir),
sends every question of ``tests/data/understanding_eval/*.yml`` to ``POST
/webhooks/rest/webhook`` from a fresh sender, and scores the reply texts:

- **carries facts**: every fact group of the item matches the concatenated replies (case and
  diacritics folded, dates without leading zeros, dashes unified);
- **abstain**: otherwise, when the reply is one of the bot's own refusals (``REFUSAL_MARKERS``,
  taken from the bot's wording in ``bot/knowledge``, ``bot/events`` and ``domain/``);
- **wrong**: otherwise (an answer that lacks the facts);
- **error**: no reply, HTTP error or the "system busy" reply.

Out-of-scope items (``expected: null``) count an honest refusal or a wrong answer. It also reports
whether the reply is in the question's language (English items: English; the rest: Vietnamese).
Per-question outcomes go to ``results/understanding_eval.json`` for diagnosis.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.nlp.normalize import fold_diacritics

EVAL_DIR = config.PROJECT_ROOT / "tests" / "data" / "understanding_eval"
RESULTS_FILE = config.PROJECT_ROOT / "results" / "understanding_eval.json"
OUT_OF_SCOPE = "out_of_scope"
EXPORTER = "exporter"
EVENT_PREFIX = "event:"

# The bot's own refusals, verbatim prefixes of its wording (tests check each still occurs there):
# the knowledge "not sure" reply (bot/knowledge/service.py), the exporter helper's "no data"
# reply (bot/knowledge/exporter.py), "no event found" (bot/events/replies.py), and the domain's
# out-of-scope and rephrase responses (domain/base.yml).
REFUSAL_MARKERS: tuple[str, ...] = (
    "Mình chưa có thông tin chắc chắn về câu hỏi này",
    "I don't have reliable information on this yet",
    "Mình chưa có dữ liệu chắc chắn về",
    "I do not have reliable data on",
    "Mình không tìm thấy sự kiện phù hợp",
    "I found no matching events",
    "Xin lỗi, câu này nằm ngoài phạm vi của mình",
    "Xin lỗi, mình chưa hiểu ý bạn",
)
# System failure rather than an answer (domain/base.yml utter_busy).
BUSY_MARKERS: tuple[str, ...] = ("Xin lỗi, hệ thống đang bận",)
# Sent by action_session_start on a sender's first message; not part of the answer.
INTRO_RESPONSE = "utter_intro"

OUTCOMES = ("facts", "wrong", "abstain", "error")

_DATE_ZERO = re.compile(r"(?<![\d])0(\d)(?=/)|(?<=/)0(\d)")
_DASHES = re.compile(r"\s*[–—-]\s*")
_WORD = re.compile(r"[^\W\d_]+")
_SOURCE_LINE = re.compile(r"^\s*(Nguồn|Source|Sources)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    text: str
    style: str
    expected: tuple[str, ...]  # empty: out of scope
    accept: tuple[str, ...]
    facts: tuple[tuple[str, ...], ...]
    file: str

    @property
    def lang(self) -> str:
        return "en" if self.style == "english" or _looks_english(self.text) else "vi"


@dataclass
class Outcome:
    text: str
    style: str
    expected: list[str]
    outcome: str  # facts | wrong | abstain | error (in scope); refused | answered | error (oos)
    missing_facts: list[list[str]]
    language_ok: bool | None
    answered_ids: list[str]
    reply: str
    seconds: float


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def by_style(self) -> dict[str, Counter]:
        counts: dict[str, Counter] = defaultdict(Counter)
        for item in self.outcomes:
            counts[item.style][item.outcome] += 1
            counts[item.style]["n"] += 1
            if item.language_ok is not None:
                counts[item.style]["lang_n"] += 1
                counts[item.style]["lang_ok"] += item.language_ok
        return counts


def fold(text: str) -> str:
    """What facts are matched on: folded, lower case, dates without leading zeros, one dash."""
    text = fold_diacritics(text or "").lower()
    text = _DATE_ZERO.sub(lambda m: m.group(1) or m.group(2), text)
    text = _DASHES.sub("-", text)
    return " ".join(text.split())


def _looks_english(text: str) -> bool:
    from bot.nlp.language import detect_language

    return detect_language(text) == "en"


def load_questions(folder: Path = EVAL_DIR) -> list[Question]:
    questions = []
    for path in sorted(folder.glob("*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in raw.get("questions") or []:
            expected = item.get("expected")
            expected = [] if expected is None else [expected] if isinstance(expected, str) \
                else list(expected)
            questions.append(Question(
                text=str(item["text"]), style=str(item["style"]),
                expected=tuple(str(e) for e in expected),
                accept=tuple(str(e) for e in item.get("accept") or []),
                facts=tuple(tuple(str(a) for a in group) for group in item.get("facts") or []),
                file=path.name,
            ))
    return questions


def missing_facts(question: Question, reply: str) -> list[list[str]]:
    folded = fold(reply)
    return [list(group) for group in question.facts
            if not any(fold(alt) in folded for alt in group)]


def is_refusal(reply: str) -> bool:
    folded = fold(reply)
    return any(fold(marker) in folded for marker in REFUSAL_MARKERS)


def reply_language(reply: str) -> str:
    """'en' or 'vi' by word votes; marked letters are Vietnamese, names like "Cà Mau" are few."""
    from bot.nlp import language

    english = getattr(language, "_ENGLISH", frozenset())
    vietnamese = getattr(language, "_VIETNAMESE", frozenset())
    text = "\n".join(line for line in reply.splitlines() if not _SOURCE_LINE.match(line))
    en = vi = 0
    for word in _WORD.findall(text.lower()):
        if not word.isascii():
            vi += 1
        elif word in english:
            en += 1
        elif word in vietnamese:
            vi += 1
    return "en" if en > vi else "vi"


def score(question: Question, reply: str, failed: bool) -> tuple[str, list[list[str]]]:
    """The outcome of one reply (see the module docstring)."""
    if failed or not reply.strip() or any(m in reply for m in BUSY_MARKERS):
        return "error", [list(g) for g in question.facts]
    if not question.expected:
        return ("refused" if is_refusal(reply) else "answered"), []
    missing = missing_facts(question, reply)
    if not missing:
        return "facts", []
    return ("abstain" if is_refusal(reply) else "wrong"), missing


def intro_texts() -> set[str]:
    domain = yaml.safe_load((config.PROJECT_ROOT / "domain" / "base.yml").read_text("utf-8"))
    return {r.get("text", "") for r in domain.get("responses", {}).get(INTRO_RESPONSE, [])}


_FEEDBACK_ID = re.compile(r'"entry_id"\s*:\s*"([^"]+)"')


def ask(rasa_url: str, text: str, timeout: float = 60) -> tuple[list[dict[str, Any]], str]:
    """The bot's messages for ``text`` from a fresh sender, and an error note ("" when fine)."""
    body = json.dumps({"sender": f"eval-{uuid.uuid4().hex[:12]}", "message": text}).encode()
    request = urllib.request.Request(f"{rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return json.loads(response.read().decode("utf-8")) or [], ""
    except urllib.error.HTTPError as exc:
        return [], f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return [], exc.__class__.__name__


def run(rasa_url: str, questions: list[Question]) -> Report:
    intros = intro_texts()
    report = Report()
    for question in questions:
        started = time.perf_counter()
        messages, error = ask(rasa_url, question.text)
        seconds = time.perf_counter() - started
        texts = [m.get("text") or "" for m in messages if (m.get("text") or "") not in intros]
        reply = "\n".join(t for t in texts if t)
        answered_ids = sorted({match for m in messages for b in m.get("buttons") or []
                               for match in _FEEDBACK_ID.findall(str(b.get("payload", "")))})
        outcome, missing = score(question, reply, bool(error))
        language_ok = None if outcome == "error" else reply_language(reply) == question.lang
        report.outcomes.append(Outcome(
            text=question.text, style=question.style,
            expected=list(question.expected) + [f"(accept) {a}" for a in question.accept],
            outcome=outcome, missing_facts=missing, language_ok=language_ok,
            answered_ids=answered_ids, reply=reply or error, seconds=round(seconds, 3)))
    return report


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def print_report(report: Report) -> None:
    counts = report.by_style()
    print(f"{'style':16} {'n':>4} {'facts':>7} {'wrong':>7} {'abstain':>7} {'error':>7} "
          f"{'lang ok':>7}")
    overall: Counter = Counter()
    for style in sorted(s for s in counts if s != OUT_OF_SCOPE):
        c = counts[style]
        overall.update(c)
        print(f"{style:16} {c['n']:4d} {_pct(c['facts'], c['n']):>7} {_pct(c['wrong'], c['n']):>7}"
              f" {_pct(c['abstain'], c['n']):>7} {_pct(c['error'], c['n']):>7}"
              f" {_pct(c['lang_ok'], c['lang_n']):>7}")
    c = overall
    print(f"{'ALL in scope':16} {c['n']:4d} {_pct(c['facts'], c['n']):>7} "
          f"{_pct(c['wrong'], c['n']):>7} {_pct(c['abstain'], c['n']):>7} "
          f"{_pct(c['error'], c['n']):>7} {_pct(c['lang_ok'], c['lang_n']):>7}")
    o = counts.get(OUT_OF_SCOPE, Counter())
    print(f"\n{OUT_OF_SCOPE}: n={o['n']}, honest refusal {_pct(o['refused'], o['n']).strip()}, "
          f"answered {_pct(o['answered'], o['n']).strip()}, "
          f"error {_pct(o['error'], o['n']).strip()}")
    seconds = sorted(item.seconds for item in report.outcomes)
    if seconds:
        print(f"turn time: median {seconds[len(seconds) // 2]:.2f}s, max {seconds[-1]:.2f}s")


def write_results(report: Report, path: Path = RESULTS_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = {style: dict(c) for style, c in report.by_style().items()}
    data = {"summary": counts, "questions": [asdict(o) for o in report.outcomes]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rasa-url", help="use an already running bot instead of starting one")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    args = parser.parse_args(argv)
    questions = load_questions()
    if args.rasa_url:
        report = run(args.rasa_url.rstrip("/"), questions)
    else:
        from bot.run import Stack, latest_model
        from bot.seed import seed_default
        model = latest_model()
        if model is None:
            print("No trained model in models/: run `make train` first.", file=sys.stderr)
            return 1
        # One client sends every question: lift the channel's per-address limit for this stack
        # only (the children read it from the environment they are started with).
        os.environ["RATE_LIMIT_PER_ADDRESS"] = "100000/minute"
        with tempfile.TemporaryDirectory(prefix="understanding-eval-") as tmp:
            var = Path(tmp)
            database_url = f"sqlite:///{var / 'bot.sqlite3'}"
            seed_default(database_url)
            stack = Stack(model=model, rasa_port=free_port(), action_port=free_port(),
                          web_port=free_port(), database_url=database_url,
                          tracker_db=str(var / "tracker.sqlite3"), log_dir=var / "logs",
                          with_web=False)
            print(f"Model {model.name}; {len(questions)} questions; starting the bot…")
            stack.start()
            try:
                report = run(f"http://127.0.0.1:{stack.rasa_port}", questions)
            finally:
                stack.stop()
    print_report(report)
    write_results(report, args.output)
    print(f"\nPer-question outcomes: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
