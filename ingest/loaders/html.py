"""HTML pages via BeautifulSoup: page furniture dropped, headings make sections, block elements make blocks."""

from __future__ import annotations

import re
from typing import Final

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from ingest.clean import clean_text
from ingest.documents import Block
from ingest.loaders.common import ParsedFile, SectionPath, decode_text

# Site chrome and code, not content: menus, banners, sidebars, forms and scripts.
_NOISE_TAGS: Final = [
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "noscript",
    "template",
    "iframe",
    "svg",
    "canvas",
    "button",
    "select",
]
_HEADINGS: Final = {f"h{level}": level for level in range(1, 7)}
# Elements that start and end a run of text; everything else (span, a, strong…) flows inside one.
_BLOCK_TAGS: Final = frozenset(
    [
        "address",
        "article",
        "blockquote",
        "body",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "html",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "ul",
    ]
)
_CELL_TAGS: Final = frozenset({"td", "th"})
_META_CHARSET_RE: Final = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
# Source line breaks between two Han characters are layout, not a space (browsers drop them too).
_HAN: Final = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_HAN_BREAK_RE: Final = re.compile(rf"(?<=[{_HAN}])\s*\n\s*(?=[{_HAN}])")
_WHITESPACE_RE: Final = re.compile(r"\s+")


def _decode(data: bytes) -> str:
    # A page's own <meta charset> is good evidence of its encoding (old Chinese pages say gbk).
    declared = _META_CHARSET_RE.search(data[:4096])
    return decode_text(data, declared=declared.group(1).decode("ascii") if declared else "")


class _Collector:
    """Walks the DOM in reading order, turning text runs into blocks under the current headings."""

    def __init__(self, *, title: str) -> None:
        self.path = SectionPath(title=title)
        self.blocks: list[Block] = []
        self._parts: list[str] = []
        self._cells_in_row = 0

    def flush(self) -> None:
        text = clean_text("".join(self._parts))
        self._parts = []
        if text:
            self.blocks.append(Block(text=text, section=str(self.path)))

    def walk(self, node: Tag, *, preformatted: bool = False) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):
                    self._parts.append(str(child) if preformatted else _flow(str(child)))
            elif isinstance(child, Tag):
                self._element(child, preformatted=preformatted)

    def _element(self, tag: Tag, *, preformatted: bool) -> None:
        if tag.has_attr("hidden"):
            return
        name = tag.name.lower()
        if name in _HEADINGS:
            self.flush()
            text = clean_text(_flow(tag.get_text(" ")))
            if text:
                self.path.enter(level=_HEADINGS[name], text=text)
        elif name == "br":
            self._parts.append("\n")
        elif name == "tr":
            # A table is one block, a row one line of it, its cells separated by " | ".
            self._cells_in_row = 0
            self.walk(tag, preformatted=preformatted)
            self._parts.append("\n")
        elif name in _CELL_TAGS:
            if self._cells_in_row:
                self._parts.append(" | ")
            self._cells_in_row += 1
            self.walk(tag, preformatted=preformatted)
        elif name in _BLOCK_TAGS:
            self.flush()
            self.walk(tag, preformatted=preformatted or name == "pre")
            self.flush()
        else:
            self.walk(tag, preformatted=preformatted)


def _flow(text: str) -> str:
    # HTML collapses whitespace; a line break between Chinese characters disappears entirely.
    return _WHITESPACE_RE.sub(" ", _HAN_BREAK_RE.sub("", text))


def parse(data: bytes) -> ParsedFile:
    """Read an HTML page: title from <title> or the first <h1>, blocks from block-level elements."""
    soup = BeautifulSoup(_decode(data), "lxml")
    for tag in soup.find_all(_NOISE_TAGS):
        tag.decompose()
    page_title = clean_text(_flow(soup.title.get_text(" "))) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    first_h1 = soup.find("h1")
    h1 = clean_text(_flow(first_h1.get_text(" "))) if isinstance(first_h1, Tag) else ""
    # "<title>Rollout pacing - Our Wiki</title>" with "<h1>Rollout pacing</h1>": the heading
    # is the document's name without the site's.
    title = h1 if h1 and h1 in page_title else page_title or h1
    collector = _Collector(title=title)
    collector.walk(soup)
    collector.flush()
    return ParsedFile(title=title, blocks=collector.blocks)
