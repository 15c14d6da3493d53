"""The one definition of what a phone number, an e-mail address and a link look like in a message.

Used wherever text typed by a citizen is kept: the unanswered-questions inbox
(``bot.knowledge.service.log_unanswered``) and Rasa's tracker store
(``bot.privacy.tracker_store``). Validation of the registration form's contact field is a
different job (exact formats, normalised output) and lives in ``bot.events.registration``.

>>> scrub_personal_data("Gọi 0912 345 678 hoặc gửi an.nguyen@gmail.com")
'Gọi [số điện thoại] hoặc gửi [email]'
"""

from __future__ import annotations

import re

EMAIL_PLACEHOLDER = "[email]"
PHONE_PLACEHOLDER = "[số điện thoại]"
LINK_PLACEHOLDER = "[link]"

# Linear time: a match may only start where a run of address characters starts (the lookbehind),
# and the local part is at most 64 characters (RFC 5321). Without both, text such as "a" * n
# followed by "@b" was tried from every position: time grew with the square of the length.
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}(?![\w-])")
# Vietnamese numbers as people type them: 0912345678, 0912 345 678, 0912.345.678, 091-234-5678,
# +84 912 345 678, 84912345678, (+84) 912 345 678, landlines 0290 3831 234 / (0290) 3831 234;
# plus any bare run of 9-12 digits (a number missing its 0, a citizen ID). Not after a letter,
# digit or "/" ("22/2016/TT-BCT"), nor after "1." ("1.000.000.000 đồng"); the digit after the
# leading 0 is never 0 in Vietnam, which keeps "1 000 000 000" out too.
PHONE_RE = re.compile(
    r"(?<![\w/])(?<!\d[.,])\(?(?:\+?84|0)\)?[\s.\-()]{0,2}[1-9](?:[\s.\-()]{0,2}\d){7,9}"
    r"(?![\w/])"
    r"|(?<![\w/.])\d{9,12}(?!\w)"
)
LINK_RE = re.compile(r"(?:https?://|www\.)\S+")


def scrub_personal_data(text: str) -> str:
    """Replace e-mail addresses, links and phone numbers with placeholders.

    E-mails go first (their digits are not a phone number), links next (a number inside a link
    is part of the link).
    """
    if "@" in text:
        text = EMAIL_RE.sub(EMAIL_PLACEHOLDER, text)
    text = LINK_RE.sub(LINK_PLACEHOLDER, text)
    return PHONE_RE.sub(PHONE_PLACEHOLDER, text)


def contains_personal_data(text: str) -> bool:
    """True when ``scrub_personal_data`` would change ``text``."""
    return bool(EMAIL_RE.search(text) or LINK_RE.search(text) or PHONE_RE.search(text))


def install_log_redaction() -> None:
    """Scrub every log record of this process as it is created, whichever library logs it.

    Rasa and Sanic log message texts in warnings and failure records (e.g. a message that could
    not be handled). A filter on one handler would miss handlers Rasa sets up later; the record
    factory sees every record. Idempotent.
    """
    import logging

    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_personal_data", False):
        return

    def make_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = current(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return record
        if contains_personal_data(message):
            record.msg, record.args = scrub_personal_data(message), ()
        return record

    make_record.redacts_personal_data = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)
