"""Index terms for knowledge retrieval: what a question and a document are compared on.

Every text goes through the project's ``search_key`` (normalised, teencode expanded, folded, lower)
so "C/O mẫu D xin ở đâu" and "c/o mau d xin o dau" produce the same syllables. On top of the
syllables we add:

- syllable bigrams ("xuat_xu"), which recover Vietnamese words when the user typed no marks and
  underthesea cannot segment the folded text;
- underthesea words of longer than two syllables ("hiep_dinh_thuong_mai"), segmented on the
  accented text only (segmenting folded text produces noise), folded afterwards.

English text drops its function words ("how", "are", "of") first: in a corpus that is mostly
Vietnamese they are rare enough to look informative, and "how many countries are in RCEP" then
out-scored "how many countries are members of ASEAN" for the ASEAN question. They are dropped only
from text known (or detected) to be English, because folded Vietnamese syllables collide with them
("thẻ" → "the", "tờ" → "to", "Mỹ" → "my").

>>> syllables("C/O mẫu D xin ở đâu") == syllables("c/o mau d xin o dau")
True
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from bot.nlp.normalize import fold_diacritics, normalize_text, search_key

# English function words, matched after ``english_stem`` ("does" → "doe", "has" → "ha").
_ENGLISH_STOPWORDS_TEXT = (
    "a an the is are was were be been being am do doe did does has ha have had having of to in "
    "on at for from by with into about as and or but if so than then that this these those there "
    "it its i me my we our us you your he she they them their what which who whom how can could "
    "should would will shall may might must please tell know let any some now today currently "
    "still yet also just get got go going"
)
ENGLISH_STOPWORDS = frozenset(_ENGLISH_STOPWORDS_TEXT.split())

_WORD = re.compile(r"[a-z0-9]+(?:[/\-.,][a-z0-9]+)*|%")
# "CO mẫu D", "C.O form E": people drop the slash; only before mau/form is "co" not "có".
_CO_BEFORE_FORM = re.compile(r"\b(?:co|c\.o\.?|c\s*/\s*o)(?=\s+(?:mau|form|so|dien tu)\b)")
_CO_DOTTED = re.compile(r"\bc\.o\b\.?")
_EFORM = re.compile(r"\be\s*-?\s*form\b")
_VIETNAM = re.compile(r"\bvietnam(?:ese)?\b")  # "Vietnam", "Vietnamese" meet "Viet Nam"
# English words people use for the same thing (after ``english_stem``); kept short and generic.
ENGLISH_SYNONYMS = {
    "nation": "country",
    "fee": "cost",
    "charge": "cost",
    "price": "cost",
    "slogan": "motto",
    "chairmanship": "chair",
}


def folded(text: str) -> str:
    """``search_key`` plus the few rewrites that make C/O spellings meet."""
    key = search_key(text or "")
    key = _CO_DOTTED.sub("c/o", key)
    key = _CO_BEFORE_FORM.sub("c/o", key)
    key = _VIETNAM.sub("viet nam", key)
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


# "năm nay", "next year"...: the year they mean is added to the question's terms, so "chủ tịch
# ASEAN năm nay" meets the entry about the 2026 chair (offset from the current year).
_RELATIVE_YEARS = (
    (re.compile(r"\b(?:nam nay|this year|current year)\b"), 0),
    (re.compile(r"\b(?:nam sau|nam toi|sang nam|next year|coming year)\b"), 1),
    (re.compile(r"\b(?:nam ngoai|nam roi|last year|previous year)\b"), -1),
)


def relative_years(text: str, today: dt.date) -> list[str]:
    """The years that "this year", "năm sau", "last year"... in ``text`` stand for.

    >>> relative_years("chủ tịch ASEAN năm sau là ai", dt.date(2026, 11, 26))
    ['2027']
    """
    key = folded(text)
    return [str(today.year + offset) for pattern, offset in _RELATIVE_YEARS if pattern.search(key)]


# Syllables (folded) that ask rather than say what the question is about: "bao nhiêu", "là gì",
# "ở đâu", "hôm nay", "bạn/mình". A question matching an entry only on these is not answered by it.
_GENERIC_TEXT = (
    "la gi co khong ko duoc the nao nhu o dau bao nhieu khi may gio hom nay ai cho minh toi ban "
    "hoi xin vay a oi nhe voi va cua thi sao roi chua hay hoac nhung cac mot do kia ay dang se da "
    "muon biet lam ra sao ve tu den tai nguoi cai gi"
)
GENERIC_SYLLABLES = frozenset(_GENERIC_TEXT.split()) | ENGLISH_STOPWORDS


def is_generic(term: str) -> bool:
    """A question word, or a bigram/word made only of question words ("bao_nhieu")."""
    return all(part in GENERIC_SYLLABLES for part in term.split("_"))


def is_english(text: str) -> bool:
    """English as the language detector sees it (plain ASCII only: marks mean Vietnamese)."""
    from bot.nlp.language import detect_language

    return text.isascii() and detect_language(text) == "en"


def index_terms(text: str, lang: str | None = None) -> list[str]:
    """All terms of ``text`` used by BM25: syllables, syllable bigrams, segmented words.

    Args:
        text: a question, a phrasing or an answer.
        lang: "en" or "vi" when known (seed phrasings and answers); detected when None.
    """
    sylls = syllables(text)
    if lang == "en" or (lang is None and is_english(text)):
        content = [ENGLISH_SYNONYMS.get(term, term) for term in sylls]
        sylls = [term for term in content if term not in ENGLISH_STOPWORDS] or sylls
    terms = sylls + code_parts(sylls) + bigrams(sylls)
    # Two-syllable words are already bigrams; only longer words add information.
    terms += [word for word in segmented_words(text) if word.count("_") >= 2]
    return terms
