"""PDF text (pypdf): one block per page, lines inside a paragraph joined."""

from __future__ import annotations

import io
import logging
import re

from ingest.clean import clean_text
from ingest.documents import Block, DocType, LoadedDocument, LoaderError
from ingest.loaders.common import title_from_stem

_CJK_END_RE = re.compile(r"[\u3400-\u9fff，、：；（）“”]$")
_CJK_START_RE = re.compile(r"^[\u3400-\u9fff，。、：；！？（）“”]")


def join_lines(text: str) -> str:
    """Undo PDF line wrapping: Chinese lines join with no space, English with one, hyphens are healed."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            out.append("\n")
            continue
        if not out or out[-1] == "\n":
            out.append(line)
        elif out[-1].endswith("-") and line[:1].islower():
            out[-1] = out[-1][:-1] + line
        elif _CJK_END_RE.search(out[-1]) or _CJK_START_RE.match(line):
            out[-1] += line
        elif out[-1].endswith(("。", "！", "？", ".", "!", "?", ":", "：")):
            out.append(line)
        else:
            out[-1] += " " + line
    return "\n".join(out).replace("\n\n\n", "\n\n")


def load(data: bytes, stem: str) -> LoadedDocument:
    """Load a PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs recoverable structure problems as warnings; the per-file error below says enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoaderError("the PDF is encrypted; save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata_title = str(reader.metadata.title) if reader.metadata and reader.metadata.title else ""
    except LoaderError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise LoaderError(f"the PDF could not be read (corrupt or truncated): {exc}") from exc
    blocks = []
    for number, page in enumerate(pages, start=1):
        text = clean_text(join_lines(page))
        if text:
            blocks.append(Block(text=text, section=f"p. {number}"))
    if not blocks:
        raise LoaderError("the PDF has no extractable text (it may be a scan; add a text version)")
    return LoadedDocument(
        source=stem,
        doc_type=DocType.PLAYBOOK,
        title=clean_text(metadata_title) or title_from_stem(stem),
        blocks=blocks,
    )
