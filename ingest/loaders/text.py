"""Plain text: paragraphs, with numbered headings ("一、…", "1.2 …", "第三章 …") as sections."""

from __future__ import annotations

import re

from ingest.clean import clean_text
from ingest.documents import DocType, LoadedDocument
from ingest.loaders.common import SectionTracker, decode_text, title_from_stem

# Short lines that number a section. Chinese documents rarely use Markdown; they number instead.
_NUMBERED_HEADING_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十百\d]+[章节節部分篇]|\d+(?:\.\d+){0,2}[.、]?\s?)\S.{0,38}$"
)
_SENTENCE_END = ("。", "！", "？", ".", "!", "?", "；", ";", ":", "：", ",", "，")


def _heading_level(line: str) -> int | None:
    if len(line) > 40 or line.endswith(_SENTENCE_END) or not _NUMBERED_HEADING_RE.match(line):
        return None
    if re.match(r"^\d+\.\d+\.\d+", line):
        return 4
    if re.match(r"^\d+\.\d+", line):
        return 3
    return 2


def load(data: bytes, stem: str) -> LoadedDocument:
    """Load a plain-text file."""
    text = clean_text(decode_text(data))
    tracker = SectionTracker(title="")
    lines = text.split("\n")
    title = ""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            tracker.paragraph_break()
            continue
        level = _heading_level(stripped)
        next_blank = index + 1 >= len(lines) or not lines[index + 1].strip()
        if level is not None and next_blank:
            tracker.heading(level, stripped)
        else:
            tracker.add(stripped)
    tracker.flush()
    return LoadedDocument(
        source=stem, doc_type=DocType.PLAYBOOK, title=title or title_from_stem(stem), blocks=tracker.blocks
    )
