"""The scheduler loop: every few seconds, fire what is due. Runs in `serve` and in `changebot worker`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.scheduling.service import ScheduleAction, fire_due
from bot.storage.base import utc_now
from bot.storage.database import transaction

logger = logging.getLogger(__name__)

Zones = Callable[[Session], Sequence[ZoneInfo]]
"""The time zones schedules must be on time in (``people.service.known_zones``, bound to the default)."""
Tick = Callable[[Session, datetime], object]
"""A chore run every round after the schedules (closing due survey waves, sending reminders)."""


class Scheduler:
    """Fires due schedules with the actions it was given, then runs its chores."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        actions: Mapping[str, ScheduleAction],
        zones: Zones,
        poll_seconds: float = 15.0,
        ticks: Sequence[Tick] = (),
    ) -> None:
        self._sessions = sessions
        self._actions = dict(actions)
        self._ticks = list(ticks)
        self._zones = zones
        self._poll_seconds = poll_seconds

    def run_once(self, *, now: datetime | None = None) -> int:
        """Fire everything due now, then run the ticks; returns how many occurrences ran."""
        now = now or utc_now()
        with transaction(self._sessions) as session:
            fired = len(fire_due(session=session, actions=self._actions, zones=self._zones(session), now=now))
        for tick in self._ticks:
            try:
                with transaction(self._sessions) as session:
                    tick(session, now)
            except Exception:  # one failing chore must not stop the others
                logger.exception("scheduler chore %s failed", getattr(tick, "__name__", tick))
        return fired

    async def run(self, *, stop: asyncio.Event) -> None:
        """Fire due schedules until ``stop`` is set; a missed run fires once on the first round."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # the database may be restarting; try again next round
                logger.exception("scheduler round failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._poll_seconds)
