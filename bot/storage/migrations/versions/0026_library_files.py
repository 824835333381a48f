"""The change team's library in the database (issue 17): uploads, team FAQs and approved stories are
stored here, with every version, so that web processes and workers on several hosts read one
library; ``knowledge/`` on disk is imported by ``changebot ingest`` and written back by
``changebot library export``.

New tables; nothing existing changes. The first ``changebot ingest`` after the upgrade imports the
folder as it stands (uploads and saved FAQs included, as they were files until now).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_files",
        sa.Column("source", sa.String(500), primary_key=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "library_file_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(500), nullable=False, index=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("library_file_versions")
    op.drop_table("library_files")
