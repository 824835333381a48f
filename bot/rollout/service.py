"""The weekly rollout evaluation: light every unit, decide alerts, queue them for delivery.

Ties the rollout to what changebot already hears: the latest pulse results (resistance levels per
unit), the questions people ask, and the library (suggested responses).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answering.factory import KnowledgeCore
from bot.answering.retrieval import SearchFilters
from bot.broadcasts.models import BroadcastKind
from bot.broadcasts.service import create_broadcast
from bot.errors import KnowledgeUnavailableError
from bot.people.models import Unit
from bot.rollout.alerts import Notice, Search, Suggestion, check_alerts
from bot.rollout.lights import LightRules, evaluate_week
from bot.rollout.models import UnitLight
from bot.storage.base import utc_now
from bot.surveys.definitions import Scoring, Survey
from bot.surveys.models import SurveyWave, WaveStatus
from bot.surveys.results import Rules, wave_results
from ingest.chunk import join_sentences, split_sentences

logger = logging.getLogger(__name__)

ADVICE_FILTERS = SearchFilters(doc_types=frozenset({"playbook", "case"}))
EXCERPT_CHARS = 160
RECENT_WAVES = 20


def knowledge_search(core: KnowledgeCore) -> Search:
    """Suggestions from the playbooks and cases, best first."""

    def search(query: str) -> list[Suggestion]:
        try:
            retrieval = core.answerer.retrieve(query, filters=ADVICE_FILTERS, k=3)
        except KnowledgeUnavailableError as exc:
            # The alert matters more than its advice: it goes out now, without suggestions, rather
            # than failing the week's evaluation while the vector store is away.
            logger.warning("alert advice left out, the library is unavailable: %s", exc)
            return []
        return [
            Suggestion(title=hit.chunk.title, source=hit.chunk.source, excerpt=advice_excerpt(hit.chunk.text))
            for hit in retrieval.hits
        ]

    return search


def advice_excerpt(passage: str, *, budget: int = EXCERPT_CHARS) -> str:
    """The passage's first whole sentences within ``budget`` characters (the first one always, however
    long): advice a manager reads as sentences, never a passage cut off in mid-word."""
    sentences = [" ".join(sentence.split()) for sentence in split_sentences(passage)]
    kept: list[str] = []
    for sentence in filter(None, sentences):
        if kept and len(join_sentences([*kept, sentence])) > budget:
            break
        kept.append(sentence)
    return join_sentences(kept)


def latest_resistance(
    *, session: Session, surveys: Mapping[str, Survey], rules: Rules
) -> dict[int, dict[str, str]]:
    """Unit id -> {dimension: band} from the newest closed resistance pulse that shows the unit."""
    names = dict(session.execute(select(Unit.name, Unit.id)).all())
    found: dict[int, dict[str, str]] = {}
    waves = session.scalars(
        select(SurveyWave)
        .where(SurveyWave.status == WaveStatus.CLOSED.value)
        .order_by(SurveyWave.closes_at.desc())
        .limit(RECENT_WAVES)
    ).all()
    for wave in waves:
        survey = surveys.get(wave.survey_id)
        if survey is None or survey.scoring != Scoring.RESISTANCE:
            continue
        for group in wave_results(session=session, wave=wave, survey=survey, rules=rules):
            unit_id = names.get(group.unit)
            if unit_id is None or unit_id in found or group.suppressed or not group.dimensions:
                continue
            found[unit_id] = {name: result.band.value for name, result in group.dimensions.items()}
    return found


@dataclass
class Evaluation:
    """What one weekly evaluation did."""

    week: date
    lights: list[UnitLight] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    broadcast_ids: list[int] = field(default_factory=list)


def evaluate_and_alert(
    *,
    session: Session,
    week: date,
    rules: LightRules,
    search: Search,
    surveys: Mapping[str, Survey],
    survey_rules: Rules,
    now: datetime | None = None,
) -> Evaluation:
    """Light the week, decide the alerts, and queue each alert through the sender (rate limits apply)."""
    resistance = latest_resistance(session=session, surveys=surveys, rules=survey_rules)
    high = {
        unit_id: [d for d, band in bands.items() if band == "high"] for unit_id, bands in resistance.items()
    }
    evaluation = Evaluation(week=week)
    evaluation.lights = evaluate_week(
        session=session, week=week, rules=rules, high_resistance={k: v for k, v in high.items() if v}
    )
    evaluation.notices = check_alerts(
        session=session, week=week, rules=rules, search=search, resistance=resistance, now=now or utc_now()
    )
    for notice in evaluation.notices:
        if not notice.person_ids:
            continue
        broadcast = create_broadcast(
            session=session,
            kind=BroadcastKind.ALERT,  # a warning: no clap under it
            text=notice.text[:3900],
            selectors=[f"person:{person_id}" for person_id in notice.person_ids],
        )
        evaluation.broadcast_ids.append(broadcast.id)
    return evaluation
