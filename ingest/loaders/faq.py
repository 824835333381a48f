"""Structured FAQ files: YAML (``faqs:`` list) and CSV (question, answer, alternatives, tags)."""

from __future__ import annotations

import csv
import io
from typing import Any

import yaml

from ingest.clean import clean_text
from ingest.documents import DocType, FaqEntry, LoadedDocument, LoaderError
from ingest.loaders.common import decode_text, title_from_stem

_LANGS = ("zh-Hans", "zh-Hant", "en")


def _strings(value: Any, *, where: str, field: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (clean_text(value),)
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return tuple(clean_text(str(item)) for item in value if str(item).strip())
    raise LoaderError(f"{where}: '{field}' must be a list of texts")


def _entry(raw: Any, *, where: str, default_lang: str, default_tags: tuple[str, ...]) -> FaqEntry:
    if not isinstance(raw, dict):
        raise LoaderError(f"{where}: each FAQ must be a mapping with 'question' and 'answer'")
    fields: dict[str, str] = {}
    for field in ("question", "answer"):
        value = raw.get(field)
        if not isinstance(value, str | int | float) or not clean_text(str(value)):
            raise LoaderError(f"{where}: '{field}' is missing or empty")
        fields[field] = clean_text(str(value))
    lang = str(raw.get("lang") or default_lang or "")
    if lang and lang not in _LANGS:
        raise LoaderError(f"{where}: 'lang' must be one of {', '.join(_LANGS)}, not {lang!r}")
    return FaqEntry(
        question=fields["question"],
        answer=fields["answer"],
        entry_id=str(raw.get("id") or ""),
        alternatives=_strings(raw.get("alternatives"), where=where, field="alternatives"),
        tags=_strings(raw.get("tags"), where=where, field="tags") or default_tags,
        lang=lang,
    )


def load_yaml(data: bytes, stem: str) -> LoadedDocument:
    """Load a YAML FAQ file: a mapping with ``faqs:`` (and optional lang, tags, title) or a bare list."""
    try:
        parsed = yaml.safe_load(decode_text(data))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise LoaderError(f"the FAQ file is not valid YAML{where}") from exc
    header: dict[str, Any] = {}
    if isinstance(parsed, dict):
        header = parsed
        entries = parsed.get("faqs")
        if entries is None:
            raise LoaderError("the FAQ file needs a 'faqs:' list")
    else:
        entries = parsed
    if not isinstance(entries, list) or not entries:
        raise LoaderError("'faqs' must be a non-empty list of question/answer entries")
    lang = str(header.get("lang") or "")
    if lang and lang not in _LANGS:
        raise LoaderError(f"'lang' must be one of {', '.join(_LANGS)}, not {lang!r}")
    tags = _strings(header.get("tags"), where="file", field="tags")
    faqs = [
        _entry(raw, where=f"entry {number}", default_lang=lang, default_tags=tags)
        for number, raw in enumerate(entries, start=1)
    ]
    _check_ids(faqs)
    metadata = {"audience": str(header["audience"])} if header.get("audience") else {}
    return LoadedDocument(
        source=stem,
        doc_type=DocType.FAQ,
        title=clean_text(str(header.get("title") or "")) or title_from_stem(stem),
        lang=lang,
        faqs=faqs,
        metadata=metadata,
    )


def load_csv(data: bytes, stem: str) -> LoadedDocument:
    """Load a CSV FAQ sheet: columns question, answer and optional id, alternatives, tags, lang (``|``-separated lists)."""
    reader = csv.DictReader(io.StringIO(decode_text(data), newline=""))
    columns = {name.strip().lower() for name in reader.fieldnames or [] if name}
    missing = {"question", "answer"} - columns
    if missing:
        raise LoaderError(f"the CSV needs columns question and answer; missing: {', '.join(sorted(missing))}")
    faqs = []
    try:
        for row in reader:
            line = reader.line_num
            cleaned = {(key or "").strip().lower(): (value or "") for key, value in row.items() if key}
            if not any(value.strip() for value in cleaned.values()):
                continue
            raw = {
                "id": cleaned.get("id", ""),
                "question": cleaned.get("question", ""),
                "answer": cleaned.get("answer", ""),
                "alternatives": [part for part in cleaned.get("alternatives", "").split("|") if part.strip()],
                "tags": [part for part in cleaned.get("tags", "").split("|") if part.strip()],
                "lang": cleaned.get("lang", "").strip(),
            }
            faqs.append(_entry(raw, where=f"line {line}", default_lang="", default_tags=()))
    except csv.Error as exc:
        raise LoaderError(f"the CSV is malformed near line {reader.line_num}: {exc}") from exc
    if not faqs:
        raise LoaderError("the CSV has no question/answer rows")
    _check_ids(faqs)
    return LoadedDocument(source=stem, doc_type=DocType.FAQ, title=title_from_stem(stem), faqs=faqs)


def _check_ids(faqs: list[FaqEntry]) -> None:
    seen: set[str] = set()
    for number, entry in enumerate(faqs, start=1):
        if entry.entry_id and entry.entry_id in seen:
            raise LoaderError(f"entry {number}: duplicate id {entry.entry_id!r}")
        seen.add(entry.entry_id)
