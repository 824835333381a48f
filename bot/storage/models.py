"""Imports every model module so Alembic and ``create_all`` see the whole schema."""

from bot.questions.models import AskedQuestion

__all__ = ["AskedQuestion"]
