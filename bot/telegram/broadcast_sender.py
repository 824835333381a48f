"""The delivery worker's Telegram side: draw one broadcast copy as ``bot.broadcasts.look`` says it
looks, in its reader's language, send it, map errors."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.broadcasts.look import Control, controls_for, copy_text
from bot.broadcasts.models import BroadcastKind
from bot.broadcasts.sender import (
    AmbiguousSendError,
    PermanentSendError,
    RateLimitedError,
    RecipientBlockedError,
    TransientSendError,
)
from bot.telegram import texts
from bot.telegram.callbacks import (
    BroadcastReaction,
    CallbackDataError,
    Reaction,
    SurveyDecline,
    SurveyStart,
    parse,
)

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


def broadcast_keyboard(
    delivery_id: int,
    *,
    must_read: bool,
    button: str | None = None,
    actions: Sequence[tuple[str, str]] = (),
    kind: str = BroadcastKind.MESSAGE.value,
    language: str | None = None,
    claps: int = 0,
    read: bool = False,
) -> InlineKeyboardMarkup | None:
    """The buttons ``bot.broadcasts.look`` gives this copy, labelled in ``language``: 👏 (with the
    count once anyone has clapped), ✅ "I've read it" (done once pressed), a survey's Start and "not
    this time", or the
    broadcast's own actions (an escalated question's Reply). None when it has no buttons."""
    row: list[InlineKeyboardButton] = []
    for control in controls_for(kind=kind, must_read=must_read, button=button, has_actions=bool(actions)):
        if control is Control.ACTIONS:
            return InlineKeyboardMarkup(own) if (own := _action_rows(delivery_id, actions)) else None
        if control is Control.START_SURVEY:
            survey = _survey_buttons(button)
            if survey is None:
                logger.error("delivery %s: a survey invitation whose button names no wave", delivery_id)
                return None
            start, decline = survey
            return InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(texts.text("btn_start_survey", language), callback_data=start),
                        InlineKeyboardButton(
                            texts.text("btn_decline_survey", language), callback_data=decline
                        ),
                    ]
                ]
            )
        if control is Control.CLAP:
            label = f"{CLAP} {claps}" if claps else CLAP
            row.append(
                InlineKeyboardButton(label, callback_data=BroadcastReaction(delivery_id, Reaction.CLAP).data)
            )
        elif control is Control.READ:
            label = texts.text("btn_read_done" if read else "btn_read", language)
            reaction = BroadcastReaction(delivery_id, Reaction.ACKNOWLEDGE)
            row.append(InlineKeyboardButton(label, callback_data=reaction.data))
    return InlineKeyboardMarkup([row]) if row else None


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


def _survey_buttons(button: str | None) -> tuple[str, str] | None:
    """The data of Start and "not this time" under a survey invitation (``Broadcast.button``
    "survey:WAVE"), else None."""
    kind, _, target = (button or "").partition(":")
    if kind != "survey" or not (target.isascii() and target.isdigit()):
        return None
    try:
        return SurveyStart(int(target)).data, SurveyDecline(int(target)).data
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
        kind: str = BroadcastKind.MESSAGE.value,
        language: str | None = None,
    ) -> int:
        """Send one copy; see ``MessageSender``."""
        keyboard = broadcast_keyboard(
            delivery_id, must_read=must_read, button=button, actions=actions, kind=kind, language=language
        )
        body = copy_text(text=text, must_read=must_read, language=language)
        try:
            if photo_file_id is not None:
                message = await self._bot.send_photo(
                    chat_id, photo_file_id, caption=body, reply_markup=keyboard
                )
            else:
                message = await self._bot.send_message(chat_id, body, reply_markup=keyboard)
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
