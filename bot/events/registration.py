"""Registering people for events: contact validation, capacity-safe sign-up, cancel, export, erase.

Personal data (name, organisation, phone, e-mail) is written only to ``event_registrations`` and
never to logs: log lines name the event id and the outcome, nothing about the person.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot.events.models import Event, Registration
from bot.nlp.normalize import search_key

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_RE = re.compile(r"\bDK-([A-HJKMNP-Z2-9]{6})\b", re.IGNORECASE)
# Mobile: 0 + 3/5/7/8/9 + 8 digits; landline: 02 + 9 digits (e.g. Cà Mau 0290 xxx xxxx).
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_YES = {"co", "dong y", "toi dong y", "minh dong y", "em dong y", "ok", "oke", "yes", "y", "u",
        "uh", "um", "dung", "duoc", "dong y a", "co a", "vang", "da", "da dong y", "i agree",
        "agree", "sure", "chac chan", "dong y luu", "ok dong y"}
_NO = {"khong", "ko", "no", "n", "khong dong y", "toi khong dong y", "thoi", "khong a", "tu choi",
       "i do not agree", "dont", "don't", "huy", "khong luu"}


def new_code() -> str:
    return "DK-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def find_code(text: str | None) -> str | None:
    """The DK-XXXXXX code in a message (any case), upper-cased."""
    match = CODE_RE.search(text or "")
    return f"DK-{match.group(1).upper()}" if match else None


def normalize_phone(text: str) -> str | None:
    """A Vietnamese phone number as 0xxxxxxxxx, or None. Accepts spaces, dots, dashes, +84/84."""
    digits = re.sub(r"[\s.\-()]", "", text or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    return None


def parse_contact(text: str) -> tuple[str, str] | None:
    """("phone", "09...") or ("email", "a@b.vn") from what the person typed, else None."""
    text = (text or "").strip()
    email = _EMAIL.fullmatch(text) or _EMAIL.search(text)
    if email:
        return "email", email.group(0).lower()
    phone = normalize_phone(text)
    if phone:
        return "phone", phone
    candidate = re.search(r"\+?\d[\d\s.\-()]{7,16}\d", text)
    if candidate:
        phone = normalize_phone(candidate.group(0))
        if phone:
            return "phone", phone
    return None


# --- the registration form's rules: what each answer must look like --------------------------
# Each returns the value to store, or None with the reason the person is asked again. ``None`` as
# input is not an answer (the form cleared the slot when it started) and is never an error: the
# form then simply asks the question.

NO_ORGANISATION = "-"
_NO_ORG_ANSWERS = ("khong", "khong co", "ko", "k", "bo qua", "none", "no", "-", "ca nhan",
                   "khong a")


@dataclass(frozen=True)
class FieldCheck:
    value: str | None
    problem: str | None = None  # "name" | "org_too_long" | "contact" | "consent"


def check_name(value: object) -> FieldCheck:
    if value is None:
        return FieldCheck(None)
    name = re.sub(r"\s+", " ", str(value)).strip()
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2 or len(name) > 100 or parse_contact(name) or "<" in name:
        return FieldCheck(None, "name")
    return FieldCheck(name)


def check_organisation(value: object) -> FieldCheck:
    if value is None:
        return FieldCheck(None)
    org = re.sub(r"\s+", " ", str(value)).strip()
    if not org or search_key(org) in _NO_ORG_ANSWERS:
        return FieldCheck(NO_ORGANISATION)  # answered "none": the optional field stays empty
    if len(org) > 200 or "<" in org:
        return FieldCheck(None, "org_too_long")
    return FieldCheck(org)


def check_contact(value: object) -> FieldCheck:
    if value is None:
        return FieldCheck(None)
    parsed = parse_contact(str(value))
    return FieldCheck(parsed[1]) if parsed else FieldCheck(None, "contact")


def check_consent(value: object, intent: str | None) -> FieldCheck:
    if intent == "affirm":
        return FieldCheck("yes")
    if intent in ("deny", "stop"):
        return FieldCheck("no")
    if value is None:
        return FieldCheck(None)
    answer = consent_answer(str(value))
    if answer is None:
        return FieldCheck(None, "consent")
    return FieldCheck("yes" if answer else "no")


def consent_answer(text: str) -> bool | None:
    """True for an explicit yes ("đồng ý"), False for no, None when unclear."""
    key = re.sub(r"[^\w\s']", " ", search_key(text or "")).strip()
    key = re.sub(r"\s+", " ", key)
    if key in _YES:
        return True
    if key in _NO or key.startswith(("khong ", "no ")):
        return False
    if "dong y" in key and "khong" not in key:
        return True
    return None


@dataclass
class RegistrationOutcome:
    """``status``: ok | not_found | not_open | unavailable | closed | full."""

    status: str
    code: str | None = None
    event: Event | None = None


def _closing_reason(event: Event, now: dt.datetime) -> str:
    if event.registration_mode != "open":
        return "not_open"
    if event.status == "cancelled" or event.end_at <= now:
        return "unavailable"
    if event.registration_deadline is not None and event.registration_deadline <= now:
        return "closed"
    return "full"


def register(
    session: Session,
    event_id: int,
    *,
    name: str,
    contact: str,
    now: dt.datetime,
    organisation: str | None = None,
    sender_id: str | None = None,
    channel: str | None = None,
) -> RegistrationOutcome:
    """Register a person; the seat is taken by one conditional UPDATE, so concurrent sign-ups
    can never exceed ``capacity`` (on SQLite and PostgreSQL alike). The caller commits.
    """
    parsed = parse_contact(contact)
    if parsed is None:
        raise ValueError("contact must be a Vietnamese phone number or an e-mail address")
    event = session.get(Event, event_id)
    if event is None:
        return RegistrationOutcome("not_found")
    seat = session.execute(
        update(Event)
        .where(
            Event.id == event_id,
            Event.registration_mode == "open",
            Event.status != "cancelled",
            Event.end_at > now,
            or_(Event.registration_deadline.is_(None), Event.registration_deadline > now),
            or_(Event.capacity.is_(None), Event.registered_count < Event.capacity),
        )
        .values(registered_count=Event.registered_count + 1)
        .execution_options(synchronize_session=False)
    )
    if seat.rowcount != 1:
        session.refresh(event)
        reason = _closing_reason(event, now)
        logger.info("registration refused: event=%s reason=%s", event_id, reason)
        return RegistrationOutcome(reason, event=event)
    kind, value = parsed
    code = new_code()
    while session.execute(select(Registration.id).where(Registration.code == code)).first():
        code = new_code()  # 31^6 codes: a collision is rare; the unique index is the last guard
    session.add(Registration(
        event_id=event_id, code=code, name=name.strip()[:200],
        organisation=(organisation or "").strip()[:300] or None,
        phone=value if kind == "phone" else None,
        email=value if kind == "email" else None,
        consent_at=now, status="active", sender_id=sender_id, channel=channel, created_at=now,
    ))
    session.flush()
    session.refresh(event)
    logger.info("registration created: event=%s", event_id)
    return RegistrationOutcome("ok", code=code, event=event)


def may_cancel(registration: Registration, sender_id: str | None, text: str | None) -> bool:
    """Whether this request may cancel ``registration``.

    Only the person who registered: the request comes from the same conversation, or it names the
    phone number or e-mail address given at registration. Knowing the code alone is not enough
    (codes travel in screenshots and forwarded messages).
    """
    if sender_id and registration.sender_id and sender_id == registration.sender_id:
        return True
    contact = parse_contact(text or "")
    if contact is None:
        return False
    kind, value = contact
    stored = registration.phone if kind == "phone" else (registration.email or "").lower()
    return bool(stored) and stored == value


def cancel_registration(
    session: Session, code: str, now: dt.datetime,
    sender_id: str | None = None, text: str | None = None,
) -> RegistrationOutcome:
    """Cancel by confirmation code for the person who registered; frees the seat.

    ``status``: ``cancelled`` or ``already`` for that person; ``unconfirmed`` for everyone else,
    whether the code is unknown, cancelled or somebody else's: the answers must not tell an
    outsider which codes exist.
    """
    code = find_code(code) or ""
    registration = session.execute(
        select(Registration).where(Registration.code == code)
    ).scalar_one_or_none()
    if registration is None or not may_cancel(registration, sender_id, text):
        return RegistrationOutcome("unconfirmed", code=code)
    event = registration.event
    if registration.status == "cancelled":
        return RegistrationOutcome("already", code=code, event=event)
    registration.status = "cancelled"
    registration.cancelled_at = now
    _free_seat(session, registration.event_id)
    session.flush()
    session.refresh(event)
    logger.info("registration cancelled: event=%s", registration.event_id)
    return RegistrationOutcome("cancelled", code=code, event=event)


def _free_seat(session: Session, event_id: int) -> None:
    session.execute(
        update(Event)
        .where(Event.id == event_id, Event.registered_count > 0)
        .values(registered_count=Event.registered_count - 1)
        .execution_options(synchronize_session=False)
    )
    loaded = session.identity_map.get(session.identity_key(Event, event_id))
    if loaded is not None:  # the UPDATE bypassed the ORM: reload the counter on next access
        session.expire(loaded, ["registered_count"])


def delete_personal_data(
    session: Session, *, code: str | None = None, phone: str | None = None,
    email: str | None = None,
) -> int:
    """Erase registrations on request (by code, phone or e-mail); returns how many rows went.

    Active registrations give their seat back first.
    """
    conditions = []
    if code:
        conditions.append(Registration.code == (find_code(code) or code))
    if phone:
        conditions.append(Registration.phone == (normalize_phone(phone) or phone))
    if email:
        conditions.append(Registration.email == email.strip().lower())
    if not conditions:
        raise ValueError("give a code, a phone number or an e-mail address")
    rows = list(session.execute(select(Registration).where(or_(*conditions))).scalars())
    for reg in rows:
        if reg.status == "active":
            _free_seat(session, reg.event_id)
        session.delete(reg)
    session.flush()
    logger.info("personal data erased: %d registration(s)", len(rows))
    return len(rows)


def active_registration_count(session: Session, event_id: int) -> int:
    from sqlalchemy import func

    return session.execute(
        select(func.count(Registration.id)).where(
            and_(Registration.event_id == event_id, Registration.status == "active"))
    ).scalar_one()
