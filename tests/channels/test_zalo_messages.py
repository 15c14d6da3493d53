"""Merging a bot turn into few Zalo messages, splitting on boundaries, mapping buttons."""

from __future__ import annotations

import math
import re

import pytest

from bot.channels.zalo_messages import (
    MAX_BUTTONS,
    TEXT_LIMIT,
    clean_text,
    compose_turn,
    split_text,
    zalo_button,
)

SENTENCES = [
    "Hiệp định ATIGA được ký năm 2009.",
    "Mẫu C/O D dùng cho hàng hóa xuất khẩu sang các nước ASEAN!",
    "Bạn cần hỏi thêm gì không?",
    "Sở Công Thương tỉnh Cà Mau hỗ trợ doanh nghiệp…",
]


def _words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("limit", [40, 70, 120, 500])
def test_split_keeps_every_word_and_respects_the_limit(limit):
    text = " ".join(SENTENCES * 12)
    chunks = split_text(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert _words(" ".join(chunks)) == _words(text)  # nothing lost, nothing cut mid-word


def test_split_prefers_sentence_boundaries():
    text = " ".join(SENTENCES * 30)
    chunks = split_text(text, 300)
    assert len(chunks) > 1
    assert all(re.search(r"[.!?…]$", c) for c in chunks)


def test_split_prefers_paragraphs_over_sentences():
    first, second = "Đoạn một. " * 10, "Đoạn hai. " * 10
    chunks = split_text(f"{first.strip()}\n\n{second.strip()}", 150)
    assert chunks == [first.strip(), second.strip()]


def test_a_sentence_longer_than_the_limit_splits_between_words():
    sentence = " ".join(["thương mại"] * 300) + "."
    chunks = split_text(sentence, TEXT_LIMIT)
    assert len(chunks) == 2 and all(len(c) <= TEXT_LIMIT for c in chunks)
    assert _words(" ".join(chunks)) == _words(sentence)


def test_only_a_word_longer_than_the_limit_is_cut():
    url = "https://example.org/" + "a" * 2500
    chunks = split_text(f"Xem {url} nhé", TEXT_LIMIT)
    assert chunks[0] == "Xem"
    assert chunks[-1].endswith(" nhé")  # the cut word's tail still shares a message
    assert "".join(chunks[1:]).removesuffix(" nhé") == url
    assert all(len(c) <= TEXT_LIMIT for c in chunks)


def test_empty_and_short_texts():
    assert split_text("   ") == []
    assert split_text(" Xin chào ") == ["Xin chào"]


def test_a_turn_of_short_texts_becomes_one_message():
    turn = [{"text": "Chào bạn."}, {"text": "Mình là trợ lý ASEAN."}, {"text": "Bạn cần gì?"}]
    assert compose_turn(turn) == [{"text": "Chào bạn.\n\nMình là trợ lý ASEAN.\n\nBạn cần gì?"}]


def test_a_long_turn_uses_the_fewest_messages():
    block = " ".join(SENTENCES * 5)  # about 850 characters
    turn = [{"text": block} for _ in range(5)]
    messages = compose_turn(turn)
    total = len("\n\n".join([block] * 5))
    assert len(messages) == math.ceil(total / TEXT_LIMIT) < len(turn)
    assert all(len(m["text"]) <= TEXT_LIMIT for m in messages)
    assert _words(" ".join(m["text"] for m in messages)) == _words(" ".join([block] * 5))


def test_buttons_close_the_message_they_belong_to():
    turn = [
        {"text": "Câu trả lời."},
        {
            "text": "Nguồn: Bộ Công Thương",
            "buttons": [
                {"title": "👍", "payload": '/feedback{"feedback_value":"up","entry_id":"7"}'},
                {"title": "👎", "payload": '/feedback{"feedback_value":"down","entry_id":"7"}'},
            ],
        },
        {"text": "Còn gì nữa không?"},
    ]
    first, second = compose_turn(turn)
    assert first["text"] == "Câu trả lời.\n\nNguồn: Bộ Công Thương"
    buttons = first["attachment"]["payload"]["buttons"]
    assert [b["type"] for b in buttons] == ["oa.query.hide", "oa.query.hide"]
    assert buttons[0]["payload"] == '/feedback{"feedback_value":"up","entry_id":"7"}'
    assert second == {"text": "Còn gì nữa không?"}


@pytest.mark.parametrize(
    ("button", "expected"),
    [
        (
            {"title": "Hội chợ", "payload": "hội chợ tháng 12"},
            {"title": "Hội chợ", "type": "oa.query.show", "payload": "hội chợ tháng 12"},
        ),
        (
            {"title": "Đăng ký", "payload": "/register_event"},
            {"title": "Đăng ký", "type": "oa.query.hide", "payload": "/register_event"},
        ),
        (
            {"title": "Trang web", "payload": "https://camau.gov.vn"},
            {
                "title": "Trang web",
                "type": "oa.open.url",
                "payload": {"url": "https://camau.gov.vn"},
            },
        ),
        (
            {"title": "Mở", "url": "https://example.org", "type": "web_url"},
            {"title": "Mở", "type": "oa.open.url", "payload": {"url": "https://example.org"}},
        ),
        ({"title": "", "payload": ""}, None),
        ({"title": "Quá dài", "payload": "x" * 1001}, None),
    ],
)
def test_button_mapping(button, expected):
    assert zalo_button(button) == expected


def test_long_button_titles_are_shortened_on_a_word():
    title = "Thông tin về " + "hiệp định thương mại tự do " * 6
    assert len(zalo_button({"title": title, "payload": "x"})["title"]) <= 100
    assert zalo_button({"title": title, "payload": "x"})["title"].endswith("…")


def test_more_buttons_than_zalo_shows_go_to_a_second_message():
    buttons = [
        {"title": f"Lựa chọn {i}", "payload": f'/choose{{"ordinal":"{i}"}}'} for i in range(1, 8)
    ]
    first, second = compose_turn([{"text": "Chọn sự kiện:", "buttons": buttons}])
    assert len(first["attachment"]["payload"]["buttons"]) == MAX_BUTTONS
    assert len(second["attachment"]["payload"]["buttons"]) == 7 - MAX_BUTTONS


def test_buttons_without_text_get_a_prompt_and_quick_replies_are_buttons():
    (message,) = compose_turn([{"quick_replies": [{"title": "Có", "payload": "/affirm"}]}])
    assert message["text"] == "Mời bạn chọn:"
    assert message["attachment"]["payload"]["buttons"][0]["type"] == "oa.query.hide"


def test_markdown_links_and_bold_become_plain_text():
    text = "Xem **Biểu thuế** tại [cổng thông tin](https://camau.gov.vn/a?b=1)."
    assert clean_text(text) == "Xem Biểu thuế tại cổng thông tin: https://camau.gov.vn/a?b=1."


def test_images_and_zalo_custom_payloads_are_separate_messages():
    custom = {"attachment": {"type": "template", "payload": {"template_type": "request_user_info"}}}
    turn = [
        {"text": "Bản đồ:"},
        {"image": "https://example.org/map.png"},
        {"text": "Mời bạn gửi thông tin."},
        {"custom": {"zalo": custom}},
        {"custom": {"widget_only": True}},
    ]
    messages = compose_turn(turn)
    assert messages[0] == {"text": "Bản đồ:"}
    assert messages[1]["attachment"]["payload"]["elements"] == [
        {"media_type": "image", "url": "https://example.org/map.png"}
    ]
    assert messages[2] == {"text": "Mời bạn gửi thông tin."}
    assert messages[3] == custom
    assert len(messages) == 4
