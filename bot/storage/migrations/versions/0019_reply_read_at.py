"""When the asker read a person's reply in the web chat: the web chat's inbox and its unread badge
(issue 15). The reply itself is stored once already (``asked_questions.reply``, migration 0004).

A nullable column without a default: SQLite adds it with ALTER TABLE in place, no copy of
``asked_questions`` (which ``learned_phrasings`` references).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The tables as this migration knows them (not the models, which may change after it).
_questions = sa.table(
    "asked_questions",
    sa.column("person_id", sa.Integer),
    sa.column("reply", sa.Text),
    sa.column("reply_read_at", UtcDateTime),
    sa.column("replied_at", UtcDateTime),
)
_people = sa.table("people", sa.column("id", sa.Integer), sa.column("telegram_id", sa.BigInteger))


def upgrade() -> None:
    with op.batch_alter_table("asked_questions", recreate="never") as batch:
        batch.add_column(sa.Column("reply_read_at", UtcDateTime(), nullable=True))
    # Replies from before the inbox reached askers with Telegram there: no badge for those the first
    # time they open the web chat. Web-only askers never got theirs: those stay unread, to be seen now.
    on_telegram = sa.select(_people.c.id).where(_people.c.telegram_id.is_not(None))
    op.execute(
        _questions.update()
        .where(_questions.c.reply.is_not(None), _questions.c.person_id.in_(on_telegram))
        .values(reply_read_at=_questions.c.replied_at)
    )


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a copy of the table.
    with op.batch_alter_table("asked_questions", recreate="never") as batch:
        batch.drop_column("reply_read_at")
