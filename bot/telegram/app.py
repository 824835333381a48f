"""Build the python-telegram-bot Application once, with every handler and the shared services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import BotCommand
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.library.jobs import IngestJobs
from bot.people.service import ensure_admins
from bot.questions.flood import FloodGate
from bot.questions.phrasings import DatabasePhrasings
from bot.runtime import survey_definitions, survey_pairing_key
from bot.storage.database import in_transaction
from bot.telegram.context import SERVICES_KEY, BotServices
from bot.telegram.handlers import (
    account,
    asking,
    broadcasts,
    dialogues,
    errors,
    gaps,
    managers,
    onboarding,
    scheduled,
    stories,
    story_review,
    surveys,
    vision,
)
from bot.telegram.polling import TolerantBot
from bot.wording import set_default_language
from ingest.embedding import EmbeddingModelError

logger = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("help", "帮助 / Help"),
    BotCommand("lang", "语言 / Language"),
    BotCommand("stop", "暂停推送 / Pause pushes"),
    BotCommand("resume", "恢复推送 / Resume pushes"),
    BotCommand("tz", "时区 / Time zone"),
    BotCommand("privacy", "隐私 / Privacy"),
    BotCommand("usage", "报告使用率 / Report usage (managers)"),
    BotCommand("review", "每周复盘 / Weekly review (managers)"),
    BotCommand("story", "分享成功故事 / Share a success story (managers)"),
    BotCommand("vision", "愿景消息系列 / Vision series (managers)"),
    BotCommand("broadcasts", "已安排的推送 / Scheduled broadcasts (managers)"),
]


class TelegramNotConfiguredError(RuntimeError):
    """No bot token is set."""


def build_application(
    *,
    settings: Settings,
    core: KnowledgeCore,
    sessions: sessionmaker[Session],
    webhook: bool = False,
    jobs: IngestJobs | None = None,
) -> Application:  # type: ignore[type-arg]
    """The PTB application; with ``webhook`` it has no updater and the web app feeds it updates.

    ``jobs`` is the re-index queue (the web app's, when both run in one process); without one the
    bot keeps its own and closes it when it stops.

    Raises:
        TelegramNotConfiguredError: no bot token is set.
        SurveyKeyError: the survey key file is damaged or unreadable (said now, not at the first
            survey button).
    """
    if settings.telegram_token is None:
        raise TelegramNotConfiguredError("CHANGEBOT_TELEGRAM_TOKEN is not set")
    survey_key = survey_pairing_key(settings)
    set_default_language(settings.default_language)  # before any handler words a reply
    bot = TolerantBot(
        token=settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        rate_limiter=AIORateLimiter(max_retries=3),
        # As ApplicationBuilder's defaults: many requests in flight, one long poll.
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
    )
    builder = ApplicationBuilder().bot(bot).post_init(_post_init)
    owned_jobs = jobs is None
    jobs = jobs or IngestJobs(core=core, sessions=sessions, abandon_after=settings.ingest_job_abandon_seconds)
    if owned_jobs:
        builder = builder.post_shutdown(_closing(jobs))
    if webhook:
        builder = builder.updater(None)
    application = builder.build()
    core.learn_from(DatabasePhrasings(sessions=sessions))
    application.bot_data[SERVICES_KEY] = BotServices(
        settings=settings,
        core=core,
        sessions=sessions,
        flood=FloodGate(sessions=sessions, per_minute=settings.questions_per_minute),
        surveys=survey_definitions(settings),
        survey_key=survey_key,
        jobs=jobs,
    )
    onboarding.register(application)
    account.register(application)
    gaps.register(application)
    broadcasts.register(application)
    stories.register(application)
    story_review.register(application)
    vision.register(application)
    scheduled.register(application)
    dialogues.register(application)
    surveys.register(application)
    managers.register(application)
    asking.register(application)
    errors.register(application)
    return application


def _closing(jobs: IngestJobs) -> Callable[[Application], Coroutine[Any, Any, None]]:  # type: ignore[type-arg]
    async def close(_application: Application) -> None:  # type: ignore[type-arg]
        await asyncio.to_thread(jobs.close)

    return close


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    found: BotServices = application.bot_data[SERVICES_KEY]
    admins = found.settings.admin_telegram_ids
    await in_transaction(found.sessions, lambda session: ensure_admins(session=session, telegram_ids=admins))
    try:  # the model and the learned wordings, before anyone asks
        await asyncio.to_thread(found.core.warm_up)
    except (
        EmbeddingModelError
    ) as exc:  # the bot still answers, from lexical search; the retriever says so too
        logger.error("embedding model unavailable at start-up: %s", exc)
    await application.bot.set_my_commands(COMMANDS)
