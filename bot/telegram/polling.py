"""Long polling that survives an update it cannot read.

PTB reads a whole ``getUpdates`` batch at once. One update it cannot de-serialise (a message
without a ``date``, say) fails the batch; the updater then logs it as critical and asks for the
same batch again, forever: nobody is answered any more and the log grows by megabytes a minute.
Here each update is read on its own, one that cannot be read is skipped with one log line (its
id and what was wrong, not its content: it may hold a person's message), and the offset moves past
it so Telegram stops sending it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import cast

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput, TimePeriod
from telegram.ext import ExtBot

logger = logging.getLogger(__name__)


class TolerantBot(ExtBot[int]):  # int: the rate limiter's per-call argument (AIORateLimiter)
    """An ``ExtBot`` whose ``get_updates`` skips the updates it cannot read instead of failing all."""

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: TimePeriod | None = None,  # noqa: ASYNC109  (PTB's signature)
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        """See ``telegram.Bot.get_updates``; the request is the same, the reading one update at a time."""
        # As PTB does: a long poll may take ``timeout`` seconds more than the request's read timeout.
        base = (read_timeout if isinstance(read_timeout, int | float) else self._request[0].read_timeout) or 0
        seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else (timeout or 0)
        data: JSONDict = {
            "timeout": timeout,
            "offset": offset,
            "limit": limit,
            "allowed_updates": allowed_updates,
        }
        raw = cast(
            "list[JSONDict]",
            await self._post(
                "getUpdates", data, read_timeout=base + seconds, write_timeout=write_timeout,
                connect_timeout=connect_timeout, pool_timeout=pool_timeout, api_kwargs=api_kwargs,
            ),
        )  # fmt: skip
        readable: list[Update] = []
        unreadable: list[int] = []
        for item in raw:
            try:
                update = Update.de_json(item, self)
            except Exception as exc:  # anything PTB raises while reading one
                update_id = item.get("update_id") if isinstance(item, dict) else None
                logger.warning(
                    "skipped Telegram update %s: it cannot be read (%s)", update_id, type(exc).__name__
                )
                if isinstance(update_id, int):
                    unreadable.append(update_id)
                continue
            if update is not None:
                readable.append(update)
        if unreadable and (not readable or readable[-1].update_id < max(unreadable)):
            # The updater confirms up to the last update it is given; confirm the skipped ones after it
            # here, or Telegram would send them again with every poll.
            await self._post("getUpdates", {"offset": max(unreadable) + 1, "limit": 1, "timeout": 0})
        for update in readable:
            self.insert_callback_data(update)
        return tuple(readable)
