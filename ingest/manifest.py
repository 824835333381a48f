"""The manifest of an index generation (``manifest.json``).

Which source files a generation holds and their chunks, and how it was built: the index format,
the embedding-model fingerprint and the tokenizer version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from ingest.text import TOKENIZER_VERSION

INDEX_FORMAT = 1


class IndexFormatError(Exception):
    """The index on disk is missing, from another format, or unreadable."""


@dataclass(slots=True)
class FileRecord:
    """What the index knows about one source file."""

    sha256: str
    size: int
    doc_type: str
    title: str
    chunk_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Manifest:
    """The description of one index generation."""

    generation: int
    model_fingerprint: str
    created_at: str
    files: dict[str, FileRecord] = field(default_factory=dict)
    tokenizer: str = TOKENIZER_VERSION
    format: int = INDEX_FORMAT

    def to_json(self) -> dict[str, Any]:
        """Plain dict for manifest.json."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        """Inverse of ``to_json``; rejects other index formats."""
        if data.get("format") != INDEX_FORMAT:
            raise IndexFormatError(
                f"index format {data.get('format')!r} is not {INDEX_FORMAT}; re-run ingest"
            )
        files = {name: FileRecord(**record) for name, record in data["files"].items()}
        return cls(
            generation=int(data["generation"]),
            model_fingerprint=str(data["model_fingerprint"]),
            created_at=str(data["created_at"]),
            files=files,
            tokenizer=str(data.get("tokenizer", "")),
        )

    @classmethod
    def empty(cls, *, model_fingerprint: str) -> Manifest:
        """The manifest of an index with nothing in it."""
        return cls(generation=0, model_fingerprint=model_fingerprint, created_at=utc_now_iso())


def utc_now_iso() -> str:
    """Now, in UTC, as an ISO-8601 string with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")
