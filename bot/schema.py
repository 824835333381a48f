"""Every domain's models, imported in one place above the domains, so Alembic (``storage/migrations/env.py``)
sees the whole schema; ``bot.storage`` itself knows no domain."""

from bot.access.models import ApiToken, SignInLink, WebSession
from bot.broadcasts.models import Broadcast, Delivery, SenderWorker, Story, VisionSeries
from bot.dialogues.models import DialogueState
from bot.library.models import IngestJobRow, IngestRunnerRow
from bot.people.models import InviteCode, Membership, Person, Unit
from bot.questions.models import AskedQuestion, LearnedPhrasing, QuestionFlood
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
    "DialogueState",
    "IngestJobRow",
    "IngestRunnerRow",
    "LearnedPhrasing",
    "InviteCode",
    "Membership",
    "Person",
    "QuestionFlood",
    "ReviewAction",
    "RolloutAlert",
    "RolloutWave",
    "Schedule",
    "SenderWorker",
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
