"""Pushes that look like what they are (issue 15): each copy in its reader's language, and one
reminder for a must-read not read in time.

- ``deliveries.language``: the language a copy is worded in, text and buttons alike. Copies still
  waiting to go get their person's language now; sent ones keep None (nothing draws them again).
- ``deliveries.reminded_at``: the copy was handed to its one reminder (a compare-and-set on it, so
  two schedulers never remind twice).
- ``broadcasts.reminder_of_id``: a reminder names the must-read it reminds of, so that "I've read
  it" under the reminder marks the original read.

Plain ``add_column``, no batch: on SQLite a batch rebuilds the table, and rebuilding ``broadcasts``
would cascade-delete every delivery row. So ``reminder_of_id`` is an indexed column, not a foreign
key (SQLite adds a foreign key only by such a rebuild).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# The tables as this migration knows them (not the models, which may change after it).
_deliveries = sa.table(
    "deliveries",
    sa.column("person_id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("language", sa.String),
)
_people = sa.table("people", sa.column("id", sa.Integer), sa.column("language", sa.String))
_OPEN = ("queued", "claimed", "sending")


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("language", sa.String(length=10), nullable=True))
    op.add_column("deliveries", sa.Column("reminded_at", UtcDateTime(), nullable=True))
    op.add_column("broadcasts", sa.Column("reminder_of_id", sa.Integer(), nullable=True))
    op.create_index("ix_broadcasts_reminder_of_id", "broadcasts", ["reminder_of_id"])
    person_language = (
        sa.select(_people.c.language).where(_people.c.id == _deliveries.c.person_id).scalar_subquery()
    )
    op.execute(_deliveries.update().where(_deliveries.c.state.in_(_OPEN)).values(language=person_language))


def downgrade() -> None:
    op.drop_index("ix_broadcasts_reminder_of_id", table_name="broadcasts")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column in place (3.35+); a batch would rebuild broadcasts, see above.
        for table, column in (("broadcasts", "reminder_of_id"), ("deliveries", "reminded_at"),
                              ("deliveries", "language")):  # fmt: skip
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        return
    op.drop_column("broadcasts", "reminder_of_id")
    op.drop_column("deliveries", "reminded_at")
    op.drop_column("deliveries", "language")
