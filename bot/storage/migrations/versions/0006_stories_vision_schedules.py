"""Success stories, vision series, schedules; per-person time zones and wordings.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))

    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("cron", sa.String(length=120), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_occurrence", sa.DateTime(timezone=False), nullable=False),
        sa.Column("next_run_at", UtcDateTime(), nullable=False),
        sa.Column("last_fired_at", UtcDateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name="fk_schedules_created_by_id_people", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
        sa.UniqueConstraint("name", name="uq_schedules_name"),
    )
    op.create_index("ix_schedules_kind", "schedules", ["kind"])
    op.create_index("ix_schedules_next_run_at", "schedules", ["next_run_at"])

    op.create_table(
        "vision_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("must_read", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["people.id"],
            name="fk_vision_series_created_by_id_people",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_vision_series"),
    )

    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="message"))
        batch.add_column(sa.Column("texts", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("variants", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("photo_file_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("local_time", sa.DateTime(timezone=False), nullable=True))
        batch.add_column(sa.Column("schedule_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("occurrence", sa.String(length=32), nullable=True))
        batch.create_foreign_key(
            "fk_broadcasts_schedule_id_schedules", "schedules", ["schedule_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            "fk_broadcasts_series_id_vision_series",
            "vision_series",
            ["series_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_unique_constraint("uq_broadcasts_schedule_occurrence", ["schedule_id", "occurrence"])
        batch.create_index("ix_broadcasts_kind", ["kind"])
        batch.create_index("ix_broadcasts_series_id", ["series_id"])

    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("variant", sa.Integer(), nullable=True))

    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("photo_file_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("case_file", sa.String(length=255), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("submitted_at", UtcDateTime(), nullable=True),
        sa.Column("approved_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"], name="fk_stories_author_id_people", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name="fk_stories_unit_id_units", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name="fk_stories_broadcast_id_broadcasts",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["people.id"], name="fk_stories_reviewed_by_id_people", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
    )
    op.create_index("ix_stories_author_id", "stories", ["author_id"])
    op.create_index("ix_stories_unit_id", "stories", ["unit_id"])
    op.create_index("ix_stories_status", "stories", ["status"])
    op.create_index("ix_stories_approved_at", "stories", ["approved_at"])


def downgrade() -> None:
    op.drop_table("stories")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("variant")
        batch.drop_column("text")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_index("ix_broadcasts_series_id")
        batch.drop_index("ix_broadcasts_kind")
        batch.drop_constraint("uq_broadcasts_schedule_occurrence", type_="unique")
        batch.drop_constraint("fk_broadcasts_series_id_vision_series", type_="foreignkey")
        batch.drop_constraint("fk_broadcasts_schedule_id_schedules", type_="foreignkey")
        for column in ("occurrence", "series_id", "schedule_id", "local_time", "photo_file_id", "variants",
                       "texts", "kind"):  # fmt: skip
            batch.drop_column(column)
    op.drop_table("vision_series")
    op.drop_table("schedules")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("timezone")
