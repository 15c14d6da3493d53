"""Seed loader: ``data/knowledge/*.yml`` → the FAQ tables, idempotently.

Every file is validated before anything is written, and all problems are reported together, one
line per entry ("asean_basics.yml › asean-founding: missing answer"). Entries are upserted by id:
a field is only assigned when its value differs, so loading the same files twice flushes nothing,
moves no ``updated_at`` and leaves the data version alone. Entries that exist only in the database
(written by staff) are never touched, and an entry staff edited after the last seed keeps the staff
version unless ``overwrite_staff_edits`` is set.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import config
from bot.knowledge.entities import ENTITY_KINDS
from bot.knowledge.models import STATUSES, FaqEntity, FaqEntry, FaqSource, FaqTopic, FaqVariant

DEFAULT_DIRECTORY = config.PROJECT_ROOT / "data" / "knowledge"
SEED_AUTHOR = "seed"
NOT_FAQ_FILES = {"exporter_rules.yml", "exporter_rules.yaml"}


class KnowledgeValidationError(ValueError):
    """The seed files have problems; ``problems`` lists them one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Knowledge seed files are invalid:\n" + "\n".join(problems))


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_staff_edits: list[str] = field(default_factory=list)
    published_per_topic: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        topics = ", ".join(f"{t}: {n}" for t, n in sorted(self.published_per_topic.items()))
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, "
            f"{len(self.kept_staff_edits)} kept (edited by staff); "
            f"published per topic — {topics}"
        )


@dataclass(frozen=True)
class SeedEntry:
    """One validated entry as the files describe it."""

    id: str
    topic: str
    question: str
    answer: str
    question_en: str | None
    answer_en: str | None
    status: str
    as_of: dt.date | None
    variants: tuple[tuple[str, str], ...]
    sources: tuple[tuple[str, str | None, dt.date | None], ...]
    entities: tuple[tuple[str, str], ...]


def load_knowledge(
    session: Session,
    directory: Path = DEFAULT_DIRECTORY,
    *,
    overwrite_staff_edits: bool = False,
) -> LoadReport:
    """Validate every seed file in ``directory`` and upsert its entries (the caller commits).

    Raises:
        KnowledgeValidationError: listing every problem; nothing is written then.
    """
    topics, entries = read_seed_files(directory)
    report = LoadReport()
    for slug, (title, title_en) in topics.items():
        topic = session.get(FaqTopic, slug) or FaqTopic(slug=slug)
        _assign(topic, title=title, title_en=title_en)
        session.add(topic)
    existing = {
        entry.id: entry
        for entry in session.scalars(
            select(FaqEntry)
            .where(FaqEntry.id.in_([e.id for e in entries]))
            .options(
                selectinload(FaqEntry.variants),
                selectinload(FaqEntry.sources),
                selectinload(FaqEntry.entities),
            )
        )
    }
    for seed in entries:
        row = existing.get(seed.id)
        if row is None:
            session.add(_new_row(seed))
            report.created.append(seed.id)
        elif row.updated_by not in (None, SEED_AUTHOR) and not overwrite_staff_edits:
            report.kept_staff_edits.append(seed.id)
        elif _update_row(row, seed):
            report.updated.append(seed.id)
        else:
            report.unchanged.append(seed.id)
        if seed.status == "published":
            report.published_per_topic[seed.topic] += 1
    session.flush()
    return report


def read_seed_files(directory: Path) -> tuple[dict[str, tuple[str, str | None]], list[SeedEntry]]:
    """Parse and validate all topic files; raise with every problem found."""
    problems: list[str] = []
    topics: dict[str, tuple[str, str | None]] = {}
    entries: list[SeedEntry] = []
    first_seen: dict[str, str] = {}
    files = sorted(p for p in Path(directory).glob("*.y*ml") if p.name not in NOT_FAQ_FILES)
    if not files:
        problems.append(f"{directory}: no knowledge files (*.yml) found")
    for path in files:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            problems.append(f"{path.name}: not valid YAML ({exc.__class__.__name__}: {exc})")
            continue
        if not isinstance(raw, dict) or not isinstance(raw.get("entries"), list):
            problems.append(f"{path.name}: expected a mapping with 'topic' and an 'entries' list")
            continue
        slug = str(raw.get("topic") or path.stem)
        topics[slug] = (str(raw.get("title") or slug), raw.get("title_en"))
        for position, item in enumerate(raw["entries"], start=1):
            label = f"{path.name} › " + (
                str(item.get("id")) if isinstance(item, dict) and item.get("id") else f"#{position}"
            )
            entry, entry_problems = _validate_entry(item, slug)
            problems += [f"{label}: {problem}" for problem in entry_problems]
            if entry is None:
                continue
            if entry.id in first_seen:
                problems.append(f"{label}: duplicate id (first in {first_seen[entry.id]})")
                continue
            first_seen[entry.id] = path.name
            entries.append(entry)
    if problems:
        raise KnowledgeValidationError(problems)
    return topics, entries


def _validate_entry(item: Any, topic: str) -> tuple[SeedEntry | None, list[str]]:
    if not isinstance(item, dict):
        return None, ["an entry must be a mapping"]
    problems = []
    for key in ("id", "question", "answer"):
        if not str(item.get(key) or "").strip():
            problems.append(f"missing {key}")
    status = item.get("status", "draft")
    if status not in STATUSES:
        problems.append(f"bad status {status!r} (expected one of {', '.join(STATUSES)})")
    if bool(item.get("question_en")) != bool(item.get("answer_en")):
        problems.append("question_en and answer_en go together")
    sources = item.get("sources") or []
    if not sources:
        problems.append("missing source (at least one with a title)")
    parsed_sources = []
    for source in sources:
        if not isinstance(source, dict) or not str(source.get("title") or "").strip():
            problems.append("a source without a title")
            continue
        checked, problem = _date(source.get("checked"), "sources.checked")
        if problem:
            problems.append(problem)
        parsed_sources.append((str(source["title"]).strip(), source.get("url") or None, checked))
    as_of, problem = _date(item.get("as_of"), "as_of")
    if problem:
        problems.append(problem)
    entities = []
    for kind, values in (item.get("entities") or {}).items():
        if kind not in ENTITY_KINDS:
            problems.append(f"unknown entity kind {kind!r} (expected {', '.join(ENTITY_KINDS)})")
            continue
        for value in values if isinstance(values, list) else [values]:
            entities.append((kind, str(value)))
    if problems:
        return None, problems
    variants = [(str(v).strip(), "vi") for v in item.get("variants") or () if str(v).strip()]
    variants += [(str(v).strip(), "en") for v in item.get("variants_en") or () if str(v).strip()]
    return (
        SeedEntry(
            id=str(item["id"]).strip(),
            topic=topic,
            question=str(item["question"]).strip(),
            answer=str(item["answer"]).strip(),
            question_en=_text_or_none(item.get("question_en")),
            answer_en=_text_or_none(item.get("answer_en")),
            status=status,
            as_of=as_of,
            variants=tuple(dict.fromkeys(variants)),
            sources=tuple(parsed_sources),
            entities=tuple(dict.fromkeys(entities)),
        ),
        [],
    )


def _date(value: Any, name: str) -> tuple[dt.date | None, str | None]:
    if value is None or isinstance(value, dt.date):
        return value, None
    try:
        return dt.date.fromisoformat(str(value)), None
    except ValueError:
        return None, f"{name} is not a date (YYYY-MM-DD): {value!r}"


def _text_or_none(value: Any) -> str | None:
    text = str(value or "").strip()
    return text or None


def _new_row(seed: SeedEntry) -> FaqEntry:
    row = FaqEntry(id=seed.id, updated_by=SEED_AUTHOR)
    _update_row(row, seed)
    return row


def _assign(obj: Any, **values: Any) -> bool:
    """Set only the attributes whose value differs, so an unchanged row is never dirty."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _update_row(row: FaqEntry, seed: SeedEntry) -> bool:
    changed = _assign(
        row,
        topic=seed.topic,
        question=seed.question,
        answer=seed.answer,
        question_en=seed.question_en,
        answer_en=seed.answer_en,
        status=seed.status,
        as_of=seed.as_of,
    )
    if [(v.text, v.lang) for v in row.variants] != list(seed.variants):
        row.variants = [FaqVariant(text=text, lang=lang) for text, lang in seed.variants]
        changed = True
    if [(s.title, s.url, s.checked) for s in row.sources] != list(seed.sources):
        row.sources = [FaqSource(title=t, url=u, checked=c) for t, u, c in seed.sources]
        changed = True
    if [(e.kind, e.value) for e in row.entities] != list(seed.entities):
        row.entities = [FaqEntity(kind=k, value=v) for k, v in seed.entities]
        changed = True
    if changed and row.updated_by != SEED_AUTHOR:
        row.updated_by = SEED_AUTHOR
    return changed
