"""Sender workers share one send budget: a row per live worker, with its heartbeat and 429 pause.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sender_workers",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("busy", sa.Boolean(), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.Column("paused_until", UtcDateTime(), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_sender_workers")),
    )


def downgrade() -> None:
    op.drop_table("sender_workers")
