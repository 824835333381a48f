"""A deterministic, dependency-free stand-in for the sentence-transformers model."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from ingest.embedding import Vectors
from ingest.text import tokenize


class FakeEmbedder:
    """Hashes tokens into a fixed-size bag-of-words vector: texts sharing words are similar.

    Good enough to exercise everything around the model (batching, Chroma, fusion, reconciling
    collections) in milliseconds; the real model is covered by tests marked ``slow``.
    """

    def __init__(
        self, *, dimension: int = 1024, languages: frozenset[str] = frozenset({"en"}), name: str = "fake"
    ) -> None:
        self.dimension = dimension
        self._languages = languages
        self._name = name
        self.documents_embedded = 0
        self.queries_embedded = 0

    @property
    def fingerprint(self) -> str:
        return f"{self._name}-{self.dimension}"

    @property
    def languages(self) -> frozenset[str]:
        return self._languages

    def _vector(self, text: str) -> Vectors:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for token in tokenize(text) or ["<empty>"]:
            bucket = (
                int(hashlib.md5(token.encode(), usedforsecurity=False).hexdigest()[:8], 16) % self.dimension
            )
            vector[bucket] += 1.0
        return vector / np.linalg.norm(vector)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.documents_embedded += len(texts)
        return (
            np.stack([self._vector(text) for text in texts])
            if texts
            else np.zeros((0, self.dimension), np.float32)
        )

    def embed_query(self, text: str) -> Vectors:
        self.queries_embedded += 1
        return self._vector(text)
