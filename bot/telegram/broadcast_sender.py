"""The delivery worker's Telegram side: send one broadcast copy with its buttons, map errors."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.broadcasts.sender import (
    AmbiguousSendError,
    PermanentSendError,
    RateLimitedError,
    RecipientBlockedError,
    TransientSendError,
)
from bot.telegram.callbacks import BroadcastReaction, CallbackDataError, Reaction, SurveyStart, parse

logger = logging.getLogger(__name__)

# The request left but no answer came back: Telegram may have delivered it. (Connect and pool
# timeouts and connection refused mean the request never reached Telegram, and a 5xx is Telegram's
# own answer that it did not take the message, JSON or a gateway's HTML page alike: PTB raises a
# NetworkError with no httpx cause for those. All of them are retried.)
_MAYBE_ARRIVED = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)

CLAP = "👏"
START_SURVEY = "▶️ 开始 / 開始 / Start"
ACKNOWLEDGE = "✅ 已读 / Read"


def broadcast_keyboard(
    delivery_id: int, *, must_read: bool, button: str | None = None, actions: Sequence[tuple[str, str]] = ()
) -> InlineKeyboardMarkup:
    """A clap button, and for must-read items an acknowledge button; a survey invitation gets a start
    button; a message with actions of its own (an escalated question) gets those, one per row."""
    own = _action_rows(delivery_id, actions)
    if own:
        return InlineKeyboardMarkup(own)
    start = _survey_start(button)
    if start is not None:
        return InlineKeyboardMarkup([[InlineKeyboardButton(START_SURVEY, callback_data=start)]])
    row = [InlineKeyboardButton(CLAP, callback_data=BroadcastReaction(delivery_id, Reaction.CLAP).data)]
    if must_read:
        row.append(
            InlineKeyboardButton(
                ACKNOWLEDGE, callback_data=BroadcastReaction(delivery_id, Reaction.ACKNOWLEDGE).data
            )
        )
    return InlineKeyboardMarkup([row])


def _action_rows(delivery_id: int, actions: Sequence[tuple[str, str]]) -> list[list[InlineKeyboardButton]]:
    """The stored actions as buttons: their data is callback data (bot.telegram.callbacks says so), and
    one that does not parse is left off rather than sent as a button that could only say "stale"."""
    rows = []
    for label, stored in actions:
        pressed = parse(stored)
        if pressed is None:
            logger.error("delivery %s: a stored action is not callback data the bot reads", delivery_id)
            continue
        rows.append([InlineKeyboardButton(label, callback_data=pressed.data)])
    return rows


def _survey_start(button: str | None) -> str | None:
    """The start button's data for a survey invitation (``Broadcast.button`` "survey:WAVE"), else None."""
    kind, _, target = (button or "").partition(":")
    if kind != "survey" or not (target.isascii() and target.isdigit()):
        return None
    try:
        return SurveyStart(int(target)).data
    except CallbackDataError:  # a wave id no button can carry: no invitation rather than no message
        return None


class TelegramMessageSender:
    """``MessageSender`` over a PTB ``Bot`` (pacing is the worker's job, not a rate limiter's)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(
        self,
        *,
        chat_id: int,
        text: str,
        delivery_id: int,
        must_read: bool,
        photo_file_id: str | None = None,
        button: str | None = None,
        actions: Sequence[tuple[str, str]] = (),
    ) -> int:
        """Send one copy; see ``MessageSender``."""
        keyboard = broadcast_keyboard(delivery_id, must_read=must_read, button=button, actions=actions)
        try:
            if photo_file_id is not None:
                message = await self._bot.send_photo(
                    chat_id, photo_file_id, caption=text, reply_markup=keyboard
                )
            else:
                message = await self._bot.send_message(chat_id, text, reply_markup=keyboard)
        except RetryAfter as exc:
            seconds = exc.retry_after
            raise RateLimitedError(
                float(seconds if isinstance(seconds, int | float) else seconds.total_seconds())
            ) from exc
        except Forbidden as exc:
            raise RecipientBlockedError(str(exc)) from exc
        except BadRequest as exc:
            raise PermanentSendError(str(exc)) from exc
        except (NetworkError, TelegramError) as exc:
            if isinstance(exc.__cause__, _MAYBE_ARRIVED):
                raise AmbiguousSendError(str(exc) or type(exc.__cause__).__name__) from exc
            raise TransientSendError(str(exc)) from exc
        return int(message.message_id)
