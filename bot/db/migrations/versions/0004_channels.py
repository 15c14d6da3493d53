"""Zalo OA channel: token pair, processed webhook events, followers.

Revision ID: 0004_channels
Revises: 0003_staff
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_channels"
down_revision = "0003_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("app_id", sa.String(64), nullable=False, unique=True),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seed_fingerprint", sa.String(64), nullable=False),
        sa.Column("refreshed_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "zalo_processed_events",
        sa.Column("event_key", sa.String(128), primary_key=True),
        sa.Column("event_name", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_zalo_processed_events_received_at", "zalo_processed_events", ["received_at"]
    )
    op.create_table(
        "zalo_followers",
        sa.Column("sender_id", sa.String(64), primary_key=True),
        sa.Column("user_id_by_app", sa.String(64), nullable=True),
        sa.Column("following", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_interaction_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_zalo_followers_user_id_by_app", "zalo_followers", ["user_id_by_app"])


def downgrade() -> None:
    op.drop_index("ix_zalo_followers_user_id_by_app", table_name="zalo_followers")
    op.drop_table("zalo_followers")
    op.drop_index("ix_zalo_processed_events_received_at", table_name="zalo_processed_events")
    op.drop_table("zalo_processed_events")
    op.drop_table("zalo_tokens")
