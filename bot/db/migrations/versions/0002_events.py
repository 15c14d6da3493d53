"""Events: events, their change history, registrations, reminder subscriptions.

Revision ID: 0002_events
Revises: 0001_knowledge
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_events"
down_revision = "0001_knowledge"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("external_key", sa.String(200), nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("title_en", sa.String(300), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("host", sa.String(300), nullable=False),
        sa.Column("co_hosts", sa.JSON(), nullable=False),
        sa.Column("audiences", sa.String(300), nullable=False),
        sa.Column("topics", sa.String(300), nullable=False),
        _ts("start_at", nullable=False),
        _ts("end_at", nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("venue", sa.String(300), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("city", sa.String(120), nullable=False),
        sa.Column("online_url", sa.String(500), nullable=True),
        sa.Column("registration_mode", sa.String(10), nullable=False),
        _ts("registration_deadline"),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("registered_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("registration_info", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(300), nullable=False),
        sa.Column("source_url", sa.String(500), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("is_tentative", sa.Boolean(), nullable=False),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
    )
    op.create_index("ix_events_kind", "events", ["kind"])
    op.create_index("ix_events_status", "events", ["status"])
    op.create_index("ix_events_start_at", "events", ["start_at"])
    op.create_index("ix_events_end_at", "events", ["end_at"])
    op.create_index("ix_events_start_end", "events", ["start_at", "end_at"])

    op.create_table(
        "event_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
        ),
        _ts("changed_at", nullable=False),
        sa.Column("changed_by", sa.String(120), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
    )
    op.create_index("ix_event_revisions_event_id", "event_revisions", ["event_id"])

    op.create_table(
        "event_registrations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("code", sa.String(9), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(300), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        _ts("consent_at", nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("sender_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(40), nullable=True),
        _ts("created_at", nullable=False),
        _ts("cancelled_at"),
    )
    op.create_index("ix_event_registrations_event_id", "event_registrations", ["event_id"])

    op.create_table(
        "event_reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("sender_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        _ts("remind_at", nullable=False),
        _ts("sent_at"),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        _ts("created_at", nullable=False),
    )
    op.create_index("ix_event_reminders_event_id", "event_reminders", ["event_id"])
    op.create_index("ix_event_reminders_remind_at", "event_reminders", ["remind_at"])


def downgrade() -> None:
    op.drop_table("event_reminders")
    op.drop_table("event_registrations")
    op.drop_table("event_revisions")
    op.drop_table("events")
