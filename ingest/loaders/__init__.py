"""Turn a file into a ``LoadedDocument``: one module per format, one entry point, clear errors.

Every loader raises ``LoaderError`` with a message meant for the person who owns the file
("the PDF is encrypted", "entry 3 has no answer"), never a library traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from ingest.documents import DocType, LoadedDocument, LoaderError
from ingest.loaders import docx, faq, html, markdown, pdf, text

_LOADERS: Final[dict[str, Callable[[bytes, str], LoadedDocument]]] = {
    ".md": markdown.load,
    ".markdown": markdown.load,
    ".txt": text.load,
    ".pdf": pdf.load,
    ".docx": docx.load,
    ".html": html.load,
    ".htm": html.load,
    ".yaml": faq.load_yaml,
    ".yml": faq.load_yaml,
    ".csv": faq.load_csv,
}
SUPPORTED_SUFFIXES: Final = frozenset(_LOADERS)
_FOLDER_TYPES: Final = {"playbooks": DocType.PLAYBOOK, "faqs": DocType.FAQ, "cases": DocType.CASE}


def human_size(size: int) -> str:
    """Bytes as "12.3 MB" or "800 KB"."""
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _folder_type(source: str) -> DocType | None:
    for part in source.split("/")[:-1]:
        if part in _FOLDER_TYPES:
            return _FOLDER_TYPES[part]
    return None


def load_file(path: Path, *, root: Path, max_bytes: int = 20 * 1024 * 1024) -> LoadedDocument:
    """Load and clean one file.

    Args:
        path: the file.
        root: the knowledge library root; ``source`` is the path relative to it.
        max_bytes: larger files are rejected before they are read.
    """
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoaderError(f"unsupported file type {suffix or '(none)'!r}; supported: {supported}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoaderError(f"cannot read file: {exc.strerror or exc}") from exc
    if size == 0:
        raise LoaderError("the file is empty")
    if size > max_bytes:
        raise LoaderError(f"the file is {human_size(size)}; the limit is {human_size(max_bytes)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoaderError(f"cannot read file: {exc.strerror or exc}") from exc
    document = loader(data, path.stem)
    document.source = _relative(path, root)
    declared = document.metadata.pop("type", "")
    if declared:
        try:
            document.doc_type = DocType(declared.lower())
        except ValueError as exc:
            raise LoaderError(f"front matter 'type' must be playbook, faq or case, not {declared!r}") from exc
    elif (folder := _folder_type(document.source)) is not None and not document.faqs:
        document.doc_type = folder
    if not document.blocks and not document.faqs:
        raise LoaderError("no text found in the file after cleaning")
    return document
