"""State every process shares: chat dialogues in progress, the per-person flood window, re-index jobs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dialogue_states",
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", "kind", name=op.f("pk_dialogue_states")),
    )
    with op.batch_alter_table("dialogue_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dialogue_states_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dialogue_states_subject"), ["subject"], unique=False)

    op.create_table(
        "question_floods",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("previous_questions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_question_floods_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_question_floods")),
    )
    with op.batch_alter_table("question_floods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_floods_minute"), ["minute"], unique=False)

    op.create_table(
        "ingest_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("paths", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("running_slot", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("added", sa.JSON(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("failed", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_jobs")),
        sa.UniqueConstraint("running_slot", name=op.f("uq_ingest_jobs_running_slot")),
    )
    with op.batch_alter_table("ingest_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_jobs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ingest_jobs_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ingest_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_jobs_state"))
        batch_op.drop_index(batch_op.f("ix_ingest_jobs_created_at"))

    op.drop_table("ingest_jobs")
    with op.batch_alter_table("question_floods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_floods_minute"))

    op.drop_table("question_floods")
    with op.batch_alter_table("dialogue_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dialogue_states_subject"))
        batch_op.drop_index(batch_op.f("ix_dialogue_states_expires_at"))

    op.drop_table("dialogue_states")
