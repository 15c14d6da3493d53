"""The unanswered-questions inbox: group near-identical questions and turn a group into knowledge.

Grouping: each question's key is its stored ``group_key`` (topic words, stop words dropped) or,
failing that, ``search_key`` (normalised, diacritic-folded). Keys are compared as TF-IDF vectors of
character 2–4-grams (scikit-learn), which tolerates missing marks, typos and word order, and
clustered with average-linkage hierarchical clustering (SciPy) cut at a cosine-distance threshold.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.knowledge.models import FaqEntry, FaqTopic, FaqVariant, UnansweredQuestion
from bot.nlp.normalize import search_key
from bot.staff.accounts import StaffIdentity
from bot.staff.revisions import record_change, snapshot

# Cosine distance under which two questions are "the same question" (similarity ≥ 0.45).
DEFAULT_DISTANCE = 0.55
MAX_QUESTIONS = 3000  # the most recent unresolved questions considered at once


@dataclass(frozen=True)
class InboxQuestion:
    id: int
    text: str
    reason: str
    created_at: dt.datetime | None = None
    entry_id: str | None = None
    candidates: tuple[str, ...] = ()
    key: str = ""


@dataclass
class QuestionGroup:
    """Questions that ask the same thing, most frequent wording first."""

    question_ids: list[int]
    texts: list[str]
    count: int
    reasons: Counter = field(default_factory=Counter)
    suggested_entries: list[str] = field(default_factory=list)
    last_seen: dt.datetime | None = None

    @property
    def representative(self) -> str:
        return self.texts[0] if self.texts else ""

    @property
    def ids_csv(self) -> str:
        return ",".join(str(i) for i in self.question_ids)


def load_unresolved(session: Session, limit: int = MAX_QUESTIONS) -> list[InboxQuestion]:
    rows = session.execute(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.resolved.is_(False))
        .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
        .limit(limit)
    ).scalars()
    return [
        InboxQuestion(
            id=row.id,
            text=row.text,
            reason=row.reason,
            created_at=row.created_at,
            entry_id=row.entry_id,
            candidates=tuple(str(c.get("id")) for c in (row.candidates or []) if c.get("id")),
            key=row.group_key or "",
        )
        for row in rows
    ]


def question_key(question: InboxQuestion) -> str:
    return (question.key or search_key(question.text)).strip()


def group_questions(
    questions: Iterable[InboxQuestion], max_distance: float = DEFAULT_DISTANCE
) -> list[QuestionGroup]:
    """Cluster questions by similarity; groups sorted by size, then by most recent."""
    questions = list(questions)
    if not questions:
        return []
    # Identical keys are one point with a weight: clustering cost depends on distinct wordings.
    by_key: dict[str, list[InboxQuestion]] = {}
    for question in questions:
        by_key.setdefault(question_key(question) or f"#{question.id}", []).append(question)
    keys = list(by_key)
    labels = _cluster(keys, max_distance)
    clusters: dict[int, list[InboxQuestion]] = {}
    for key, label in zip(keys, labels, strict=False):
        clusters.setdefault(int(label), []).extend(by_key[key])
    groups = [_make_group(members) for members in clusters.values()]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    groups.sort(key=lambda g: (-g.count, -_timestamp(g.last_seen or oldest)))
    return groups


def _cluster(keys: list[str], max_distance: float) -> np.ndarray:
    if len(keys) == 1:
        return np.array([1])
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(keys).toarray()
    except ValueError:  # nothing but very short keys: no n-grams to compare
        return np.arange(1, len(keys) + 1)
    distances = np.clip(pdist(matrix, metric="cosine"), 0.0, 2.0)
    distances = np.nan_to_num(distances, nan=1.0)  # an all-zero vector is like nothing
    tree = linkage(distances, method="average")
    return fcluster(tree, t=max_distance, criterion="distance")


def _make_group(members: list[InboxQuestion]) -> QuestionGroup:
    wordings = Counter(m.text.strip() for m in members)
    texts = [text for text, _ in wordings.most_common()]
    suggestions: Counter = Counter()
    for member in members:
        if member.entry_id:
            suggestions[member.entry_id] += 2  # the answer a user rated 👎 is the likely home
        for rank, entry_id in enumerate(member.candidates[:3]):
            suggestions[entry_id] += 1.0 / (rank + 1)
    seen = [m.created_at for m in members if m.created_at is not None]
    return QuestionGroup(
        question_ids=sorted(m.id for m in members),
        texts=texts,
        count=len(members),
        reasons=Counter(m.reason for m in members),
        suggested_entries=[entry_id for entry_id, _ in suggestions.most_common(5)],
        last_seen=max(seen, key=_timestamp) if seen else None,
    )


def _timestamp(value: dt.datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


class InboxError(ValueError):
    """An inbox action that cannot be carried out; the message is for people."""


def mark_resolved(session: Session, question_ids: list[int], key: str | None = None) -> int:
    """Mark questions resolved (and label them with the group's key); returns rows changed."""
    if not question_ids:
        return 0
    values: dict[str, Any] = {"resolved": True}
    if key:
        values["group_key"] = key[:200]
    result = session.execute(
        update(UnansweredQuestion)
        .where(UnansweredQuestion.id.in_(question_ids), UnansweredQuestion.resolved.is_(False))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def add_as_variant(
    session: Session,
    question_ids: list[int],
    entry_id: str,
    text: str,
    actor: StaffIdentity | str | None = None,
) -> FaqEntry:
    """Add ``text`` as a phrasing of an existing entry and resolve the group (caller commits)."""
    text = _clean_text(text)
    entry = session.get(FaqEntry, entry_id)
    if entry is None:
        raise InboxError(f"Không có câu hỏi mã “{entry_id}”.")
    before = snapshot(entry)
    if search_key(text) not in {search_key(v.text) for v in entry.variants} | {
        search_key(entry.question)
    }:
        entry.variants.append(FaqVariant(text=text, lang=_language_of(text)))
    record_change(session, entry, before, "update", actor)
    mark_resolved(session, question_ids, search_key(text))
    return entry


def start_draft_entry(
    session: Session,
    question_ids: list[int],
    topic: str,
    text: str,
    other_texts: Iterable[str] = (),
    actor: StaffIdentity | str | None = None,
) -> FaqEntry:
    """Create a draft entry whose question is ``text`` (other wordings become phrasings).

    The answer is left empty for staff to write; a draft is never shown to users.
    """
    text = _clean_text(text)
    if session.get(FaqTopic, topic) is None:
        raise InboxError("Vui lòng chọn một chủ đề có sẵn.")
    entry = FaqEntry(
        id=_new_entry_id(session, topic, text),
        topic=topic,
        question=text,
        answer="",
        status="draft",
    )
    keys = {search_key(text)}
    for other in other_texts:
        other = other.strip()
        if other and search_key(other) not in keys:
            keys.add(search_key(other))
            entry.variants.append(FaqVariant(text=other[:500], lang=_language_of(other)))
    session.add(entry)
    record_change(session, entry, None, "create", actor)
    mark_resolved(session, question_ids, search_key(text))
    return entry


def _clean_text(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise InboxError("Câu hỏi không được để trống.")
    if len(text) > 500:
        raise InboxError("Câu hỏi quá dài (tối đa 500 ký tự).")
    return text


def _new_entry_id(session: Session, topic: str, text: str) -> str:
    """A readable unique slug: short topic prefix + the first folded words of the question."""
    prefix = re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-")[:12] or "faq"
    words = re.sub(r"[^a-z0-9]+", "-", search_key(text)).strip("-")[:50].strip("-") or "moi"
    base = f"{prefix}-{words}"[:72].strip("-")
    candidate, number = base, 2
    while session.get(FaqEntry, candidate) is not None:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def _language_of(text: str) -> str:
    try:
        from bot.nlp.language import detect_language
    except ImportError:
        return "vi"
    return "en" if detect_language(text) == "en" else "vi"
