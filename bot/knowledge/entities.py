"""The entities a knowledge question is about: agreements, C/O forms, countries, products, HS.

The vocabulary is the canonical values of CONTRIBUTING.md plus their usual spellings, extended at
run time by the values staff put on entries and by the exporter rules (product synonyms). Matching
runs on folded text, so "Hàn Quốc", "han quoc" and "Korea" are one country. A one-syllable
Vietnamese alias is ambiguous once folded ("hàn" vs "hạn", "cua" vs "của"), so it only counts when
typed with its marks.

>>> vocab = Vocabulary.default()
>>> [(m.kind, m.value) for m in vocab.find("còn mẫu E thì sao?")]
[('co_form', 'E')]
>>> [(m.kind, m.value) for m in vocab.find("what about Korea?")]
[('country', 'Hàn Quốc')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.knowledge.text import folded
from bot.nlp.normalize import normalize_text

ENTITY_KINDS = ("agreement", "co_form", "country", "product", "hs_code")

AGREEMENTS = {
    "ATIGA": ["atiga", "hiệp định thương mại hàng hóa asean", "asean trade in goods agreement"],
    "ACFTA": ["acfta", "asean - trung quốc", "asean-trung quốc", "asean-china fta"],
    "AKFTA": ["akfta", "asean - hàn quốc", "asean-hàn quốc", "asean-korea fta"],
    "AJCEP": ["ajcep", "asean - nhật bản", "asean-nhật bản"],
    "AANZFTA": ["aanzfta", "asean - úc - new zealand", "asean-australia-new zealand"],
    "AIFTA": ["aifta", "asean - ấn độ", "asean-ấn độ", "asean-india fta"],
    "AHKFTA": ["ahkfta", "asean - hồng kông", "asean-hồng kông", "asean-hong kong fta"],
    "RCEP": ["rcep", "hiệp định đối tác kinh tế toàn diện khu vực"],
    "DEFA": ["defa", "hiệp định khung về kinh tế số", "digital economy framework agreement"],
    "DEA": ["dea"],
}
CO_FORMS = ("D", "E", "AK", "AJ", "AANZ", "AI", "AHK", "RCEP", "VJ", "VK", "CPTPP", "EUR.1")
COUNTRIES = {
    "Brunei": ["brunei"],
    "Campuchia": ["campuchia", "cam pu chia", "cambodia"],
    "Indonesia": ["indonesia", "in-đô-nê-xi-a", "indo"],
    "Lào": ["lào", "laos", "lao pdr"],
    "Malaysia": ["malaysia", "ma-lai-xi-a", "mã lai"],
    "Myanmar": ["myanmar", "miến điện", "burma"],
    "Philippines": ["philippines", "philippin", "phi-líp-pin", "philipines", "phillipines"],
    "Singapore": ["singapore", "xin-ga-po", "singapo"],
    "Thái Lan": ["thái lan", "thailand", "thái"],
    "Timor-Leste": ["timor-leste", "timor leste", "đông timor", "east timor"],
    "Việt Nam": ["việt nam", "vietnam", "viet nam"],
    "Trung Quốc": ["trung quốc", "china", "tq"],
    "Hàn Quốc": ["hàn quốc", "korea", "south korea", "hàn"],
    "Nhật Bản": ["nhật bản", "japan", "nhật"],
    "Úc": ["úc", "australia", "ốt-xtrây-li-a"],
    "New Zealand": ["new zealand", "niu di-lân"],
    "Ấn Độ": ["ấn độ", "india"],
    "Hồng Kông": ["hồng kông", "hong kong", "hongkong"],
    "Hoa Kỳ": ["hoa kỳ", "mỹ", "usa", "united states"],
    "EU": ["eu", "liên minh châu âu", "châu âu", "european union"],
    "Canada": ["canada"],
}
# Short names that are part of other words in common phrases ("lao động" is labour, not Laos,
# "cập nhật" is "updated", not Japan). Folded; a match inside one of these is ignored.
_FALSE_FRIENDS = {
    "lao": ("lao dong", "lao cai"),
    "nhat": ("cap nhat",),
    "thai": ("trang thai", "thai do"),
    "my": ("my pham", "tham my", "my thuat", "my nghe"),
}
# One-syllable names that mean nothing else once folded, so they count without marks too.
_SAFE_UNMARKED = {"uc", "lao"}
_FORM_PREFIX = r"(?:c/o|mau|form|e-form|eform)"
_CO_FORM = re.compile(
    rf"\b{_FORM_PREFIX}\s+(?:c/o\s+)?(?P<form>{'|'.join(re.escape(f.lower()) for f in CO_FORMS)})"
    r"(?![\w.])"
)
_HS_CODE = re.compile(
    r"\b(?:(?:ma\s+)?hs(?:\s+code)?|ma\s+so|chuong|chapter|heading|nhom)\s*:?\s*"
    r"(?P<code>\d{2}(?:[.\s]?\d{2}){0,4})\b"
    r"|\b(?P<dotted>\d{4}\.\d{2}(?:\.\d{2,4})?)\b"
)


@dataclass(frozen=True)
class EntityMatch:
    """One entity found in a text; ``start``/``end`` index the folded text (``folded(text)``)."""

    kind: str
    value: str
    start: int
    end: int


@dataclass
class _Alias:
    kind: str
    value: str
    folded: str
    accented: str
    needs_marks: bool
    ambiguous: bool = False  # registered as ambiguous: later unmarked listings do not relax it


@dataclass
class Vocabulary:
    """Aliases per entity kind, compiled for matching on folded text."""

    aliases: list[_Alias] = field(default_factory=list)

    @classmethod
    def default(cls) -> Vocabulary:
        vocab = cls()
        for value, names in AGREEMENTS.items():
            vocab.add("agreement", value, names)
        for value, names in COUNTRIES.items():
            vocab.add("country", value, names)
        return vocab

    def add(
        self, kind: str, value: str, names: Iterable[str] = (), *, ambiguous: bool = False
    ) -> None:
        """Register ``value`` (itself an alias) and its other spellings for ``kind``.

        ``ambiguous``: the value folds onto a common word ("cua" ~ "của", "muối" ~ "mười"), so
        the value itself only counts as a whole word typed in a text that has marks; its
        several-word synonyms ("cua biển") count as usual.
        """
        if kind in ("co_form", "hs_code"):
            return  # matched by patterns, not by name
        known = {(a.kind, a.folded): a for a in self.aliases}
        strict = folded(normalize_text(str(value), expand_teencode=False).lower()).strip()
        for name in [value, *names]:
            accented = normalize_text(str(name), expand_teencode=False).lower().strip()
            key = folded(accented).strip()
            if not key:
                continue
            one_word = " " not in key
            strict_alias = ambiguous and one_word and key == strict
            if (kind, key) in known:
                alias = known[(kind, key)]
                if strict_alias:
                    alias.needs_marks = alias.ambiguous = True
                elif accented.isascii() and not alias.ambiguous:
                    alias.needs_marks = False  # listed unmarked on purpose: safe unmarked
                continue
            needs_marks = strict_alias or (
                one_word and not accented.isascii() and key not in _SAFE_UNMARKED
            )
            known[(kind, key)] = _Alias(kind, value, key, accented, needs_marks, strict_alias)
            self.aliases.append(known[(kind, key)])
        # Longest aliases first: "hàn quốc" must win over "hàn".
        self.aliases.sort(key=lambda a: len(a.folded), reverse=True)

    def find(self, text: str) -> list[EntityMatch]:
        """Entities in ``text``, in order of appearance, without overlaps."""
        key = folded(text)
        accented = normalize_text(text or "").lower()
        has_marks = not accented.isascii()
        taken: list[tuple[int, int]] = []
        matches: list[EntityMatch] = []

        def claim(kind: str, value: str, start: int, end: int) -> None:
            if any(start < e and s < end for s, e in taken):
                return
            taken.append((start, end))
            matches.append(EntityMatch(kind, value, start, end))

        for m in _CO_FORM.finditer(key):
            value = next(f for f in CO_FORMS if f.lower() == m.group("form"))
            claim("co_form", value, m.start(), m.end())
        for m in _HS_CODE.finditer(key):
            code = re.sub(r"[.\s]", "", m.group("code") or m.group("dotted"))
            claim("hs_code", code, m.start(), m.end())
        for alias in self.aliases:
            if alias.needs_marks and not (has_marks and _has_word(accented, alias.accented)):
                continue
            for m in re.finditer(rf"(?<![\w/-]){re.escape(alias.folded)}(?![\w/-])", key):
                if not _inside_false_friend(key, alias.folded, m.start(), m.end()):
                    claim(alias.kind, alias.value, m.start(), m.end())
        return sorted(matches, key=lambda match: match.start)


def _has_word(text: str, word: str) -> bool:
    """``word`` as a whole word of ``text`` ("cá" is not in "cách", "cua" is not in "của")."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


def _inside_false_friend(key: str, alias: str, start: int, end: int) -> bool:
    for friend in _FALSE_FRIENDS.get(alias, ()):
        for m in re.finditer(re.escape(friend), key):
            if m.start() <= start and end <= m.end():
                return True
    return False


def group_by_kind(matches: Iterable[EntityMatch]) -> dict[str, list[str]]:
    """``{kind: [values]}`` without duplicates, in order of appearance."""
    grouped: dict[str, list[str]] = {}
    for match in matches:
        values = grouped.setdefault(match.kind, [])
        if match.value not in values:
            values.append(match.value)
    return grouped
