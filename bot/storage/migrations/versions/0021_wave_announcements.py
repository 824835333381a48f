"""When a wave closes, its managers and admins are told the headline (issue 15):
``survey_waves.announced_at`` says they were, set by a compare-and-set so that two schedulers never
both tell them.

Waves already closed at the upgrade count as announced (at their closing time): an upgrade must not
send everyone a burst of old results.

A nullable column added in place: on SQLite a batch would rebuild ``survey_waves``, and the rebuild
would cascade-delete every invitation and response (both reference it with ON DELETE CASCADE).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# The table as this migration knows it (not the model, which may change after it).
_waves = sa.table(
    "survey_waves",
    sa.column("status", sa.String),
    sa.column("closes_at", UtcDateTime),
    sa.column("closed_at", UtcDateTime),
    sa.column("announced_at", UtcDateTime),
)


def upgrade() -> None:
    op.add_column("survey_waves", sa.Column("announced_at", UtcDateTime(), nullable=True))
    op.execute(
        _waves.update()
        .where(_waves.c.status == "closed")
        .values(announced_at=sa.func.coalesce(_waves.c.closed_at, _waves.c.closes_at))
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column in place (3.35+); a batch would rebuild survey_waves, see above.
        op.execute("ALTER TABLE survey_waves DROP COLUMN announced_at")
        return
    op.drop_column("survey_waves", "announced_at")
