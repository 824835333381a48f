"""Logging set-up shared by every entry point."""

from __future__ import annotations

import logging

# Chatty libraries: their INFO lines drown ours, and httpx would log request URLs (which, for the
# Telegram Bot API, contain the bot token).
_QUIET = (
    "httpx",
    "httpcore",
    "chromadb",
    "sentence_transformers",
    "transformers",
    "urllib3",
    "jieba",
    "telegram",
)


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr at ``level``; third-party libraries at WARNING."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
