"""Rollout waves, weekly adoption figures, warning-light history, alerts, mutes and review actions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollout_waves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("target_success_rate", sa.Float(), nullable=False),
        sa.Column("support_capacity", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_waves")),
        sa.UniqueConstraint("number", name=op.f("uq_rollout_waves_number")),
    )
    op.create_table(
        "rollout_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_rollout_alerts_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_alerts")),
        sa.UniqueConstraint("unit_id", "week", "kind", name="uq_rollout_alerts_unit_week_kind"),
    )
    with op.batch_alter_table("rollout_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollout_alerts_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "rollout_review_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["people.id"],
            name=op.f("fk_rollout_review_actions_manager_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_rollout_review_actions_unit_id_units"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_review_actions")),
    )
    with op.batch_alter_table("rollout_review_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rollout_review_actions_manager_id"), ["manager_id"], unique=False
        )

    op.create_table(
        "rollout_unit_lights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("light", sa.String(length=10), nullable=False),
        sa.Column("usage_light", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("usage_rate", sa.Float(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("active_share", sa.Float(), nullable=True),
        sa.Column("unanswered_rate", sa.Float(), nullable=True),
        sa.Column("evaluated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_rollout_unit_lights_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_unit_lights")),
        sa.UniqueConstraint("unit_id", "week", name="uq_rollout_unit_lights_unit_week"),
    )
    with op.batch_alter_table("rollout_unit_lights", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollout_unit_lights_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rollout_unit_lights_week"), ["week"], unique=False)

    op.create_table(
        "rollout_unit_mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("until", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_rollout_unit_mutes_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_rollout_unit_mutes_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_unit_mutes")),
        sa.UniqueConstraint("unit_id", "person_id", name="uq_rollout_unit_mutes_unit_person"),
    )
    with op.batch_alter_table("rollout_unit_mutes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollout_unit_mutes_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "rollout_unit_weeks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("usage_rate", sa.Float(), nullable=False),
        sa.Column("efficiency_change", sa.Float(), nullable=True),
        sa.Column("complaints", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reported_by_id"],
            ["people.id"],
            name=op.f("fk_rollout_unit_weeks_reported_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_rollout_unit_weeks_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_unit_weeks")),
        sa.UniqueConstraint("unit_id", "week", name="uq_rollout_unit_weeks_unit_week"),
    )
    with op.batch_alter_table("rollout_unit_weeks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollout_unit_weeks_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rollout_unit_weeks_week"), ["week"], unique=False)

    op.create_table(
        "rollout_wave_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_rollout_wave_units_unit_id_units"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["rollout_waves.id"],
            name=op.f("fk_rollout_wave_units_wave_id_rollout_waves"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_wave_units")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_rollout_wave_units_unit_id")),
    )
    with op.batch_alter_table("rollout_wave_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollout_wave_units_wave_id"), ["wave_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rollout_wave_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollout_wave_units_wave_id"))

    op.drop_table("rollout_wave_units")
    with op.batch_alter_table("rollout_unit_weeks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollout_unit_weeks_week"))
        batch_op.drop_index(batch_op.f("ix_rollout_unit_weeks_unit_id"))

    op.drop_table("rollout_unit_weeks")
    with op.batch_alter_table("rollout_unit_mutes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollout_unit_mutes_unit_id"))

    op.drop_table("rollout_unit_mutes")
    with op.batch_alter_table("rollout_unit_lights", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollout_unit_lights_week"))
        batch_op.drop_index(batch_op.f("ix_rollout_unit_lights_unit_id"))

    op.drop_table("rollout_unit_lights")
    with op.batch_alter_table("rollout_review_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollout_review_actions_manager_id"))

    op.drop_table("rollout_review_actions")
    with op.batch_alter_table("rollout_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollout_alerts_unit_id"))

    op.drop_table("rollout_alerts")
    op.drop_table("rollout_waves")
