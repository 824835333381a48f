"""Write FAQ entries into an FAQ file of the library, in the format the FAQ loader reads.

Team answers saved as FAQs, and the change team's review of them (promote to everyone, edit, retire),
all go through ``_rewrite``: from the file's text to its new text, validated by the loader first, so
a bad entry can never break the library. Where the text is kept, and that two writers never lose
each other's work, is the caller's (``bot.library.store``: a row locked in the writer's transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from ingest.documents import FaqEntry, LoaderError
from ingest.loaders.faq import parse_yaml

Entries = list[dict[str, Any]]
# What answers cite for entries the team wrote (staff read it; both languages, one file).
TEAM_TITLE = "团队解答 · Team answers"


def append_faq(
    text: str | None,
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
) -> str:
    """The file's text with one entry added (or the entry with the same id replaced); ``text`` None:
    a new file.

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

    rewritten = _rewrite(text, change)
    assert rewritten is not None  # noqa: S101  (it holds the new entry)
    return rewritten


def update_faq(text: str | None, *, entry_id: str, changes: dict[str, str]) -> str | None:
    """The text with fields of one entry changed; an empty value removes the field (``scope: ""`` =
    everyone).

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
            raise LoaderError(f"no FAQ entry {entry_id!r} in the team's FAQ file")
        return entries

    return _rewrite(text, change)


def remove_faq(text: str | None, *, entry_id: str) -> str | None:
    """The text without one entry (None: that was its last entry, and the file goes).

    Raises:
        LoaderError: no entry with that id.
    """

    def change(entries: Entries) -> Entries:
        kept = [e for e in entries if not (isinstance(e, dict) and e.get("id") == entry_id)]
        if len(kept) == len(entries):
            raise LoaderError(f"no FAQ entry {entry_id!r} in the team's FAQ file")
        return kept

    return _rewrite(text, change)


def read_faqs(content: bytes | None) -> list[FaqEntry]:
    """The entries of an FAQ file's content as the loader reads them (none when there is no file)."""
    return [] if content is None else parse_yaml(content).faqs


def _rewrite(text: str | None, change: Callable[[Entries], Entries]) -> str | None:
    data: dict[str, Any] = {"title": TEAM_TITLE, "faqs": []}
    if text is not None:
        loaded = yaml.safe_load(text) or {}
        if isinstance(loaded, dict) and isinstance(loaded.get("faqs"), list):
            data = loaded
    data["faqs"] = change(list(data["faqs"]))
    if not data["faqs"]:
        return None  # an FAQ file without entries would not load
    rendered = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    parse_yaml(rendered.encode("utf-8"))  # raises LoaderError if the new file would not load
    return rendered
