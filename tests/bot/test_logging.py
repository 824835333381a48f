"""Logs as JSON lines for collectors, or as text; configuring twice does not double every line."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logging_setup import configure_logging


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", fmt="json")
    configure_logging("INFO", fmt="json")
    try:
        logging.getLogger("bot.example").warning("排班 %s", "ok")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("bot.example").exception("failed")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
        # This test's own lines: a thread another test left behind may log at the same moment.
        lines = [line for line in lines if line["logger"] == "bot.example"]
    finally:
        configure_logging("INFO", fmt="text")
    assert [line["message"] for line in lines] == ["排班 ok", "failed"]
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "bot.example" and "T" in lines[0]["time"]
    assert "ValueError: boom" in lines[1]["error"]


def test_secrets_in_query_strings_never_reach_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", fmt="json")
    # The line uvicorn's access logger writes (`serve` routes it to our handler with log_config=None);
    # logged under a name of our own, as the suite's fake servers configure uvicorn's loggers their way.
    access = logging.getLogger("tests.access")
    try:
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/auth/link?token=s3cr3t-link&next=/console",
            "1.1",
            303,
        )
        logging.getLogger("bot.example").info("plain %s", "/api/ask?lang=en")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
        # This test's own lines: a thread another test left behind may log at the same moment.
        lines = [line for line in lines if line["logger"] in ("tests.access", "bot.example")]
    finally:
        configure_logging("INFO", fmt="text")
    assert "s3cr3t-link" not in json.dumps(lines)
    assert "/auth/link?token=[redacted]&next=/console" in lines[0]["message"]
    assert lines[1]["message"] == "plain /api/ask?lang=en"


def test_a_repeating_error_is_logged_a_few_times_a_minute_then_counted() -> None:
    from bot.logging_setup import RepeatLimit

    now = [0.0]
    limit = RepeatLimit(burst=3, window=60.0, clock=lambda: now[0])

    def record(message: str, level: int = logging.ERROR) -> logging.LogRecord:
        return logging.LogRecord("bot.example", level, __file__, 1, message, ("x",), None)

    let_through = [limit.filter(record("polling failed: %s")) for _ in range(100)]
    assert let_through.count(True) == 3  # the same fault a hundred times: three lines
    assert limit.filter(record("another fault: %s"))  # a different kind is not held back
    assert all(limit.filter(record("GET %s", logging.INFO)) for _ in range(100))  # access lines never
    now[0] = 61.0
    again = record("polling failed: %s")
    assert limit.filter(again) and "97 more like this left out of the log" in again.getMessage()
