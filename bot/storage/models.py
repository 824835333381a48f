"""Imports every model module so Alembic and ``create_all`` see the whole schema."""

from bot.access.models import ApiToken, SignInLink, WebSession
from bot.broadcasts.models import Broadcast, Delivery, Story, VisionSeries
from bot.people.models import InviteCode, Membership, Person, Unit
from bot.questions.models import AskedQuestion
from bot.rollout.models import (
    ReviewAction,
    RolloutAlert,
    RolloutWave,
    UnitLight,
    UnitMute,
    UnitWeek,
    WaveUnit,
)
from bot.scheduling.models import Schedule
from bot.surveys.models import SurveyInvitation, SurveyResponse, SurveyWave

__all__ = [
    "ApiToken",
    "AskedQuestion",
    "Broadcast",
    "Delivery",
    "InviteCode",
    "Membership",
    "Person",
    "ReviewAction",
    "RolloutAlert",
    "RolloutWave",
    "Schedule",
    "SignInLink",
    "Story",
    "SurveyInvitation",
    "SurveyResponse",
    "SurveyWave",
    "Unit",
    "UnitLight",
    "UnitMute",
    "UnitWeek",
    "VisionSeries",
    "WaveUnit",
    "WebSession",
]
