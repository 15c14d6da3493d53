"""Ranked retrieval over the published FAQ entries (BM25 from ``rank-bm25``).

Each phrasing of an entry (question, variants, English question and variants) is its own BM25
document; an entry scores as its best phrasing plus a smaller share of its answer's score, so a
long answer does not drown the short phrasings and a question worded like the answer still finds
it. Entities in the question then boost entries about the same agreement, form, country, product or
HS code and push down entries about a different one of the same kind.

Confidence is the share of the question's information (IDF mass of its terms) that the best
entry's closest phrasing covers: out-of-scope questions leave most of their rare words unmatched.
The bands' thresholds are tuned on held-out variants (see ``bot.knowledge.evaluate --tune``), never
on the evaluation set.

The index lives in the process and is keyed by the knowledge data version (``models.DataVersion``
plus the entry count and newest ``updated_at``), checked with one small query per question.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from rank_bm25 import BM25Okapi
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.knowledge.entities import EntityMatch, Vocabulary, group_by_kind
from bot.knowledge.models import KNOWLEDGE_VERSION_NAME, DataVersion, FaqEntity, FaqEntry
from bot.knowledge.text import index_terms

Band = Literal["confident", "middling", "low"]


@dataclass(frozen=True)
class SearchSettings:
    """Ranking weights and confidence thresholds.

    Tuned with ``python -m bot.knowledge.evaluate --tune`` on held-out seed variants (5 folds) and
    40 out-of-scope tuning questions, never on the evaluation set (2026-11-26, 228 entries: dev
    top-1 48.9%, top-3 71.5%; confident answers 90.6% right on 8.1% of dev questions).
    """

    k1: float = 1.2
    b: float = 0.5
    answer_weight: float = 0.15
    pooled_weight: float = 1.0
    entity_boost: float = 0.35
    entity_penalty: float = 0.25
    confident_at: float = 0.35
    confident_margin: float = 0.6  # confident also needs 1 - second/best score >= this
    middling_at: float = 0.35


DEFAULT_SETTINGS = SearchSettings()


@dataclass(frozen=True)
class EntrySnapshot:
    """What retrieval needs of one published entry (plain data: safe across sessions)."""

    id: str
    topic: str
    question: str
    question_en: str | None
    phrasings: tuple[tuple[str, str], ...]  # (text, lang), the question first
    answer_text: str
    entities: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float
    coverage: float
    conflicts: tuple[str, ...] = ()  # entity kinds where the entry is about something else


@dataclass(frozen=True)
class SearchResult:
    candidates: list[Candidate]
    entities: dict[str, list[str]]
    band: Band

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def snapshots_from_db(session: Session) -> list[EntrySnapshot]:
    """Published entries with phrasings and entities, ordered by id for a stable index."""
    entries = session.scalars(
        select(FaqEntry)
        .where(FaqEntry.status == "published")
        .options(selectinload(FaqEntry.variants), selectinload(FaqEntry.entities))
        .order_by(FaqEntry.id)
    ).all()
    return [snapshot_of(entry) for entry in entries]


def snapshot_of(entry: FaqEntry) -> EntrySnapshot:
    phrasings: list[tuple[str, str]] = [(entry.question, "vi")]
    if entry.question_en:
        phrasings.append((entry.question_en, "en"))
    phrasings += [(v.text, v.lang or "vi") for v in entry.variants if v.text]
    entities: dict[str, list[str]] = {}
    for entity in entry.entities:
        entities.setdefault(entity.kind, []).append(entity.value)
    return EntrySnapshot(
        id=entry.id,
        topic=entry.topic,
        question=entry.question,
        question_en=entry.question_en,
        phrasings=tuple(dict.fromkeys(phrasings)),
        answer_text="\n".join(t for t in (entry.answer, entry.answer_en) if t),
        entities={kind: tuple(values) for kind, values in entities.items()},
    )


class KnowledgeIndex:
    """BM25 over phrasings and answers of a fixed set of entries."""

    def __init__(
        self,
        entries: Sequence[EntrySnapshot],
        settings: SearchSettings = DEFAULT_SETTINGS,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.entries = list(entries)
        self.settings = settings
        self.by_id = {entry.id: entry for entry in self.entries}
        self.vocabulary = vocabulary or Vocabulary.default()
        for entry in self.entries:
            for kind, values in entry.entities.items():
                for value in values:
                    self.vocabulary.add(kind, value)
        self._phrase_entry: list[int] = []
        self._phrase_terms: list[set[str]] = []
        corpus: list[list[str]] = []
        for position, entry in enumerate(self.entries):
            for text, _lang in entry.phrasings:
                terms = index_terms(text)
                corpus.append(terms)
                self._phrase_terms.append(set(terms))
                self._phrase_entry.append(position)
        pooled: list[list[str]] = [[] for _ in self.entries]
        for position, terms in zip(self._phrase_entry, corpus, strict=True):
            pooled[position].extend(terms)
        answers = [index_terms(entry.answer_text) for entry in self.entries]
        self._phrases = BM25Okapi(corpus or [[""]], k1=settings.k1, b=settings.b)
        self._answers = BM25Okapi(answers or [[""]], k1=settings.k1, b=settings.b)
        # All phrasings of an entry as one document: words spread over several variants add up.
        self._pooled = BM25Okapi(pooled or [[""]], k1=settings.k1, b=settings.b)
        self._phrase_entry_array = np.array(self._phrase_entry, dtype=int)
        self._max_idf = max(self._phrases.idf.values(), default=1.0)

    def find_entities(self, text: str) -> list[EntityMatch]:
        return self.vocabulary.find(text)

    def search(
        self,
        text: str,
        *,
        entities: dict[str, list[str]] | None = None,
        limit: int = 5,
    ) -> SearchResult:
        """Rank entries for ``text``; ``entities`` overrides the ones found in the text."""
        if entities is None:
            entities = group_by_kind(self.find_entities(text))
        terms = index_terms(text)
        if not self.entries or not terms:
            return SearchResult([], entities, "low")
        known = [term for term in terms if term in self._phrases.idf]
        phrase_scores = self._phrases.get_scores(known)
        best_phrase = np.full(len(self.entries), -1, dtype=int)
        best_score = np.zeros(len(self.entries))
        for phrase, score in enumerate(phrase_scores):
            position = self._phrase_entry_array[phrase]
            if best_phrase[position] < 0 or score > best_score[position]:
                best_phrase[position], best_score[position] = phrase, score
        answer_terms = [term for term in terms if term in self._answers.idf]
        scores = best_score + self.settings.answer_weight * self._answers.get_scores(answer_terms)
        if self.settings.pooled_weight:
            pooled_terms = [term for term in terms if term in self._pooled.idf]
            scores += self.settings.pooled_weight * self._pooled.get_scores(pooled_terms)
        conflicts: dict[int, tuple[str, ...]] = {}
        for position, entry in enumerate(self.entries):
            factor, clashing = self._entity_factor(entry, entities)
            scores[position] *= factor
            if clashing:
                conflicts[position] = clashing
        order = np.argsort(-scores, kind="stable")[:limit]
        query_weights = self._term_weights(terms)
        candidates = [
            Candidate(
                entry_id=self.entries[position].id,
                score=float(scores[position]),
                coverage=self._coverage(query_weights, self._phrase_terms[best_phrase[position]]),
                conflicts=conflicts.get(position, ()),
            )
            for position in order
            if scores[position] > 0
        ]
        return SearchResult(candidates, entities, self._band(candidates))

    @staticmethod
    def margin(candidates: list[Candidate]) -> float:
        """How far the best entry is ahead of the next one (0 = tied, 1 = alone)."""
        if not candidates or candidates[0].score <= 0:
            return 0.0
        if len(candidates) == 1:
            return 1.0
        return 1 - candidates[1].score / candidates[0].score

    def _entity_factor(
        self, entry: EntrySnapshot, entities: dict[str, list[str]]
    ) -> tuple[float, tuple[str, ...]]:
        factor, clashing = 1.0, []
        for kind, values in entities.items():
            about = entry.entities.get(kind)
            if not about:
                continue
            if set(values) & set(about):
                factor *= 1 + self.settings.entity_boost
            else:
                factor *= self.settings.entity_penalty
                clashing.append(kind)
        return factor, tuple(clashing)

    def _term_weights(self, terms: Iterable[str]) -> dict[str, float]:
        return {term: self._phrases.idf.get(term, self._max_idf) for term in set(terms)}

    @staticmethod
    def _coverage(weights: dict[str, float], phrase_terms: set[str]) -> float:
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        return sum(w for term, w in weights.items() if term in phrase_terms) / total

    def _band(self, candidates: list[Candidate]) -> Band:
        if not candidates:
            return "low"
        best = candidates[0]
        if (
            best.coverage >= self.settings.confident_at
            and self.margin(candidates) >= self.settings.confident_margin
            and not best.conflicts
        ):
            return "confident"
        if best.coverage >= self.settings.middling_at:
            return "middling"
        return "low"

    def related(self, result: SearchResult, exclude: str, limit: int = 3) -> list[str]:
        """Ids of the next-best entries worth offering as "did you mean" buttons."""
        top = result.best.score if result.best else 0.0
        return [
            c.entry_id
            for c in result.candidates
            if c.entry_id != exclude and c.score >= 0.3 * top
        ][:limit]


# --- the per-process cache, keyed by database and data version -----------------------------------

_cache: dict[str, tuple[tuple, KnowledgeIndex]] = {}
_cache_lock = threading.Lock()


def data_version(session: Session) -> tuple:
    """A cheap fingerprint of the knowledge data: the counter, the entry count, the newest edit.

    The counter catches every change made through SQLAlchemy (staff app, loader, tests); count and
    ``max(updated_at)`` also catch rows written by hand in SQL.
    """
    counter = (
        select(DataVersion.version)
        .where(DataVersion.name == KNOWLEDGE_VERSION_NAME)
        .scalar_subquery()
    )
    row = session.execute(
        select(counter, func.count(FaqEntry.id), func.max(FaqEntry.updated_at))
    ).one()
    entities = session.scalar(select(func.count(FaqEntity.id)))
    return (row[0], row[1], str(row[2]), entities)


def get_index(session: Session, settings: SearchSettings | None = None) -> KnowledgeIndex:
    """The index for the session's database, rebuilt only when the data version moved."""
    settings = settings or DEFAULT_SETTINGS
    key = str(session.get_bind().url)
    version = (data_version(session), settings)
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached[0] == version:
            return cached[1]
    index = KnowledgeIndex(snapshots_from_db(session), settings, vocabulary=_exporter_vocabulary())
    with _cache_lock:
        _cache[key] = (version, index)
    return index


def _exporter_vocabulary() -> Vocabulary:
    """The default vocabulary plus product and country spellings from the exporter rules."""
    from bot.knowledge.exporter import load_rules  # local: exporter imports this module's types

    vocabulary = Vocabulary.default()
    rules = load_rules()
    if rules is not None:
        rules.extend_vocabulary(vocabulary)
    return vocabulary


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
