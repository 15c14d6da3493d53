"""The one Vietnamese text normaliser of the project (NLU, search, staff app).

``normalize_text`` makes the many ways people type the same Vietnamese message look alike:

- Unicode NFC (phones and old keyboards send decomposed marks),
- one tone-mark placement convention, the one underthesea uses ("hoà" → "hòa", "thuỷ" → "thủy"),
- whitespace and punctuation clean-up ("!!!" → "!", zero-width characters dropped, curly quotes),
- chat abbreviations and teencode ("ko" → "không", "dc" → "được"), from ``data/teencode.yml``.

It works piece by piece (words, spaces, punctuation) and remembers where each output piece came
from, so entity spans annotated on the original text can be carried over (``normalize_with_spans``).

>>> normalize_text("Hoà bình  ko dc ah!!!")
'Hòa bình không được ah!'
>>> search_key("C/O mẫu D xin ở đâu")
'c/o mau d xin o dau'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TEENCODE_FILE = Path(__file__).resolve().parent / "data" / "teencode.yml"

_MARKS = "\u0300-\u036f"
# A word: letters/digits/combining marks, joined by "/" or "-" (dates, C/O, 31/2018/NĐ-CP,
# e-commerce stay one piece) and by "." "," ":" between digits only (0306.17, 1,5, 8:30);
# e-mails and URLs stay whole.
_PIECE = re.compile(
    rf"(?P<url>(?:https?://|www\.)[^\s]*[^\s.,!?;:)\]\"'])"
    rf"|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    rf"|(?P<word>[\w{_MARKS}]+(?:(?:[/\-]|(?<=\d)[.,:](?=\d))[\w{_MARKS}]+)*)"
    rf"|(?P<space>\s+)"
    rf"|(?P<other>.)",
    re.DOTALL,
)
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_QUOTES = {"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'"}
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
# Open syllables whose tone goes on the first vowel in our convention ("hòa", "khỏe", "thủy").
_GLIDE_NUCLEI = ("oa", "oe", "uy")


@dataclass(frozen=True)
class Piece:
    """One output piece and the span ``[start, end)`` of the original text it came from."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def teencode_table() -> dict[str, str]:
    """Abbreviation → replacement, keys lower-case NFC (loaded once; the file is small)."""
    raw = yaml.safe_load(TEENCODE_FILE.read_text(encoding="utf-8")) or {}
    return {unicodedata.normalize("NFC", str(k)).lower(): str(v) for k, v in raw.items()}


def _place_tone(syllable: str) -> str:
    """Move the tone mark of an open ``oa/oe/uy`` syllable onto its first vowel ("hoà" → "hòa")."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [ch for ch in decomposed if ch in _TONES]
    if len(tones) != 1:
        return syllable
    bare = "".join(ch for ch in decomposed if ch not in _TONES)
    base = unicodedata.normalize("NFC", bare)
    lower = base.lower()
    for nucleus in _GLIDE_NUCLEI:
        # "quy" keeps its tone on y ("quý"): there "u" belongs to the consonant "qu".
        if lower.endswith(nucleus) and not lower.endswith("q" + nucleus):
            index = len(base) - 2
            # Rebuild in NFD so the tone lands right after the chosen base letter.
            chars = list(base)
            chars[index] = unicodedata.normalize("NFD", chars[index]) + tones[0]
            return unicodedata.normalize("NFC", "".join(chars))
    return syllable


def _normalize_word(word: str, expand_teencode: bool) -> str:
    word = unicodedata.normalize("NFC", word)
    if expand_teencode:
        replacement = teencode_table().get(word.lower())
        if replacement is not None:
            # Keep a leading capital so sentence starts and names still look like names.
            title = word[:1].isupper() and not (len(word) > 1 and word.isupper())
            return replacement[:1].upper() + replacement[1:] if title else replacement
    if any(not ch.isalpha() and unicodedata.category(ch) != "Mn" for ch in word):
        return word  # codes, numbers, dates: never re-accented
    return _place_tone(word)


def normalize_with_spans(text: str, expand_teencode: bool | None = None) -> list[Piece]:
    """Normalise ``text`` into pieces that remember their original spans.

    Args:
        text: the raw message.
        expand_teencode: expand chat abbreviations; by default only when the message is not English
            (an English message keeps its words, e.g. "k" or "ad").
    """
    if expand_teencode is None:
        from bot.nlp.language import detect_language

        expand_teencode = detect_language(text) != "en"
    pieces: list[Piece] = []
    for match in _PIECE.finditer(text):
        kind, value = match.lastgroup, match.group()
        start, end = match.span()
        if kind == "space":
            if pieces and pieces[-1].text != " ":
                pieces.append(Piece(" ", start, end))
            continue
        if kind == "word":
            value = _normalize_word(value, expand_teencode)
        elif kind == "other":
            value = unicodedata.normalize("NFC", _QUOTES.get(value, value))
            if value in _ZERO_WIDTH or unicodedata.category(value) == "Cc":
                continue
            if unicodedata.category(value) == "Mn" and pieces:
                # A stray combining mark after a piece: fold it into that piece.
                prev = pieces.pop()
                value = unicodedata.normalize("NFC", prev.text + value)
                pieces.append(Piece(value, prev.start, end))
                continue
            repeatable = unicodedata.category(value).startswith("P") and value != "."
            if pieces and pieces[-1].text == value and repeatable:
                # "!!!" → "!", "??" → "?"; an ellipsis "..." is kept as typed.
                prev = pieces.pop()
                pieces.append(Piece(value, prev.start, end))
                continue
        pieces.append(Piece(value, start, end))
    if pieces and pieces[-1].text == " ":
        pieces.pop()
    return pieces


def normalize_text(text: str, expand_teencode: bool | None = None) -> str:
    """Normalised message text (see module docstring)."""
    return "".join(piece.text for piece in normalize_with_spans(text or "", expand_teencode))


def map_span(pieces: list[Piece], start: int, end: int) -> tuple[int, int] | None:
    """Map an original span ``[start, end)`` onto the normalised text built from ``pieces``."""
    offset = 0
    new_start = new_end = None
    for piece in pieces:
        if new_start is None and piece.end > start and piece.text != " ":
            new_start = offset
        if piece.start < end and piece.text != " ":
            new_end = offset + len(piece.text)
        offset += len(piece.text)
    if new_start is None or new_end is None or new_end <= new_start:
        return None
    return new_start, new_end


def fold_diacritics(text: str) -> str:
    """Remove tone and vowel marks, keeping case: "Cà Mau đẹp" → "Ca Mau dep"."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped).replace("đ", "d").replace("Đ", "D")


def search_key(text: str) -> str:
    """The key every lookup compares: normalised, diacritic-folded, lower-case."""
    return fold_diacritics(normalize_text(text)).lower()
