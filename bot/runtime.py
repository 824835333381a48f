"""Wiring of the background work from ``Settings``: the sender's policy, the scheduler with every
action and chore, the survey library and the survey key. Used by `serve`, `changebot worker` and
the bot."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.broadcasts.recurring import SCHEDULE_ACTIONS, ensure_digest_schedule
from bot.broadcasts.reminders import send_must_read_reminders
from bot.broadcasts.sender import WorkerSettings
from bot.broadcasts.service import DeliveryTiming
from bot.config import Settings
from bot.dialogues.service import purge_expired_dialogues
from bot.people.guessing import forget_old_wrong_codes
from bot.people.service import known_zones
from bot.questions.flood import forget_quiet_floods
from bot.questions.gap_reminders import send_gap_reminders
from bot.reporting.wave_headlines import announce_closed_waves
from bot.rollout.alerts import Search
from bot.rollout.lights import LightRules
from bot.rollout.schedules import (
    EVALUATE,
    REVIEW,
    USAGE_REMINDER_KIND,
    evaluate_action,
    review_action,
    usage_reminder_action,
)
from bot.rollout.service import knowledge_search
from bot.scheduling.clock import parse_quiet_hours
from bot.scheduling.runner import Scheduler
from bot.scheduling.service import ScheduleAction, ensure_named_schedule
from bot.storage.database import transaction
from bot.surveys.answers import send_due_reminders
from bot.surveys.library import SurveyLibrary, survey_library
from bot.surveys.pairing import PairingKey, pairing_key
from bot.surveys.results import Rules
from bot.surveys.waves import SURVEY, close_due_waves, survey_action

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
        heartbeat_seconds=settings.delivery_heartbeat_seconds,
        worker_timeout_seconds=settings.delivery_worker_timeout_seconds,
    )


def light_rules(settings: Settings) -> LightRules:
    """Warning-light thresholds and escalation steps from the settings."""
    return LightRules(
        green_above=settings.light_green_above,
        yellow_from=settings.light_yellow_from,
        orange_from=settings.light_orange_from,
        unanswered_flag_rate=settings.unanswered_flag_rate,
        region_after_red_weeks=settings.escalate_region_after_red_weeks,
        admins_after_red_weeks=settings.escalate_admins_after_red_weeks,
    )


def survey_rules(settings: Settings) -> Rules:
    """Anonymity thresholds and bands from the settings."""
    return Rules(
        min_respondents=settings.survey_min_respondents,
        min_comment_respondents=settings.survey_min_comment_respondents,
        band_medium=settings.survey_band_medium,
        band_high=settings.survey_band_high,
    )


def build_scheduler(
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    core: Callable[[], KnowledgeCore] | None = None,
    extra_actions: dict[str, ScheduleAction] | None = None,
) -> Scheduler:
    """The scheduler with every action, the configured schedules brought in line with the settings.

    ``core``: the knowledge core for alert advice; without one, the first alert builds it.
    """
    with transaction(sessions) as session:
        zones = known_zones(session=session, default_timezone=settings.default_timezone)
        ensure_digest_schedule(session=session, cron=settings.story_digest_cron, zones=zones)
        for name, cron in (
            (EVALUATE, settings.rollout_evaluate_cron),
            (REVIEW, settings.review_cron),
            (USAGE_REMINDER_KIND, settings.usage_reminder_cron),
        ):
            ensure_named_schedule(session=session, name=name, kind=name, cron=cron, zones=zones)
    surveys = survey_definitions(settings)
    key = survey_pairing_key(settings)  # now: a damaged key file stops the start, not the first tick
    reminder = timedelta(hours=settings.survey_reminder_hours_before_close) or None
    built: list[KnowledgeCore] = []

    def search() -> Search:
        if core is not None:
            return knowledge_search(core())
        if not built:
            built.append(build_knowledge_core(settings, sessions=sessions))
        return knowledge_search(built[0])

    return Scheduler(
        sessions=sessions,
        actions={
            **SCHEDULE_ACTIONS,
            SURVEY: survey_action(surveys=surveys, reminder_before_close=reminder),
            EVALUATE: evaluate_action(
                rules=light_rules(settings),
                survey_rules=survey_rules(settings),
                surveys=surveys,
                search=search,
            ),
            REVIEW: review_action(
                survey_rules=survey_rules(settings),
                light_rules=light_rules(settings),
                surveys=surveys,
                vision_target=settings.vision_target_exposures,
                console_url=f"{settings.base_url}/console",
            ),
            USAGE_REMINDER_KIND: usage_reminder_action,
            **(extra_actions or {}),
        },
        zones=partial(_zones_of, default_timezone=settings.default_timezone),
        poll_seconds=settings.scheduler_poll_seconds,
        ticks=[
            close_due_waves,
            partial(
                announce_closed_waves,
                surveys=surveys,
                rules=survey_rules(settings),
                console_url=f"{settings.base_url}/console",
            ),
            partial(send_due_reminders, surveys=surveys, key=key),
            partial(send_must_read_reminders, after=timedelta(hours=settings.must_read_reminder_hours)),
            partial(send_gap_reminders, after=timedelta(hours=settings.gap_reminder_hours)),
            purge_expired_dialogues,
            forget_quiet_floods,
            forget_old_wrong_codes,
        ],
    )


def _zones_of(session: Session, *, default_timezone: str) -> list[ZoneInfo]:
    return known_zones(session=session, default_timezone=default_timezone)


def survey_definitions(settings: Settings) -> SurveyLibrary:
    """The library's surveys, as their files are now (parsed again only when one changes); a broken
    file is logged and the last good reading keeps serving."""
    return survey_library(settings.knowledge_dir / settings.surveys_dir_name)


_PAIRING_KEYS: dict[tuple[str, str], PairingKey] = {}
_PAIRING_KEYS_LOCK = threading.Lock()


def survey_pairing_key(settings: Settings) -> PairingKey:
    """The survey key ``settings`` name: read (or made) once per process and source, then the same
    object to every caller (scheduler, bot, web app, CLI).

    Raises:
        SurveyKeyError: the key file is damaged, or cannot be read or created (not cached: the next
            call tries again).
    """
    if settings.survey_key is not None:
        # A digest, not the secret, in the cache's key: a repr of the cache shows nothing to use.
        digest = hashlib.sha256(settings.survey_key.get_secret_value().strip().encode()).hexdigest()
        source = ("secret", digest)
    else:
        source = ("file", str(settings.survey_key_file.resolve()))
    with _PAIRING_KEYS_LOCK:
        found = _PAIRING_KEYS.get(source)
        if found is None:
            found = _PAIRING_KEYS[source] = pairing_key(settings)
        return found
