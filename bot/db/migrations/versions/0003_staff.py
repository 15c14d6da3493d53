"""Staff workspace: accounts and the revision log.

Revision ID: 0003_staff
Revises: 0002_events
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_staff"
down_revision = "0002_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="ck_staff_role"),
    )
    op.create_table(
        "staff_revisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(80), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column(
            "actor_id",
            sa.Integer(),
            sa.ForeignKey("staff_users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
    )
    op.create_index(
        "ix_staff_revisions_entity", "staff_revisions", ["entity_type", "entity_id", "created_at"]
    )
    op.create_index("ix_staff_revisions_created_at", "staff_revisions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_staff_revisions_created_at", table_name="staff_revisions")
    op.drop_index("ix_staff_revisions_entity", table_name="staff_revisions")
    op.drop_table("staff_revisions")
    op.drop_table("staff_users")
