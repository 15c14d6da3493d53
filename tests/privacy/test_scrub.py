"""The shared phone / e-mail / link scrubber: Vietnamese formats in, ordinary numbers left alone."""

from __future__ import annotations

import pytest

from bot.privacy.scrub import contains_personal_data, scrub_personal_data

PHONE = "[số điện thoại]"


@pytest.mark.parametrize("typed", [
    "0912345678", "0912 345 678", "0912.345.678", "091-234-5678", "0912 345678",
    "+84912345678", "+84 912 345 678", "+84-912-345-678", "84912345678", "(+84) 912 345 678",
    "02903831234", "0290 3831 234", "0290.3831.234", "(0290) 3831 234", "028 3823 4567",
    "912345678",  # the 0 forgotten
    "079123456789",  # a 12-digit citizen ID number
    "０９１２３４５６７８",  # full-width digits from some phone keyboards
])
def test_phone_numbers_as_people_type_them(typed):
    assert scrub_personal_data(f"sđt của mình là {typed} nhé") == f"sđt của mình là {PHONE} nhé"


@pytest.mark.parametrize("text", [
    "Thông tư 22/2016/TT-BCT", "từ 01/12/2026 đến 15/12/2026", "ngày 26.11.2026 lúc 08:00",
    "vốn 1.000.000.000 đồng", "vốn 1.050.000.000 đồng", "1 000 000 000",
    "mã HS 0306.17.10", "năm 2027", "mã DK-AB2345", "quý 1 năm 2027",
    "tháng 12 có hội thảo gì?", "C/O mẫu D", "hội chợ có 120 gian hàng, 3.500 khách", "",
])
def test_ordinary_numbers_are_left_alone(text):
    assert scrub_personal_data(text) == text
    assert not contains_personal_data(text)


def test_emails_links_and_several_numbers_in_one_message():
    text = ("Liên hệ an.nguyen+hoithao@mail.camau.gov.vn hoặc 0912345678, 0987 654 321; "
            "xem https://camau.gov.vn/tin?sdt=0912345678")
    assert scrub_personal_data(text) == (
        f"Liên hệ [email] hoặc {PHONE}, {PHONE}; xem [link]")
    assert contains_personal_data(text)


def test_number_at_the_end_of_a_sentence():
    assert scrub_personal_data("Gọi mình: 0912345678.") == f"Gọi mình: {PHONE}."


def test_drop_in_for_the_unanswered_questions_log():
    """What tests/knowledge expects of the scrubber, so bot.knowledge can import this one."""
    from bot.nlp.normalize import normalize_text

    text = "cho hỏi giá xăng, gọi 0912 345 678 hoặc +84 912345678, mail lan.nguyen@gmail.com nhé"
    clean = scrub_personal_data(normalize_text(text))
    assert "0912" not in clean and "912345678" not in clean
    assert "gmail" not in clean and "[email]" in clean
    assert scrub_personal_data("sdt 0283 123 4567") == "sdt [số điện thoại]"


# Issue 15, finding 2: time grows linearly with the length, whatever the text's shape.
ADVERSARIAL = {
    "letters then @": lambda n: "a" * (n - 2) + "@b",
    "dotted letters": lambda n: "a." * (n // 2),
    "digits and spaces": lambda n: "1 " * (n // 2),
    "at signs": lambda n: "@" * n,
    "a@ repeated": lambda n: "a@" * (n // 2),
    "domain without dot": lambda n: "x@" + "b" * (n - 2),
}


@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
def test_scrubbing_100000_adversarial_characters_is_fast(shape):
    import time

    text = ADVERSARIAL[shape](100_000)
    started = time.perf_counter()
    scrub_personal_data(text)
    assert time.perf_counter() - started < 1.0  # was minutes for "letters then @"


def test_an_address_after_a_long_run_is_still_found():
    assert scrub_personal_data("a" * 5000 + " an.nguyen@gmail.com") == "a" * 5000 + " [email]"


def test_log_records_of_any_library_are_scrubbed(caplog):
    import logging

    from bot.privacy.scrub import install_log_redaction

    previous = logging.getLogRecordFactory()
    install_log_redaction()
    install_log_redaction()  # idempotent
    try:
        caplog.set_level(logging.WARNING)
        logging.getLogger("rasa.core.processor").warning(
            "Could not handle message '%s'", "gọi 0912 345 678 hoặc an.nguyen@gmail.com")
        logging.getLogger("sanic.error").error("bad request: an.nguyen@gmail.com")
    finally:
        logging.setLogRecordFactory(previous)
    assert "0912 345 678" not in caplog.text and "an.nguyen@gmail.com" not in caplog.text
    assert "[số điện thoại]" in caplog.text and "[email]" in caplog.text
