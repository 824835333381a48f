"""How sure the answerer is that its top passage answers the question (0..1).

Two signals: *coverage*, the share of the question's informative terms (weighted by idf) found in
the passage, and, where dense search counts for the question's language, the passage's cosine
similarity. Off-topic questions ("明天天气怎么样") are mostly made of terms the library never uses,
so their coverage stays low however the ranking turns out. Question words ("多久", "谁") rank but
do not count as covered terms (``ingest.text.is_intent_word``): "火锅要多久" is not half answered by
a passage that says 多久. The threshold that turns the score into "answer" or "I don't know yet" is
chosen on the eval set (``changebot eval --calibrate``).
"""

from __future__ import annotations

from bot.answering.retrieval import Retrieval

# all-MiniLM-L6-v2 cosine similarities on the sample library: off-topic English questions reach
# about 0.2 with their best passage, answerable ones 0.26 and up. Scores map linearly from the
# floor (0) to floor + span (1); another model may need other values (see README).
SIMILARITY_FLOOR = 0.15
SIMILARITY_SPAN = 0.3


def coverage(retrieval: Retrieval, row: int) -> float:
    """Coverage of the question by chunk ``row``, counting an FAQ's question phrasings too (those
    written in the file and those learned from use)."""
    snapshot = retrieval.snapshot
    if snapshot is None or not retrieval.tokens:
        return 0.0
    value = snapshot.lexical.coverage(retrieval.tokens, row)
    faq_position = snapshot.faq_index_of_row.get(row)
    if faq_position is not None:
        value = max(value, snapshot.faq_lexical.coverage(retrieval.tokens, faq_position))
    learned = next((hit.learned_coverage for hit in retrieval.hits if hit.row == row), 0.0)
    return max(value, learned)


def confidence(retrieval: Retrieval) -> float:
    """Confidence that the top hit answers the question."""
    if not retrieval.hits:
        return 0.0
    top = retrieval.hits[0]
    lexical = coverage(retrieval, top.row)
    if retrieval.dense_weight <= 0 or top.dense_similarity is None:
        return round(lexical, 4)
    semantic = min(1.0, max(0.0, (top.dense_similarity - SIMILARITY_FLOOR) / SIMILARITY_SPAN))
    weight = min(retrieval.dense_weight, 1.0)
    return round((lexical + weight * semantic) / (1.0 + weight), 4)
