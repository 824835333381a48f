"""The change team's library in the database: the one place uploads, team FAQs and approved stories
are written, and what every host's re-index reads (issue 17).

``knowledge/`` on disk stays the team's editable source: ``changebot ingest`` imports it
(``import_folder``), and ``changebot library export`` writes the database's library back to files
so the team can keep it in git. Everything else writes here, in the caller's transaction, so a
write and the re-index it queues commit together.

The index pipeline reads files, so a re-index first makes a local folder the exact copy of the
library (``LibraryMirror``); like the index cache, that folder is only a cache: deleting it loses
nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import InvalidInputError
from bot.library.models import LibraryFileRow, LibraryFileVersionRow
from bot.storage.base import utc_now
from bot.storage.database import read_only_transaction
from ingest.locks import file_lock
from ingest.pipeline import discover, in_scope, scope_of

logger = logging.getLogger(__name__)

FROM_FOLDER = "folder"
FROM_CONSOLE = "console"


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def checked_source(source: str) -> str:
    """``source`` as a library name: relative, forward slashes, no ``..``, no hidden parts.

    Raises:
        InvalidInputError: it would leave the library or hide from the index.
    """
    path = PurePosixPath(source.replace("\\", "/"))
    if (
        not source
        or path.is_absolute()
        or any(part in ("", ".", "..") or part.startswith(".") for part in path.parts)
    ):
        raise InvalidInputError(f"{source!r} is not a name inside the library")
    return path.as_posix()


def read_file(session: Session, source: str) -> bytes | None:
    """The content of library file ``source`` (None: no such file)."""
    return session.scalar(select(LibraryFileRow.content).where(LibraryFileRow.source == source))


def write_file(session: Session, source: str, content: bytes, *, by: str, origin: str = FROM_CONSOLE) -> bool:
    """Put ``content`` in the library as ``source`` (a new version when it changed); returns whether
    a file of that name was replaced."""
    source = checked_source(source)
    digest = _digest(content)
    row = session.get(LibraryFileRow, source, with_for_update=True)
    replaced = row is not None
    if row is not None and row.sha256 == digest:
        row.origin = origin  # the same bytes: only where they now come from
        return replaced
    if row is None:
        row = LibraryFileRow(source=source)
        session.add(row)
    row.content, row.sha256, row.size, row.origin = content, digest, len(content), origin
    row.updated_by, row.updated_at = by[:200], utc_now()
    session.add(
        LibraryFileVersionRow(
            source=source, content=content, sha256=digest, origin=origin, changed_by=by[:200]
        )
    )
    session.flush()
    return replaced


def remove_file(session: Session, source: str, *, by: str) -> bool:
    """Take ``source`` out of the library (its versions stay); returns whether it was there."""
    row = session.get(LibraryFileRow, source, with_for_update=True)
    if row is None:
        return False
    session.add(
        LibraryFileVersionRow(source=source, content=None, sha256="", origin=row.origin, changed_by=by[:200])
    )
    session.delete(row)
    session.flush()
    return True


def rewrite_file(
    session: Session, source: str, change: Callable[[str | None], str | None], *, by: str
) -> bool:
    """Replace a text file's content with ``change(its text)`` (None in: no such file yet; None out:
    remove it), the row locked until the caller's transaction ends, so two writers (a manager
    saving an FAQ, the change team reviewing one) never lose each other's change. Returns whether
    the file is still there.
    """
    row = session.get(LibraryFileRow, checked_source(source), with_for_update=True)
    text = change(row.content.decode("utf-8") if row is not None else None)
    if text is None:
        remove_file(session, source, by=by)
        return False
    write_file(session, source, text.encode("utf-8"), by=by)
    return True


def library_sources(session: Session) -> dict[str, str]:
    """Every file's name and SHA-256."""
    return dict(session.execute(select(LibraryFileRow.source, LibraryFileRow.sha256)).all())


def library_sizes(session: Session, sources: Sequence[str] | None = None) -> list[tuple[str, int]]:
    """(name, size in bytes) of the files under ``sources`` (names of files or folders; None: all)."""
    rows = session.execute(select(LibraryFileRow.source, LibraryFileRow.size)).all()
    scope = list(sources) if sources else [""]
    return sorted((source, int(size)) for source, size in rows if in_scope(source, scope))


@dataclass(slots=True)
class FolderImport:
    """What ``import_folder`` changed in the library."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def import_folder(session: Session, *, paths: list[Path], root: Path, by: str) -> FolderImport:
    """Bring the library in line with the files under ``paths`` (inside the library folder ``root``,
    or files from elsewhere, named by their file name).

    A file the folder no longer has leaves the library only if it came from the folder: an upload or
    a saved FAQ that was never exported is kept (``origin``).
    """
    report = FolderImport()
    known = dict(session.execute(select(LibraryFileRow.source, LibraryFileRow.origin)).all())
    digests = library_sources(session)
    found = discover(paths, root=root)
    for item in found:
        content = item.path.read_bytes()
        before = digests.get(item.source)
        write_file(session, item.source, content, by=by, origin=FROM_FOLDER)
        if before is None:
            report.added.append(item.source)
        elif before != _digest(content):
            report.changed.append(item.source)
        else:
            report.unchanged += 1
    seen = {item.source for item in found}
    scope = scope_of(paths, root=root)
    for source, origin in known.items():
        if source in seen or origin != FROM_FOLDER or not in_scope(source, scope):
            continue
        remove_file(session, source, by=by)
        report.removed.append(source)
    return report


def export_to(session: Session, folder: Path) -> list[str]:
    """Write every library file under ``folder`` (creating folders; files there that the library
    does not have are left alone); returns the names written."""
    written = []
    for source, content in session.execute(select(LibraryFileRow.source, LibraryFileRow.content)):
        target = folder / checked_source(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.export")
        staging.write_bytes(content)
        staging.chmod(0o644)
        os.replace(staging, target)
        written.append(source)
    return sorted(written)


class LibraryMirror:
    """A local folder kept an exact copy of the database's library, for the index pipeline to read."""

    def __init__(self, *, sessions: sessionmaker[Session], folder: Path) -> None:
        self._sessions = sessions
        self.folder = folder

    def refresh(self) -> Path:
        """Make the folder the library as it stands now (changed files rewritten, files it no longer
        has removed); returns the folder."""
        with file_lock(self.folder / ".mirror-lock"):
            with read_only_transaction(self._sessions) as session:
                wanted = library_sources(session)
                present = {
                    path.relative_to(self.folder).as_posix(): path
                    for path in self.folder.rglob("*")
                    if path.is_file() and not path.name.startswith(".")
                }
                stale = [
                    s
                    for s, digest in wanted.items()
                    if s not in present or _file_digest(present[s]) != digest
                ]
                for source in stale:
                    content = read_file(session, source)
                    if content is not None:
                        _write_atomically(self.folder / source, content)
            for source, path in present.items():
                if source not in wanted:
                    path.unlink(missing_ok=True)
            _remove_empty_folders(self.folder)
        return self.folder


def _file_digest(path: Path) -> str:
    return _digest(path.read_bytes())


def _write_atomically(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.mirror")
    staging.write_bytes(content)
    os.replace(staging, target)


def _remove_empty_folders(root: Path) -> None:
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds when empty
