"""Staff accounts and the revision log.

A ``StaffUser`` signs in to the workspace with a role (admin, editor, viewer). A ``Revision`` keeps
one change to an FAQ entry or an event — who, when, the full entry before and after as JSON — so
that nothing staff do is ever lost and any earlier state can be restored.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)

from bot.db import Base, utcnow

ROLES = ("admin", "editor", "viewer")
ROLE_LABELS = {"admin": "Quản trị", "editor": "Biên tập", "viewer": "Chỉ xem"}
REVISION_ACTIONS = ("create", "update", "publish", "archive", "restore", "delete", "import")
ACTION_LABELS = {
    "create": "Tạo mới",
    "update": "Sửa",
    "publish": "Xuất bản",
    "archive": "Lưu trữ",
    "restore": "Khôi phục",
    "delete": "Xoá",
    "import": "Nhập từ tệp",
}


class StaffUser(Base):
    """A person who signs in to the staff workspace.

    ``password_hash`` is an argon2id hash (never the password). ``session_version`` is copied into
    the signed session cookie at sign-in; a password reset or deactivation increments it, which
    ends every open session of that account at its next request.
    """

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="ck_staff_role"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(80), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False, default="viewer")
    is_active = Column(Boolean, nullable=False, default=True)
    session_version = Column(Integer, nullable=False, default=1)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_login_at = Column(DateTime(timezone=True), nullable=True)
    password_changed_at = Column(DateTime(timezone=True), nullable=True)

    def __str__(self) -> str:
        return f"{self.username} ({ROLE_LABELS.get(self.role, self.role)})"


class Revision(Base):
    """One change to a tracked object (``entity_type`` "faq_entry" or "event").

    ``before``/``after`` are full snapshots (the entry with its phrasings, sources and entities;
    the event with its fields); ``before`` is null for a creation, ``after`` null for a deletion.
    ``actor`` keeps the account name even if the account is later removed.
    """

    __tablename__ = "staff_revisions"
    __table_args__ = (
        Index("ix_staff_revisions_entity", "entity_type", "entity_id", "created_at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    entity_type = Column(String(32), nullable=False)
    entity_id = Column(String(80), nullable=False)
    action = Column(String(16), nullable=False)
    actor = Column(String(80), nullable=False)
    actor_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    summary = Column(Text, nullable=True)
    before = Column(JSON, nullable=True)
    after = Column(JSON, nullable=True)

    def __str__(self) -> str:
        return f"#{self.id} {self.entity_type}/{self.entity_id} {self.action}"
