"""Append answered questions to an FAQ file of the library, in the format the FAQ loader reads."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

import yaml

from ingest.loaders.faq import parse_yaml


def append_faq(
    path: Path, *, entry_id: str, question: str, answer: str, lang: str, tags: list[str] | None = None
) -> None:
    """Add one entry (or replace the entry with the same id) and rewrite the file atomically.

    The result is validated with the loader before it replaces the file, so a bad entry can never
    break the library.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data: dict[str, Any] = {"title": "Answered by the team", "faqs": []}
        if path.exists():
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if isinstance(loaded, dict) and isinstance(loaded.get("faqs"), list):
                data = loaded
        entries = [e for e in data["faqs"] if not (isinstance(e, dict) and e.get("id") == entry_id)]
        entries.append(
            {"id": entry_id, "question": question, "answer": answer, "lang": lang, "tags": tags or []}
        )
        data["faqs"] = entries
        rendered = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
        parse_yaml(rendered.encode("utf-8"))  # raises LoaderError if the new file would not load
        staging = path.with_name(f".{path.name}.tmp")
        staging.write_text(rendered, encoding="utf-8")
        os.replace(staging, path)
