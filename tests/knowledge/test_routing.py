"""Exporter route: goods, a destination the helper knows and a trade cue; else the FAQ."""

from __future__ import annotations

import pytest

from bot.knowledge.entities import group_by_kind
from bot.knowledge.search import Candidate, SearchResult, get_index
from bot.knowledge.service import (
    answer_question,
    export_question_destinations,
    faq_is_decent,
    has_trade_cue,
)


def _destinations(session, text: str) -> list[str]:
    index = get_index(session)
    return export_question_destinations(index, text, group_by_kind(index.find_entities(text)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Học bổng ASEAN của Singapore thường nhận đơn vào tháng mấy?", []),  # "của" is no crab
        ("tôm Cà Mau có mặt ở Nhật Bản lâu chưa", []),  # product and country, no trade cue
        ("nhập tôm từ Ấn Độ về chế biến rồi xuất đi có ưu đãi không", []),  # India is the source
        ("xuất tôm sang Mỹ cần gì", []),  # the helper has no data for the United States
        ("xuất tôm sang Hàn Quốc dùng C/O nào", ["Hàn Quốc"]),
        ("export shrimp to Japan, which form?", ["Nhật Bản"]),
        ("HS 1006 bán sang Philippines có ưu đãi gì", ["Philippines"]),
    ],
)
def test_export_questions_need_goods_a_known_destination_and_a_trade_cue(
    seeded_session, text, expected
):
    assert _destinations(seeded_session, text) == expected


def test_trade_cues():
    assert has_trade_cue("bán cua qua Trung Quốc", {})
    assert has_trade_cue("shipping rice to Laos", {})
    assert has_trade_cue("tôm đi Hàn", {"co_form": ["AK"]})
    assert not has_trade_cue("tôm Cà Mau ngon nhất", {})


def test_scholarship_question_about_singapore_is_answered_from_the_faq(seeded_session):
    answer = answer_question(
        seeded_session, "Học bổng ASEAN của Singapore thường nhận đơn vào tháng mấy?", "vi"
    )
    assert not answer.exporter
    assert answer.entry_id == "cit-asean-scholarship-apply" and answer.kind != "low"


def test_importing_from_a_country_is_not_exporting_to_it(seeded_session):
    answer = answer_question(
        seeded_session, "nhập tôm từ Ấn Độ về chế biến rồi xuất đi có được C/O ưu đãi không", "vi"
    )
    assert not answer.exporter


def test_product_destination_and_cue_without_a_specific_faq_go_to_the_helper(seeded_session):
    answer = answer_question(seeded_session, "I want to export fertiliser to Japan", "en")
    assert answer.exporter and answer.kind == "confident"
    assert "Japan" in answer.text and "fertiliser" in answer.text


def test_a_decent_faq_match_beats_the_helper(seeded_session):
    index = get_index(seeded_session)
    entities = {"product": ["tôm"], "country": ["Hàn Quốc"]}

    def result(entry_id: str, band: str) -> SearchResult:
        return SearchResult([Candidate(entry_id, 10.0, 0.8, pooled_coverage=0.8)], entities, band)

    assert faq_is_decent(index, result("co-what-is-form-d", "confident"), ["Hàn Quốc"], entities)
    # middling: only an entry about the same destination and the same goods
    assert faq_is_decent(index, result("exp-to-korea", "middling"), ["Hàn Quốc"], entities)
    assert not faq_is_decent(index, result("fta-form-ak", "middling"), ["Hàn Quốc"], entities)
    assert not faq_is_decent(index, result("exp-to-korea", "low"), ["Hàn Quốc"], entities)
