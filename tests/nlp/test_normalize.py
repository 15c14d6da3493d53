"""The one normaliser: accents, tone marks, teencode, codes and dates, spans for entities."""

import unicodedata

import pytest

from bot.nlp.normalize import (
    fold_diacritics,
    map_span,
    normalize_text,
    normalize_with_spans,
    search_key,
)

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731 - how some phones send Vietnamese

NORMALISE = [
    # Unicode and tone-mark placement
    (NFD("Cà Mau"), "Cà Mau"),
    (NFD("Hiệp định thương mại"), "Hiệp định thương mại"),
    ("hoà bình", "hòa bình"),
    ("Hoà Bình", "Hòa Bình"),
    ("thuỷ sản", "thủy sản"),
    ("khoẻ không", "khỏe không"),
    ("mùa hoè", "mùa hòe"),
    ("quý khách", "quý khách"),
    ("hoàng hôn", "hoàng hôn"),
    ("thuyền", "thuyền"),
    ("Thủy sản", "Thủy sản"),
    # whitespace and punctuation
    ("  xin   chào  ", "xin chào"),
    ("ASEAN là gì???", "ASEAN là gì?"),
    ("hay quá!!!", "hay quá!"),
    ("chờ chút...", "chờ chút..."),
    ("“Một tầm nhìn”", '"Một tầm nhìn"'),
    ("xin\u200bchào", "xinchào"),
    ("dòng 1\n\ndòng 2", "dòng 1 dòng 2"),
    # teencode and chat abbreviations
    ("ko biết", "không biết"),
    ("k dc", "không được"),
    ("hok bik", "không biết"),
    ("đc ko", "được không"),
    ("là j vậy", "là gì vậy"),
    ("ad ơi", "admin ơi"),
    ("Ad ơi cho hỏi", "Admin ơi cho hỏi"),
    ("mn ơi", "mọi người ơi"),
    ("dk tham gia", "đăng ký tham gia"),
    ("sdt cty", "số điện thoại công ty"),
    ("ntn", "như thế nào"),
    ("t7 này", "thứ 7 này"),
    ("KO DC", "không được"),
    ("Ko dc", "Không được"),
    # what must stay as typed
    ("C/O mẫu D", "C/O mẫu D"),
    ("mẫu E thì sao", "mẫu E thì sao"),
    ("HS 0306.17", "HS 0306.17"),
    ("mã hs 030617", "mã hs 030617"),
    ("ngày 15/12/2026", "ngày 15/12/2026"),
    ("từ 1/12 đến 15/12", "từ 1/12 đến 15/12"),
    ("Thông tư 22/2016/TT-BCT", "Thông tư 22/2016/TT-BCT"),
    ("RVC 40%", "RVC 40%"),
    ("8:30 sáng", "8:30 sáng"),
    ("mã DK-7K3F9Q", "mã DK-7K3F9Q"),
    ("xem www.ecosys.gov.vn!!", "xem www.ecosys.gov.vn!"),
    ("email a.b@example.com", "email a.b@example.com"),
    # English keeps its words (no teencode expansion)
    ("What about Korea?", "What about Korea?"),
    ("do I need a visa for Thailand", "do I need a visa for Thailand"),
    # empty and symbols
    ("", ""),
    ("   ", ""),
    ("😀😀", "😀😀"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALISE)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Cà Mau đẹp", "Ca Mau dep"),
        ("ĐỒNG BẰNG", "DONG BANG"),
        ("quy tắc xuất xứ", "quy tac xuat xu"),
        (NFD("hội chợ"), "hoi cho"),
        ("ASEAN", "ASEAN"),
    ],
)
def test_fold_diacritics(raw: str, expected: str) -> None:
    assert fold_diacritics(raw) == expected


def test_search_key_joins_accented_and_plain_forms() -> None:
    assert search_key("C/O mẫu D xin ở đâu") == search_key("c/o mau d xin o dau")
    assert search_key("Sự kiện tháng 12") == search_key("su kien thang 12")
    assert search_key("hoà bình") == search_key("hòa bình") == "hoa binh"


def test_entity_span_follows_teencode_expansion() -> None:
    text = "ko dc tuần sau"  # entity "tuần sau" at 6..14 in the original
    pieces = normalize_with_spans(text)
    normalized = "".join(p.text for p in pieces)
    start, end = map_span(pieces, 6, 14)
    assert normalized[start:end] == "tuần sau"


def test_entity_span_survives_collapsed_spaces() -> None:
    text = "có  hội   chợ  nào"
    pieces = normalize_with_spans(text)
    normalized = "".join(p.text for p in pieces)
    start, end = map_span(pieces, text.index("hội"), text.index("chợ") + 3)
    assert normalized[start:end] == "hội chợ"


def test_teencode_can_be_switched_off() -> None:
    assert normalize_text("ko dc", expand_teencode=False) == "ko dc"


def test_huge_message_is_handled_linearly() -> None:
    text = "quy tắc xuất xứ " * 2000
    assert normalize_text(text).startswith("quy tắc xuất xứ quy tắc")
