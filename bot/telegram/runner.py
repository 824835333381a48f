"""Start and stop the PTB application inside another event loop (the web app's lifespan)."""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.config import Settings

logger = logging.getLogger(__name__)


async def start_telegram(application: Application, *, settings: Settings) -> None:  # type: ignore[type-arg]
    """Initialise and start; poll for updates, or register the webhook when a URL is configured."""
    await application.initialize()
    # run_polling() would call post_init; starting by hand inside the web app's loop, we do.
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    if settings.telegram_webhook_url:
        secret = (
            settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else None
        )
        await application.bot.set_webhook(url=settings.telegram_webhook_url, secret_token=secret)
        logger.info("Telegram webhook registered")
    elif application.updater is not None:
        await application.updater.start_polling()
        logger.info("Telegram long polling started")


async def stop_telegram(application: Application) -> None:  # type: ignore[type-arg]
    """Stop polling (if any) and shut the application down."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
