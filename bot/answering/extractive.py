"""The offline answer: the sentences of the best passage (or FAQ answer) that answer the question,
short enough to read on a phone, with the whole passage kept for "more"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.answering.retrieval import Retrieval
from ingest.chunk import join_sentences, split_sentences
from ingest.text import tokenize

# Indexing flattens list items into one line ("问题集中在五处: 1.太快:… 2.一刀切:…"); in an answer
# they read better one per line again. A marker counts after a sentence end, a colon or a space.
_LIST_ITEM_RE: Final = re.compile(
    # A colon after a digit is a time ("23:00)"), not the end of a list's introduction.
    r"(?:(?<=[。；;！？!?])|(?<=\D[：:]))\s*(?=(?:\d{1,2}[.、)](?!\d)|[•·▪]\s?|-\s))|\s+(?=\d{1,2}[.、](?!\d)\S)"
)
# An answer that opens with a verdict ("Yes.", "不会。", "可以的！") gives it before its reasons; the
# verdict names no topic, so it would never be picked on its own and the short answer would lose it.
_VERDICT_RE: Final = re.compile(
    r"^(?:yes|no|yes and no|not really|not yet|sure|of course|absolutely|"
    r"是的?|对|不是|会|不会|能|不能|可以|不可以|不行|要|不要|需要|不需要|不用|没有|有|算|不算|当然)"
    r"(?:的|啊|呀|哦)?[\s,，.。!！]*$",
    re.IGNORECASE,
)
# Where a sentence too long to show whole may be cut: after a clause.
_CLAUSE_END_RE: Final = re.compile(r"(?<=[，、；：,;:])")


@dataclass(frozen=True, slots=True)
class Extract:
    """What the asker reads first, and the whole text it was taken from ("more")."""

    short: str
    full: str

    @property
    def has_more(self) -> bool:
        """Whether "more" would show anything the short answer leaves out."""
        return self.full.strip() != self.short.strip()


def as_lines(text: str) -> str:
    """``text`` with flattened list items back on lines of their own."""
    return _LIST_ITEM_RE.sub("\n", text).strip()


def extract_answer(retrieval: Retrieval, *, max_chars: int) -> Extract:
    """The answer for the top hit: at most about ``max_chars`` characters of whole sentences."""
    if not retrieval.hits:
        return Extract(short="", full="")
    top = retrieval.hits[0]
    idf = _idf_lookup(retrieval)
    if top.chunk.doc_type == "faq" and top.chunk.metadata.get("faq_answer"):
        full = top.chunk.metadata["faq_answer"].strip()
    else:
        full = top.chunk.text.strip()
    short = best_window(full, query_tokens=retrieval.tokens, idf=idf, max_chars=max_chars)
    return Extract(short=as_lines(short), full=as_lines(full))


def _idf_lookup(retrieval: Retrieval) -> dict[str, float]:
    snapshot = retrieval.snapshot
    if snapshot is None:
        return {}
    lexical = snapshot.lexical
    return {
        token: float(lexical.idf[lexical.vocabulary[token]])
        if token in lexical.vocabulary
        else lexical.unknown_idf
        for token in retrieval.tokens
    }


def best_window(text: str, *, query_tokens: list[str], idf: dict[str, float], max_chars: int) -> str:
    """The run of whole consecutive sentences around the sentence that best matches the question.

    Grows towards the better-scoring neighbour while it fits in ``max_chars``. A single sentence
    longer than that is cut after a clause, with "…" (the whole passage is one tap away).
    """
    text = text.strip()
    if len(text) <= max_chars:
        return text
    sentences = _whole_sentences(split_sentences(text))
    if not sentences:
        return _cut_at_clause(text, max_chars)
    wanted = set(query_tokens)

    def weight(sentence: str) -> float:
        return sum(idf.get(token, 1.0) for token in set(tokenize(sentence)) & wanted)

    scores = [weight(sentence) for sentence in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    if scores[best] == 0:
        best = 0
    # A sentence that introduces a list ("问题集中在五处:") is worth little without its items.
    if len(sentences[best]) > max_chars:
        return _cut_at_clause(sentences[best], max_chars)
    start, end = best, best + 1
    length = len(sentences[best])
    # Prefer the following sentence: explanations usually come after the sentence naming the topic.
    while True:
        after = sentences[end] if end < len(sentences) else None
        before = sentences[start - 1] if start > 0 else None
        if (
            after is not None
            and length + len(after) <= max_chars
            and (before is None or scores[end] >= scores[start - 1])
        ):
            end += 1
            length += len(after)
        elif before is not None and length + len(before) <= max_chars:
            start -= 1
            length += len(before)
        elif after is not None and length + len(after) <= max_chars:
            end += 1
            length += len(after)
        else:
            break
    return join_sentences(sentences[start:end])


def _whole_sentences(pieces: list[str]) -> list[str]:
    """The pieces ``split_sentences`` gives, joined back where a piece does not start a sentence.

    It splits English at ";" and after abbreviations, where the next piece goes on in lower case
    ("…in a spreadsheet; and two complaints…"): an answer starting there starts mid-sentence. A
    passage whose first piece goes on from the passage before it (chunks overlap) loses that piece,
    which the passage before holds whole.
    """
    sentences: list[str] = []
    for piece in pieces:
        if sentences and _continues(piece):
            sentences[-1] = join_sentences([sentences[-1], piece])
        else:
            sentences.append(piece)
    if len(sentences) > 1 and _continues(sentences[0]):
        sentences = sentences[1:]
    if len(sentences) > 1 and _VERDICT_RE.match(sentences[0].strip()):
        sentences[:2] = [join_sentences(sentences[:2])]
    return sentences


def _continues(piece: str) -> bool:
    return piece[:1].isascii() and piece[:1].islower()


def _cut_at_clause(sentence: str, max_chars: int) -> str:
    clauses = [part for part in _CLAUSE_END_RE.split(sentence) if part]
    kept = ""
    for clause in clauses:
        if kept and len(kept) + len(clause) > max_chars - 1:
            break
        kept += clause
    if len(kept) > max_chars - 1:  # one clause longer than the limit: cut it, but not a number
        kept = kept[: max_chars - 1]
        while kept and kept[-1].isalnum() and kept[-1].isascii():
            kept = kept[:-1]
    return kept.rstrip("，、；：,;: ") + "…"
