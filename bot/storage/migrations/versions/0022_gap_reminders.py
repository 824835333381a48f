"""An escalated question nobody answers reminds its managers, then goes one level up (issue 15):
``asked_questions.reminded_at`` and ``escalated_up_at`` say each step was taken, set by a
compare-and-set so that two schedulers never both take it (``bot.questions.gap_reminders``).

Questions escalated before the upgrade are left unmarked, as must-reads were when their reminder
came in: one still waiting is what the reminder is for, and one that has waited longer than the
chore's ``STALE_AFTER`` is skipped by the chore itself.

Nullable columns without a default: SQLite adds them with ALTER TABLE in place, no copy of
``asked_questions`` (which ``learned_phrasings`` references).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("asked_questions", recreate="never") as batch:
        batch.add_column(sa.Column("reminded_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("escalated_up_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a copy of the table.
    with op.batch_alter_table("asked_questions", recreate="never") as batch:
        batch.drop_column("escalated_up_at")
        batch.drop_column("reminded_at")
