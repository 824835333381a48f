"""Helpers shared by the loaders: decoding, titles, heading paths."""

from __future__ import annotations

from charset_normalizer import from_bytes

from ingest.clean import looks_binary
from ingest.documents import Block, LoaderError


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM) first, else the detected encoding (GBK, Big5…)."""
    if looks_binary(data):
        raise LoaderError("the file looks binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise LoaderError("the text encoding could not be recognised; save the file as UTF-8")
    return str(best)


def title_from_stem(stem: str) -> str:
    """A readable title from a file name: ``rollout-pacing_v2`` -> ``rollout pacing v2``."""
    return " ".join(stem.replace("_", " ").replace("-", " ").split()) or stem


class SectionTracker:
    """Keeps the heading path while a loader walks a document, and collects blocks under it."""

    def __init__(self, *, title: str = "") -> None:
        self.title = title
        self._path: list[tuple[int, str]] = []
        self._lines: list[str] = []
        self.blocks: list[Block] = []

    @property
    def section(self) -> str:
        """The current heading path, "A > B"."""
        return " > ".join(text for _, text in self._path)

    def heading(self, level: int, text: str) -> None:
        """Start a section at ``level`` (1 = top)."""
        self.flush()
        if level == 1 and (not self.title or text == self.title) and not self._path:
            # The document's own H1 is its title, not a section.
            self.title = self.title or text
            return
        self._path = [(lvl, name) for lvl, name in self._path if lvl < level]
        self._path.append((level, text))

    def add(self, line: str) -> None:
        """Add a line of body text."""
        self._lines.append(line)

    def paragraph_break(self) -> None:
        """End a paragraph (a blank line)."""
        self._lines.append("")

    def flush(self) -> None:
        """Close the current block."""
        text = "\n".join(self._lines).strip()
        if text:
            self.blocks.append(Block(text=text, section=self.section))
        self._lines = []
