"""Small talk told from questions the library cannot answer, by meaning.

"今天天气怎么样" and "讲个笑话呗" share no word with a change library, and neither does a colloquial
question about the change ("系统挂了咋办" against "宕机"), so word-based features cannot tell them
apart: both cover nothing. Their meaning can. A question much closer to everyday small talk
(``small_talk.txt``: weather, food, jokes, the bot itself, never work topics) than to the
library's nearest passage is small talk, and gets the friendly "I only know about the change"
reply instead of a place in the gaps queue.

The comparison is relative, question to examples against question to passages, so it does not
depend on how a model spreads its cosines, and it compares like with like: only examples in the
library's own languages count, because a cross-language cosine is lower than a same-language one
and an English question to a Chinese library would otherwise look closer to English small talk
than to any passage. How much closer counts is fitted on the tuning half with the confidence model
(``ConfidenceModel.small_talk_above``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.answering.retrieval import Retrieval
from ingest.embedding import Embedder, EmbeddingModelError, Vectors
from ingest.text import CHINESE, detect_language

EXAMPLES_FILE = Path(__file__).with_name("small_talk.txt")


def load_examples(path: Path = EXAMPLES_FILE) -> list[str]:
    """The example questions in ``path``: one per line, ``#`` comments and blank lines skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


class SmallTalk:
    """How much closer a question is to small talk than to the library (built once, shared)."""

    def __init__(self, *, embedder: Embedder, examples: Sequence[str]) -> None:
        """The examples are embedded on first use, once: a process that never answers never pays."""
        self._embedder = embedder
        self._examples = list(examples)
        self._languages = ["en" if detect_language(text) == "en" else "zh" for text in self._examples]
        self._vectors: Vectors | None = None
        self._lock = threading.Lock()

    def margin(self, retrieval: Retrieval) -> float | None:
        """The question's cosine to its nearest small-talk example in the library's languages,
        minus its cosine to the nearest passage; None when dense search did not run (no vector to
        compare) or no example is in the library's languages."""
        vector, nearest_passage = retrieval.query_vector, retrieval.dense_best
        if vector is None or nearest_passage is None or retrieval.snapshot is None:
            return None
        library = retrieval.snapshot.languages
        wanted = ({"en"} if "en" in library else set()) | ({"zh"} if CHINESE & library else set())
        rows = [row for row, language in enumerate(self._languages) if language in wanted]
        examples = self._embedded()
        if not rows or examples is None:
            return None
        return float(np.max(examples[rows] @ vector)) - nearest_passage

    def warm_up(self) -> None:
        """Embed the examples now (at process start) rather than on the first question."""
        self._embedded()

    def _embedded(self) -> Vectors | None:
        with self._lock:
            if self._vectors is None and self._examples:
                try:
                    self._vectors = np.vstack([self._embedder.embed_query(text) for text in self._examples])
                except EmbeddingModelError:
                    return (
                        None  # the retriever has said so in the log; no vector came with the question either
                    )
            return self._vectors
