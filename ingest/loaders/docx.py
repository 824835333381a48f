"""Word documents (python-docx): heading styles make the section path; tables read row by row."""

from __future__ import annotations

import io
import re
import zipfile

from ingest.clean import clean_text
from ingest.documents import DocType, LoadedDocument, LoaderError
from ingest.loaders.common import SectionTracker, title_from_stem

_HEADING_STYLE_RE = re.compile(r"^(?:Heading|标题|標題)\s*(\d)$", re.IGNORECASE)


def load(data: bytes, stem: str) -> LoadedDocument:
    """Load a .docx file."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoaderError("the Word file could not be opened (corrupt, or not a .docx)") from exc
    core_title = clean_text(document.core_properties.title or "")
    tracker = SectionTracker(title=core_title)
    body = document.element.body
    paragraphs = {id(p._element): p for p in document.paragraphs}
    tables = {id(t._element): t for t in document.tables}
    for element in body.iterchildren():
        if id(element) in paragraphs:
            paragraph = paragraphs[id(element)]
            text = clean_text(paragraph.text)
            style = paragraph.style.name if paragraph.style is not None else ""
            if not text:
                tracker.paragraph_break()
                continue
            if style == "Title":
                tracker.heading(1, text)
                continue
            match = _HEADING_STYLE_RE.match(style or "")
            if match:
                tracker.heading(int(match.group(1)), text)
            else:
                tracker.add(text)
        elif id(element) in tables:
            for row in tables[id(element)].rows:
                cells = [clean_text(cell.text) for cell in row.cells]
                line = " | ".join(dict.fromkeys(cell for cell in cells if cell))
                if line:
                    tracker.add(line)
            tracker.paragraph_break()
    tracker.flush()
    return LoadedDocument(
        source=stem,
        doc_type=DocType.PLAYBOOK,
        title=tracker.title or title_from_stem(stem),
        blocks=tracker.blocks,
    )
