"""Answering knowledge questions: retrieval → a sourced answer, a "did you mean", or an honest no.

``answer_question`` is the one entry point the Rasa action calls. It reads the database through
the cached index (``search.get_index``), so an entry published, edited or unpublished by staff is
used from the very next question. Follow-ups ("còn mẫu E thì sao?", "what about Korea?") re-ask
the previous question with the new entity in place of the old one of the same kind.

A question goes to the exporter helper only when it names a product (or HS code), a destination
country the helper knows (not a country the goods come *from*) and a trade cue ("xuất", "C/O",
"export", a form or agreement), and the FAQ has no decent match of its own: naming Singapore in a
question about Singapore's scholarship is not an export question.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from bot import config
from bot.knowledge import exporter
from bot.knowledge.entities import group_by_kind
from bot.knowledge.models import FaqEntry, UnansweredQuestion, as_date
from bot.knowledge.search import Band, KnowledgeIndex, SearchResult, get_index
from bot.knowledge.text import folded, syllables
from bot.nlp.normalize import normalize_text
from bot.privacy.scrub import scrub_personal_data

HOME_COUNTRY = "Việt Nam"
_ROUTE_KINDS = frozenset({"agreement", "co_form", "country"})
_FOLLOWUP_CUE = re.compile(
    r"^(?:the\s+)?(?:con|vay con|the con|con voi|con neu|what about|how about|and|and for|"
    r"what if|same for)\b|\b(?:thi sao|the nao|thi the nao|ra sao|then)\s*\??$"
)
# Words that carry no topic: left out of the key that groups near-identical unanswered questions.
_GROUP_STOPWORDS_TEXT = (
    "la gi co khong ko the nao nhu o dau bao nhieu khi ai cho minh toi ban hoi xin vay a oi "
    "nhe what is the a an of to how do does can i you me please"
)
_GROUP_STOPWORDS = frozenset(_GROUP_STOPWORDS_TEXT.split())
# A trade intent on folded text: exporting, shipping, selling abroad, origin, forms, tariffs.
_TRADE_CUE = re.compile(
    r"\b(?:xuat|xk|export\w*|ship\w*|sell\w*|c/o|form|hiep dinh|fta|agreement|thue|"
    r"tariff\w*|dut(?:y|ies)|origin|uu dai|preferential)\b"
    r"|\b(?:ban|gui|giao)(?:\s+[\w/]+){0,3}?\s+(?:sang|qua|di|cho)\b"  # "bán tôm sang ..."
)
# Words just before a country that make it where goods come from, not where they go.
_SOURCE_BEFORE = re.compile(r"(?:\b(?:tu|from|of|nhap|import\w*)\s+(?:nuoc\s+)?)$")
# English names of the offices for English replies (the Vietnamese name stays in brackets).
OFFICE_NAMES_EN = {
    config.OFFICE_TRADE: "the Cà Mau Department of Industry and Trade (Sở Công Thương)",
    config.OFFICE_FOREIGN_AFFAIRS: "the Office of the Cà Mau Provincial People's Committee "
    "(foreign affairs)",
}
_TRADE_HINTS = ("origin", "co_", "c_o", "fta", "rcep", "aec", "trade", "export", "window", "asw",
                "ecommerce", "digital", "business", "invest", "xuat", "customs")


@dataclass(frozen=True)
class RelatedQuestion:
    entry_id: str
    question: str


@dataclass(frozen=True)
class FollowupContext:
    """What a follow-up needs from the previous answer (kept in slots between turns)."""

    entry_id: str | None = None
    entities: dict[str, list[str]] = field(default_factory=dict)
    query: str | None = None


@dataclass
class Answer:
    """The reply to a knowledge question.

    ``text`` is ready to send (answer and source line, or the honest "not sure" message);
    ``related`` are "did you mean" questions for buttons; ``candidates`` go to the staff log.
    """

    kind: Band
    text: str
    entry_id: str | None = None
    question: str | None = None
    source_line: str | None = None
    related: list[RelatedQuestion] = field(default_factory=list)
    entities: dict[str, list[str]] = field(default_factory=dict)
    query: str = ""
    candidates: list[dict[str, Any]] = field(default_factory=list)
    office: str | None = None
    exporter: bool = False

    def context(self) -> FollowupContext:
        return FollowupContext(self.entry_id, self.entities, self.query)


def answer_question(
    session: Session,
    text: str,
    lang: str = "vi",
    context: FollowupContext | None = None,
    *,
    followup: bool | None = None,
    today: dt.date | None = None,
) -> Answer:
    """Answer ``text`` from the published entries.

    Args:
        session: a session on the bot's database.
        text: the user's message.
        lang: "en" for English answers (when written), anything else for Vietnamese.
        context: the previous knowledge answer, for follow-ups.
        followup: force (True) or forbid (False) follow-up handling; by default a message with a
            follow-up cue ("còn ... thì sao", "what about ...") and a new entity is one.
        today: the date "năm nay" / "this year" refers to (default: today in the bot's zone).
    """
    lang = "en" if lang == "en" else "vi"
    index = get_index(session)
    query = normalize_text(text or "")
    entities = group_by_kind(index.find_entities(query))
    if context is not None and _is_followup(query, entities, context, followup):
        query, entities = _rewrite_followup(session, index, query, entities, context)
    result = index.search(query, entities=entities, today=today)
    if prefers_exporter(index, query, entities, result):
        return _exporter_reply(index, query, entities, lang)
    return _reply(session, index, result, query, lang)


def answer_entry(session: Session, entry_id: str, lang: str = "vi") -> Answer | None:
    """The answer of one published entry by id (a "did you mean" button); None if unavailable."""
    entry = session.get(FaqEntry, entry_id)
    if entry is None or entry.status != "published":
        return None
    lang = "en" if lang == "en" else "vi"
    question, body, source_line = _render_entry(entry, lang)
    return Answer(
        kind="confident",
        text=f"{body}\n\n{source_line}" if source_line else body,
        entry_id=entry.id,
        question=question,
        source_line=source_line,
        entities=_entry_entities(entry),
        query=entry.question,
    )


def log_unanswered(
    session: Session,
    text: str,
    channel: str | None,
    reason: str,
    candidates: list[dict[str, Any]] | None = None,
    entry_id: str | None = None,
) -> UnansweredQuestion:
    """Keep a question for staff, without personal data (the caller commits)."""
    clean = scrub_personal_data(normalize_text(text or ""))[:1000]
    row = UnansweredQuestion(
        text=clean,
        channel=(channel or None) and str(channel)[:32],
        reason=reason,
        candidates=[
            {"id": c["id"], "score": round(float(c.get("score", 0.0)), 3)} for c in candidates or ()
        ],
        entry_id=entry_id if entry_id and session.get(FaqEntry, entry_id) else None,
        resolved=False,
        group_key=group_key(clean),
    )
    session.add(row)
    session.flush()
    return row


def group_key(text: str) -> str:
    """Sorted topic words of a question: near-identical questions share a key."""
    words = sorted({w for w in syllables(text) if w not in _GROUP_STOPWORDS and not w.isdigit()})
    return " ".join(words)[:200]


# --- follow-ups --------------------------------------------------------------------------------


def _is_followup(
    query: str,
    entities: dict[str, list[str]],
    context: FollowupContext,
    forced: bool | None,
) -> bool:
    if forced is not None:
        return forced and bool(entities)
    if not entities or not (context.entry_id or context.query):
        return False
    return bool(_FOLLOWUP_CUE.search(folded(query).strip(" ?!.")))


def _rewrite_followup(
    session: Session,
    index: KnowledgeIndex,
    query: str,
    new: dict[str, list[str]],
    context: FollowupContext,
) -> tuple[str, dict[str, list[str]]]:
    """The previous question with each newly named entity in place of the old one of its kind."""
    # The user's own previous words first (they match how people ask), else the entry question.
    previous = context.query
    if not previous and context.entry_id:
        entry = session.get(FaqEntry, context.entry_id)
        previous = entry.question if entry is not None else None
    previous = previous or query
    base = folded(previous)
    matches = index.find_entities(previous)
    edits: list[tuple[int, int, str]] = []
    appended: list[str] = []
    for kind, values in new.items():
        same_kind = [m for m in matches if m.kind == kind]
        if not same_kind:
            appended.append(_surface(kind, values[0]))
            continue
        edits.append((same_kind[0].start, same_kind[0].end, _surface(kind, values[0])))
        edits += [(m.start, m.end, "") for m in same_kind[1:]]
    for start, end, surface in sorted(edits, reverse=True):  # right to left: offsets stay valid
        base = base[:start] + surface + base[end:]
    base = " ".join([base, *appended])
    merged = {k: list(v) for k, v in context.entities.items()}
    if set(new) & _ROUTE_KINDS:
        # Agreement, form and country go together: a new one makes the old others stale.
        merged = {k: v for k, v in merged.items() if k not in _ROUTE_KINDS}
    merged.update({k: list(v) for k, v in new.items()})
    return base, merged


def _surface(kind: str, value: str) -> str:
    if kind == "co_form":
        return f"mau {value.lower()}"
    if kind == "hs_code":
        return f"hs {value}"
    return folded(value)


# --- replies -----------------------------------------------------------------------------------


def prefers_exporter(
    index: KnowledgeIndex, query: str, entities: dict[str, list[str]], result: SearchResult
) -> bool:
    """Whether the exporter helper answers better than the FAQ (see the module docstring)."""
    destinations = export_question_destinations(index, query, entities)
    return bool(destinations) and not faq_is_decent(index, result, destinations, entities)


def export_question_destinations(
    index: KnowledgeIndex, query: str, entities: dict[str, list[str]]
) -> list[str]:
    """Destinations the helper knows, if the question is an export question; else []."""
    if not (entities.get("product") or entities.get("hs_code")):
        return []
    rules = exporter.load_rules()
    if rules is None or not has_trade_cue(query, entities):
        return []
    return [c for c in export_destinations(index, query, entities)
            if rules.destination(c) is not None]


def faq_is_decent(
    index: KnowledgeIndex,
    result: SearchResult,
    destinations: list[str],
    entities: dict[str, list[str]],
) -> bool:
    """A confident FAQ match beats the helper; a middling one must be about the same destination
    and the same goods ("Form AJ for Japan" is not "shrimp to Japan")."""
    best = result.best
    if best is None or result.band == "low":
        return False
    if result.band == "confident":
        return True
    about = index.about(best.entry_id)
    same_place = set(destinations) & about.get("country", frozenset())
    goods = about.get("product", frozenset()) | about.get("hs_code", frozenset())
    same_goods = any(
        asked == known or asked.startswith(known) or known.startswith(asked)
        for asked in [*entities.get("product", ()), *entities.get("hs_code", ())]
        for known in goods
    )
    return bool(same_place) and same_goods and not best.conflicts


def export_destinations(
    index: KnowledgeIndex, query: str, entities: dict[str, list[str]]
) -> list[str]:
    """Countries the goods go to: named, not Viet Nam, not only after "từ"/"from"."""
    key = folded(query)
    sources: set[str] = set()
    destinations: set[str] = set()
    for match in index.find_entities(query):
        if match.kind == "country":
            before = key[max(0, match.start - 20):match.start]
            (sources if _SOURCE_BEFORE.search(before) else destinations).add(match.value)
    return [
        country for country in entities.get("country", [])
        if country != HOME_COUNTRY and (country in destinations or country not in sources)
    ]


def has_trade_cue(query: str, entities: dict[str, list[str]]) -> bool:
    """Exporting, origin, a C/O form, an agreement or a tariff is what the question is about."""
    if entities.get("co_form") or entities.get("agreement"):
        return True
    return _TRADE_CUE.search(folded(query)) is not None


def _exporter_reply(
    index: KnowledgeIndex, query: str, entities: dict[str, list[str]], lang: str
) -> Answer:
    rules = exporter.load_rules()
    country = export_question_destinations(index, query, entities)[0]
    product = (entities.get("product") or [None])[0]
    hs_code = (entities.get("hs_code") or [None])[0]
    result = exporter.exporter_answer(
        rules, product=product, hs_code=hs_code, country=country, lang=lang
    )
    related = [
        RelatedQuestion(entry_id, _question_of(index, entry_id, lang))
        for entry_id in result.related_ids
        if entry_id in index.by_id
    ]
    return Answer(
        kind="confident" if result.known else "low",
        text=result.text,
        related=related[:3],
        entities=entities,
        query=query,
        office=None if result.known else config.OFFICE_TRADE,
        exporter=True,
    )


def _question_of(index: KnowledgeIndex, entry_id: str, lang: str) -> str:
    snapshot = index.by_id[entry_id]
    return (snapshot.question_en if lang == "en" and snapshot.question_en else None) or \
        snapshot.question


def _reply(
    session: Session, index: KnowledgeIndex, result: SearchResult, query: str, lang: str
) -> Answer:
    candidates = [
        {"id": c.entry_id, "score": c.score, "coverage": round(c.coverage, 3)}
        for c in result.candidates
    ]
    best = result.best
    entry = session.get(FaqEntry, best.entry_id) if best else None
    if result.band == "low" or entry is None or entry.status != "published":
        office = _office_for(result, index)
        return Answer(
            kind="low",
            text=_not_sure_text(office, lang),
            entities=result.entities,
            query=query,
            candidates=candidates,
            office=office,
        )
    question, body, source_line = _render_entry(entry, lang)
    related = []
    for entry_id in index.related(result, exclude=entry.id):
        if entry_id in index.by_id:
            related.append(RelatedQuestion(entry_id, _question_of(index, entry_id, lang)))
    text = f"{body}\n\n{source_line}" if source_line else body
    if result.band == "middling":
        lead = (f'I think you are asking: "{question}"' if lang == "en"
                else f"Có phải bạn hỏi: «{question}»?")
        text = f"{lead}\n{text}"
    entities = _entry_entities(entry)
    entities.update(result.entities)
    return Answer(
        kind=result.band,
        text=text,
        entry_id=entry.id,
        question=question,
        source_line=source_line,
        related=related,
        entities=entities,
        query=query,
        candidates=candidates,
    )


def _render_entry(entry: FaqEntry, lang: str) -> tuple[str, str, str]:
    """(question, answer body, source line) in the user's language where written."""
    if lang == "en" and entry.answer_en:
        question = entry.question_en or entry.question
        return question, entry.answer_en.strip(), _source_line(entry, "en")
    body = entry.answer.strip()
    if lang == "en":
        body = "(This answer is only available in Vietnamese for now.)\n" + body
    return entry.question, body, _source_line(entry, "vi")


def _source_line(entry: FaqEntry, lang: str) -> str:
    """``Nguồn: <title> (<url>) · Cập nhật: dd/mm/yyyy`` from the first two sources."""
    shown = [
        f"{source.title} ({source.url})" if source.url else source.title
        for source in entry.sources[:2]
    ]
    if len(entry.sources) > 2:
        more = len(entry.sources) - 2
        shown.append(f"+{more} more" if lang == "en" else f"+{more} nguồn khác")
    checked = [as_date(s.checked) for s in entry.sources if s.checked]
    updated = as_date(entry.as_of) or (max(checked) if checked else None)
    if updated is None and entry.updated_at is not None:
        updated = entry.updated_at.astimezone(config.TIMEZONE).date() if entry.updated_at.tzinfo \
            else entry.updated_at.date()
    label, date_label = ("Source", "Updated") if lang == "en" else ("Nguồn", "Cập nhật")
    line = f"{label}: {'; '.join(shown)}" if shown else ""
    if updated is not None:
        line += f" · {date_label}: {updated:%d/%m/%Y}"
    return line.strip(" ·")


def _entry_entities(entry: FaqEntry) -> dict[str, list[str]]:
    entities: dict[str, list[str]] = {}
    for entity in entry.entities:
        entities.setdefault(entity.kind, []).append(entity.value)
    return entities


def _office_for(result: SearchResult, index: KnowledgeIndex) -> str:
    """Trade, origin and business questions go to Sở Công Thương; the rest to Văn phòng UBND."""
    if any(result.entities.get(kind) for kind in ("co_form", "agreement", "product", "hs_code")):
        return config.OFFICE_TRADE
    best = result.best
    topic = index.by_id[best.entry_id].topic if best and best.entry_id in index.by_id else ""
    if any(hint in topic for hint in _TRADE_HINTS):
        return config.OFFICE_TRADE
    return config.OFFICE_FOREIGN_AFFAIRS


def _not_sure_text(office: str, lang: str) -> str:
    if lang == "en":
        return (
            "I don't have reliable information on this yet. "
            f"Please contact {OFFICE_NAMES_EN.get(office, office)}, who can help you. "
            "I have noted your question so that our staff can add the answer."
        )
    return (
        "Mình chưa có thông tin chắc chắn về câu hỏi này. "
        f"Bạn vui lòng liên hệ {office} để được hỗ trợ. "
        "Mình đã ghi lại câu hỏi để cán bộ bổ sung câu trả lời."
    )
