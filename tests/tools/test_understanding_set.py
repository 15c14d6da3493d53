"""The held-out understanding set (issue 11): big enough, honest, and scored as intended.

Checks that the questions copy no seed question/variant, dev, evaluation, NLU or event-set text
(equal after ``search_key``), that every expected id exists, that every topic and the exporter
helper are covered, and that the runner's scoring and refusal detection follow the bot's own
wording. The live run itself is ``make eval-understanding``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.nlp.normalize import search_key
from tools.eval_understanding import (
    BUSY_MARKERS,
    EVENT_PREFIX,
    EXPORTER,
    OUT_OF_SCOPE,
    REFUSAL_MARKERS,
    Question,
    fold,
    is_refusal,
    load_questions,
    reply_language,
    score,
)

ROOT = config.PROJECT_ROOT
MINIMUM_PER_STYLE = {"formal_letter": 55, "english": 45, "shorthand": 45, "two_part_event": 35,
                     OUT_OF_SCOPE: 30}


def _key(text: str) -> str:
    return " ".join(search_key(text).strip(" ?!.").split())


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return load_questions()


@pytest.fixture(scope="module")
def seed() -> tuple[dict[str, str], list[str]]:
    """Entry id -> topic file, and every seed phrasing (question, variants, English ones)."""
    topics: dict[str, str] = {}
    phrasings: list[str] = []
    for path in sorted((ROOT / "data" / "knowledge").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in data.get("entries") or []:
            topics[entry["id"]] = path.stem
            phrasings += [entry["question"], *(entry.get("variants") or [])]
            phrasings += [t for t in [entry.get("question_en"), *(entry.get("variants_en") or [])]
                          if t]
    return topics, phrasings


def _other_sets() -> list[str]:
    texts: list[str] = []
    data_dir = ROOT / "tests" / "data"
    for path in [data_dir / "knowledge_dev.yml", data_dir / "event_questions.yml",
                 *sorted((data_dir / "knowledge_eval").glob("*.yml"))]:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        items = raw.get("questions") or raw.get("items") or [] if isinstance(raw, dict) else raw
        texts += [str(item.get("text") or item.get("question")) for item in items]
    for path in [data_dir / "nlu_test.yml", *sorted((ROOT / "data" / "nlu").glob("*.yml"))]:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in raw.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    # drop entity annotations: [text](entity) or [text]{...}
                    texts.append(re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", line[2:]))
    return texts


def test_set_is_big_enough_in_every_style(questions):
    styles = Counter(q.style for q in questions)
    assert set(styles) == set(MINIMUM_PER_STYLE), styles
    for style, minimum in MINIMUM_PER_STYLE.items():
        assert styles[style] >= minimum, (style, styles[style])
    assert len(questions) - styles[OUT_OF_SCOPE] >= 180


def test_questions_are_unique_and_copy_no_other_text(questions, seed):
    _, phrasings = seed
    keys = [_key(q.text) for q in questions]
    assert len(set(keys)) == len(keys)
    taken = {_key(text) for text in [*phrasings, *_other_sets()]}
    assert len(taken) > 1000  # the seed, the NLU data and the other sets were really read
    copies = [q.text for q, key in zip(questions, keys, strict=True) if key in taken]
    assert copies == []


def test_expected_ids_exist_and_every_item_has_facts(questions, seed):
    topics, _ = seed
    events = {e["key"] for e in yaml.safe_load(
        (ROOT / "data" / "events" / "real.yml").read_text(encoding="utf-8"))["events"]}
    for q in questions:
        for target in (*q.expected, *q.accept):
            if target == EXPORTER:
                continue
            if target.startswith(EVENT_PREFIX):
                assert target[len(EVENT_PREFIX):] in events, (q.text, target)
            else:
                assert target in topics, (q.text, target)
        if q.style == OUT_OF_SCOPE:
            assert not q.expected and not q.facts, q.text
        else:
            assert q.expected and q.facts and all(q.facts), q.text
            assert len(q.expected) <= 2, q.text


def test_every_topic_and_the_exporter_helper_are_covered(questions, seed):
    topics, _ = seed
    reached = {t for q in questions for t in q.expected}
    assert EXPORTER in reached
    assert any(t.startswith(EVENT_PREFIX) for t in reached)
    assert {topics[t] for t in reached if t in topics} == set(topics.values())


def test_two_part_questions_name_two_entries_often_enough(questions):
    two = [q for q in questions if q.style == "two_part_event" and len(q.expected) == 2]
    events = [q for q in questions if any(t.startswith(EVENT_PREFIX) for t in q.expected)]
    assert len(two) >= 15 and len(events) >= 15


def test_refusal_markers_are_the_bots_own_wording():
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for folder, pattern in (("bot/knowledge", "*.py"), ("bot/events", "*.py"),
                                ("domain", "*.yml"), ("actions", "*.py"))
        for path in sorted((ROOT / folder).glob(pattern))
    )
    for marker in (*REFUSAL_MARKERS, *BUSY_MARKERS):
        assert marker in sources, marker


def test_domain_refusals_are_detected_and_answers_are_not():
    domain = yaml.safe_load((ROOT / "domain" / "base.yml").read_text(encoding="utf-8"))
    responses = domain["responses"]
    for name in ("utter_out_of_scope", "utter_rephrase"):
        assert all(is_refusal(r["text"]) for r in responses[name]), name
    for name in ("utter_greet", "utter_bot_challenge", "utter_human_handoff"):
        assert not any(is_refusal(r["text"]) for r in responses[name]), name


def _question(facts, expected=("asean-day",), style="shorthand"):
    return Question(text="q", style=style, expected=tuple(expected), accept=(),
                    facts=tuple(tuple(g) for g in facts), file="x.yml")


def test_scoring_facts_wrong_abstain_and_out_of_scope():
    q = _question([["8/8"], ["Tuyên bố Bangkok", "Bangkok Declaration"]])
    assert score(q, "Ngày ASEAN là ngày 08/08 hằng năm, kỷ niệm ngày ký TUYEN BO BANGKOK.",
                 False) == ("facts", [])
    outcome, missing = score(q, "Ngày ASEAN là 8/8.", False)
    assert outcome == "wrong" and missing == [["Tuyên bố Bangkok", "Bangkok Declaration"]]
    assert score(q, REFUSAL_MARKERS[0] + ". Bạn vui lòng liên hệ ...", False)[0] == "abstain"
    assert score(q, "", False)[0] == "error" and score(q, "x", True)[0] == "error"
    assert score(q, BUSY_MARKERS[0] + ", bạn vui lòng thử lại", False)[0] == "error"
    oos = _question([], expected=(), style=OUT_OF_SCOPE)
    assert score(oos, REFUSAL_MARKERS[-2] + ".", False)[0] == "refused"
    assert score(oos, "ASEAN có 11 nước thành viên.", False)[0] == "answered"


def test_folding_matches_dates_dashes_and_diacritics():
    assert fold("08/05 – 09/05/2026") == fold("8/5-9/5/2026")
    assert fold("Hồng Kông") == "hong kong"
    assert fold("10/2026") in fold("18/10 – 20/10/2026")


def test_reply_language_ignores_vietnamese_names_in_english_replies():
    english = ("Contact the Cà Mau Department of Industry and Trade (Sở Công Thương tỉnh Cà Mau): "
               "it is the contact point for import-export and rules of origin.\n"
               "Nguồn: Bộ Công Thương · Cập nhật: 26/11/2026")
    assert reply_language(english) == "en"
    assert reply_language("Ngày ASEAN là ngày 8/8 hằng năm.\nSource: ASEAN") == "vi"


def test_the_set_lives_where_the_runner_reads_it():
    folder = ROOT / "tests" / "data" / "understanding_eval"
    assert sorted(p.name for p in folder.glob("*.yml")) and Path(folder / "README.md").exists()
