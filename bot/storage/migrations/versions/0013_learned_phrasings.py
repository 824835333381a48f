"""Wordings of FAQ questions learned from use: the asker pressed "helpful" under an FAQ answer, or
a manager answered the question with an existing FAQ.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learned_phrasings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("faq_key", sa.String(length=600), nullable=False),
        sa.Column("faq_question", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column(
            "question_id",
            sa.Integer(),
            sa.ForeignKey("asked_questions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("learned_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.UniqueConstraint("faq_key", "text", name="uq_learned_phrasings_faq_text"),
    )
    op.create_index("ix_learned_phrasings_faq_key", "learned_phrasings", ["faq_key"])
    op.create_index("ix_learned_phrasings_status", "learned_phrasings", ["status"])


def downgrade() -> None:
    op.drop_index("ix_learned_phrasings_status", table_name="learned_phrasings")
    op.drop_index("ix_learned_phrasings_faq_key", table_name="learned_phrasings")
    op.drop_table("learned_phrasings")
