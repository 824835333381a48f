"""What the live index holds: documents with their chunks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.answering.factory import KnowledgeCore
from bot.answering.retrieval import SearchFilters
from bot.answering.service import in_script
from ingest.chunk import Chunk
from ingest.text import Language


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    """One indexed document."""

    source: str
    title: str
    doc_type: str
    lang: str
    chunks: int


def documents(core: KnowledgeCore) -> list[DocumentSummary]:
    """Every document in the live index, by source."""
    snapshot = core.retriever.index.snapshot()
    if snapshot is None:
        return []
    grouped: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in snapshot.chunks:
        grouped[chunk.source].append(chunk)
    return [
        DocumentSummary(
            source=source,
            title=chunks[0].title,
            doc_type=chunks[0].doc_type,
            lang=chunks[0].lang,
            chunks=len(chunks),
        )
        for source, chunks in sorted(grouped.items())
    ]


def chunks_of(core: KnowledgeCore, source: str) -> list[Chunk]:
    """The chunks of one document, in order."""
    snapshot = core.retriever.index.snapshot()
    if snapshot is None:
        return []
    return sorted(
        (chunk for chunk in snapshot.chunks if chunk.source == source), key=lambda chunk: chunk.position
    )


@dataclass(frozen=True, slots=True)
class ReadableSection:
    """One section of a document as a reader sees it: its heading and its text, without the
    sentences neighbouring passages repeat; ``anchors`` are the passages' ids (sources link to them)."""

    heading: str
    text: str
    anchors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReadableDocument:
    """A document of the library, whole, in the reader's script."""

    title: str
    sections: tuple[ReadableSection, ...]


def readable_document(
    core: KnowledgeCore, *, source: str, filters: SearchFilters, language: Language
) -> ReadableDocument | None:
    """Document ``source`` as the person behind ``filters`` may read it (FAQs scoped to other units
    and passages for another audience left out), or None when nothing of it is theirs to read."""
    allowed = [chunk for chunk in chunks_of(core, source) if filters.allows(chunk)]
    if not allowed:
        return None
    sections: list[ReadableSection] = []
    for chunk in allowed:
        heading = in_script(chunk.section, passage_language=chunk.lang, language=language)
        text = in_script(
            chunk.metadata.get("faq_answer") or chunk.text, passage_language=chunk.lang, language=language
        )
        if sections and sections[-1].heading == heading and chunk.doc_type != "faq":
            last = sections[-1]
            sections[-1] = ReadableSection(
                heading=heading, text=_without_overlap(last.text, text), anchors=(*last.anchors, chunk.id)
            )
        else:
            sections.append(ReadableSection(heading=heading, text=text, anchors=(chunk.id,)))
    title = in_script(allowed[0].title, passage_language=allowed[0].lang, language=language)
    return ReadableDocument(title=title, sections=tuple(sections))


def _without_overlap(before: str, after: str) -> str:
    """``before`` followed by ``after``, minus the sentences ``after`` repeats from its end (chunks
    of one section overlap by whole sentences)."""
    for size in range(min(len(before), len(after)), 3, -1):
        if before.endswith(after[:size]):
            return before + after[size:]
    return before + "\n" + after
