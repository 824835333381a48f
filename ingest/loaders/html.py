"""HTML pages: page furniture dropped, headings make the section path."""

from __future__ import annotations

from bs4 import BeautifulSoup
from bs4.element import Tag

from ingest.clean import clean_text
from ingest.documents import DocType, LoadedDocument
from ingest.loaders.common import SectionTracker, decode_text, title_from_stem

_NOISE = (
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "noscript",
    "iframe",
    "svg",
    "button",
)
_BLOCKS = ("p", "li", "td", "th", "pre", "blockquote", "dd", "dt", "figcaption")
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


def load(data: bytes, stem: str) -> LoadedDocument:
    """Load an HTML page."""
    soup = BeautifulSoup(decode_text(data), "lxml")
    for tag in soup.find_all(_NOISE):
        tag.decompose()
    page_title = clean_text(soup.title.get_text(" ")) if soup.title else ""
    root = soup.find("main") or soup.find("article") or soup.body or soup
    first_h1 = root.find("h1") if isinstance(root, Tag) else None
    title = page_title or (clean_text(first_h1.get_text(" ")) if first_h1 else "")
    tracker = SectionTracker(title=title)
    for element in root.find_all([*_HEADINGS, *_BLOCKS]) if isinstance(root, Tag) else []:
        # A <p> inside an <li> would be read twice: only take innermost block elements.
        if element.name in _BLOCKS and element.find(_BLOCKS):
            continue
        text = clean_text(element.get_text(" "))
        if not text:
            continue
        if element.name in _HEADINGS:
            tracker.heading(_HEADINGS[element.name], text)
        else:
            tracker.add(text)
            tracker.paragraph_break()
    tracker.flush()
    return LoadedDocument(
        source=stem,
        doc_type=DocType.PLAYBOOK,
        title=tracker.title or title_from_stem(stem),
        blocks=tracker.blocks,
    )
