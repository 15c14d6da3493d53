"""Ranked retrieval over the published FAQ entries (BM25 from ``rank-bm25``).

Each phrasing of an entry (question, variants, English question and variants) is its own BM25
document; an entry scores as its best phrasing, plus all its phrasings pooled as one document,
plus a smaller share of its answer's score, so a long answer does not drown the short phrasings
and a question worded like the answer still finds it. Entities in the question then boost entries
about the same agreement, form, country, product or HS code (declared by staff or named in the
entry's own phrasings) and push down entries about a different one of the same kind; naming Viet
Nam pushes nothing down.

Confidence (``confidence``) mixes how much of the question's information (IDF mass of its terms,
question words such as "bao nhiêu" counting little) the best entry's phrasings cover, and how far
it leads the runner-up: out-of-scope questions leave their rare words unmatched, and near-ties are
shaky. The bands' thresholds are tuned on a dev set (``python -m bot.knowledge.evaluate --tune``),
never on the evaluation set.

The index lives in the process and is keyed by the knowledge data version (``models.DataVersion``
plus the entry count and newest ``updated_at``), checked with one small query per question.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from rank_bm25 import BM25Okapi
from scipy import sparse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot import config
from bot.knowledge.entities import EntityMatch, Vocabulary, group_by_kind
from bot.knowledge.models import KNOWLEDGE_VERSION_NAME, DataVersion, FaqEntity, FaqEntry
from bot.knowledge.text import index_terms, is_generic, relative_years

Band = Literal["confident", "middling", "low"]
# Naming Viet Nam says little: nearly every question is about it, so it never clashes.
NEUTRAL_VALUES = frozenset({"Việt Nam"})


class SparseBM25:
    """rank_bm25's BM25Okapi scores computed as one sparse product.

    Same figures as ``BM25Okapi.get_scores`` (its idf, k1, b), but the per-document Python loop is
    replaced by a documents × terms matrix of each term's BM25 contribution, built once per index:
    20 → 9 ms median per question in bot.bench's profile.
    """

    def __init__(self, corpus: list[list[str]], k1: float, b: float) -> None:
        bm25 = BM25Okapi(corpus, k1=k1, b=b)
        self.idf = bm25.idf
        self._column = {term: i for i, term in enumerate(self.idf)}
        doc_len = np.asarray(bm25.doc_len, dtype=float)
        norm = k1 * (1 - b + b * doc_len / bm25.avgdl)
        rows, cols, values = [], [], []
        for doc, freqs in enumerate(bm25.doc_freqs):
            for term, tf in freqs.items():
                rows.append(doc)
                cols.append(self._column[term])
                values.append((self.idf[term] or 0) * tf * (k1 + 1) / (tf + norm[doc]))
        self._matrix = sparse.csc_matrix(
            (values, (rows, cols)), shape=(len(doc_len), len(self._column))
        )

    def get_scores(self, query: list[str]) -> np.ndarray:
        counts = Counter(self._column[q] for q in query if q in self._column)
        if not counts:
            return np.zeros(self._matrix.shape[0])
        return self._matrix[:, list(counts)] @ np.fromiter(counts.values(), dtype=float)


@dataclass(frozen=True)
class SearchSettings:
    """Ranking weights and confidence thresholds.

    Tuned with ``python -m bot.knowledge.evaluate --tune`` on the dev set
    (``tests/data/knowledge_dev.yml``, 227 in-KB and 78 out-of-scope questions), never on the
    evaluation set. Objective: most in-KB questions given a right answer, with >= 75% of
    out-of-scope questions answered "low" and <= 15% of in-KB questions given a wrong answer;
    confident answers >= 95% right. On 2026-11-26 (228 entries): dev top-1 91.2%, top-3 96.5%,
    right answer given 85.5%, wrong 4.8%, low 9.7%; confident on 72.7% (98.2% right);
    out-of-scope "low" 79.5%. The previous thresholds (coverage of the closest phrasing >= 0.35,
    confident also margin >= 0.6), tuned on held-out seed variants, left 48.6% of answerable
    held-out questions "low".
    """

    k1: float = 1.2
    b: float = 0.75
    answer_weight: float = 0.3
    pooled_weight: float = 1.5
    entity_boost: float = 0.5
    entity_penalty: float = 0.5
    generic_weight: float = 0.25  # weight of question words ("bao nhiêu", "là gì") in coverage
    margin_weight: float = 0.25  # share of the lead over the runner-up in ``confidence``
    confident_at: float = 0.45
    confident_margin: float = 0.0  # confident also needs 1 - second/best score >= this
    middling_at: float = 0.325


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
    answer_en: str | None = None


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float
    coverage: float
    conflicts: tuple[str, ...] = ()  # entity kinds where the entry is about something else
    pooled_coverage: float = 0.0  # coverage by all phrasings of the entry together


@dataclass(frozen=True)
class SearchResult:
    candidates: list[Candidate]
    entities: dict[str, list[str]]
    band: Band

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def margin(candidates: Sequence[Candidate]) -> float:
    """How far the best entry is ahead of the next one (0 = tied, 1 = alone)."""
    if not candidates or candidates[0].score <= 0:
        return 0.0
    if len(candidates) == 1:
        return 1.0
    return 1 - candidates[1].score / candidates[0].score


def confidence(candidates: Sequence[Candidate], settings: SearchSettings) -> float:
    """How sure the best entry is right, in [0, 1]: its coverage of the question, and its lead.

    Coverage is by all the entry's phrasings together (questions worded like two variants at once
    are common); the lead over the runner-up separates right answers from near-ties.
    """
    if not candidates:
        return 0.0
    lead = settings.margin_weight * margin(candidates)
    return (candidates[0].pooled_coverage + lead) / (1 + settings.margin_weight)


def band_of(candidates: Sequence[Candidate], settings: SearchSettings) -> Band:
    """Confident (answer), middling (answer + related questions) or low (honest "not sure")."""
    if not candidates:
        return "low"
    sure = confidence(candidates, settings)
    if (
        sure >= settings.confident_at
        and margin(candidates) >= settings.confident_margin
        and not candidates[0].conflicts
    ):
        return "confident"
    if sure >= settings.middling_at:
        return "middling"
    return "low"


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
        answer_text=entry.answer or "",
        entities={kind: tuple(values) for kind, values in entities.items()},
        answer_en=entry.answer_en or None,
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
        self._positions = {entry.id: position for position, entry in enumerate(self.entries)}
        self.vocabulary = vocabulary or Vocabulary.default()
        for entry in self.entries:
            for kind, values in entry.entities.items():
                for value in values:
                    self.vocabulary.add(kind, value)
        # What each entry is about: its declared entities plus those its own phrasings name, so
        # an entry asking about "VK, VJ" is not pushed down for "VK" when staff listed only VJ.
        self._about = [self._entry_about(entry) for entry in self.entries]
        self._phrase_entry: list[int] = []
        self._phrase_terms: list[set[str]] = []
        corpus: list[list[str]] = []
        for position, entry in enumerate(self.entries):
            for text, lang in entry.phrasings:
                terms = index_terms(text, "en" if lang == "en" else "vi")
                corpus.append(terms)
                self._phrase_terms.append(set(terms))
                self._phrase_entry.append(position)
        pooled: list[list[str]] = [[] for _ in self.entries]
        for position, terms in zip(self._phrase_entry, corpus, strict=True):
            pooled[position].extend(terms)
        answers = [
            index_terms(entry.answer_text, "vi") + index_terms(entry.answer_en or "", "en")
            for entry in self.entries
        ]
        self._phrases = SparseBM25(corpus or [[""]], k1=settings.k1, b=settings.b)
        self._answers = SparseBM25(answers or [[""]], k1=settings.k1, b=settings.b)
        # All phrasings of an entry as one document: words spread over several variants add up.
        self._pooled = SparseBM25(pooled or [[""]], k1=settings.k1, b=settings.b)
        self._phrase_entry_array = np.array(self._phrase_entry, dtype=int)
        self._pooled_terms = [set(terms) for terms in pooled]
        self._max_idf = max(self._phrases.idf.values(), default=1.0)

    def about(self, entry_id: str) -> dict[str, frozenset[str]]:
        """Entities an entry is about: declared by staff or named in its own phrasings."""
        position = self._positions.get(entry_id)
        return self._about[position] if position is not None else {}

    def find_entities(self, text: str) -> list[EntityMatch]:
        return self.vocabulary.find(text)

    def search(
        self,
        text: str,
        *,
        entities: dict[str, list[str]] | None = None,
        limit: int = 5,
        today: dt.date | None = None,
    ) -> SearchResult:
        """Rank entries for ``text``; ``entities`` overrides the ones found in the text.

        ``today`` (default: today in the bot's time zone) turns "năm nay", "next year" into years.
        """
        if entities is None:
            entities = group_by_kind(self.find_entities(text))
        today = today or dt.datetime.now(config.TIMEZONE).date()
        terms = index_terms(text) + relative_years(text, today)
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
        for position, about in enumerate(self._about):
            factor, clashing = self._entity_factor(about, entities)
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
                pooled_coverage=self._coverage(query_weights, self._pooled_terms[position]),
            )
            for position in order
            if scores[position] > 0
        ]
        return SearchResult(candidates, entities, band_of(candidates, self.settings))

    def _entry_about(self, entry: EntrySnapshot) -> dict[str, frozenset[str]]:
        about = {kind: set(values) for kind, values in entry.entities.items()}
        for text, _lang in entry.phrasings:
            for match in self.vocabulary.find(text):
                about.setdefault(match.kind, set()).add(match.value)
        return {kind: frozenset(values) for kind, values in about.items()}

    def _entity_factor(
        self, about: dict[str, frozenset[str]], entities: dict[str, list[str]]
    ) -> tuple[float, tuple[str, ...]]:
        factor, clashing = 1.0, []
        for kind, values in entities.items():
            named = about.get(kind)
            if not named:
                continue
            if set(values) & named:
                factor *= 1 + self.settings.entity_boost
            elif not set(values) <= NEUTRAL_VALUES:
                factor *= self.settings.entity_penalty
                clashing.append(kind)
        return factor, tuple(clashing)

    def _term_weights(self, terms: Iterable[str]) -> dict[str, float]:
        generic = self.settings.generic_weight
        return {
            term: self._phrases.idf.get(term, self._max_idf) * (generic if is_generic(term) else 1)
            for term in set(terms)
        }

    @staticmethod
    def _coverage(weights: dict[str, float], phrase_terms: set[str]) -> float:
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        return sum(w for term, w in weights.items() if term in phrase_terms) / total

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
    index = KnowledgeIndex(snapshots_from_db(session), settings, vocabulary=exporter_vocabulary())
    with _cache_lock:
        _cache[key] = (version, index)
    return index


def exporter_vocabulary() -> Vocabulary:
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
