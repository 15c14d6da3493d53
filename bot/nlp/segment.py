"""Vietnamese word segmentation and POS tags from underthesea, with exact character spans.

underthesea segments syllables into words ("quy tắc", "xuất xứ") but also splits codes we need
whole ("C/O" → "C", "/", "O") and may glue punctuation to a word ("? HS"). So codes, numbers,
dates, URLs and punctuation are cut out first and kept as single tokens ("atoms"); only the runs of
plain words between them go to underthesea. Every word is then located in the input text, so the
spans always point at the text as given (Rasa and spaCy locate tokens in the original string).

>>> [w.text for w in analyze("C/O mẫu D xin ở đâu?")]
['C/O', 'mẫu', 'D', 'xin', 'ở', 'đâu', '?']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Atoms: URLs, e-mails, anything containing a digit or a joiner (C/O, 0306.17, 15/12/2026,
# DK-7K3F9Q, 31/2018/NĐ-CP), and single punctuation/symbol characters.
_ATOM = re.compile(
    r"(?:https?://|www\.)[^\s]*[^\s.,!?;:)\]\"']"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\w*\d[\w.,:/\-]*\w|\d"
    r"|\w+(?:[/\-]\w+)+"
    r"|[^\w\s]"
)
_SYLLABLE = re.compile(r"\S+")
# Accented Vietnamese still has ~20-35% syllables without marks ("cho", "mai", "sao"); above this
# share (inclusive) a run is taken as typed without marks.
_MAX_UNMARKED_SHARE = 0.5
# underthesea tag for each kind of atom (its own tag set: M number, CH punctuation, Np proper noun).
_ATOM_TAG_NUMBER, _ATOM_TAG_PUNCT, _ATOM_TAG_CODE = "M", "CH", "Ny"


@dataclass(frozen=True)
class Word:
    """A word of the input: its text exactly as in the input, its span and underthesea POS tag."""

    text: str
    start: int
    end: int
    tag: str


@lru_cache(maxsize=1)
def _pos_tag():  # noqa: ANN202 - underthesea is heavy to import: load it on first use only
    from underthesea import pos_tag

    return pos_tag


def _atom_tag(atom: str) -> str:
    if not any(ch.isalnum() for ch in atom):
        return _ATOM_TAG_PUNCT
    if atom.replace(".", "").replace(",", "").isdigit():
        return _ATOM_TAG_NUMBER
    return _ATOM_TAG_CODE


def _segment_run(text: str, start: int, end: int) -> list[Word]:
    """Segment the plain-word run ``text[start:end]`` and locate each word in ``text``."""
    run = text[start:end]
    syllables = [(m.start() + start, m.end() + start) for m in _SYLLABLE.finditer(run)]
    if not syllables:
        return []
    unmarked = sum(text[s:e].isascii() for s, e in syllables)
    if unmarked / len(syllables) >= _MAX_UNMARKED_SHARE:
        # Typed mostly without marks (or English, or teencode expanded into one marked word):
        # underthesea guesses badly here ("co hoi" + "thao"), gluing syllables across entity
        # boundaries. One syllable per word is safer; folded n-grams downstream recover the words.
        return [Word(text[s:e], s, e, "X") for s, e in syllables]
    tagged = _pos_tag()(run) if run.strip() else []
    words: list[Word] = []
    cursor = 0  # index into syllables
    for token, tag in tagged:
        count = max(1, len(token.split()))
        first = syllables[cursor] if cursor < len(syllables) else None
        if first is None:
            break
        last = syllables[min(cursor + count, len(syllables)) - 1]
        words.append(Word(text[first[0] : last[1]], first[0], last[1], tag))
        cursor += count
    # Whatever underthesea did not account for (it never should) stays a word of its own.
    for s, e in syllables[cursor:]:
        words.append(Word(text[s:e], s, e, "X"))
    return words


def analyze(text: str) -> list[Word]:
    """Words of ``text`` (best normalised first, see bot.nlp.normalize) with spans and POS tags."""
    words: list[Word] = []
    cursor = 0
    for match in _ATOM.finditer(text):
        words.extend(_segment_run(text, cursor, match.start()))
        words.append(Word(match.group(), match.start(), match.end(), _atom_tag(match.group())))
        cursor = match.end()
    words.extend(_segment_run(text, cursor, len(text)))
    return words


def segment_words(text: str) -> list[str]:
    """Just the words: "quy tắc xuất xứ là gì" → ["quy tắc", "xuất xứ", "là", "gì"]."""
    return [word.text for word in analyze(text)]
