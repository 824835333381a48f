"""Adding a file to the library: checked by the same loader the index uses before it is put in place,
so a corrupt or oversized file is refused with a message and the library is left as it was."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from bot.errors import InvalidInputError
from bot.library.store import write_file
from ingest.documents import LoaderError
from ingest.loaders import SUPPORTED_SUFFIXES, load_file

FOLDERS = ("playbooks", "faqs", "cases")
_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


@dataclass(frozen=True, slots=True)
class AddedFile:
    """A file now in the library."""

    source: str
    replaced: bool
    title: str
    doc_type: str
    entries: int  # FAQ entries or text blocks


def safe_name(filename: str) -> str:
    """A file name without folders, control characters or surprises; the extension kept."""
    name = Path(filename.replace("\\", "/")).name.strip()
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        raise InvalidInputError(
            f"{filename!r} has no extension; use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    cleaned = _UNSAFE.sub("-", stem).strip("-._")[:80]
    if not cleaned:
        raise InvalidInputError(f"{filename!r} is not a usable file name")
    return f"{cleaned}.{suffix.lower()}"


MEBIBYTE = 1024 * 1024


def add_file(
    *, session: Session, folder: str, filename: str, content: bytes, max_bytes: int, by: str
) -> AddedFile:
    """Check ``content`` with the library's loader and, if it reads, put it in ``folder`` of the
    library (in ``session``: it is there once the caller commits)."""
    if folder not in FOLDERS:
        raise InvalidInputError(f"choose a folder: {', '.join(FOLDERS)}")
    name = safe_name(filename)
    if f".{name.rpartition('.')[2]}" not in SUPPORTED_SUFFIXES:
        raise InvalidInputError(f"'{name}': use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    if not content:
        raise InvalidInputError(f"'{name}' is empty")
    if len(content) > max_bytes:
        # The edges stop reading just past the limit, so the size known here is not the file's:
        # say only what is sure, in the unit CHANGEBOT_MAX_FILE_MB is in (MB of 1024 x 1024 bytes).
        raise InvalidInputError(f"'{name}' is larger than the {max_bytes / MEBIBYTE:g} MB limit")
    # Checked under its real name (the loader picks its parser by the suffix, and a file without a
    # heading is titled after its name), in a folder of its own that nothing indexes.
    with tempfile.TemporaryDirectory(prefix="changebot-upload-") as staging:
        temporary = Path(staging) / folder / name
        temporary.parent.mkdir()
        temporary.write_bytes(content)
        try:
            document = load_file(temporary, root=Path(staging), max_bytes=max_bytes)
        except LoaderError as exc:
            raise InvalidInputError(f"'{name}' cannot be read: {exc}") from exc
    source = f"{folder}/{name}"
    replaced = write_file(session, source, content, by=by)
    return AddedFile(
        source=source,
        replaced=replaced,
        title=document.title,
        doc_type=document.doc_type.value,
        entries=len(document.faqs) or len(document.blocks),
    )
