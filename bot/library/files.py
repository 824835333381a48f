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
        raise InvalidInputError(
            f"'{name}' is {len(content) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB"
        )
    target_dir = knowledge_dir / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / name
    # The temporary copy keeps the real suffix (the loader picks its parser by it) and a leading dot
    # (the ingest pipeline skips hidden files, so a half-written upload is never indexed).
    handle, temporary = tempfile.mkstemp(dir=target_dir, prefix=".upload-", suffix=target.suffix)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        try:
            document = load_file(Path(temporary), root=knowledge_dir, max_bytes=max_bytes)
        except LoaderError as exc:
            raise InvalidInputError(f"'{name}' cannot be read: {exc}") from exc
        replaced = target.exists()
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return AddedFile(
        path=target,
        source=f"{folder}/{name}",
        replaced=replaced,
        title=document.title,
        doc_type=document.doc_type.value,
        entries=len(document.faqs) or len(document.blocks),
    )
