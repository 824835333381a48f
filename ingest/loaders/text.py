"""Plain text in any common encoding: paragraphs become blocks, numbered headings become sections.

Chinese documents rarely use Markdown; they number their headings instead ("一、…", "1.2 …",
"第三章 …"). A line counts as a heading only when it stands alone as a short paragraph, so the
items of a numbered list inside a paragraph stay body text.
"""

from __future__ import annotations

import re
from itertools import groupby
from typing import Final

from ingest.clean import clean_text
from ingest.documents import Block
from ingest.loaders.common import ParsedFile, SectionPath, decode_text, first_clause

HeadingKind = tuple[str, int]
"""A numbering style ("chinese", "arabic"…) and its depth (2 for "1.2")."""

_MAX_HEADING_LENGTH: Final = 40
# Headings may be questions, but do not end like statements or like the line that introduces a list.
_SENTENCE_ENDINGS: Final = tuple("。;,:、.")
# More headings than this in a row, with no text between, are a table of contents, not structure:
# taken as sections, they would file the whole body under the last entry of the contents.
_MAX_HEADING_RUN: Final = 4
_CN_NUMBER: Final = "一二三四五六七八九十百零〇两"
_NUMBERED: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("chapter", re.compile(rf"^第[{_CN_NUMBER}\d]+[章篇部]")),
    ("section", re.compile(rf"^第[{_CN_NUMBER}\d]+[节節]")),
    ("chinese", re.compile(rf"^[{_CN_NUMBER}]+、")),
    ("chinese-paren", re.compile(rf"^\([{_CN_NUMBER}]+\)")),
    # "1.2.3 …" or "1.2…" needs no separator; a bare "1" does ("1. …", "1、…", "1 …"), so that
    # "2019年的教训" is not heading number 2019. A letter or Han character must follow.
    ("arabic", re.compile(r"^(\d{1,2}(?:\.\d{1,2})+\.?\s*|\d{1,2}(?:[.、)]\s*|\s+))(?=[^\W\d_])")),
)


def heading_kind(paragraph: str) -> HeadingKind | None:
    """The numbering style of a paragraph that is a numbered heading, else None."""
    if "\n" in paragraph or len(paragraph) > _MAX_HEADING_LENGTH or paragraph.endswith(_SENTENCE_ENDINGS):
        return None
    for family, pattern in _NUMBERED:
        match = pattern.match(paragraph)
        if match:
            depth = match.group(0).rstrip(".、) ").count(".") + 1 if family == "arabic" else 1
            return family, depth
    return None


def _levels(kinds: list[HeadingKind | None]) -> dict[HeadingKind, int]:
    # Levels follow the order in which numbering styles first appear ("一、" then "1.1" then
    # "1.1.1"); within a style, deeper dotted numbers always rank below shallower ones.
    first_seen: dict[str, int] = {}
    for kind in kinds:
        if kind is not None:
            first_seen.setdefault(kind[0], len(first_seen))
    ranked = sorted({kind for kind in kinds if kind is not None}, key=lambda k: (first_seen[k[0]], k[1]))
    return {kind: level for level, kind in enumerate(ranked, start=1)}


# Pages saved from document-sharing sites list one line per page, named after the document.
_PAGE_TITLE_RE: Final = re.compile(r"^(.{2,80}?)_第\s*\d+\s*[页頁]\s*$", re.MULTILINE)
_MAX_TITLE_LENGTH: Final = 60


def derive_title(raw: str, paragraphs: list[str]) -> tuple[str, int | None]:
    """A title from the text itself, and the index of the paragraph it was (None: not a paragraph).

    In order: the document name on the page lines of a saved share-site page; the first paragraph
    when it is one short line that does not read as a sentence; else the first clause of the text.
    People cite documents by what they are called, never by their file name.
    """
    page = _PAGE_TITLE_RE.search(raw)
    if page is not None:
        title = clean_text(page.group(1)).strip()
        if title:
            return title, None
    for index, paragraph in enumerate(paragraphs[:3]):
        if (
            "\n" not in paragraph
            and len(paragraph) <= _MAX_TITLE_LENGTH
            and not paragraph.endswith(_SENTENCE_ENDINGS)
            and heading_kind(paragraph) is None
            and len(paragraph) >= 6  # "售后服务" is a site's menu, not a document's name
        ):
            return paragraph, index
    if not paragraphs:
        return "", None
    return first_clause(paragraphs[0]), None


def parse(data: bytes) -> ParsedFile:
    """Read a plain-text file: one block per paragraph, under the numbered heading before it."""
    raw = decode_text(data)
    paragraphs = [part.strip() for part in clean_text(raw).split("\n\n") if part.strip()]
    title, title_index = derive_title(raw, paragraphs)
    if title_index is not None:
        del paragraphs[title_index]
    runs = [
        (is_heading, list(run))
        for is_heading, run in groupby(
            ((paragraph, heading_kind(paragraph)) for paragraph in paragraphs),
            key=lambda pair: pair[1] is not None,
        )
    ]
    levels = _levels([kind for is_heading, run in runs if len(run) <= _MAX_HEADING_RUN for _, kind in run])
    path = SectionPath(title=title)
    parsed = ParsedFile(title=title)
    for is_heading, run in runs:
        if is_heading and len(run) > _MAX_HEADING_RUN:
            parsed.blocks.append(Block(text="\n".join(paragraph for paragraph, _ in run), section=str(path)))
            continue
        for paragraph, kind in run:
            if kind is None:
                parsed.blocks.append(Block(text=paragraph, section=str(path)))
            else:
                path.enter(level=levels[kind], text=paragraph)
    return parsed
