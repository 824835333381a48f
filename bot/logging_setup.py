"""Logging set-up shared by every entry point."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
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


class RepeatLimit(logging.Filter):
    """At most ``burst`` warnings or errors of the same kind (logger, level, message template, and for errors
    the exception's type) per ``window`` seconds; the rest are counted, and the next record of that
    kind let through says how many were left out.

    A fault that repeats (a dead database, a bad update retried, a broken file polled) would
    otherwise write the same traceback many times a second, fill the disk and bury everything else.
    """

    def __init__(
        self, *, burst: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._burst = burst
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[
            tuple[object, ...], tuple[float, int, int]
        ] = {}  # kind -> (window start, let through, left out)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True  # information (access lines share one template) is never held back
        error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        kind = (record.name, record.levelno, str(record.msg), error)
        now = self._clock()
        with self._lock:
            start, passed, dropped = self._seen.get(kind, (now, 0, 0))
            if now - start >= self._window:
                start, passed = now, 0
            if passed >= self._burst:
                self._seen[kind] = (start, passed, dropped + 1)
                return False
            self._seen[kind] = (start, passed + 1, 0)
            if len(self._seen) > 10_000:  # kinds are templates, so few; keep the table bounded anyway
                self._seen.clear()
        if dropped:
            record.msg = f"{record.getMessage()} ({dropped} more like this left out of the log)"
            record.args = None
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
    handler.addFilter(RepeatLimit())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
