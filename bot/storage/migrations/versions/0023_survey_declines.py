"""A person can say "not this time" to a survey wave (issue 15): ``survey_invitations.declined``
while the wave is open (no reminder for them), and ``survey_waves.declined``, the count close keeps
when it erases the flags (see ``bot.surveys.waves``).

The flag is on the invitation, the table of who was asked, which has no link to any answer; the
answers table gets nothing. Existing rows start as not declined, and waves closed before this
migration as having had no declines (nobody could).

Both columns are added in place with a plain string default: on SQLite a batch would rebuild
``survey_waves``, and dropping the old table would cascade-delete every invitation and response.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "survey_invitations", sa.Column("declined", sa.Boolean(), nullable=False, server_default="0")
    )
    op.add_column("survey_waves", sa.Column("declined", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table in ("survey_waves", "survey_invitations"):
        if op.get_bind().dialect.name == "sqlite":
            # SQLite drops a column in place (3.35+); a batch would rebuild the table, see above.
            op.execute(f"ALTER TABLE {table} DROP COLUMN declined")  # noqa: S608  (our own table names)
        else:
            op.drop_column(table, "declined")
