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
    finally:
        configure_logging("INFO", fmt="text")
    assert [line["message"] for line in lines] == ["排班 ok", "failed"]
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "bot.example" and "T" in lines[0]["time"]
    assert "ValueError: boom" in lines[1]["error"]
