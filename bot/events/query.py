"""A question about events → the filters to search with (``EventQuery``).

Entities from the NLU win; whatever the NLU missed is read from the raw text with the same
vocabulary (``bot.events.vocab``) and time rules (``bot.events.timeexpr``). What is left after
removing time, kind, audience, place and topic words (and question words) are ``name_terms``: the
words of an event's name, as in "Ngày hội Cua Cà Mau diễn ra khi nào?".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.events import vocab
from bot.events.timeexpr import DateRange, parse_time_range
from bot.nlp.normalize import search_key

# Words that carry no name information: question words, fillers, time and generic event words.
_STOPWORDS = frozenset(re.split(
    r"\s+",
    """
    a ad ah ai an and any are as asean at ba bao be bi biet bo buoi cac cai can cap chi cho chuc
    chuong chu co con cu cung da dang dau day den di dien diem do doi duoc em gan gi gio giup hay
    het hien hoat hom hon in is it khac khi khong la lam lan le lich luc ma mai may me minh moi
    muon my nao nay nhe nhi nho nhung nua o of oi on ong or ra ro sao sap se show su kien sau tai
    tham the there thi thoi tin to toi trinh trong tu tuan ve vay vao vi voi vua xem what when
    where which will with xin ya gia nam thang quy cuoi giua nhat dong events event tinh nhieu
    muc thong bat ket thuc u uh vui hot ky not dk
    """.strip(),
))
_OPEN_REGISTRATION = re.compile(
    r"\b(dang mo dang ky|mo dang ky|con nhan dang ky|con dang ky duoc|dang cho dang ky"
    r"|dang nhan dang ky|open for registration|registration open)\b"
)
_PAST_WORDS = re.compile(r"\b(da dien ra|da to chuc|vua qua|vua roi|truoc day|was held|past)\b")


@dataclass
class EventQuery:
    """Filters of one event search; serialisable into a slot so follow-ups can change one part."""

    range: DateRange | None = None
    kind: str | None = None
    audience: str | None = None
    place: str | None = None
    topic: str | None = None
    name_terms: list[str] = field(default_factory=list)
    open_registration: bool = False
    offset: int = 0

    def is_empty(self) -> bool:
        return not (self.range or self.kind or self.audience or self.place or self.topic
                    or self.name_terms or self.open_registration)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["range"] = self.range.to_dict() if self.range else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> EventQuery:
        if not data:
            return cls()
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["range"] = DateRange.from_dict(values.get("range"))
        values["name_terms"] = list(values.get("name_terms") or [])
        return cls(**values)


def _entity_values(entities: Iterable[dict[str, Any]] | None, name: str) -> list[str]:
    return [str(e["value"]) for e in entities or () if e.get("entity") == name and e.get("value")]


def _strip_phrases(key: str, tables: tuple[str, ...] = ("kind", "audience", "place")) -> str:
    for table in tables:
        for pattern, _value in vocab._pattern(table):
            key = pattern.sub(" ", key)
    return key


def name_terms_of(key: str) -> list[str]:
    """Words of ``key`` (folded text) that could be part of an event's name.

    Topic words stay ("Festival tôm", "Ngày hội Cua"), but a message made only of filter words
    ("hội thảo về quy tắc xuất xứ") names no event.
    """
    def words(text: str) -> list[str]:
        tokens = re.findall(r"[a-z0-9]+", text)
        return [t for t in dict.fromkeys(tokens) if t not in _STOPWORDS and not t.isdigit()
                and len(t) > 1]

    stripped = _strip_phrases(key)
    if not words(_strip_phrases(stripped, ("topic",))):
        return []
    return words(stripped)


def parse_event_question(
    text: str,
    now: dt.datetime,
    entities: Iterable[dict[str, Any]] | None = None,
) -> EventQuery:
    """Filters for an event question.

    Args:
        text: the user's message as typed.
        now: current moment (timezone-aware).
        entities: Rasa entities of the message (``entity``/``value``), if any.
    """
    entities = list(entities or [])
    key = search_key(text or "")
    query = EventQuery()

    time_phrases = _entity_values(entities, "time")
    for phrase in time_phrases:
        query.range = parse_time_range(phrase, now)
        if query.range:
            break
    if query.range is None:
        query.range = parse_time_range(text or "", now)

    for slot, table in (("kind", "kind"), ("audience", "audience"), ("place", "place"),
                        ("topic", "topic")):
        entity = "event_kind" if slot == "kind" else slot
        values = [vocab.canonical(table, v) for v in _entity_values(entities, entity)]
        values = [v for v in values if v]
        setattr(query, slot, values[0] if values else vocab.find_first(table, key))
    if query.topic is None:
        products = _entity_values(entities, "product")
        query.topic = vocab.canonical("topic", products[0]) if products else None

    query.open_registration = bool(_OPEN_REGISTRATION.search(key))
    # Name words: what is left beyond the filters ("Festival tôm", "Ngày hội Cua").
    residual = key
    for phrase in time_phrases:
        residual = residual.replace(search_key(phrase), " ")
    query.name_terms = name_terms_of(residual)
    return query


def wants_past(text: str) -> bool:
    """The message asks about something that already happened ("đã diễn ra", "vừa qua")."""
    return bool(_PAST_WORDS.search(search_key(text or "")))
