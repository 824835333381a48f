"""Split loaded documents into search chunks.

Chunks never cross a section, end on sentence boundaries (Chinese 。！？；and English . ! ? ;),
overlap by whole sentences, and carry their document title and section path so a passage read
on its own still says where it comes from. An FAQ pair is always exactly one chunk.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from ingest.documents import Block, DocType, FaqEntry, LoadedDocument
from ingest.text import detect_language

# A sentence ends after Chinese or English terminal punctuation (plus closing quotes/brackets),
# or at a line break: list items and short lines in playbooks are sentences of their own.
_SENTENCE_END_RE = re.compile(r"(?<=[。！？；!?;])[”’」』）)\]]*|(?<=\.)[”’)\]]*(?=\s)|\n+")
_SOFT_BREAK_RE = re.compile(r"(?<=[，、,：:])")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One searchable passage; ``text`` is shown to people, ``search_text`` is what gets indexed."""

    id: str
    source: str
    doc_type: str
    title: str
    section: str
    text: str
    lang: str
    position: int
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def search_text(self) -> str:
        """Title and section first: a passage about "pace" under "Rollout > Risks" should match "rollout risks"."""
        heading = " > ".join(part for part in (self.title, self.section) if part)
        extra = self.metadata.get("alternatives", "")
        return "\n".join(part for part in (heading, extra, self.text) if part)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the chunk store."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chunk:
        """Inverse of ``to_json``."""
        return cls(**data)


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, keeping the punctuation with the sentence it ends."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.end()
        piece = text[start:end].strip()
        if piece:
            pieces.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def _hard_split(sentence: str, size: int) -> Iterator[str]:
    # A "sentence" longer than a chunk (tables, run-on text): cut at commas if possible, else by length.
    if len(sentence) <= size:
        yield sentence
        return
    current = ""
    for part in _SOFT_BREAK_RE.split(sentence):
        while len(part) > size:
            if current:
                yield current
                current = ""
            yield part[:size]
            part = part[size:]
        if len(current) + len(part) > size and current:
            yield current
            current = ""
        current += part
    if current:
        yield current


def join_sentences(sentences: list[str]) -> str:
    """Join sentences back into text: no space between Chinese ones, one between English ones."""
    out = ""
    for sentence in sentences:
        if out and (out[-1].isascii() and out[-1] not in "\n") and sentence[:1].isascii():
            out += " "
        out += sentence
    return out


def pack_sentences(sentences: list[str], *, size: int, overlap: int) -> list[str]:
    """Pack sentences into pieces of at most ``size`` characters, repeating up to ``overlap`` characters."""
    units = [piece for sentence in sentences for piece in _hard_split(sentence, size)]
    pieces: list[str] = []
    current: list[str] = []
    length = 0
    for unit in units:
        if current and length + len(unit) > size:
            pieces.append(join_sentences(current))
            carried: list[str] = []
            carried_len = 0
            for previous in reversed(current):
                if carried_len + len(previous) > overlap:
                    break
                carried.insert(0, previous)
                carried_len += len(previous)
            # Never carry so much that the next unit cannot fit.
            while carried and carried_len + len(unit) > size:
                carried_len -= len(carried.pop(0))
            current, length = carried, carried_len
        current.append(unit)
        length += len(unit)
    if current:
        pieces.append(join_sentences(current))
    return pieces


def _chunk_id(source: str, section: str, text: str, seen: dict[str, int]) -> str:
    digest = hashlib.sha256(f"{source}\x00{section}\x00{text}".encode()).hexdigest()[:20]
    # Identical passages in one file (a repeated disclaimer) still need distinct ids.
    count = seen.get(digest, 0)
    seen[digest] = count + 1
    return digest if count == 0 else f"{digest}-{count}"


def _merge_blocks(blocks: list[Block]) -> list[Block]:
    merged: list[Block] = []
    for block in blocks:
        if merged and merged[-1].section == block.section:
            merged[-1] = Block(text=merged[-1].text + "\n" + block.text, section=block.section)
        else:
            merged.append(block)
    return merged


def _faq_chunk(doc: LoadedDocument, entry: FaqEntry, position: int, seen: dict[str, int]) -> Chunk:
    text = f"{entry.question}\n{entry.answer}"
    lang = entry.lang or doc.lang or detect_language(text)
    metadata = {
        "faq_question": entry.question,
        "faq_answer": entry.answer,
        "alternatives": "\n".join(entry.alternatives),
        "tags": ",".join(entry.tags),
        "faq_id": entry.entry_id,
    }
    # Who the entry answers for: retrieval leaves a scoped entry out for askers outside that unit.
    for key, value in (("scope", entry.scope), ("owner", entry.owner), ("created", entry.created),
                       ("review_by", entry.review_by), ("status", entry.status)):  # fmt: skip
        if value:
            metadata[key] = value
    for key in ("audience",):
        if key in doc.metadata:
            metadata[key] = doc.metadata[key]
    return Chunk(
        id=_chunk_id(doc.source, entry.entry_id or entry.question, text, seen),
        source=doc.source,
        doc_type=DocType.FAQ.value,
        title=doc.title,
        section=entry.question,
        text=text,
        lang=lang,
        position=position,
        metadata=metadata,
    )


def chunk_document(doc: LoadedDocument, *, size: int = 400, overlap: int = 80) -> list[Chunk]:
    """Turn one loaded document into chunks, in reading order.

    Args:
        doc: the loaded, cleaned document.
        size: the most characters of body text in one chunk.
        overlap: how many characters of whole sentences a chunk repeats from the one before.
    """
    if overlap >= size:
        raise ValueError("chunk overlap must be smaller than the chunk size")
    seen: dict[str, int] = {}
    chunks: list[Chunk] = []
    for entry in doc.faqs:
        chunks.append(_faq_chunk(doc, entry, len(chunks), seen))
    metadata = {key: value for key, value in doc.metadata.items() if value}
    for block in _merge_blocks(doc.blocks):
        for piece in pack_sentences(split_sentences(block.text), size=size, overlap=overlap):
            chunks.append(
                Chunk(
                    id=_chunk_id(doc.source, block.section, piece, seen),
                    source=doc.source,
                    doc_type=doc.doc_type.value,
                    title=doc.title,
                    section=block.section,
                    text=piece,
                    lang=doc.lang or detect_language(piece),
                    position=len(chunks),
                    metadata=metadata,
                )
            )
    return chunks
