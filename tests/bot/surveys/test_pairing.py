"""The survey key: a configured secret wins; otherwise one file, made once with mode 0600 and read
by every later start; a damaged file is an error, never silently replaced; the value never shows."""

from __future__ import annotations

import logging
import stat
import threading
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot.surveys.pairing import PairingKey, SurveyKeyError, load_pairing_key, pairing_key
from tests.conftest import make_settings

SECRET = "configured-survey-key-0123456789abcdef"


def _key_of(key: PairingKey) -> str:
    return key.respondent_key(salt="ab" * 32, wave_id=1, person_id=2)


def test_the_key_file_is_made_once_with_mode_0600_and_read_on_the_next_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert settings.survey_key is None and settings.survey_key_file == tmp_path / "data" / "survey.key"
    first = pairing_key(settings)
    key_file = settings.survey_key_file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    written = key_file.read_text()
    again = pairing_key(make_settings(tmp_path))  # the next start
    assert key_file.read_text() == written and _key_of(again) == _key_of(first)
    assert [p.name for p in key_file.parent.iterdir()] == ["survey.key"]  # no temporary left behind


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    key_file = tmp_path / "shared" / "survey.key"
    start = threading.Barrier(8)
    found: list[str] = []

    def load() -> None:
        start.wait()
        found.append(_key_of(load_pairing_key(secret=None, key_file=key_file)))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and len(set(found)) == 1


def test_a_configured_secret_wins_over_the_file(tmp_path: Path) -> None:
    from_file = pairing_key(make_settings(tmp_path))
    configured = make_settings(tmp_path, survey_key=SECRET)
    assert _key_of(pairing_key(configured)) != _key_of(from_file)
    assert _key_of(pairing_key(configured)) == _key_of(PairingKey(SECRET.encode()))
    elsewhere = make_settings(tmp_path / "other", survey_key=SECRET)
    pairing_key(elsewhere)
    assert not elsewhere.survey_key_file.exists()  # a configured secret makes no file


def test_a_damaged_key_file_is_an_error_not_a_new_key(tmp_path: Path) -> None:
    key_file = tmp_path / "survey.key"
    key_file.write_text("not hex at all\n")
    with pytest.raises(SurveyKeyError, match="damaged"):
        load_pairing_key(secret=None, key_file=key_file)
    assert key_file.read_text() == "not hex at all\n"


def test_a_key_file_others_can_read_is_used_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_file = tmp_path / "survey.key"
    key_file.write_text("ab" * 32 + "\n")
    key_file.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="bot.surveys.pairing"):
        key = load_pairing_key(secret=None, key_file=key_file)
    assert _key_of(key) == _key_of(PairingKey(bytes.fromhex("ab" * 32)))
    assert "chmod 600" in caplog.text and "ab" * 32 not in caplog.text


def test_the_secret_never_shows(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, survey_key=SECRET)
    key = pairing_key(settings)
    assert (
        SECRET not in repr(key) and SECRET not in repr(settings) and SECRET not in str(settings.model_dump())
    )
    with pytest.raises(ValidationError, match="at least 32 characters") as refused:
        make_settings(tmp_path, survey_key="short-secret")
    assert "short-secret" not in str(refused.value)
    with pytest.raises(ValueError, match="32 bytes"):
        PairingKey(b"too short")
    assert isinstance(settings.survey_key, SecretStr)


def test_a_key_made_beside_a_server_database_says_every_host_needs_the_same_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    on_server = make_settings(tmp_path / "a", database_url="postgresql+psycopg://db.internal/changebot")
    with caplog.at_level(logging.WARNING, logger="bot.surveys.pairing"):
        pairing_key(on_server)
        pairing_key(on_server)  # read, not made: said once
        pairing_key(make_settings(tmp_path / "b"))  # SQLite: one host, nothing to say
        pairing_key(make_settings(tmp_path / "c", database_url="postgresql+psycopg://db.internal/changebot",
                                  survey_key=SecretStr(SECRET)))  # fmt: skip
    warnings = [r.getMessage() for r in caplog.records if "CHANGEBOT_SURVEY_KEY" in r.getMessage()]
    assert len(warnings) == 1 and str(on_server.survey_key_file) in warnings[0]
