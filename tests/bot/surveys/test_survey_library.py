"""Survey definitions are parsed once per process, and again as soon as a file changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.surveys.library import SurveyLibrary

SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"


def test_parsed_once_and_again_when_a_file_changes(tmp_path: Path) -> None:
    folder = tmp_path / "surveys"
    shutil.copytree(SURVEYS, folder)
    library = SurveyLibrary(folder)
    first = library["resistance-pulse"]
    assert library["resistance-pulse"] is first  # not parsed again: nothing changed
    assert set(library) >= {"resistance-pulse", "adkar-check"}

    pulse = folder / "resistance-pulse.yaml"
    text = pulse.read_text(encoding="utf-8")
    pulse.write_text(text.replace("脉搏调查：你对服务中台的真实感受", "脉搏调查（第二版）"), encoding="utf-8")
    edited = library["resistance-pulse"]
    assert edited is not first and edited != first  # the edit shows at once, no restart

    pulse.write_text("id: [broken", encoding="utf-8")
    assert library["resistance-pulse"] == edited  # a broken file: the last good reading keeps serving
    pulse.write_text(text, encoding="utf-8")
    (folder / "adkar-check.yaml").unlink()
    assert "adkar-check" not in library and SurveyLibrary(tmp_path / "none").current() == {}
