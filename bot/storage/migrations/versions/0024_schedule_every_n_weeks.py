"""Cadences people pick rather than cron strings (issue 15): "every N weeks" is more than a cron can
say, so a schedule keeps ``every_weeks`` (1 for every schedule so far) and, above 1, the Monday of
an ``anchor_week`` the rhythm counts from (``bot.scheduling.clock``).

Both columns added in place: on SQLite a batch would rebuild ``schedules``, and dropping the old
table would set ``broadcasts.schedule_id`` to NULL for every broadcast a schedule sent (ON DELETE
SET NULL), which the exposure figures read.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schedules", sa.Column("every_weeks", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("schedules", sa.Column("anchor_week", sa.Date(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column in place (3.35+); a batch would rebuild schedules, see above.
        op.execute("ALTER TABLE schedules DROP COLUMN anchor_week")
        op.execute("ALTER TABLE schedules DROP COLUMN every_weeks")
        return
    op.drop_column("schedules", "anchor_week")
    op.drop_column("schedules", "every_weeks")
