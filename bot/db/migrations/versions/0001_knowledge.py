"""Knowledge base: FAQ topics, entries, phrasings, sources, entities; unanswered questions; version.

Revision ID: 0001_knowledge
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_knowledge"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_topics",
        sa.Column("slug", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=True),
    )
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("question_en", sa.Text(), nullable=True),
        sa.Column("answer_en", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published', 'archived')", name="ck_faq_status"),
    )
    op.create_index("ix_faq_entries_topic", "faq_entries", ["topic"])
    op.create_index("ix_faq_entries_status", "faq_entries", ["status"])
    for table, extra in (
        ("faq_variants", [sa.Column("text", sa.Text(), nullable=False),
                          sa.Column("lang", sa.String(8), nullable=False)]),
        ("faq_sources", [sa.Column("title", sa.Text(), nullable=False),
                         sa.Column("url", sa.Text(), nullable=True),
                         sa.Column("checked", sa.Date(), nullable=True)]),
        ("faq_entities", [sa.Column("kind", sa.String(32), nullable=False),
                          sa.Column("value", sa.String(120), nullable=False)]),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column(
                "entry_id",
                sa.String(80),
                sa.ForeignKey("faq_entries.id", ondelete="CASCADE"),
                nullable=False,
            ),
            *extra,
        )
        op.create_index(f"ix_{table}_entry_id", table, ["entry_id"])
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=True),
        sa.Column(
            "entry_id",
            sa.String(80),
            sa.ForeignKey("faq_entries.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("group_key", sa.String(200), nullable=True),
        sa.CheckConstraint(
            "reason IN ('fallback', 'low_confidence', 'thumbs_down')", name="ck_unanswered_reason"
        ),
    )
    for column in ("created_at", "entry_id", "resolved", "group_key"):
        op.create_index(f"ix_unanswered_questions_{column}", "unanswered_questions", [column])
    version = op.create_table(
        "kb_data_version",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.bulk_insert(version, [{"name": "knowledge", "version": 0, "changed_at": None}])


def downgrade() -> None:
    op.drop_table("kb_data_version")
    op.drop_table("unanswered_questions")
    for table in ("faq_entities", "faq_sources", "faq_variants"):
        op.drop_table(table)
    op.drop_table("faq_entries")
    op.drop_table("faq_topics")
