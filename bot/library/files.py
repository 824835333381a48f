"""Adding a file to the library: checked by the same loader the index uses before it is put in place,
so a corrupt or oversized file is refused with a message and the library is left as it was."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InvalidInputError
from ingest.documents import LoaderError
from ingest.loaders import SUPPORTED_SUFFIXES, load_file

FOLDERS = ("playbooks", "faqs", "cases")
_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


@dataclass(frozen=True, slots=True)
class AddedFile:
    """A file now in the library."""

    path: Path
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


def add_file(*, knowledge_dir: Path, folder: str, filename: str, content: bytes, max_bytes: int) -> AddedFile:
    """Check ``content`` with the library's loader and, if it reads, put it in ``folder`` atomically."""
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
    target_dir = knowledge_dir / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / name
    # The upload is checked under its real name (the loader picks its parser by the suffix, and a
    # file without a heading is titled after its name) in a hidden folder beside the target (the
    # ingest pipeline skips hidden paths, so a half-written upload is never indexed; same file
    # system, so the move into place is atomic).
    staging = Path(tempfile.mkdtemp(dir=target_dir, prefix=".upload-"))
    temporary = staging / name
    try:
        temporary.write_bytes(content)
        temporary.chmod(0o644)  # readable like the files shipped with the library, not 0600
        try:
            document = load_file(temporary, root=knowledge_dir, max_bytes=max_bytes)
        except LoaderError as exc:
            raise InvalidInputError(f"'{name}' cannot be read: {exc}") from exc
        replaced = target.exists()
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
        staging.rmdir()
    return AddedFile(
        path=target,
        source=f"{folder}/{name}",
        replaced=replaced,
        title=document.title,
        doc_type=document.doc_type.value,
        entries=len(document.faqs) or len(document.blocks),
    )
