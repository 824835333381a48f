"""Wrong invite codes per place (a browser's address, a Telegram user) this minute and the last:
the shared window that stops guessing codes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wrong_code_windows",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("wrong", sa.Integer(), nullable=False),
        sa.Column("previous_wrong", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_wrong_code_windows")),
    )
    with op.batch_alter_table("wrong_code_windows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wrong_code_windows_minute"), ["minute"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wrong_code_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wrong_code_windows_minute"))
    op.drop_table("wrong_code_windows")
