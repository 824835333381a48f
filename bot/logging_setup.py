"""Logging set-up shared by every entry point."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

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


# Access logs print each request's path and query: a one-time sign-in link (/auth/link?token=...) or
# any other secret passed in a query string must not reach the log with it.
_SECRET_IN_QUERY = re.compile(r"([?&](?:token|secret|key|password|code)=)[^&\s\"']+", re.IGNORECASE)


class RedactQuerySecrets(logging.Filter):
    """Replaces secret-looking query parameters in any log line by ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_IN_QUERY.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors: time, level, logger, message (and the error)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", *, fmt: str = "text") -> None:
    """Log to stderr at ``level`` (``fmt`` "json" for one JSON object a line); libraries at WARNING."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "changebot", False)]:
        root.removeHandler(old)  # configured again: replace our handler, leave others (tests, hosts) alone
    handler = logging.StreamHandler()
    handler.changebot = True  # type: ignore[attr-defined]
    handler.addFilter(RedactQuerySecrets())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
