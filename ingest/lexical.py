"""The lexical side of the index: BM25 over jieba tokens, and what of an FAQ entry it matches."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence, Set
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ingest.chunk import Chunk
from ingest.text import is_intent_word


class LexicalIndex:
    """Okapi BM25 over pre-tokenised documents, stored as a sparse doc x term weight matrix.

    Weights are precomputed at build time so a query is one column slice and a sum. It also
    answers "how much of the question does this passage cover", which confidence needs and a
    black-box BM25 library would not expose.
    """

    def __init__(
        self, *, vocabulary: dict[str, int], idf: npt.NDArray[np.float64], weights: sparse.csc_matrix
    ) -> None:
        self.vocabulary = vocabulary
        self.idf = idf
        self.weights = weights
        self.size = int(weights.shape[0])
        # An unseen term is rarer than any seen one; give it the idf of a term in no document.
        self.unknown_idf = math.log(1.0 + (self.size + 0.5) / 0.5) if self.size else 1.0
        self._by_row: sparse.csr_matrix | None = None

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        """Build from token lists, one per document."""
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[float] = []
        lengths = np.zeros(len(documents), dtype=np.float64)
        for row, tokens in enumerate(documents):
            lengths[row] = len(tokens)
            term_counts: dict[int, int] = {}
            for token in tokens:
                col = vocabulary.setdefault(token, len(vocabulary))
                term_counts[col] = term_counts.get(col, 0) + 1
            for col, count in term_counts.items():
                rows.append(row)
                cols.append(col)
                counts.append(float(count))
        n_docs = len(documents)
        tf = sparse.csc_matrix((counts, (rows, cols)), shape=(n_docs, len(vocabulary)), dtype=np.float64)
        df = np.diff(tf.indptr).astype(np.float64)
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        avg_length = float(lengths.mean()) if n_docs else 0.0
        weights = tf.copy()
        if n_docs:
            norm = k1 * (1.0 - b + b * lengths / max(avg_length, 1e-9))
            doc_of_entry = weights.indices
            freq = weights.data
            weights.data = idf[np.repeat(np.arange(len(vocabulary)), np.diff(weights.indptr))] * (
                freq * (k1 + 1.0) / (freq + norm[doc_of_entry])
            )
        return cls(vocabulary=vocabulary, idf=idf, weights=weights)

    def term_ids(self, tokens: Sequence[str]) -> list[int]:
        """Column ids of the known tokens, each once."""
        seen: dict[int, None] = {}
        for token in tokens:
            col = self.vocabulary.get(token)
            if col is not None:
                seen[col] = None
        return list(seen)

    def scores(self, tokens: Sequence[str]) -> npt.NDArray[np.float64]:
        """BM25 score of every document for the query tokens."""
        ids = self.term_ids(tokens)
        if not ids or not self.size:
            return np.zeros(self.size, dtype=np.float64)
        return np.asarray(self.weights[:, ids].sum(axis=1)).ravel()

    def coverage(self, tokens: Sequence[str], row: int) -> float:
        """Share of the query's idf mass whose terms occur in document ``row`` (0..1).

        Intent words ("多久", "谁") are left out: they rank, but they are not topic, and counting
        them would make "火锅要多久" look half-covered by any passage that says 多久. So is an
        unknown compound ("长时间") whose parts are also query tokens ("时间"): jieba's search
        mode emits both, and counting the compound would punish a question for a word the library
        spells in pieces.
        """
        if not self.size:
            return 0.0
        if self._by_row is None:
            self._by_row = self.weights.tocsr()
        present = set(self._by_row.indices[self._by_row.indptr[row] : self._by_row.indptr[row + 1]].tolist())
        return self._share(tokens, lambda token, col: col is not None and col in present)

    def coverage_by(self, tokens: Sequence[str], terms: Set[str]) -> float:
        """Share of the query's idf mass (weighted as in this index) whose terms are in ``terms``:
        ``coverage`` for a text that is none of the index's documents (a learned phrasing)."""
        return self._share(tokens, lambda token, col: token in terms)

    def _share(self, tokens: Sequence[str], covered: Callable[[str, int | None], bool]) -> float:
        unique = list(dict.fromkeys(tokens))
        if not unique or not self.size:
            return 0.0
        total = 0.0
        matched = 0.0
        for token in unique:
            if is_intent_word(token):
                continue
            col = self.vocabulary.get(token)
            if col is None and any(other != token and other in token for other in unique):
                continue
            weight = self.unknown_idf if col is None else float(self.idf[col])
            total += weight
            if covered(token, col):
                matched += weight
        return matched / total if total else 0.0

    def save(self, path: Path) -> None:
        """Write ``<path>.npz`` and ``<path>.json``."""
        sparse.save_npz(path.with_suffix(".npz"), self.weights)
        payload = {"vocabulary": self.vocabulary, "idf": self.idf.tolist()}
        path.with_suffix(".json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        """Read what ``save`` wrote."""
        weights = sparse.load_npz(path.with_suffix(".npz")).tocsc()
        payload = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return cls(
            vocabulary={str(k): int(v) for k, v in payload["vocabulary"].items()},
            idf=np.asarray(payload["idf"], dtype=np.float64),
            weights=weights,
        )


def faq_question_text(chunk: Chunk) -> str:
    """The text the FAQ-question index matches: the question and its alternative phrasings."""
    return "\n".join(
        part
        for part in (chunk.metadata.get("faq_question", ""), chunk.metadata.get("alternatives", ""))
        if part
    )


def faq_key(chunk: Chunk) -> str | None:
    """What names an FAQ entry across re-ingests (its chunk id changes with every edit of the
    answer): its file and its ``id``, or its question when it has none. None for other passages."""
    if chunk.doc_type != "faq":
        return None
    return f"{chunk.source}#{chunk.metadata.get('faq_id') or chunk.metadata.get('faq_question') or chunk.section}"
