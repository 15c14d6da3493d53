"""underthesea segmentation with exact spans, inside spaCy."""

import pytest
import spacy

from bot.nlp.language import detect_language
from bot.nlp.segment import analyze, segment_words
from bot.nlp.spacy_vi import PIPELINE_DIR


@pytest.mark.parametrize(
    ("text", "must_contain"),
    [
        ("C/O mẫu D xin ở đâu?", ["C/O", "mẫu", "D", "?"]),
        ("HS 0306.17 là tôm gì", ["0306.17"]),
        ("hội thảo ngày 15/12/2026", ["hội thảo", "15/12/2026"]),
        ("quy tắc xuất xứ là gì", ["quy tắc", "xuất xứ"]),
        ("Thông tư 22/2016/TT-BCT", ["22/2016/TT-BCT"]),
        ("hủy mã DK-7K3F9Q", ["DK-7K3F9Q"]),
        ("xem www.ecosys.gov.vn nhé", ["www.ecosys.gov.vn"]),
        ("RVC 40% là gì", ["40", "%"]),
        ("thương mại điện tử ASEAN", ["thương mại điện tử", "ASEAN"]),
    ],
)
def test_segment_keeps_codes_whole(text: str, must_contain: list[str]) -> None:
    words = segment_words(text)
    for word in must_contain:
        assert word in words


@pytest.mark.parametrize(
    "text",
    ["C/O mẫu D xin ở đâu?  tuần sau\n có hội thảo", "", "   ", "😀 ok 😀", "a" * 3000,
     "Ca Mau co hoi cho nao ko", "<img src=x onerror=alert(1)>"],
)
def test_spans_point_into_the_original_text(text: str) -> None:
    for word in analyze(text):
        assert text[word.start:word.end] == word.text


def test_spacy_pipeline_round_trips_text_and_carries_tags() -> None:
    nlp = spacy.load(PIPELINE_DIR)
    text = "Tuần sau có hội thảo gì về quy tắc xuất xứ?"
    doc = nlp(text)
    assert doc.text == text
    tokens = {t.text: t for t in doc}
    assert "hội thảo" in tokens and "quy tắc" in tokens
    assert tokens["hội thảo"].tag_ == "N" and tokens["hội thảo"].pos_ == "NOUN"
    assert tokens["?"].pos_ == "PUNCT"
    assert all(t.lemma_ == t.text.lower() for t in doc)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ASEAN có bao nhiêu nước?", "vi"),
        ("asean co bao nhieu nuoc", "vi"),
        ("cho e hoi c/o mau d", "vi"),
        ("How many members does ASEAN have?", "en"),
        ("what about Korea", "en"),
        ("Do I need a visa to visit Thailand?", "en"),
        ("อาเซียนคืออะไร", "other"),
        ("东盟有多少个成员国", "other"),
        ("😀😀", "vi"),
        ("", "vi"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language
