"""PDF text via pypdf: one block per page, with the layout's line wrapping undone."""

from __future__ import annotations

import io
import re
from typing import Final

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from ingest.clean import clean_text
from ingest.documents import Block, LoaderError
from ingest.loaders.common import ParsedFile, join_lines

# A line that starts a list item or numbered point stays on its own line.
_ITEM_START_RE: Final = re.compile(
    r"^(?:[-•·*▪●○◆■]\s|\d{1,2}[.、)]\s*\S|[一二三四五六七八九十]+、|\([一二三四五六七八九十\d]+\))"
)
# A line much shorter than the page's longest ends its paragraph (or is a heading of its own).
_SHORT_LINE_SHARE: Final = 0.7
# Titles that PDF writers put in the metadata by themselves, not chosen by the author.
_JUNK_TITLE_RE: Final = re.compile(
    r"(?i)^(?:untitled|microsoft (?:word|powerpoint) - .*|.*\.(?:docx?|pptx?|pdf|txt))$"
)


def unwrap(text: str) -> str:
    """Join the lines of a page back into paragraphs: hyphenated English words are healed, Chinese joins without spaces."""
    lines = text.split("\n")
    longest = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if not current or _ITEM_START_RE.match(line):
            if current:
                paragraphs.append(current)
            current = line
        elif re.search(r"[A-Za-z]-$", current) and line[:1].islower():
            current = current[:-1] + line
        else:
            current = join_lines(current, line)
        if len(line) < _SHORT_LINE_SHARE * longest:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return "\n".join(paragraphs)


def parse(data: bytes) -> ParsedFile:
    """Read a PDF: one block per page with text, its section "p. N"."""
    # pypdf raises whatever its parser trips over on a damaged file (PdfReadError, ValueError,
    # KeyError, zlib errors…); any of them means the same thing to the owner of the file.
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("a password is needed")
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata = reader.metadata
        title = str(metadata.title or "") if metadata is not None else ""
    except (FileNotDecryptedError, DependencyError) as exc:
        raise LoaderError(
            "the PDF is encrypted; save a copy without a password and add that instead"
        ) from exc
    except Exception as exc:
        raise LoaderError(f"the PDF could not be read; it may be damaged or truncated ({exc})") from exc
    parsed = ParsedFile(title="" if _JUNK_TITLE_RE.match(title.strip()) else clean_text(title))
    for number, page in enumerate(pages, start=1):
        text = clean_text(unwrap(clean_text(page)))
        if text:
            parsed.blocks.append(Block(text=text, section=f"p. {number}"))
    if not parsed.blocks:
        raise LoaderError(
            "no text could be extracted from the PDF; it may be a scan (images of pages). "
            "Add a version with real text, or run it through OCR first"
        )
    return parsed
