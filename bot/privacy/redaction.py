"""Which parts of a Rasa conversation are personal data, and their redacted form.

Works on events as Rasa serialises them (``Event.as_dict()``, the JSON in the tracker store's
``data`` column), so the same rules apply to events being saved and to rows already stored.

Three rules:

* every user message has phone numbers, e-mails and links replaced (``bot.privacy.scrub``) in its
  text, in ``parse_data`` (``text``, ``text_original``) and in entity values;
* a user message sent while a form asked for a personal slot (``requested_slot`` in
  ``PERSONAL_SLOTS`` with a loop active) is an answer to that question: its text and entity
  values become ``FORM_ANSWER_PLACEHOLDER`` (the intent stays, policies need it);
* ``SlotSet`` events of ``PERSONAL_SLOTS`` carry ``FORM_ANSWER_PLACEHOLDER`` instead of the value,
  except inside the form that is still running (``keep_open_form=True``): the form's validation
  and the submit action read those values on later turns, from a tracker rebuilt from the store.

Nothing here logs, and nothing here mutates the events it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.privacy.scrub import scrub_personal_data

# The registration form's answers (domain/events.yml). reg_consent ("đồng ý") is not personal.
PERSONAL_SLOTS = frozenset({"reg_name", "reg_org", "reg_contact"})
FORM_ANSWER_PLACEHOLDER = "[thông tin đăng ký đã ẩn]"
REQUESTED_SLOT = "requested_slot"
_TEXT_KEYS = ("text", "text_original")
# Events after which no form is active and no slot is set any more.
_RESETS = frozenset({"session_started", "restart"})

EventView = tuple[str, "str | None", Any]  # (event type, name, value)


def view_of(event: Any) -> EventView:
    """(type, name, value) of a Rasa ``Event`` object or of its ``as_dict()`` form."""
    if isinstance(event, Mapping):
        return event.get("event", ""), event.get("name"), event.get("value")
    kind = getattr(event, "type_name", "")
    if kind == "slot":
        return kind, event.key, event.value
    return kind, getattr(event, "name", None), None


@dataclass
class FormContext:
    """The form state along a conversation, as far as redaction needs it.

    Attributes:
        form_answers: indexes of user messages that answered a personal question of a form.
        open_form_start: index of the ``active_loop`` event that started the form still active at
            the end, or None when no form is active at the end.
    """

    form_answers: set[int] = field(default_factory=set)
    open_form_start: int | None = None

    @property
    def form_is_open(self) -> bool:
        return self.open_form_start is not None

    def keeps_raw(self, index: int, keep_open_form: bool) -> bool:
        """Whether a personal ``SlotSet`` at ``index`` belongs to the form still running."""
        return keep_open_form and self.form_is_open and index > self.open_form_start


def form_context(
    events: Iterable[EventView], personal_slots: frozenset[str] = PERSONAL_SLOTS
) -> FormContext:
    """Walk a conversation (oldest first) and note form answers and the form open at the end."""
    context = FormContext()
    active_loop: str | None = None
    requested: Any = None
    for index, (kind, name, value) in enumerate(events):
        if kind == "user":
            if active_loop and requested in personal_slots:
                context.form_answers.add(index)
        elif kind == "active_loop":
            if name and name != active_loop:
                context.open_form_start = index
            elif not name:
                context.open_form_start = None
            active_loop = name or None
        elif kind == "slot" and name == REQUESTED_SLOT:
            requested = value
        elif kind == "reset_slots":
            requested = None
        elif kind in _RESETS:
            active_loop, requested, context.open_form_start = None, None, None
    return context


def is_raw_personal_slot(data: Mapping[str, Any],
                         personal_slots: frozenset[str] = PERSONAL_SLOTS) -> bool:
    """A stored ``SlotSet`` of a personal slot that still holds what the person typed."""
    return (
        data.get("event") == "slot"
        and data.get("name") in personal_slots
        and data.get("value") is not None
        and data.get("value") != FORM_ANSWER_PLACEHOLDER
    )


def _redact_entities(entities: Any, replace: Callable[[Any], Any]) -> Any:
    if not isinstance(entities, list):
        return entities
    redacted = []
    for entity in entities:
        if isinstance(entity, Mapping):
            entity = dict(entity)
            for key in ("value", "text"):
                if entity.get(key) is not None:
                    entity[key] = replace(entity[key])
        redacted.append(entity)
    return redacted


def redact_user_message(data: Mapping[str, Any], *, form_answer: bool) -> dict[str, Any]:
    """A copy of a serialised ``UserUttered`` without personal data (see module docstring)."""

    def replace(value: Any) -> Any:
        if form_answer:
            return FORM_ANSWER_PLACEHOLDER
        return scrub_personal_data(value) if isinstance(value, str) else value

    redacted = dict(data)
    for key in _TEXT_KEYS:
        if isinstance(redacted.get(key), str) and redacted[key]:
            redacted[key] = replace(redacted[key])
    parse_data = redacted.get("parse_data")
    if isinstance(parse_data, Mapping):
        parse_data = dict(parse_data)
        for key in _TEXT_KEYS:
            if isinstance(parse_data.get(key), str) and parse_data[key]:
                parse_data[key] = replace(parse_data[key])
        if "entities" in parse_data:
            parse_data["entities"] = _redact_entities(parse_data["entities"], replace)
        redacted["parse_data"] = parse_data
    return redacted


def redact_event(
    data: Mapping[str, Any],
    index: int,
    context: FormContext,
    *,
    keep_open_form: bool,
    personal_slots: frozenset[str] = PERSONAL_SLOTS,
) -> Mapping[str, Any]:
    """The form of event number ``index`` of a conversation that may be stored.

    Returns ``data`` itself when nothing in it is personal, a redacted copy otherwise.
    """
    kind = data.get("event")
    if kind == "user":
        return redact_user_message(data, form_answer=index in context.form_answers)
    if kind == "entities":  # EntitiesAdded: values taken from a message
        redacted = dict(data)
        redacted["entities"] = _redact_entities(
            data.get("entities"), lambda v: scrub_personal_data(v) if isinstance(v, str) else v
        )
        return redacted
    if is_raw_personal_slot(data, personal_slots) and not context.keeps_raw(index, keep_open_form):
        return {**data, "value": FORM_ANSWER_PLACEHOLDER}
    return data


def redact_conversation(
    events: Sequence[Mapping[str, Any]],
    *,
    keep_open_form: bool,
    personal_slots: frozenset[str] = PERSONAL_SLOTS,
) -> list[Mapping[str, Any]]:
    """Every event of a serialised conversation (oldest first) in its storable form."""
    context = form_context((view_of(e) for e in events), personal_slots)
    return [
        redact_event(e, i, context, keep_open_form=keep_open_form, personal_slots=personal_slots)
        for i, e in enumerate(events)
    ]
