"""The library in the database: the folder is imported and exported, what the console added outlives
an import, every change keeps a version, and a re-index reads an exact local copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot.cli import common as cli
from bot.config import Settings
from bot.errors import InvalidInputError
from bot.library.models import LibraryFileVersionRow
from bot.library.store import (
    LibraryMirror,
    export_to,
    import_folder,
    library_sources,
    read_file,
    remove_file,
    write_file,
)
from bot.storage.database import transaction
from tests.conftest import write_library


def _import(sessions: sessionmaker[Session], root: Path) -> tuple[list[str], list[str], list[str]]:
    with transaction(sessions) as session:
        report = import_folder(session, paths=[root], root=root, by="changebot ingest")
    return report.added, report.changed, report.removed


def test_an_import_follows_the_folder_but_keeps_what_the_console_added(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    root = write_library(tmp_path / "knowledge")
    (root / "surveys").mkdir()
    (root / "surveys" / "pulse.yaml").write_text("not library content", encoding="utf-8")
    (root / ".hidden.md").write_text("# hidden", encoding="utf-8")
    added, _, _ = _import(sessions, root)
    assert added == ["faqs/basics.yaml", "playbooks/lights.md", "playbooks/pacing.md"]  # what the index reads
    with transaction(sessions) as session:  # an upload through the console
        write_file(session, "playbooks/uploaded.md", "# 上传的\n\n内容。".encode(), by="admin")
    (root / "playbooks" / "lights.md").write_text("# Lights\n\nChanged on disk.", encoding="utf-8")
    (root / "playbooks" / "pacing.md").unlink()
    assert _import(sessions, root) == ([], ["playbooks/lights.md"], ["playbooks/pacing.md"])
    with sessions() as session:
        assert sorted(library_sources(session)) == [
            "faqs/basics.yaml",
            "playbooks/lights.md",
            "playbooks/uploaded.md",
        ]
        assert read_file(session, "playbooks/lights.md") == b"# Lights\n\nChanged on disk."
        history = session.scalars(
            select(LibraryFileVersionRow).where(LibraryFileVersionRow.source == "playbooks/pacing.md")
        ).all()
        assert [row.content is None for row in history] == [False, True]  # written, then removed
    assert _import(sessions, root) == ([], [], [])  # nothing changed: no new versions either
    with sessions() as session:
        assert len(session.scalars(select(LibraryFileVersionRow)).all()) == 6


def test_names_outside_the_library_are_refused(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for bad in ("../etc/passwd", "/abs/file.md", "faqs/.hidden.yaml", "", "faqs/../../x.md"):
            with pytest.raises(InvalidInputError, match="not a name inside the library"):
                write_file(session, bad, b"x", by="admin")
        assert library_sources(session) == {}


def test_the_mirror_is_an_exact_copy_and_only_a_cache(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    mirror = LibraryMirror(sessions=sessions, folder=tmp_path / "library-cache")
    with transaction(sessions) as session:
        write_file(session, "faqs/a.yaml", b"faqs: []\n", by="admin")
        write_file(session, "cases/stories/story-00001.md", "# 故事\n\n一。".encode(), by="story 1")
    folder = mirror.refresh()
    assert (folder / "cases" / "stories" / "story-00001.md").read_text(encoding="utf-8") == "# 故事\n\n一。"
    (folder / "faqs" / "a.yaml").write_text("edited by hand", encoding="utf-8")  # a stale copy
    (folder / "playbooks").mkdir()
    (folder / "playbooks" / "stray.md").write_text("# not in the library", encoding="utf-8")
    with transaction(sessions) as session:
        remove_file(session, "cases/stories/story-00001.md", by="admin")
    mirror.refresh()
    files = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    assert files == ["faqs/a.yaml"] and (folder / "faqs" / "a.yaml").read_bytes() == b"faqs: []\n"
    assert not (folder / "cases").exists()  # emptied folders go too


def test_export_writes_the_library_back_for_git_and_import_reads_it_again(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        write_file(
            session,
            "faqs/answered-by-the-team.yaml",
            "faqs:\n- question: 钥匙找谁？\n  answer: 店长。\n".encode(),
            by="李经理",
        )
        written = export_to(session, tmp_path / "export")
    assert written == ["faqs/answered-by-the-team.yaml"]
    exported = tmp_path / "export" / "faqs" / "answered-by-the-team.yaml"
    assert (
        exported.read_text(encoding="utf-8").startswith("faqs:") and exported.stat().st_mode & 0o777 == 0o644
    )
    # Imported back, the same bytes: nothing changes, and the file now counts as the folder's.
    assert _import(sessions, tmp_path / "export") == ([], [], [])


def test_the_export_command(
    settings: Settings, sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    with transaction(sessions) as session:
        write_file(session, "playbooks/uploaded.md", "# 上传\n\n内容。".encode(), by="admin")
    result = CliRunner().invoke(cli.app, ["library", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Wrote 1 library files" in result.output
    assert (tmp_path / "out" / "playbooks" / "uploaded.md").read_text(encoding="utf-8") == "# 上传\n\n内容。"


def test_a_library_upgraded_from_files_is_taken_in_before_its_first_re_index(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    from bot.answering.factory import build_knowledge_core
    from tests.fakes.embedder import FakeEmbedder

    write_library(settings.knowledge_dir)  # the files an earlier version answered from
    core = build_knowledge_core(settings, sessions=sessions, embedder=FakeEmbedder())
    report = core.reindex()  # "re-index the whole library" from the console, before any `changebot ingest`
    assert sorted(report.added) == ["faqs/basics.yaml", "playbooks/lights.md", "playbooks/pacing.md"]
    assert report.removed == []
    with sessions() as session:
        assert len(library_sources(session)) == 3
