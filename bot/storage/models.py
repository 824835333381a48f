"""Imports every model module so Alembic and ``create_all`` see the whole schema."""

from bot.broadcasts.models import Broadcast, Delivery
from bot.people.models import InviteCode, Membership, Person, Unit
from bot.questions.models import AskedQuestion

__all__ = ["AskedQuestion", "Broadcast", "Delivery", "InviteCode", "Membership", "Person", "Unit"]
