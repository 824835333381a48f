"""Re-index jobs are run by the processes configured to run them, not by whichever web process
queued them: a row per live runner, with its heartbeat, so a queued job can say that nobody runs it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_runners",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runners")),
    )


def downgrade() -> None:
    op.drop_table("ingest_runners")
