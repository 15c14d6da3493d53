"""Rasa's SQL tracker store, storing conversations without personal data.

Configured in endpoints.yml exactly like ``type: SQL`` (same keys: dialect, url/host, port, db,
username, password, login_db, query), so SQLite by default and PostgreSQL in production work as
before::

    tracker_store:
      type: bot.privacy.tracker_store.RedactingSQLTrackerStore
      dialect: "sqlite"
      db: "${TRACKER_DB}"

What is stored (rules in ``bot.privacy.redaction``):

* user messages with phones, e-mails and links replaced, at once, in every row written;
* answers to the registration form's personal questions as "[thông tin đăng ký đã ẩn]", at once;
* ``SlotSet`` of reg_name / reg_org / reg_contact: raw **only while the form is running**, because
  Rasa rebuilds the tracker from this store for every message and the form's validation and
  ``action_submit_registration`` read those slots on later turns. The save in which the form ends
  (``ActiveLoop(None)``, a restart or a new session) rewrites those rows of this conversation in
  the same transaction. A form left open by someone who walked away is scrubbed by
  ``scrub_idle_forms`` once the conversation has been idle longer than the session expiry (Rasa
  would start a new session on their next message, so nobody reads those values again).

Why in the store and not in a cache beside it: several Rasa servers share one PostgreSQL tracker
store in production and a conversation's next message may reach another server, so the store is
the only state they share; the raw values never leave the one ``events`` table, and the row count
per conversation (which Rasa uses to find the events it has not stored yet) never changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Generator, Iterable
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.privacy.redaction import (
    FORM_ANSWER_PLACEHOLDER,
    PERSONAL_SLOTS,
    form_context,
    is_raw_personal_slot,
    redact_conversation,
    redact_event,
    view_of,
)

logger = logging.getLogger(__name__)

DEFAULT_SWEEP_MINUTES = 10.0
# When sessions never expire (session_expiration_time: 0), forms idle this long are scrubbed.
FALLBACK_IDLE_MINUTES = 24 * 60.0
# A row's timestamp is when Rasa created the event, a little before the row is written.
_WRITE_DELAY_MARGIN = 3600.0
_CHUNK = 500
MAX_SENDER_ID_CHARS = 255  # the width of Rasa's sender_id column


class TrackerStoreError(RuntimeError):
    """A tracker-store operation failed for one request; the server goes on."""


def check_sender_id(sender_id: object) -> str:
    """The sender id when the database can store it; ``TrackerStoreError`` otherwise.

    Rasa's ``session_scope`` treats any ``ValueError`` as a missing PostgreSQL schema and exits
    the process, and ``UnicodeEncodeError`` (a lone surrogate in an id) is a ``ValueError``: so an
    id that cannot be encoded is refused here, before any query.
    """
    if not isinstance(sender_id, str) or not sender_id or len(sender_id) > MAX_SENDER_ID_CHARS:
        raise TrackerStoreError("sender id missing, not text or too long")
    try:
        sender_id.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise TrackerStoreError("sender id is not valid Unicode") from exc
    if "\x00" in sender_id:
        raise TrackerStoreError("sender id holds a NUL character")
    return sender_id


def _minutes(value: Any, default: float | None) -> float | None:
    return default if value is None or value == "" else float(value)


def _holds_raw_personal_values(events: Iterable[Any]) -> bool:
    for event in events:
        kind, name, value = view_of(event)
        if is_raw_personal_slot({"event": kind, "name": name, "value": value}):
            return True
    return False


def _intent_name(data: dict[str, Any]) -> str | None:
    intent = (data.get("parse_data") or {}).get("intent") or {}
    return intent.get(INTENT_NAME_KEY)


class RedactingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that keeps names, phones and e-mails out of the ``events`` table."""

    def __init__(
        self,
        domain: Domain | None = None,
        *,
        personal_data_idle_minutes: float | str | None = None,
        personal_data_sweep_minutes: float | str | None = DEFAULT_SWEEP_MINUTES,
        **kwargs: Any,
    ) -> None:
        """Same arguments as ``SQLTrackerStore``, plus:

        Args:
            personal_data_idle_minutes: a conversation idle this long has the values of its
                unfinished form scrubbed. Default: the domain's session expiry (60 minutes
                here), never less, so the next message starts a new session without them.
            personal_data_sweep_minutes: how often ``save`` starts ``scrub_idle_forms`` in the
                background; 0 turns that off (run ``python -m bot.privacy sweep`` from cron).
        """
        super().__init__(domain=domain, **kwargs)
        self.personal_data_idle_minutes = _minutes(personal_data_idle_minutes, None)
        self.personal_data_sweep_minutes = (
            _minutes(personal_data_sweep_minutes, DEFAULT_SWEEP_MINUTES) or 0.0
        )
        self._last_sweep = time.monotonic()  # the first background sweep comes one interval in
        self._sweeping = threading.Lock()
        self._swept_before: float | None = None
        self._background: set[asyncio.Future[Any]] = set()

    # --- errors stay with the request ----------------------------------------------------------

    @contextlib.contextmanager
    def session_scope(self) -> Generator[Any, None, None]:
        """Rasa's transactional scope, without its ``sys.exit``.

        Stock Rasa exits the whole server on any ``ValueError`` raised inside the scope, meaning
        "PostgreSQL schema missing"; a bad value in one request (e.g. text that cannot be encoded)
        then stops every conversation. Here a missing schema and any other failure are an error
        of the operation that hit them.
        """
        session = self.sessionmaker()
        try:
            try:
                ensure_schema_exists(session)
            except ValueError as exc:
                raise TrackerStoreError(f"PostgreSQL schema {exc} not found") from exc
            yield session
        finally:
            session.close()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """Rasa's ``retrieve`` for an id the database can hold."""
        return await super().retrieve(check_sender_id(sender_id))

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """Rasa's ``retrieve_full_tracker`` for an id the database can hold."""
        return await super().retrieve_full_tracker(check_sender_id(conversation_id))

    # --- saving ---------------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the events not stored yet, redacted; scrub the form's values once it ended."""
        check_sender_id(tracker.sender_id)
        await self.stream_events(tracker)
        # Redaction runs the scrubber over every new text: off the event loop, so one long
        # message cannot hold up the other conversations this server handles.
        await asyncio.to_thread(self._save_redacted, tracker)
        self._maybe_sweep_in_background()

    def _save_redacted(self, tracker: DialogueStateTracker) -> None:
        events = list(tracker.events)
        context = form_context(view_of(e) for e in events)
        scrubbed = 0
        with self.session_scope() as session:
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            for index in range(stored, len(events)):
                event = events[index]
                data = redact_event(event.as_dict(), index, context, keep_open_form=True)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=_intent_name(data),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            if not context.form_is_open and _holds_raw_personal_values(events):
                session.flush()
                scrubbed = self._scrub_personal_slot_rows(session, [tracker.sender_id])
            session.commit()
        if scrubbed:
            logger.debug("Form ended: %d stored registration value(s) redacted", scrubbed)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish new events to the event broker (if any) fully redacted."""
        if self.event_broker is None:
            return
        previous = await self.retrieve(tracker.sender_id)
        events = list(tracker.events)
        context = form_context(view_of(e) for e in events)
        for index in range(len(previous.events) if previous else 0, len(events)):
            body: dict[str, Any] = {"sender_id": tracker.sender_id}
            body.update(redact_event(events[index].as_dict(), index, context,
                                     keep_open_form=False))
            self.event_broker.publish(body)

    def _scrub_personal_slot_rows(self, session: Any, sender_ids: Iterable[str]) -> int:
        """Replace stored personal slot values of these conversations; returns rows changed."""
        changed = 0
        senders = list(sender_ids)
        for start in range(0, len(senders), _CHUNK):
            rows = session.execute(
                sa.select(self.SQLEvent.id, self.SQLEvent.data).where(
                    self.SQLEvent.sender_id.in_(senders[start:start + _CHUNK]),
                    self.SQLEvent.type_name == "slot",
                    self.SQLEvent.action_name.in_(sorted(PERSONAL_SLOTS)),
                )
            ).all()
            for row_id, raw in rows:
                data = json.loads(raw)
                if not is_raw_personal_slot(data):
                    continue
                data["value"] = FORM_ANSWER_PLACEHOLDER
                session.execute(
                    sa.update(self.SQLEvent)
                    .where(self.SQLEvent.id == row_id)
                    .values(data=json.dumps(data))
                    .execution_options(synchronize_session=False)
                )
                changed += 1
        return changed

    # --- forms left open ------------------------------------------------------------------------

    def idle_seconds(self) -> float:
        """How long a conversation must be idle before its unfinished form is scrubbed."""
        session_minutes = float(self.domain.session_config.session_expiration_time or 0)
        minutes = self.personal_data_idle_minutes
        if minutes is None:
            minutes = session_minutes if session_minutes > 0 else FALLBACK_IDLE_MINUTES
        # Never before the session expires: until then the person may come back to the form.
        return max(minutes, session_minutes) * 60.0

    def scrub_idle_forms(self, now: float | None = None) -> int:
        """Scrub personal slot values of conversations idle longer than ``idle_seconds()``.

        Only rows older than the cut-off and, after the first run, not older than the previous
        run's cut-off are read, so a sweep costs little however long the history is.

        Returns:
            How many stored values were redacted.
        """
        now = time.time() if now is None else now
        cutoff = now - self.idle_seconds()
        with self._sweeping, self.session_scope() as session:
            query = sa.select(
                self.SQLEvent.sender_id, self.SQLEvent.timestamp, self.SQLEvent.data
            ).where(
                self.SQLEvent.type_name == "slot",
                self.SQLEvent.action_name.in_(sorted(PERSONAL_SLOTS)),
                self.SQLEvent.timestamp < cutoff,
            )
            if self._swept_before is not None:
                query = query.where(
                    self.SQLEvent.timestamp >= self._swept_before - _WRITE_DELAY_MARGIN
                )
            oldest_raw: dict[str, float] = {}
            for sender_id, timestamp, raw in session.execute(query):
                if is_raw_personal_slot(json.loads(raw)):
                    oldest_raw[sender_id] = min(timestamp, oldest_raw.get(sender_id, timestamp))
            idle = self._idle_senders(session, list(oldest_raw), cutoff)
            changed = self._scrub_personal_slot_rows(session, idle)
            session.commit()
        still_active = [oldest_raw[s] for s in oldest_raw if s not in idle]
        self._swept_before = min([cutoff, *still_active])
        if changed:
            logger.info("Scrubbed %d registration value(s) of %d idle conversation(s)",
                        changed, len(idle))
        return changed

    def _idle_senders(self, session: Any, sender_ids: list[str], cutoff: float) -> set[str]:
        idle: set[str] = set()
        for start in range(0, len(sender_ids), _CHUNK):
            rows = session.execute(
                sa.select(self.SQLEvent.sender_id, sa.func.max(self.SQLEvent.timestamp))
                .where(self.SQLEvent.sender_id.in_(sender_ids[start:start + _CHUNK]))
                .group_by(self.SQLEvent.sender_id)
            ).all()
            idle.update(sender for sender, last in rows if last is not None and last < cutoff)
        return idle

    def _sweep_quietly(self) -> None:
        try:
            self.scrub_idle_forms()
        except Exception:  # noqa: BLE001 - a failed sweep must not disturb conversations
            logger.exception("Scrubbing idle registration forms failed; will retry")

    def _maybe_sweep_in_background(self) -> None:
        if self.personal_data_sweep_minutes <= 0 or self._sweeping.locked():
            return
        if time.monotonic() - self._last_sweep < self.personal_data_sweep_minutes * 60.0:
            return
        self._last_sweep = time.monotonic()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._sweep_quietly()
            return
        future = loop.run_in_executor(None, self._sweep_quietly)
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    # --- conversations stored before this store (or by the plain SQL store) ---------------------

    def redact_stored_conversations(
        self, sender_ids: Iterable[str] | None = None, now: float | None = None
    ) -> int:
        """Rewrite stored conversations by the same rules as ``save``; returns rows changed.

        For history written before this store was configured. A form still running in a
        conversation active within ``idle_seconds()`` keeps its values, as in ``save``.
        """
        now = time.time() if now is None else now
        cutoff = now - self.idle_seconds()
        with self.session_scope() as session:
            senders = list(sender_ids) if sender_ids is not None else [
                s for (s,) in session.execute(sa.select(self.SQLEvent.sender_id).distinct())
            ]
        changed = 0
        for sender_id in senders:
            with self.session_scope() as session:
                rows = session.execute(
                    sa.select(self.SQLEvent.id, self.SQLEvent.timestamp, self.SQLEvent.data)
                    .where(self.SQLEvent.sender_id == sender_id)
                    .order_by(self.SQLEvent.id)
                ).all()
                stored = [json.loads(raw) for _, _, raw in rows]
                recent = any(ts is not None and ts >= cutoff for _, ts, _ in rows)
                redacted = redact_conversation(stored, keep_open_form=recent)
                for (row_id, _, _), old, new in zip(rows, stored, redacted, strict=True):
                    if new != old:
                        session.execute(
                            sa.update(self.SQLEvent)
                            .where(self.SQLEvent.id == row_id)
                            .values(data=json.dumps(new))
                            .execution_options(synchronize_session=False)
                        )
                        changed += 1
                session.commit()
        logger.info("Redacted %d stored event(s) in %d conversation(s)", changed, len(senders))
        return changed
