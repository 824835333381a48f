"""What handlers reach through ``context.bot_data``: the objects built once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import ContextTypes

from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.library.jobs import IngestJobs
from bot.questions.flood import FloodGate
from bot.surveys.definitions import Survey
from bot.surveys.pairing import PairingKey

SERVICES_KEY = "changebot"


@dataclass(frozen=True, slots=True)
class BotServices:
    """Heavy objects shared by every handler."""

    settings: Settings
    core: KnowledgeCore
    sessions: sessionmaker[Session]
    flood: FloodGate
    surveys: Mapping[str, Survey]  # the survey definitions by id, as their files are now
    survey_key: PairingKey  # the server key of respondent keys, read once at start-up
    jobs: IngestJobs  # the re-index queue: a saved FAQ is indexed in the background


def services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    """The services registered on the application."""
    found: BotServices = context.application.bot_data[SERVICES_KEY]
    return found
