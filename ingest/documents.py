"""The shapes that flow through ingestion: loaded documents, their blocks, and chunks."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class DocType(StrEnum):
    """What kind of knowledge a document is; drives ranking and how answers are phrased."""

    PLAYBOOK = "playbook"
    FAQ = "faq"
    CASE = "case"


@dataclass(frozen=True, slots=True)
class Block:
    """A run of body text under one heading path.

    Loaders emit blocks in reading order; the chunker splits and packs them. ``section`` is the
    heading path from the top ("Pacing > The 1-3-9-27 model"), empty for text before any heading.
    """

    text: str
    section: str = ""


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question-answer pair from a structured FAQ file; always indexed as one chunk."""

    question: str
    answer: str
    entry_id: str = ""
    alternatives: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    lang: str = ""
    # Governance (optional): the unit it answers for (empty = everyone), who owns it, when it was
    # written and when it should be looked at again, and whether the change team has reviewed it.
    scope: str = ""
    owner: str = ""
    created: str = ""  # ISO date
    review_by: str = ""  # ISO date
    status: str = ""  # "" (official) or "review" (written by a manager, not yet reviewed)


@dataclass(slots=True)
class LoadedDocument:
    """A file's content after loading and cleaning, before chunking.

    A document holds either ``blocks`` (prose) or ``faqs`` (structured pairs), never both.
    ``source`` is the path relative to the knowledge root, with forward slashes: it names the
    document in citations and keys its chunks, so it must not depend on where the library lives.
    """

    source: str
    doc_type: DocType
    title: str
    lang: str = ""
    blocks: list[Block] = field(default_factory=list)
    faqs: list[FaqEntry] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


class LoaderError(Exception):
    """A file could not be turned into a document; the message says why, for the person who owns the file."""
