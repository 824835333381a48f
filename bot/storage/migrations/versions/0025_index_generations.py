"""Index generations in the database (issue 17): web processes and workers on several hosts load the
live generation from here instead of a folder they would all have to share.

A new table; nothing existing changes. A process whose data folder still holds a generation from
before this migration copies it in on first use (``bot.library.generations``), so an upgrade
serves at once without a re-index.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_generations",
        sa.Column("generation", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(32), nullable=False, unique=True),
        sa.Column("model_fingerprint", sa.String(200), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("written_by", sa.String(120), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("index_generations")
