"""Escalating questions to a person, their reply, and the FAQ it became.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("asked_questions") as batch:
        batch.add_column(sa.Column("escalated_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("reply", sa.Text(), nullable=True))
        batch.add_column(sa.Column("replied_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("replied_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("faq_id", sa.String(length=64), nullable=True))
        batch.create_foreign_key(
            op.f("fk_asked_questions_replied_by_id_people"),
            "people",
            ["replied_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("asked_questions") as batch:
        batch.drop_constraint(op.f("fk_asked_questions_replied_by_id_people"), type_="foreignkey")
        for column in ("faq_id", "replied_at", "replied_by_id", "reply", "escalated_at"):
            batch.drop_column(column)
