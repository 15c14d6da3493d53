"""Retrieval: folded and accented questions meet, entities boost, out-of-scope stays low."""

from __future__ import annotations

import pytest

from bot.knowledge.entities import Vocabulary, group_by_kind
from bot.knowledge.search import get_index
from bot.knowledge.service import answer_question
from bot.knowledge.text import english_stem, index_terms, syllables


def test_accented_and_folded_questions_reach_the_same_entry(seeded_session):
    accented = answer_question(seeded_session, "C/O mẫu D xin ở đâu", "vi")
    folded = answer_question(seeded_session, "c/o mau d xin o dau", "vi")
    assert accented.entry_id == folded.entry_id == "co-d-where"
    assert accented.kind != "low"


def test_teencode_is_expanded_before_matching():
    assert syllables("ko bít c/o mẫu e là j") == syllables("không biết c/o mẫu e là gì")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("còn mẫu E thì sao?", {"co_form": ["E"]}),
        ("xin CO mau AANZ di Uc", {"co_form": ["AANZ"], "country": ["Úc"]}),
        ("what about Korea?", {"country": ["Hàn Quốc"]}),
        ("mã HS 0306.17 sang han quoc", {"hs_code": ["030617"], "country": ["Hàn Quốc"]}),
        ("thời hạn hiệu lực của C/O", {}),  # "hạn" is not "Hàn"
        ("cập nhật thông tin lao động", {}),  # neither Japan nor Laos
        ("Hiệp định ATIGA có hiệu lực năm 2010", {"agreement": ["ATIGA"]}),  # 2010 is no HS code
    ],
)
def test_entities_found_in_questions(text, expected):
    assert group_by_kind(Vocabulary.default().find(text)) == expected


def test_english_words_are_lightly_stemmed():
    assert english_stem("established") == "establish"
    assert english_stem("countries") == "country"
    assert english_stem("thanh") == "thanh"  # folded Vietnamese never changes
    assert "c/o" in index_terms("C/O mẫu D")


def test_entity_pushes_the_matching_form_first(seeded_session):
    index = get_index(seeded_session)
    result = index.search("C/O mẫu AK dùng khi nào")
    best = index.by_id[result.best.entry_id]
    assert "AK" in best.entities.get("co_form", ())


@pytest.mark.parametrize(
    "text", ["giá vàng hôm nay bao nhiêu", "cách nấu canh chua cá lóc", "xo so mien nam hom nay"]
)
def test_out_of_scope_questions_are_low(seeded_session, text):
    assert answer_question(seeded_session, text, "vi").kind == "low"


def test_index_is_reused_until_the_data_changes(seeded_session):
    assert get_index(seeded_session) is get_index(seeded_session)
