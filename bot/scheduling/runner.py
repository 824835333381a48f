"""The scheduler loop: every few seconds, fire what is due. Runs in `serve` and in `changebot worker`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.scheduling.service import ScheduleAction, fire_due, known_zones
from bot.storage.database import transaction

logger = logging.getLogger(__name__)


class Scheduler:
    """Fires due schedules with the actions it was given."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        actions: Mapping[str, ScheduleAction],
        default_timezone: str,
        poll_seconds: float = 15.0,
    ) -> None:
        self._sessions = sessions
        self._actions = dict(actions)
        self._default_timezone = default_timezone
        self._poll_seconds = poll_seconds

    def run_once(self, *, now: datetime | None = None) -> int:
        """Fire everything due now; returns how many occurrences ran."""
        with transaction(self._sessions) as session:
            zones = known_zones(session=session, default_timezone=self._default_timezone)
            return len(fire_due(session=session, actions=self._actions, zones=zones, now=now))

    async def run(self, *, stop: asyncio.Event) -> None:
        """Fire due schedules until ``stop`` is set; a missed run fires once on the first round."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # the database may be restarting; try again next round
                logger.exception("scheduler round failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._poll_seconds)
