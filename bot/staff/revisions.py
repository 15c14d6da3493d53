"""Revisions: a full JSON snapshot of an FAQ entry or an event before and after every change.

Every write path of the workspace (forms, archive/publish actions, the unanswered inbox, imports,
restores) goes through ``record_change``, so the log is complete whoever made the change and
however. Restoring writes the chosen snapshot back and is itself a new revision, so a restore can
be undone too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, DateTime, TypeDecorator, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.staff.accounts import StaffIdentity
from bot.staff.models import Revision
from bot.staff.security import current_staff

# Columns that describe bookkeeping rather than content: never compared, never restored.
_BOOKKEEPING = {"created_at", "updated_at", "updated_by", "search_text", "registered_count"}
FAQ_CHILDREN = {
    "variants": ("text", "lang"),
    "sources": ("title", "url", "checked"),
    "entities": ("kind", "value"),
}


@dataclass(frozen=True)
class TrackedType:
    """How one kind of object is snapshotted, found and written back."""

    name: str
    model: type
    snapshot: Callable[[Any], dict[str, Any]]
    apply: Callable[[Session, Any, dict[str, Any]], None]
    key_of: Callable[[Any], str]
    label: str


def _json_value(value: Any) -> Any:
    # Aware datetimes in UTC, so an unsaved local value and its stored form compare equal.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def _columns_snapshot(obj: Any) -> dict[str, Any]:
    mapper = sa_inspect(type(obj))
    return {
        column.key: _json_value(getattr(obj, column.key))
        for column in mapper.column_attrs
        if column.key not in _BOOKKEEPING
    }


def _parse_for_column(column_type: Any, value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl
    python_type = None
    with contextlib.suppress(NotImplementedError):
        python_type = column_type.python_type
    if isinstance(column_type, DateTime) or python_type is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if isinstance(column_type, Date) or python_type is dt.date:
        return dt.date.fromisoformat(value[:10])
    return value


def _apply_columns(obj: Any, data: dict[str, Any], skip: set[str]) -> None:
    mapper = sa_inspect(type(obj))
    for prop in mapper.column_attrs:
        key = prop.key
        if key in _BOOKKEEPING or key in skip or key not in data:
            continue
        setattr(obj, key, _parse_for_column(prop.columns[0].type, data[key]))


# --- FAQ entries -----------------------------------------------------------------------------


def snapshot_faq(entry: Any) -> dict[str, Any]:
    data = _columns_snapshot(entry)
    for relation, fields in FAQ_CHILDREN.items():
        data[relation] = [
            {field: _json_value(getattr(child, field)) for field in fields}
            for child in getattr(entry, relation)
        ]
    return data


def apply_faq(session: Session, entry: Any, data: dict[str, Any]) -> None:
    _apply_columns(entry, data, skip={"id"})
    set_faq_children(entry, data)


def set_faq_children(entry: Any, data: dict[str, Any]) -> None:
    """Replace the entry's phrasings/sources/entities given in ``data`` (lists of dicts).

    A relation whose items are unchanged is left alone, so its rows keep their ids and an
    unchanged save writes nothing.
    """
    from bot.knowledge.models import FaqEntity, FaqSource, FaqVariant

    child_models = {"variants": FaqVariant, "sources": FaqSource, "entities": FaqEntity}
    for relation, model in child_models.items():
        if relation not in data:
            continue
        fields = FAQ_CHILDREN[relation]
        wanted = [_child_tuple(item, fields) for item in data[relation]]
        current = [_child_tuple(_json_child(c, fields), fields) for c in getattr(entry, relation)]
        if wanted == current:
            continue
        children = []
        for item in data[relation]:
            child = model()
            _apply_columns(child, item, skip={"id", "entry_id"})
            children.append(child)
        setattr(entry, relation, children)


def _json_child(child: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: _json_value(getattr(child, field)) for field in fields}


def _child_tuple(item: dict[str, Any], fields: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(_json_value(item.get(field)) for field in fields)


# --- events ----------------------------------------------------------------------------------


def snapshot_event(event: Any) -> dict[str, Any]:
    return _columns_snapshot(event)


def apply_event(session: Session, event: Any, data: dict[str, Any]) -> None:
    from bot.staff.event_fields import refresh_search_text

    _apply_columns(event, data, skip={"id"})
    refresh_search_text(event)


def tracked_types() -> dict[str, TrackedType]:
    """The kinds of object that keep revisions (imported lazily: capabilities may be absent)."""
    types: dict[str, TrackedType] = {}
    try:
        from bot.knowledge.models import FaqEntry

        types["faq_entry"] = TrackedType(
            "faq_entry", FaqEntry, snapshot_faq, apply_faq, lambda e: str(e.id), "Câu hỏi (FAQ)"
        )
    except ImportError:
        pass
    try:
        from bot.events.models import Event

        types["event"] = TrackedType(
            "event", Event, snapshot_event, apply_event, lambda e: str(e.id), "Sự kiện"
        )
    except ImportError:
        pass
    return types


def tracked_type_of(obj: Any) -> TrackedType | None:
    for tracked in tracked_types().values():
        if isinstance(obj, tracked.model):
            return tracked
    return None


def snapshot(obj: Any) -> dict[str, Any] | None:
    """The snapshot of a tracked object, or None for None (a creation has no "before")."""
    if obj is None:
        return None
    tracked = tracked_type_of(obj)
    if tracked is None:
        raise TypeError(f"{type(obj).__name__} does not keep revisions")
    return tracked.snapshot(obj)


def actor_name(actor: StaffIdentity | str | None = None) -> tuple[str, int | None]:
    actor = actor if actor is not None else current_staff()
    if isinstance(actor, StaffIdentity):
        return actor.username, actor.id
    return (actor or "system"), None


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    keys = set(before or {}) | set(after or {})
    return sorted(k for k in keys if (before or {}).get(k) != (after or {}).get(k))


def record_change(
    session: Session,
    obj: Any,
    before: dict[str, Any] | None,
    action: str,
    actor: StaffIdentity | str | None = None,
    deleted: bool = False,
    event_log: bool = True,
) -> Revision | None:
    """Add a revision for ``obj`` (flushes first so ids and defaults exist). No-op if unchanged.

    Call with the ``before`` snapshot taken ahead of the change; ``deleted=True`` records a
    deletion (the object is about to be removed by the caller).
    """
    tracked = tracked_type_of(obj)
    if tracked is None:
        raise TypeError(f"{type(obj).__name__} does not keep revisions")
    session.flush()
    after = None if deleted else tracked.snapshot(obj)
    fields = changed_fields(before, after)
    if before is not None and after is not None and not fields:
        return None
    name, actor_id = actor_name(actor)
    if hasattr(obj, "updated_by") and not deleted:
        obj.updated_by = name[:80]
    if before is None:
        summary = "Tạo mới"
    elif after is None:
        summary = "Đã xoá"
    else:
        summary = "Thay đổi: " + ", ".join(fields)
    revision = Revision(
        entity_type=tracked.name,
        entity_id=tracked.key_of(obj),
        action=action,
        actor=name[:80],
        actor_id=actor_id,
        created_at=utcnow(),
        summary=summary,
        before=before,
        after=after,
    )
    session.add(revision)
    if tracked.name == "event" and event_log and not deleted:
        _log_event_change(session, obj, before, after, name)
    session.flush()
    return revision


def _log_event_change(
    session: Session, event: Any, before: dict[str, Any] | None, after: dict[str, Any] | None,
    actor: str,
) -> None:
    """Mirror a staff change into the events package's own history (``EventRevision``)."""
    try:
        from bot.events.models import EventRevision
        from bot.events.store import TRACKED_FIELDS
    except ImportError:  # pragma: no cover - events capability absent
        return
    changed = [f for f in TRACKED_FIELDS if (before or {}).get(f) != (after or {}).get(f)]
    session.add(
        EventRevision(
            event_id=event.id,
            changed_by=f"staff:{actor}"[:120],
            action="create" if before is None else "update",
            before=None if before is None else {f: before.get(f) for f in changed},
            after={f: (after or {}).get(f) for f in (changed if before else TRACKED_FIELDS)},
        )
    )


def history(session: Session, entity_type: str, entity_id: str) -> list[Revision]:
    return list(
        session.execute(
            select(Revision)
            .where(Revision.entity_type == entity_type, Revision.entity_id == str(entity_id))
            .order_by(Revision.created_at.desc(), Revision.id.desc())
        ).scalars()
    )


class RestoreError(ValueError):
    """The revision cannot be restored; the message is for people."""


def restore_revision(
    session: Session, revision_id: int, actor: StaffIdentity | str | None = None
) -> Any:
    """Bring the object back to the state this revision produced (or, for a deletion, the state
    before it). Re-creates a deleted object. Returns the object; the caller commits."""
    revision = session.get(Revision, revision_id)
    if revision is None:
        raise RestoreError("Không tìm thấy phiên bản này.")
    tracked = tracked_types().get(revision.entity_type)
    if tracked is None:
        raise RestoreError("Loại dữ liệu này không còn được hỗ trợ.")
    target = revision.after if revision.after is not None else revision.before
    if target is None:
        raise RestoreError("Phiên bản này không có dữ liệu để khôi phục.")
    pk = _primary_key_value(tracked.model, revision.entity_id)
    obj = session.get(tracked.model, pk)
    before = tracked.snapshot(obj) if obj is not None else None
    if obj is None:
        obj = tracked.model()
        _apply_columns(obj, {"id": target.get("id", pk)}, skip=set())
        session.add(obj)
    tracked.apply(session, obj, target)
    record_change(session, obj, before, "restore", actor)
    return obj


def _primary_key_value(model: type, raw: str) -> Any:
    column = sa_inspect(model).primary_key[0]
    try:
        if column.type.python_type is int:
            return int(raw)
    except NotImplementedError:
        pass
    return raw
