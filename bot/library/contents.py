"""What the live index holds: documents with their chunks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.answering.factory import KnowledgeCore
from ingest.chunk import Chunk


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
