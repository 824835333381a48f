"""Write FAQ entries into a file of the library, in the format the FAQ loader reads.

Team answers saved as FAQs, and the change team's review of them (promote to everyone, edit, retire),
all go through ``_rewrite``: under a lock, validated by the loader before the file is replaced
atomically, so a bad entry can never break the library and two writers never lose each other's work.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from ingest.documents import FaqEntry, LoaderError
from ingest.loaders.faq import parse_yaml

Entries = list[dict[str, Any]]
# What answers cite for entries the team wrote (staff read it; both languages, one file).
TEAM_TITLE = "团队解答 · Team answers"


def append_faq(
    path: Path,
    *,
    entry_id: str,
    question: str,
    answer: str,
    lang: str,
    tags: list[str] | None = None,
    scope: str = "",
    owner: str = "",
    created: str = "",
    review_by: str = "",
    status: str = "",
) -> None:
    """Add one entry (or replace the entry with the same id) and rewrite the file atomically.

    Args:
        scope: the unit the entry answers for (empty: everyone).
        owner: who wrote it; created / review_by: ISO dates; status: "review" until the change
            team has looked at it.
    """
    entry: dict[str, Any] = {
        "id": entry_id,
        "question": question,
        "answer": answer,
        "lang": lang,
        "tags": tags or [],
    }
    for key, value in (("scope", scope), ("owner", owner), ("created", created), ("review_by", review_by),
                       ("status", status)):  # fmt: skip
        if value:
            entry[key] = value

    def change(entries: Entries) -> Entries:
        return [e for e in entries if not (isinstance(e, dict) and e.get("id") == entry_id)] + [entry]

    _rewrite(path, change)


def update_faq(path: Path, *, entry_id: str, changes: dict[str, str]) -> None:
    """Change fields of one entry; an empty value removes the field (``scope: ""`` = everyone).

    Raises:
        LoaderError: no entry with that id, or the result would not load.
    """

    def change(entries: Entries) -> Entries:
        found = False
        for entry in entries:
            if isinstance(entry, dict) and entry.get("id") == entry_id:
                found = True
                for key, value in changes.items():
                    if value:
                        entry[key] = value
                    else:
                        entry.pop(key, None)
        if not found:
            raise LoaderError(f"no FAQ entry {entry_id!r} in {path.name}")
        return entries

    _rewrite(path, change)


def remove_faq(path: Path, *, entry_id: str) -> None:
    """Take one entry out of the file (the file goes when its last entry does).

    Raises:
        LoaderError: no entry with that id.
    """

    def change(entries: Entries) -> Entries:
        kept = [e for e in entries if not (isinstance(e, dict) and e.get("id") == entry_id)]
        if len(kept) == len(entries):
            raise LoaderError(f"no FAQ entry {entry_id!r} in {path.name}")
        return kept

    _rewrite(path, change)


def read_faqs(path: Path) -> list[FaqEntry]:
    """The entries of an FAQ file as the loader reads them (none when the file does not exist)."""
    if not path.exists():
        return []
    return parse_yaml(path.read_bytes()).faqs


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _rewrite(path: Path, change: Callable[[Entries], Entries]) -> None:
    with _locked(path):
        data: dict[str, Any] = {"title": TEAM_TITLE, "faqs": []}
        if path.exists():
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if isinstance(loaded, dict) and isinstance(loaded.get("faqs"), list):
                data = loaded
        data["faqs"] = change(list(data["faqs"]))
        if not data["faqs"]:
            path.unlink(missing_ok=True)  # an FAQ file without entries would not load
            return
        rendered = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
        parse_yaml(rendered.encode("utf-8"))  # raises LoaderError if the new file would not load
        staging = path.with_name(f".{path.name}.tmp")
        staging.write_text(rendered, encoding="utf-8")
        os.replace(staging, path)
