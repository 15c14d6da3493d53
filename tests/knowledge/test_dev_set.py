"""The dev set the thresholds are tuned on: written apart, realistic, and consistent with the bot.

``python -m bot.knowledge.evaluate --tune`` reads only this set and the seed. These tests keep it
honest (no copies of seed phrasings or of the held-out evaluation questions), check that the
tuning's fast replay of the bands is exactly what ``answer_question`` does, and that the shipped
settings meet the tuning objective's constraints on it.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.knowledge.evaluate import (
    EXPORTER,
    MAX_WRONG_GIVEN,
    MIN_OUT_OF_KB_LOW,
    OUT_OF_KB,
    dev_overlaps,
    evaluate,
    load_dev_items,
    load_eval_items,
    observe,
    replay,
)
from bot.knowledge.search import DEFAULT_SETTINGS, get_index, snapshots_from_db


@pytest.fixture(scope="module")
def dev_items():
    return load_dev_items()


@pytest.fixture(scope="module")
def template_session(seeded_template):
    from bot.db import get_sessionmaker

    with get_sessionmaker(f"sqlite:///{seeded_template}")() as session:
        yield session


def test_dev_set_is_big_and_covers_every_style(dev_items):
    styles = Counter(item.style for item in dev_items)
    assert len(dev_items) >= 150 and styles[OUT_OF_KB] >= 25
    assert {"paraphrase", "no_diacritics", "teencode", "english"} <= set(styles)


def test_dev_set_covers_every_topic(dev_items, template_session):
    topics = {entry.id: entry.topic for entry in snapshots_from_db(template_session)}
    expected = {e for item in dev_items for e in item.expected if e != EXPORTER}
    assert expected <= set(topics), expected - set(topics)
    assert {topics[e] for e in expected} == set(topics.values())


def test_dev_set_copies_neither_the_seed_nor_the_evaluation_set(dev_items, template_session):
    phrasings = [text for entry in snapshots_from_db(template_session)
                 for text, _lang in entry.phrasings]
    assert dev_overlaps(dev_items, phrasings) == []
    assert dev_overlaps(dev_items, [item.text for item in load_eval_items()]) == []
    assert len({item.text.lower() for item in dev_items}) == len(dev_items)


def test_replayed_bands_match_the_answering_path(dev_items, template_session):
    index = get_index(template_session)
    replayed = replay(index, observe(index, dev_items), DEFAULT_SETTINGS)
    answered = evaluate(template_session, dev_items)
    for style, figures in answered.styles.items():
        assert figures == replayed.styles[style], style


def test_shipped_settings_meet_the_tuning_constraints_on_the_dev_set(dev_items, template_session):
    index = get_index(template_session)
    report = replay(index, observe(index, dev_items), DEFAULT_SETTINGS)
    in_kb = report.overall().as_dict()
    assert report.styles[OUT_OF_KB].as_dict()["low"] >= MIN_OUT_OF_KB_LOW
    assert in_kb["wrong"] <= MAX_WRONG_GIVEN
    assert in_kb["low"] <= 0.15  # "low" is rare for questions the knowledge base can answer
