"""Wiring of the background work from ``Settings``: the sender's policy, the scheduler with every
action and chore, the survey library. Used by `serve`, `changebot worker` and the bot."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.recurring import SCHEDULE_ACTIONS, ensure_digest_schedule
from bot.broadcasts.sender import WorkerSettings
from bot.broadcasts.service import DeliveryTiming
from bot.config import Settings
from bot.scheduling.clock import parse_quiet_hours
from bot.scheduling.runner import Scheduler
from bot.scheduling.service import ScheduleAction, known_zones
from bot.storage.database import transaction
from bot.surveys.definitions import Survey, SurveyFileError, load_surveys
from bot.surveys.waves import SURVEY, close_due_waves, send_due_reminders, survey_action

logger = logging.getLogger(__name__)


def delivery_timing(settings: Settings) -> DeliveryTiming:
    """Time zone default and quiet hours from the settings."""
    return DeliveryTiming(
        default_timezone=settings.default_timezone, quiet_hours=parse_quiet_hours(settings.quiet_hours)
    )


def worker_settings(settings: Settings) -> WorkerSettings:
    """The delivery worker's pacing and retry policy from the settings."""
    return WorkerSettings(
        rate_per_second=settings.delivery_rate_per_second,
        max_in_flight=settings.delivery_max_in_flight,
        batch_size=settings.delivery_batch_size,
        lease_seconds=settings.delivery_lease_seconds,
        max_attempts=settings.delivery_max_attempts,
        timing=delivery_timing(settings),
    )


def build_scheduler(
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    extra_actions: dict[str, ScheduleAction] | None = None,
) -> Scheduler:
    """The scheduler with every broadcast action, the digest schedule brought in line with the settings."""
    with transaction(sessions) as session:
        zones = known_zones(session=session, default_timezone=settings.default_timezone)
        ensure_digest_schedule(session=session, cron=settings.story_digest_cron, zones=zones)
    surveys = survey_definitions(settings)
    reminder = timedelta(hours=settings.survey_reminder_hours_before_close) or None
    return Scheduler(
        sessions=sessions,
        actions={
            **SCHEDULE_ACTIONS,
            SURVEY: survey_action(surveys=surveys, reminder_before_close=reminder),
            **(extra_actions or {}),
        },
        default_timezone=settings.default_timezone,
        poll_seconds=settings.scheduler_poll_seconds,
        ticks=[close_due_waves, partial(send_due_reminders, surveys=surveys)],
    )


def survey_definitions(settings: Settings) -> dict[str, Survey]:
    """The library's surveys; a broken file is logged and leaves the others working."""
    try:
        return load_surveys(settings.knowledge_dir / settings.surveys_dir_name)
    except SurveyFileError as exc:
        logger.error("surveys not loaded: %s", exc)
        return {}
