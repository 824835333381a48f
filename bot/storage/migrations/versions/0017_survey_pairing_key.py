"""Survey answers unlinkable in a copy of the database, open wave or closed (issue 16, item 5).

- ``survey_responses.language`` goes: nothing read it, and beside the unit it singled out the only
  English speaker of a store.
- Respondent keys now take a server key kept outside the database (``bot.surveys.pairing``). The
  migration cannot re-key the waves open at this moment: the new keys need that server key, which
  a schema migration does not have (it is in the environment or the data directory of the processes,
  and each may be started differently). So those waves are flagged ``salt_only_keys`` and keep their
  old keys, HMAC(salt) alone, until they close, at most their remaining open time (72 hours by
  default): people keep their progress, and a copy of the database taken before they close can
  still link their answers, as it could before this migration. Waves launched from now on never can.
- Waves already closed get what ``close_wave`` now does: their answers are written again with new
  random ids and keys, in a random order, so neither their keys (which a copy taken while they were
  open would match) nor their storage order (the answer order) survive. On SQLite the old rows'
  bytes are zeroed (``secure_delete``) rather than left in the file's free pages.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# The tables as this migration knows them (not the models, which may change after it).
_waves = sa.table(
    "survey_waves",
    sa.column("id", sa.Integer),
    sa.column("salt", sa.String),
    sa.column("salt_only_keys", sa.Boolean),
)
_responses = sa.table(
    "survey_responses",
    sa.column("id", sa.String),
    sa.column("wave_id", sa.Integer),
    sa.column("respondent_key", sa.String),
    sa.column("person_id", sa.Integer),
    sa.column("unit_id", sa.Integer),
    sa.column("answers", sa.JSON),
    sa.column("scores", sa.JSON),
    sa.column("barrier", sa.String),
    sa.column("completed", sa.Boolean),
    sa.column("score_total", sa.Float),
)


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        # Dropping the column copies the table on SQLite; the old copy's pages are zeroed, not freed as they are.
        before = int(bind.exec_driver_sql("PRAGMA secure_delete").scalar() or 0)
        bind.exec_driver_sql("PRAGMA secure_delete = ON")
    with op.batch_alter_table("survey_responses") as batch:
        batch.drop_column("language")
    # A plain string default, not sa.false(): with an expression SQLite's batch mode copies the table,
    # and dropping the old survey_waves would cascade to every invitation and answer.
    with op.batch_alter_table("survey_waves") as batch:
        batch.add_column(sa.Column("salt_only_keys", sa.Boolean(), nullable=False, server_default="0"))
    # A wave with a salt is still open (close erases it): its rows carry the old keys.
    op.execute(_waves.update().where(_waves.c.salt.is_not(None)).values(salt_only_keys=True))
    _rewrite_closed_waves(bind)
    if sqlite:
        bind.exec_driver_sql(f"PRAGMA secure_delete = {before}")


def _rewrite_closed_waves(bind: sa.Connection) -> None:
    shuffler = secrets.SystemRandom()
    closed = bind.execute(sa.select(_waves.c.id).where(_waves.c.salt.is_(None))).scalars().all()
    carried = [column for column in _responses.c if column.name not in ("id", "respondent_key")]
    for wave_id in closed:
        rows = [
            dict(row._mapping)
            for row in bind.execute(
                sa.select(*carried).where(_responses.c.wave_id == wave_id).order_by(_responses.c.id)
            )
        ]
        if not rows:
            continue
        bind.execute(_responses.delete().where(_responses.c.wave_id == wave_id))
        shuffler.shuffle(rows)
        bind.execute(
            _responses.insert(),
            [{**row, "id": secrets.token_hex(16), "respondent_key": secrets.token_hex(32)} for row in rows],
        )


def downgrade() -> None:
    # Waves launched after the upgrade and still open lose their progress under the old code, which
    # keys rows by the salt alone; the languages dropped are not coming back (every row gets zh-Hans).
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a copy of the table: dropping the old
    # survey_waves would cascade to every invitation and answer.
    with op.batch_alter_table("survey_waves", recreate="never") as batch:
        batch.drop_column("salt_only_keys")
    with op.batch_alter_table("survey_responses") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=10), nullable=False, server_default="zh-Hans")
        )
