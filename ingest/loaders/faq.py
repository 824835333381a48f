"""Structured FAQ files: YAML (a ``faqs:`` list, or a bare list) and CSV sheets.

Errors name the entry (YAML, counted from 1) or the line (CSV, as a spreadsheet shows it) and the
field, because the people who edit these files fix them by hand.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

import yaml

from ingest.clean import clean_text
from ingest.documents import FaqEntry, LoaderError
from ingest.loaders.common import ParsedFile, decode_text, normalise_language

_CSV_COLUMNS: Final = ("id", "question", "answer", "alternatives", "tags", "lang")
_CSV_REQUIRED: Final = ("question", "answer")
# Spreadsheets put several alternatives or tags in one cell.
_CSV_LIST_SEPARATOR: Final = "|"


def _required_text(raw: Mapping[str, Any], key: str, *, where: str) -> str:
    value = raw.get(key)
    if value is None:
        raise LoaderError(f"{where}: '{key}' is missing")
    if not isinstance(value, str):
        # YAML reads `answer: yes` as true and `answer: 1.10` as 1.1; quoting keeps the text.
        raise LoaderError(f"{where}: '{key}' must be text; put it in quotes")
    text = clean_text(value)
    if not text:
        raise LoaderError(f"{where}: '{key}' is empty")
    return text


def _text_list(value: Any, key: str, *, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(
        isinstance(item, str | int | float) and not isinstance(item, bool) for item in items
    ):
        raise LoaderError(f"{where}: '{key}' must be a list of texts")
    texts = (clean_text(str(item)) for item in items)
    return tuple(dict.fromkeys(text for text in texts if text))


def _entry(raw: Any, *, where: str, file_tags: tuple[str, ...]) -> FaqEntry:
    if not isinstance(raw, Mapping):
        raise LoaderError(f"{where}: expected 'question:' and 'answer:' fields, found {type(raw).__name__}")
    entry_id = raw.get("id")
    if entry_id is not None and (isinstance(entry_id, bool) or not isinstance(entry_id, str | int)):
        raise LoaderError(f"{where}: 'id' must be a short text")
    tags = _text_list(raw.get("tags"), "tags", where=where)
    return FaqEntry(
        question=_required_text(raw, "question", where=where),
        answer=_required_text(raw, "answer", where=where),
        entry_id=clean_text(str(entry_id)) if entry_id is not None else "",
        alternatives=_text_list(raw.get("alternatives"), "alternatives", where=where),
        # File-wide tags apply to every entry, after its own.
        tags=tuple(dict.fromkeys(tags + file_tags)),
        lang=normalise_language(raw.get("lang"), where=f"{where}: 'lang'"),
        scope=_optional_text(raw, "scope", where=where),
        owner=_optional_text(raw, "owner", where=where),
        created=_iso_date(raw, "created", where=where),
        review_by=_iso_date(raw, "review_by", where=where),
        status=_status(raw, where=where),
    )


def _status(raw: Mapping[str, Any], *, where: str) -> str:
    status = _optional_text(raw, "status", where=where).lower()
    if status not in _STATUSES:
        raise LoaderError(f"{where}: 'status' must be 'review' or left out")
    return status


_STATUSES: Final = ("", "review")


def _optional_text(raw: Mapping[str, Any], key: str, *, where: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | date):
        raise LoaderError(f"{where}: '{key}' must be text")
    return clean_text(value.isoformat() if isinstance(value, date) else str(value))


def _iso_date(raw: Mapping[str, Any], key: str, *, where: str) -> str:
    text = _optional_text(raw, key, where=where)
    if text:
        try:
            date.fromisoformat(text)
        except ValueError as exc:
            raise LoaderError(f"{where}: '{key}' must be a date like 2027-03-31") from exc
    return text


def _check_unique_ids(entries: list[tuple[str, FaqEntry]]) -> None:
    first: dict[str, str] = {}
    for where, entry in entries:
        if not entry.entry_id:
            continue
        if entry.entry_id in first:
            raise LoaderError(f"{where}: id {entry.entry_id!r} is already used by {first[entry.entry_id]}")
        first[entry.entry_id] = where


def parse_yaml(data: bytes) -> ParsedFile:
    """Read a YAML FAQ file: ``faqs:`` with optional ``title``, ``lang``, ``tags``, ``audience``; or a bare list."""
    try:
        content = yaml.safe_load(decode_text(data))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" near line {mark.line + 1}" if mark is not None else ""
        raise LoaderError(f"the FAQ file is not valid YAML{where}") from exc
    header: Mapping[str, Any] = {}
    if isinstance(content, Mapping):
        header = content
        if "faqs" not in header:
            raise LoaderError("the FAQ file needs a 'faqs:' list of question/answer entries")
        items = header["faqs"]
    else:
        items = content
    if not isinstance(items, list):
        raise LoaderError("'faqs' must be a list of entries, each with 'question:' and 'answer:'")
    if not items:
        raise LoaderError("the FAQ file has no entries")
    file_tags = _text_list(header.get("tags"), "tags", where="the FAQ file")
    entries = [
        (f"FAQ entry {number}", _entry(raw, where=f"FAQ entry {number}", file_tags=file_tags))
        for number, raw in enumerate(items, start=1)
    ]
    _check_unique_ids(entries)
    audience = _text_list(header.get("audience"), "audience", where="the FAQ file")
    return ParsedFile(
        title=clean_text(str(header.get("title") or "")),
        lang=normalise_language(header.get("lang"), where="the FAQ file's 'lang'"),
        faqs=[entry for _, entry in entries],
        metadata={"audience": ",".join(audience)} if audience else {},
    )


def _delimiter(text: str) -> str:
    # Spreadsheets in many locales export ";" or tab-separated "CSV".
    header = text.split("\n", 1)[0]
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


def parse_csv(data: bytes) -> ParsedFile:
    """Read a CSV FAQ sheet: a header with question and answer, optional id, alternatives, tags, lang."""
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    entries: list[tuple[str, FaqEntry]] = []
    columns: list[str] = []
    previous_line = 0
    try:
        for row in reader:
            # A quoted cell may span lines; a row is named by the line it starts on.
            where, previous_line = f"line {previous_line + 1}", reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if not columns:
                columns = [cell.strip().lower() for cell in row]
                missing = [name for name in _CSV_REQUIRED if name not in columns]
                if missing:
                    raise LoaderError(
                        f"{where}: the header needs the columns {', '.join(_CSV_REQUIRED)} "
                        f"(missing: {', '.join(missing)}); optional: id, alternatives, tags, lang"
                    )
                continue
            extra = row[len(columns) :]
            if any(cell.strip() for cell in extra):
                raise LoaderError(
                    f"{where}: {len(row)} cells but the header has {len(columns)}; "
                    "put quotes around text that contains commas"
                )
            cells = dict(zip(columns, row, strict=False))
            raw: dict[str, Any] = {key: cells[key].strip() or None for key in _CSV_COLUMNS if key in cells}
            for key in ("alternatives", "tags"):
                if raw.get(key):
                    raw[key] = [part.strip() for part in cells[key].split(_CSV_LIST_SEPARATOR)]
            for key in _CSV_REQUIRED:
                # An empty cell is an empty answer, not a missing column.
                raw[key] = cells.get(key, "")
            entries.append((where, _entry(raw, where=where, file_tags=())))
    except csv.Error as exc:
        raise LoaderError(f"line {reader.line_num}: the CSV is malformed ({exc})") from exc
    if not columns:
        raise LoaderError("the CSV has no header row")
    if not entries:
        raise LoaderError("the CSV has a header but no question/answer rows")
    _check_unique_ids(entries)
    return ParsedFile(faqs=[entry for _, entry in entries])
