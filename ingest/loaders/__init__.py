"""Turn one file of the knowledge library into a cleaned ``LoadedDocument``.

One module per format reads the bytes; ``load_file`` owns what is common to all of them: size and
binary checks, the source name, the document type and title fallbacks. Every failure is a
``LoaderError`` whose message is written for the person who owns the file, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from ingest.documents import DocType, LoadedDocument, LoaderError
from ingest.loaders import docx, faq, html, markdown, pdf, text
from ingest.loaders.common import ParsedFile, first_clause
from ingest.text import detect_language

__all__ = ["SUPPORTED_SUFFIXES", "load_file"]

_PARSERS: Final[dict[str, Callable[[bytes], ParsedFile]]] = {
    ".md": markdown.parse,
    ".markdown": markdown.parse,
    ".txt": text.parse,
    ".pdf": pdf.parse,
    ".docx": docx.parse,
    ".html": html.parse,
    ".htm": html.parse,
    ".yaml": faq.parse_yaml,
    ".yml": faq.parse_yaml,
    ".csv": faq.parse_csv,
}
SUPPORTED_SUFFIXES: Final[frozenset[str]] = frozenset(_PARSERS)
_STRUCTURED_FAQ_SUFFIXES: Final = frozenset({".yaml", ".yml", ".csv"})
_FOLDER_TYPES: Final = {"playbooks": DocType.PLAYBOOK, "faqs": DocType.FAQ, "cases": DocType.CASE}


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def _relative_parts(path: Path, root: Path) -> tuple[str, ...] | None:
    try:
        return path.resolve().relative_to(root.resolve()).parts
    except ValueError:
        return None


def _doc_type(parsed: ParsedFile, *, suffix: str, folders: tuple[str, ...]) -> DocType:
    if parsed.declared_type is not None:
        return parsed.declared_type
    # A structured FAQ file is indexed as question/answer pairs wherever it lives, so its type says so.
    if suffix in _STRUCTURED_FAQ_SUFFIXES:
        return DocType.FAQ
    for folder in folders:
        if folder in _FOLDER_TYPES:
            return _FOLDER_TYPES[folder]
    return DocType.PLAYBOOK


FAQ_TITLES: Final[dict[str, str]] = {"zh-Hans": "常见问题", "zh-Hant": "常見問題", "en": "FAQ"}
_MIN_DERIVED_TITLE: Final = 4


def fallback_title(parsed: ParsedFile) -> str:
    """A title for a file that names itself nowhere, from its content, never its file name.

    People cite what they read ("常见问题 › 培训要多久？"), and a file name like ``faq_v2_final``
    means nothing to them: FAQ files are "FAQ" in their language, other files are called by
    their first clause.
    """
    if parsed.faqs:
        language = parsed.lang or detect_language(parsed.faqs[0].question)
        return FAQ_TITLES.get(language, FAQ_TITLES["en"])
    first = next((block for block in parsed.blocks if block.text.strip()), None)
    if first is None:
        return ""
    clause = first_clause(first.text).rstrip(".")
    if len(clause) < _MIN_DERIVED_TITLE and first.section:  # "正文。" names nothing; its heading does
        return first.section.split(" > ", 1)[0]
    return clause


def load_file(path: Path, *, root: Path, max_bytes: int = 20 * 1024 * 1024) -> LoadedDocument:
    """Load and clean one file of the knowledge library.

    Args:
        path: the file to read.
        root: the knowledge library root; ``source`` is ``path`` relative to it (or the file name
            when ``path`` lies outside it).
        max_bytes: larger files are rejected before they are read.

    Raises:
        LoaderError: the file cannot become a document; the message says why and what to do.
    """
    suffix = path.suffix.lower()
    parser = _PARSERS.get(suffix)
    if parser is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        kind = f"'{suffix}' files are" if suffix else "files without an extension are"
        raise LoaderError(f"{kind} not supported; use one of {supported}")
    try:
        size = path.stat().st_size
        if size == 0:
            raise LoaderError("the file is empty")
        if size > max_bytes:
            raise LoaderError(
                f"the file is {_size(size)}, over the {_size(max_bytes)} limit; split it into smaller files"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise LoaderError(f"the file cannot be read: {exc.strerror or exc}") from exc

    parsed = parser(data)
    parts = _relative_parts(path, root)
    document = LoadedDocument(
        source="/".join(parts) if parts else path.name,
        doc_type=_doc_type(parsed, suffix=suffix, folders=parts[:-1] if parts else ()),
        title=parsed.title or fallback_title(parsed),
        lang=parsed.lang,
        blocks=parsed.blocks,
        faqs=parsed.faqs,
        metadata=parsed.metadata,
    )
    if not document.blocks and not document.faqs:
        raise LoaderError("no text left in the file after removing markup and boilerplate")
    return document
