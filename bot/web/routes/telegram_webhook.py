"""Telegram webhook: check the secret, put the update on PTB's queue, return at once."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, status
from telegram import Update

from bot.web.deps import SettingsDep, TelegramDep
from bot.web.routes.api_common import ERROR_RESPONSES

logger = logging.getLogger(__name__)

router = APIRouter(tags=["telegram"], responses=ERROR_RESPONSES)
MAX_UPDATE_BYTES = 1_000_000


@router.post("/telegram/webhook", status_code=status.HTTP_200_OK, include_in_schema=False)
async def telegram_webhook(
    request: Request,
    application: TelegramDep,
    settings: SettingsDep,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> dict[str, Any]:
    """Enqueue an update from Telegram; the PTB application handles it in the background."""
    expected = settings.telegram_webhook_secret
    if application is None or expected is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="webhook mode is not enabled")
    if secret is None or not hmac.compare_digest(secret, expected.get_secret_value()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="bad secret token")
    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, detail="update too large")
    try:
        update = Update.de_json(json.loads(body), application.bot)
    except (ValueError, KeyError, TypeError) as exc:
        logger.warning("rejected a malformed webhook update: %s", type(exc).__name__)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="malformed update") from exc
    await application.update_queue.put(update)
    return {"ok": True}
