"""Exporter helper: agreements and forms per destination, never a tariff rate or a PSR."""

from __future__ import annotations

import re

import pytest

from bot import config
from bot.knowledge.entities import Vocabulary, group_by_kind
from bot.knowledge.exporter import RULES_FILE, exporter_answer, load_rules
from tests.knowledge.conftest import FIXTURES

RATE = re.compile(r"\d+(?:[.,]\d+)?\s*%")


@pytest.fixture
def rules():
    return load_rules(FIXTURES / "exporter_rules.yml")


def test_shrimp_to_korea_lists_agreements_forms_rule_and_lookups(rules):
    answer = exporter_answer(rules, product="tôm", hs_code=None, country="Hàn Quốc")
    assert answer.known and [r.co_form for r in answer.routes] == ["AK", "RCEP"]
    text = answer.text
    assert "AKFTA: C/O mẫu AK" in text and "mẫu VK" in text
    assert "ngày có hiệu lực với nước này chưa có trong dữ liệu" in text
    assert "xuất xứ thuần túy (WO)" in text and "RVC ≥ 40%" in text and "CTH" in text
    assert "eCoSys" in text and config.OFFICE_TRADE in text
    assert RATE.findall(text) == ["40%"]  # the RVC threshold, never a tariff rate
    assert answer.related_ids == ("exp-to-korea",)


def test_hs_code_and_english_answer(rules):
    answer = exporter_answer(rules, product=None, hs_code="030617", country="Thái Lan", lang="en")
    assert answer.known and "ATIGA: C/O form D" in answer.text
    assert "self-certify (AWSC)" in answer.text
    assert "I never quote tariff rates" in answer.text


@pytest.mark.parametrize(("product", "country", "missing"), [
    ("xoài", "Hàn Quốc", "mặt hàng xoài"),
    ("tôm", "Brazil", "xuất khẩu sang Brazil"),
])
def test_unknown_product_or_country_says_so_and_points_to_the_trade_office(
    rules, product, country, missing
):
    answer = exporter_answer(rules, product=product, hs_code=None, country=country)
    assert not answer.known
    assert missing in answer.text and config.OFFICE_TRADE in answer.text
    assert not RATE.search(answer.text)


def test_missing_rules_file_is_an_honest_unknown():
    assert load_rules(FIXTURES / "nope.yml") is None
    answer = exporter_answer(None, product="tôm", hs_code=None, country="Thái Lan")
    assert not answer.known and config.OFFICE_TRADE in answer.text


def test_rules_teach_entity_matching_products_and_countries(rules):
    vocabulary = Vocabulary.default()
    rules.extend_vocabulary(vocabulary)
    found = group_by_kind(vocabulary.find("xuat tom sang han quoc dung c/o mau nao"))
    assert found == {"product": ["tôm"], "country": ["Hàn Quốc"]}


@pytest.mark.skipif(not RULES_FILE.exists(), reason="content file not written yet")
def test_real_rules_file_covers_the_main_products_and_partners():
    real = load_rules()
    for product in ("tôm", "cua", "gạo"):
        assert real.product(product) is not None
    for country in ("Thái Lan", "Trung Quốc", "Hàn Quốc", "Nhật Bản"):
        answer = exporter_answer(real, product="tôm", hs_code=None, country=country)
        assert answer.known and not [r for r in RATE.findall(answer.text) if r != "40%"]


VIETNAMESE_NAMES = ("tôm", "Nhật Bản", "Hàn Quốc", "Hoa Kỳ", "Bộ Công Thương)", "Cổng Cơ chế")


@pytest.mark.skipif(not RULES_FILE.exists(), reason="content file not written yet")
def test_every_product_and_destination_has_an_english_name():
    real = load_rules()
    assert all(p.name_en for p in real.products)
    assert all(d.name_en for d in real.destinations)


@pytest.mark.skipif(not RULES_FILE.exists(), reason="content file not written yet")
@pytest.mark.parametrize(("product", "country", "names"), [
    ("tôm", "Nhật Bản", ("shrimp", "Japan")),
    ("cua", "Hàn Quốc", ("crab", "Korea")),
    ("gạo", "Philippines", ("rice", "the Philippines")),
])
def test_english_answers_use_english_names(product, country, names):
    answer = exporter_answer(load_rules(), product=product, hs_code=None, country=country,
                             lang="en")
    assert all(name in answer.text for name in names)
    assert not [name for name in VIETNAMESE_NAMES if name in answer.text]
    assert "Department of Industry and Trade" in answer.text


@pytest.mark.skipif(not RULES_FILE.exists(), reason="content file not written yet")
def test_english_no_data_answer_names_the_country_in_english():
    answer = exporter_answer(load_rules(), product="tôm", hs_code=None, country="Hoa Kỳ",
                             lang="en")
    assert not answer.known and "exports to the United States" in answer.text
    assert "Hoa Kỳ" not in answer.text
