"""Retrieval: folded and accented questions meet, entities boost, out-of-scope stays low."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.knowledge.entities import Vocabulary, group_by_kind
from bot.knowledge.search import (
    Candidate,
    SearchSettings,
    band_of,
    confidence,
    exporter_vocabulary,
    get_index,
    margin,
)
from bot.knowledge.service import answer_question
from bot.knowledge.text import english_stem, index_terms, is_generic, relative_years, syllables


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


def test_english_function_words_are_dropped_only_from_english():
    assert "the" not in index_terms("What is the ASEAN motto?")
    assert "how" not in index_terms("how many countries are in ASEAN", "en")
    assert "the" in index_terms("tôm thẻ chân trắng")  # "thẻ" folds to "the"
    assert "to" in index_terms("to chuc asean", "vi")  # "tổ chức" typed without marks


def test_vietnam_in_english_meets_viet_nam():
    assert syllables("Vietnamese passport")[:2] == syllables("Viet Nam passport")[:2]


def test_english_member_count_question_no_longer_goes_to_rcep(seeded_session):
    result = get_index(seeded_session).search("How many countries are members of ASEAN today?")
    ranked = [c.entry_id for c in result.candidates]
    # Function words no longer make "how many countries are in RCEP" the closest phrasing. The
    # founders' "how many countries started ASEAN" still ties with the members' entry, which has
    # no English variant asking "how many countries" (a content gap, reported).
    assert ranked[0] != "fta-rcep-what" and "asean-members" in ranked[:3]


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("Who chairs ASEAN this year?", dt.date(2026, 11, 26), "asean-chair-2026"),
        ("nước nào làm chủ tịch ASEAN năm sau", dt.date(2026, 11, 26), "asean-chair-2027"),
        ("chủ tịch asean năm ngoái là nước nào", dt.date(2026, 11, 26), "asean-chair-2025"),
    ],
)
def test_relative_years_follow_today(seeded_session, text, today, expected):
    assert get_index(seeded_session).search(text, today=today).best.entry_id == expected


def test_relative_years():
    today = dt.date(2026, 11, 26)
    assert relative_years("năm nay ai làm chủ tịch", today) == ["2026"]
    assert relative_years("next year's chair", today) == ["2027"]
    assert relative_years("nam ngoai", today) == ["2025"]
    assert relative_years("ASEAN 2045", today) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Học bổng của Singapore", {"country": ["Singapore"]}),  # "của" is not crab ("cua")
        ("Cách xin C/O ở Cà Mau", {}),  # "cá" is not in "cách", "ca" of "Cà Mau" is no fish
        ("xuất cua sang Trung Quốc", {"product": ["cua"], "country": ["Trung Quốc"]}),
        ("xuat cua bien sang trung quoc", {"product": ["cua"], "country": ["Trung Quốc"]}),
        ("mười ngày", {}),  # not "muối"
    ],
)
def test_products_that_fold_onto_common_words_need_their_marks(text, expected):
    assert group_by_kind(exporter_vocabulary().find(text)) == expected


def test_naming_viet_nam_does_not_push_entries_about_other_countries_down(seeded_session):
    result = get_index(seeded_session).search("Việt Nam nối mạng với Cơ chế một cửa ASEAN năm nào")
    assert result.best.entry_id == "sw-vn-connect-asw"


def _candidates(coverage: float, second: float | None = None, conflicts=()) -> list[Candidate]:
    best = Candidate("a", 10.0, coverage, conflicts, pooled_coverage=coverage)
    return [best] + ([Candidate("b", second, 0.1, pooled_coverage=0.1)] if second else [])


def test_bands_from_coverage_and_lead():
    settings = SearchSettings(margin_weight=0.5, confident_at=0.6, middling_at=0.3)
    assert margin(_candidates(0.9, 5.0)) == pytest.approx(0.5)
    assert confidence(_candidates(0.9, 5.0), settings) == pytest.approx((0.9 + 0.25) / 1.5)
    assert band_of(_candidates(0.9, 5.0), settings) == "confident"
    assert band_of(_candidates(0.8, 5.0), settings) == "confident"
    assert band_of(_candidates(0.8, 9.9), settings) == "middling"  # a near tie
    assert band_of(_candidates(0.9, 5.0, ("country",)), settings) == "middling"  # other country
    assert band_of(_candidates(0.1, 9.0), settings) == "low"
    assert band_of([], settings) == "low"


def test_question_words_weigh_little_in_coverage(seeded_session):
    index = get_index(seeded_session)
    assert index.settings.generic_weight < 1
    assert is_generic("bao_nhieu") and is_generic("hom") and not is_generic("xuat_xu")
