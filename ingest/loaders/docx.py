"""Word .docx via python-docx: heading styles make the section path, tables are read row by row."""

from __future__ import annotations

import io
import re
from typing import Final

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.clean import clean_text
from ingest.documents import Block, LoaderError
from ingest.loaders.common import ParsedFile, SectionPath

# Built-in heading styles keep their English names inside the file, but documents written with a
# localised Word sometimes carry "标题 1" / "標題 1" instead.
_HEADING_STYLE_RE: Final = re.compile(r"^(?:heading|标题|標題)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLE: Final = "title"
# Old binary .doc files and password-protected .docx files are both OLE containers, not zips.
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _style_name(paragraph: Paragraph) -> str:
    style = paragraph.style
    return (style.name or "").strip() if style is not None else ""


def _table_text(table: Table) -> str:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; read it once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = clean_text(cell.text).replace("\n", " ")
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def parse(data: bytes) -> ParsedFile:
    """Read a .docx file: title, sections from heading styles, one block per paragraph or table."""
    if data.startswith(_OLE_MAGIC):
        raise LoaderError(
            "this is an old Word .doc file or a password-protected document; "
            "open it in Word and save it as an unprotected .docx"
        )
    # python-docx raises whatever its zip or XML layer trips over on a damaged file.
    try:
        document = docx.Document(io.BytesIO(data))
        items = list(document.iter_inner_content())
        core_title = clean_text(document.core_properties.title or "")
    except Exception as exc:
        raise LoaderError(
            f"the Word file could not be opened; it may be damaged or not a real .docx ({exc})"
        ) from exc

    paragraphs = [item for item in items if isinstance(item, Paragraph)]
    title_paragraph = next(
        (p for p in paragraphs if _style_name(p).lower() == _TITLE_STYLE and p.text.strip()), None
    )
    first_h1 = next(
        (
            p
            for p in paragraphs
            if (m := _HEADING_STYLE_RE.match(_style_name(p))) and m.group(1) == "1" and p.text.strip()
        ),
        None,
    )
    title = (
        clean_text(title_paragraph.text)
        if title_paragraph is not None
        else core_title or (clean_text(first_h1.text) if first_h1 is not None else "")
    )

    parsed = ParsedFile(title=title)
    path = SectionPath(title=title)
    for item in items:
        if isinstance(item, Table):
            text = _table_text(item)
        else:
            text = clean_text(item.text)
            style = _style_name(item)
            if style.lower() == _TITLE_STYLE:
                continue
            heading = _HEADING_STYLE_RE.match(style)
            if heading and text:
                path.enter(level=int(heading.group(1)), text=" ".join(text.split("\n")))
                continue
        if text:
            parsed.blocks.append(Block(text=text, section=str(path)))
    return parsed
