"""Each question keeps the band it got (answer, suggest, unknown), the kind of reply (faq, passage,
llm, suggest, off_topic, refused), its "did you mean" candidates and the one the asker picked.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("asked_questions") as batch:
        batch.add_column(sa.Column("band", sa.String(length=10), nullable=False, server_default="unknown"))
        batch.add_column(sa.Column("reply_kind", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("suggestions", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("chosen_suggestion", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_asked_questions_band"), ["band"])
    # Before bands, a question was answered or not.
    op.execute(sa.text("UPDATE asked_questions SET band = 'answer' WHERE answered"))


def downgrade() -> None:
    with op.batch_alter_table("asked_questions") as batch:
        batch.drop_index(batch.f("ix_asked_questions_band"))
        batch.drop_column("chosen_suggestion")
        batch.drop_column("suggestions")
        batch.drop_column("reply_kind")
        batch.drop_column("band")
