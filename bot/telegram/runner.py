"""Start and stop the PTB application inside another event loop (the web app's lifespan), and run
the broadcast sender beside it under PTB's own ``run_polling`` (`changebot bot`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.broadcasts.sender import DeliveryWorker
from bot.config import Settings

logger = logging.getLogger(__name__)


class TelegramTokenRejectedError(Exception):
    """The Bot API answered that the configured token is not valid."""


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


async def _attempt(start: Callable[[], Awaitable[object]]) -> bool:
    """One attempt at ``start``; False (logged) when the Bot API cannot be reached right now."""
    try:
        await start()
    except InvalidToken:
        # PTB's own message quotes the token: raised afresh, without it and without the chain.
        raise TelegramTokenRejectedError(
            "Telegram refused CHANGEBOT_TELEGRAM_TOKEN: check it with @BotFather"
        ) from None
    except NetworkError as exc:  # TimedOut included: unreachable for now, not wrong
        logger.warning("the Telegram Bot API is not reachable (%s)", type(exc).__name__)
        return False
    return True


async def _until_reachable(
    start: Callable[[], Awaitable[object]], *, stop: asyncio.Event, first_delay: float, max_delay: float
) -> bool:
    """Keep attempting ``start``, backing off, until it works (True) or ``stop`` is set (False)."""
    delay = first_delay
    while not stop.is_set():
        try:
            if await _attempt(start):
                return True
        except TelegramTokenRejectedError as exc:
            logger.error("%s; the bot stays off until it is fixed", exc)
            return False
        logger.info("trying Telegram again in %.0f s", delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        delay = min(delay * 2, max_delay)
    return False


async def try_start_telegram(application: Application, *, settings: Settings) -> bool:  # type: ignore[type-arg]
    """One attempt at ``start_telegram``: False when the Bot API cannot be reached right now,
    ``TelegramTokenRejectedError`` when it refuses the token (not worth retrying)."""
    return await _attempt(lambda: start_telegram(application, settings=settings))


async def start_telegram_when_reachable(
    application: Application,  # type: ignore[type-arg]
    *,
    settings: Settings,
    stop: asyncio.Event,
    first_delay: float = 2.0,
    max_delay: float = 60.0,
) -> bool:
    """Keep trying to start the bot until it starts (True) or ``stop`` is set (False).

    The web console and web chat keep working meanwhile: an outage of Telegram, or of the network
    to it, must not take the rest of the product down, nor stop it coming back by itself.
    """
    started = await _until_reachable(
        lambda: start_telegram(application, settings=settings),
        stop=stop,
        first_delay=first_delay,
        max_delay=max_delay,
    )
    if not started:  # the failed attempts left the bot's HTTP connections open
        await application.bot.shutdown()
    return started


async def connect_bot_when_reachable(
    bot: Bot, *, stop: asyncio.Event, first_delay: float = 2.0, max_delay: float = 60.0
) -> bool:
    """``bot.initialize()`` (which asks Telegram who we are), retried the same way, for the sender
    worker: it waits for Telegram rather than exiting, and exits only when stopped or refused."""
    connected = await _until_reachable(
        bot.initialize, stop=stop, first_delay=first_delay, max_delay=max_delay
    )
    if not connected:  # the failed attempts left the bot's HTTP connections open
        await bot.shutdown()
    return connected


async def stop_telegram(application: Application) -> None:  # type: ignore[type-arg]
    """Stop polling (if any) and shut the application down."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    # run_polling() would call post_shutdown (it closes the re-index jobs the bot owns, and their
    # runner thread); stopping by hand, we do.
    if application.post_shutdown is not None:
        await application.post_shutdown(application)
    # Never initialised (Telegram was unreachable or refused the token): its connections are open still.
    await application.bot.shutdown()


def deliver_beside(application: Application, delivery: DeliveryWorker) -> None:  # type: ignore[type-arg]
    """Run ``delivery`` in the event loop of ``application.run_polling()``, as ``serve`` runs its
    sender beside the bot.

    It starts once the bot is initialised (after the application's own ``post_init``) and is
    stopped once the application has stopped, before the bot's connections close (``post_stop``):
    the round under way is finished and recorded, as when `changebot worker` is stopped. If the
    application never got as far as running, it is stopped at ``post_shutdown`` instead.
    """
    post_init, post_stop = application.post_init, application.post_stop
    post_shutdown = application.post_shutdown
    stop = asyncio.Event()
    running: list[asyncio.Task[None]] = []

    async def start(app: Application) -> None:  # type: ignore[type-arg]
        if post_init is not None:
            await post_init(app)
        running.append(asyncio.create_task(delivery.run(stop=stop), name=f"sender:{delivery.worker_id}"))

    async def finish() -> None:
        stop.set()
        while running:
            try:
                await running.pop()
            except Exception:  # the bot still shuts down in order; the copies' leases run out
                logger.exception("sender %s stopped with an error", delivery.worker_id)

    async def stopped(app: Application) -> None:  # type: ignore[type-arg]
        await finish()
        if post_stop is not None:
            await post_stop(app)

    async def shut_down(app: Application) -> None:  # type: ignore[type-arg]
        await finish()  # only when it never ran: post_stop has stopped it otherwise
        if post_shutdown is not None:
            await post_shutdown(app)

    application.post_init = start
    application.post_stop = stopped
    application.post_shutdown = shut_down
