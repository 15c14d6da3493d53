"""Staff accounts: argon2id password hashes, creation, password reset, credential checks.

There is no default account and no default password: the first admin is made with
``python -m bot create-user --role admin``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.staff.models import ROLES, StaffUser

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()  # argon2id with the RFC 9106 "low memory" parameters (64 MiB, t=3)
_dummy_hash: str | None = None


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the hasher (tests use cheaper argon2id parameters); returns the previous one."""
    global _hasher, _dummy_hash
    previous, _hasher, _dummy_hash = _hasher, hasher, None
    return previous


def _dummy() -> str:
    """A hash verified against when the username is unknown, so both paths cost the same."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not-a-real-password-used-for-timing-only")
    return _dummy_hash


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for people."""


@dataclass(frozen=True)
class StaffIdentity:
    """Who is signed in, as the rest of the workspace needs to know it (no password hash)."""

    id: int
    username: str
    role: str

    @property
    def can_edit(self) -> bool:
        return self.role in ("admin", "editor")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def identity_of(user: StaffUser) -> StaffIdentity:
    return StaffIdentity(id=user.id, username=user.username, role=user.role)


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def check_password_policy(password: str, username: str = "") -> None:
    """Raise AccountError when the password is too weak to protect a staff account."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if username and password.strip().lower() == normalize_username(username):
        raise AccountError("Mật khẩu không được trùng với tên đăng nhập.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_user(session: Session, username: str) -> StaffUser | None:
    name = normalize_username(username)
    return session.execute(
        select(StaffUser).where(func.lower(StaffUser.username) == name)
    ).scalar_one_or_none()


def create_user(session: Session, username: str, password: str, role: str) -> StaffUser:
    """Add an account; the caller commits. Raises AccountError on a bad name, role or password."""
    name = normalize_username(username)
    if not name or len(name) > 80 or not all(c.isalnum() or c in "._-@" for c in name):
        raise AccountError("Tên đăng nhập chỉ gồm chữ, số và các ký tự . _ - @ (tối đa 80 ký tự).")
    if role not in ROLES:
        raise AccountError(f"Vai trò phải là một trong: {', '.join(ROLES)}.")
    check_password_policy(password, name)
    if find_user(session, name) is not None:
        raise AccountError(f"Tài khoản '{name}' đã tồn tại.")
    user = StaffUser(
        username=name,
        password_hash=hash_password(password),
        role=role,
        is_active=True,
        session_version=1,
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def reset_password(session: Session, username: str, password: str) -> StaffUser:
    """Set a new password and end the account's open sessions; the caller commits."""
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"Không có tài khoản '{normalize_username(username)}'.")
    check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.session_version = (user.session_version or 1) + 1
    user.is_active = True
    return user


def verify_credentials(session: Session, username: str, password: str) -> StaffUser | None:
    """The active account these credentials belong to, or None. Upgrades outdated hashes."""
    user = find_user(session, username)
    if user is None or not user.is_active:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy(), password or "")
        return None
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user
