"""The offline answer: an FAQ's own answer, or the most relevant sentences of the best passage."""

from __future__ import annotations

from bot.answering.retrieval import Hit, Retrieval
from ingest.chunk import join_sentences, split_sentences
from ingest.text import tokenize


def extract_answer(retrieval: Retrieval, *, max_chars: int) -> str:
    """The answer text for the top hit, at most about ``max_chars`` characters."""
    if not retrieval.hits:
        return ""
    top = retrieval.hits[0]
    if top.chunk.doc_type == "faq" and top.chunk.metadata.get("faq_answer"):
        return top.chunk.metadata["faq_answer"].strip()
    return best_window(top, query_tokens=retrieval.tokens, idf=_idf_lookup(retrieval), max_chars=max_chars)


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


def best_window(hit: Hit, *, query_tokens: list[str], idf: dict[str, float], max_chars: int) -> str:
    """The run of consecutive sentences around the sentence that best matches the question."""
    text = hit.chunk.text.strip()
    if len(text) <= max_chars:
        return text
    sentences = split_sentences(text)
    if not sentences:
        return text[:max_chars]
    wanted = set(query_tokens)

    def weight(sentence: str) -> float:
        return sum(idf.get(token, 1.0) for token in set(tokenize(sentence)) & wanted)

    scores = [weight(sentence) for sentence in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    if scores[best] == 0:
        best = 0
    start, end = best, best + 1
    length = len(sentences[best])
    # Grow the window towards the better-scoring neighbour, preferring the following sentence
    # (explanations usually come after the sentence that names the topic).
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
    joined = join_sentences(sentences[start:end])
    if len(joined) > max_chars:
        joined = joined[: max_chars - 1].rstrip() + "…"
    return joined
