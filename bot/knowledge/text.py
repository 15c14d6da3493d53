"""Index terms for knowledge retrieval: what a question and a document are compared on.

Every text goes through the project's ``search_key`` (normalised, teencode expanded, folded, lower)
so "C/O mẫu D xin ở đâu" and "c/o mau d xin o dau" produce the same syllables. On top of the
syllables we add:

- syllable bigrams ("xuat_xu"), which recover Vietnamese words when the user typed no marks and
  underthesea cannot segment the folded text;
- underthesea words of longer than two syllables ("hiep_dinh_thuong_mai"), segmented on the
  accented text only (segmenting folded text produces noise), folded afterwards.

>>> syllables("C/O mẫu D xin ở đâu") == syllables("c/o mau d xin o dau")
True
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.nlp.normalize import fold_diacritics, normalize_text, search_key

_WORD = re.compile(r"[a-z0-9]+(?:[/\-.,][a-z0-9]+)*|%")
# "CO mẫu D", "C.O form E": people drop the slash; only before mau/form is "co" not "có".
_CO_BEFORE_FORM = re.compile(r"\b(?:co|c\.o\.?|c\s*/\s*o)(?=\s+(?:mau|form|so|dien tu)\b)")
_CO_DOTTED = re.compile(r"\bc\.o\b\.?")
_EFORM = re.compile(r"\be\s*-?\s*form\b")


def folded(text: str) -> str:
    """``search_key`` plus the few rewrites that make C/O spellings meet."""
    key = search_key(text or "")
    key = _CO_DOTTED.sub("c/o", key)
    key = _CO_BEFORE_FORM.sub("c/o", key)
    return _EFORM.sub("e-form", key)


def syllables(text: str) -> list[str]:
    """Folded syllables in order (English words lightly stemmed); codes stay whole ("c/o")."""
    tokens = (t.strip(".,") for t in _WORD.findall(folded(text)))
    return [english_stem(token) for token in tokens if token]


def code_parts(tokens: list[str]) -> list[str]:
    """Parts of joined codes, so "thông tư 22/2016" meets "22/2016/TT-BCT" ("c/o" stays whole)."""
    parts: list[str] = []
    for token in tokens:
        if token != "c/o" and re.search(r"[/\-]", token):
            parts.extend(part for part in re.split(r"[/\-]", token) if part)
    return parts


def english_stem(token: str) -> str:
    """A light suffix strip for English words ("established" → "establish").

    Safe on folded Vietnamese: no Vietnamese syllable ends in -s, -ed or -ing.
    """
    if not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("ing") and len(token) > 5:
        return token[:-3]
    if token.endswith("ed") and len(token) > 4:
        return token[:-2]
    if token.endswith("s") and len(token) > 3 and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def bigrams(terms: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in zip(terms, terms[1:], strict=False)]


@lru_cache(maxsize=4096)
def segmented_words(text: str) -> tuple[str, ...]:
    """Multi-syllable underthesea words of accented text, folded ("quy_tac"); () for plain ASCII."""
    if text.isascii():
        return ()
    from underthesea import word_tokenize  # imported lazily: heavy, and only retrieval needs it

    words = []
    for word in word_tokenize(normalize_text(text or "")):
        if " " not in word:
            continue
        key = "_".join(_WORD.findall(fold_diacritics(word).lower()))
        if key.count("_") >= 1:
            words.append(key)
    return tuple(words)


def index_terms(text: str) -> list[str]:
    """All terms of ``text`` used by BM25: syllables, syllable bigrams, segmented words."""
    sylls = syllables(text)
    terms = sylls + code_parts(sylls) + bigrams(sylls)
    # Two-syllable words are already bigrams; only longer words add information.
    terms += [word for word in segmented_words(text) if word.count("_") >= 2]
    return terms
