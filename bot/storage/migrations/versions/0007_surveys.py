"""Pulse survey waves, invitations and anonymous responses; a button on broadcasts, a payload on schedules.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("button", sa.String(length=64), nullable=True))
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=False, server_default="{}"))

    op.create_table(
        "survey_waves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.String(length=60), nullable=False),
        sa.Column("survey_version", sa.Integer(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opens_at", UtcDateTime(), nullable=False),
        sa.Column("closes_at", UtcDateTime(), nullable=False),
        sa.Column("remind_at", UtcDateTime(), nullable=True),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=True),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("invited_by_unit", sa.JSON(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("occurrence", sa.String(length=32), nullable=True),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name="fk_survey_waves_schedule_id_schedules",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name="fk_survey_waves_broadcast_id_broadcasts",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name="fk_survey_waves_created_by_id_people", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_survey_waves"),
        sa.UniqueConstraint("schedule_id", "occurrence", name="uq_survey_waves_schedule_occurrence"),
    )
    op.create_index("ix_survey_waves_survey_id", "survey_waves", ["survey_id"])
    op.create_index("ix_survey_waves_status", "survey_waves", ["status"])
    op.create_index("ix_survey_waves_closes_at", "survey_waves", ["closes_at"])

    op.create_table(
        "survey_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["survey_waves.id"],
            name="fk_survey_invitations_wave_id_survey_waves",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_survey_invitations_person_id_people", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_survey_invitations"),
        sa.UniqueConstraint("wave_id", "person_id", name="uq_survey_invitations_wave_person"),
    )
    op.create_index("ix_survey_invitations_wave_id", "survey_invitations", ["wave_id"])
    op.create_index("ix_survey_invitations_person_id", "survey_invitations", ["person_id"])

    op.create_table(
        "survey_responses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("respondent_key", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("barrier", sa.String(length=60), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("score_total", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["survey_waves.id"],
            name="fk_survey_responses_wave_id_survey_waves",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_survey_responses_person_id_people", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name="fk_survey_responses_unit_id_units", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_survey_responses"),
        sa.UniqueConstraint("wave_id", "respondent_key", name="uq_survey_responses_wave_respondent"),
    )
    op.create_index("ix_survey_responses_wave_id", "survey_responses", ["wave_id"])
    op.create_index("ix_survey_responses_unit_id", "survey_responses", ["unit_id"])


def downgrade() -> None:
    op.drop_table("survey_responses")
    op.drop_table("survey_invitations")
    op.drop_table("survey_waves")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("button")
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("payload")
