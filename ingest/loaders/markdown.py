"""Markdown with optional YAML front matter."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ingest.clean import clean_text
from ingest.documents import DocType, LoadedDocument, LoaderError
from ingest.loaders.common import SectionTracker, decode_text, title_from_stem

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK_RE = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS_RE = re.compile(r"(\*\*|__|~~|\*|`)")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_FRONT_MATTER_KEYS = ("title", "lang", "type", "tags", "unit", "date", "audience", "author")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Separate YAML front matter from the body; errors name the problem."""
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise LoaderError(f"the front matter is not valid YAML{where}") from exc
    if not isinstance(data, dict):
        raise LoaderError("the front matter must be a list of 'key: value' lines")
    return data, text[match.end() :]


def metadata_from(front: dict[str, Any]) -> dict[str, str]:
    """Front matter values as strings (lists joined with commas)."""
    metadata: dict[str, str] = {}
    for key in _FRONT_MATTER_KEYS:
        value = front.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, list | tuple):
            metadata[key] = ",".join(str(item) for item in value)
        else:
            metadata[key] = str(value)
    return metadata


def _inline(line: str) -> str:
    line = _IMAGE_RE.sub(r"\1", line)
    line = _LINK_RE.sub(r"\1", line)
    line = _EMPHASIS_RE.sub("", line)
    if line.lstrip().startswith("|"):
        line = " ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
    return line.lstrip(">").strip() if line.lstrip().startswith(">") else line


def load(data: bytes, stem: str) -> LoadedDocument:
    """Load a Markdown file."""
    front, body = split_front_matter(decode_text(data))
    metadata = metadata_from(front)
    tracker = SectionTracker(title=clean_text(metadata.pop("title", "")))
    in_fence = False
    for raw in clean_text(body).split("\n"):
        if raw.strip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        heading = None if in_fence else _HEADING_RE.match(raw)
        if heading:
            tracker.heading(len(heading.group(1)), _inline(heading.group(2)).strip())
        elif not raw.strip():
            tracker.paragraph_break()
        elif not _TABLE_RULE_RE.match(raw):
            tracker.add(_inline(raw))
    tracker.flush()
    return LoadedDocument(
        source=stem,
        doc_type=DocType.PLAYBOOK,
        title=tracker.title or title_from_stem(stem),
        lang=metadata.pop("lang", ""),
        blocks=tracker.blocks,
        metadata=metadata,
    )
