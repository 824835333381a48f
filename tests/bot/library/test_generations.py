"""Index generations in the database: what one process commits, another with a disk of its own
loads; the local folder is only a cache; one writer at a time for everything on the database."""

from __future__ import annotations

import fcntl
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.library.generations import _WRITER_LOCK_KEY, DatabaseIndexStore
from bot.library.models import IndexGenerationRow
from ingest.chunk import Chunk
from ingest.index import FolderIndexStore, IndexSnapshot
from ingest.manifest import Manifest


def _snapshot(generation: int, *texts: str) -> IndexSnapshot:
    chunks = [
        Chunk(id=f"c{generation}-{n}", source="playbooks/pilot.md", doc_type="playbook", title="试点门店怎么选",
              section="", text=text, lang="zh-Hans", position=n)
        for n, text in enumerate(texts or ("试点门店由区域经理挑选。",))
    ]  # fmt: skip
    manifest = Manifest(generation=generation, model_fingerprint="fake", created_at="2026-12-04T00:00:00Z")
    return IndexSnapshot.build(manifest=manifest, chunks=chunks)


def _host(sessions: sessionmaker[Session], disk: Path) -> DatabaseIndexStore:
    """A process on a host of its own: the shared database, a local disk nobody else sees."""
    return DatabaseIndexStore(sessions=sessions, cache_dir=disk / "index-cache", legacy_dir=disk / "index")


def _rows(sessions: sessionmaker[Session]) -> list[int]:
    with sessions() as session:
        return list(
            session.scalars(select(IndexGenerationRow.generation).order_by(IndexGenerationRow.generation))
        )


def test_a_generation_committed_on_one_host_is_live_on_another(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = _host(sessions, tmp_path / "a"), _host(sessions, tmp_path / "b")
    assert a.current_name() is None and b.load() is None
    with a.writer_lock():
        name = a.commit(_snapshot(1, "试点门店由区域经理挑选。", "试点为期八周。"))
    assert b.current_name() == name == "gen-000001"
    loaded = b.load()
    assert loaded is not None and loaded.name == name
    assert [chunk.text for chunk in loaded.chunks] == ["试点门店由区域经理挑选。", "试点为期八周。"]
    assert loaded.lexical.scores(["八周"]).tolist()[1] > 0
    # B keeps what it loaded on its own disk; A's disk played no part.
    assert FolderIndexStore(tmp_path / "b" / "index-cache").current_name() == name
    with b.writer_lock():
        b.commit(_snapshot(2, "试点为期十周。"))
    reloaded = a.load()
    assert a.current_name() == "gen-000002" and reloaded is not None
    assert [chunk.text for chunk in reloaded.chunks] == ["试点为期十周。"]


def test_the_local_folder_is_only_a_cache(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    a = _host(sessions, tmp_path / "a")
    with a.writer_lock():
        a.commit(_snapshot(1))
    b = _host(sessions, tmp_path / "b")
    first = b.load()
    assert first is not None
    # Deleted: fetched again from the database.
    shutil.rmtree(tmp_path / "b" / "index-cache")
    again = _host(sessions, tmp_path / "b").load()
    assert again is not None and [c.id for c in again.chunks] == [c.id for c in first.chunks]
    # Damaged: not trusted, fetched again (and the cache mended).
    (tmp_path / "b" / "index-cache" / "gen-000001" / "chunks.jsonl").write_text("{not json", encoding="utf-8")
    mended = _host(sessions, tmp_path / "b").load()
    assert mended is not None and [c.id for c in mended.chunks] == [c.id for c in first.chunks]
    assert FolderIndexStore(tmp_path / "b" / "index-cache").load() is not None


def test_the_database_keeps_the_live_generation_and_the_one_before(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    store = _host(sessions, tmp_path)
    for generation in (1, 2, 3, 4):
        with store.writer_lock():
            store.commit(_snapshot(generation))
    assert _rows(sessions) == [3, 4]
    assert store.current_name() == "gen-000004"


def test_a_commit_that_fails_leaves_the_live_generation_serving(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = _host(sessions, tmp_path / "a"), _host(sessions, tmp_path / "b")
    with a.writer_lock():
        a.commit(_snapshot(1))
    with pytest.raises(Exception), a.writer_lock():  # noqa: B017, PT011  (the database's own error)
        a.commit(_snapshot(1, "同一个编号的第二代。"))  # the number is taken: nothing is written
    loaded = b.load()
    assert loaded is not None and loaded.chunks[0].text == "试点门店由区域经理挑选。"
    assert _rows(sessions) == [1]


def test_an_index_folder_from_before_is_copied_in_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    legacy = FolderIndexStore(tmp_path / "a" / "index")
    with legacy.writer_lock():
        legacy.commit(_snapshot(5, "升级前的索引。"))
    a = _host(sessions, tmp_path / "a")
    assert a.current_name() == "gen-000005"
    loaded = _host(sessions, tmp_path / "b").load()  # another host: from the database
    assert loaded is not None and loaded.chunks[0].text == "升级前的索引。"
    with legacy.writer_lock():
        legacy.commit(_snapshot(6, "旧文件夹里后来的一代。"))
    assert _host(sessions, tmp_path / "a").current_name() == "gen-000005"  # once: the database leads now
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(IndexGenerationRow)) == 1


def test_one_writer_at_a_time_for_every_process_on_the_database(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = _host(sessions, tmp_path / "a"), _host(sessions, tmp_path / "b")
    engine = sessions.kw["bind"]

    def another_writer_could_start() -> bool:
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                got = bool(
                    connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({_WRITER_LOCK_KEY})").scalar()
                )
                if got:
                    connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_WRITER_LOCK_KEY})")
                return got
        with b._lock_file(engine).open("w") as handle:  # the file every process on this database locks
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True

    assert another_writer_could_start()
    with a.writer_lock():
        assert not another_writer_could_start()
        with a.writer_lock():  # the holder itself may take it again (a legacy copy during its ingest)
            assert not another_writer_could_start()
        assert not another_writer_could_start()
    assert another_writer_could_start()
    # A second writer waits for the first and then goes on: both generations are committed in turn.
    order: list[str] = []
    with a.writer_lock():
        second = threading.Thread(target=lambda: _commit_after(b, order))
        second.start()
        order.append("first committed")
        a.commit(_snapshot(1))
    second.join()
    assert order == ["first committed", "second committed"] and _rows(sessions) == [1, 2]


def _commit_after(store: DatabaseIndexStore, order: list[str]) -> None:
    with store.writer_lock():
        previous = store.load()
        assert previous is not None  # the first writer's generation is live before this one starts
        store.commit(_snapshot(previous.manifest.generation + 1))
        order.append("second committed")
