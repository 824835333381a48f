"""Wordings of FAQ questions learned from use, searched beside the library.

When an asker presses "helpful" under an FAQ answer, or a manager answers an escalated question
with an existing FAQ, the asker's own words ("上头到底图啥，非让咱折腾这一出") become another way
of asking that FAQ ("为什么要上线服务中台？"). Staff talk alike, so the next person who words it
that way should get the answer, not "did you mean".

They live in the database (``bot.questions.phrasings``), not in the change team's hand-edited FAQ
files, and are searched from memory: a new phrasing counts from the next question on, in every
process, with no re-ingest. A phrasing points at an FAQ by its ``faq_key``, so it follows the
entry through edits of its answer, and it answers only where its FAQ does: a phrasing of a store's
own FAQ is filtered out with that FAQ for everybody outside the store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ingest.embedding import Embedder, EmbeddingModelError, Vectors
from ingest.index import IndexSnapshot
from ingest.text import fold, tokenize

logger = logging.getLogger(__name__)

# A question whose characters (punctuation, spaces, script and sentence particles aside) share
# this much with a learned phrasing, counted in character pairs, is the same wording: a person
# already confirmed which FAQ answers it. Characters, not words: the segmenter cuts "课得" in
# "培训课得耗掉" but "课" and "得" in "培训课，得耗掉".
SAME_WORDING = 0.9
_PARTICLES = frozenset("啊呀呢吧吗嘛哦啦么哈")


def _pairs(text: str) -> frozenset[str]:
    """Character pairs of ``text`` folded to Simplified lower case, without punctuation or particles."""
    kept = "".join(ch for ch in fold(text) if ch.isalnum() and ch not in _PARTICLES)
    return frozenset(kept[i : i + 2] for i in range(len(kept) - 1)) if len(kept) > 1 else frozenset(kept)


def _alike(pa: frozenset[str], pb: frozenset[str]) -> bool:
    return bool(pa and pb) and 2 * len(pa & pb) / (len(pa) + len(pb)) >= SAME_WORDING


def same_wording(a: str, b: str) -> bool:
    """Whether two questions are worded the same (Dice overlap of their character pairs)."""
    return _alike(_pairs(a), _pairs(b))


@dataclass(frozen=True, slots=True)
class Phrasing:
    """One learned wording of an FAQ."""

    faq_key: str
    text: str


class PhrasingSource(Protocol):
    """Where the learned phrasings are kept (the database)."""

    def revision(self) -> str:
        """Changes whenever a phrasing is added, retired or restored (cheap: asked per question)."""
        ...

    def active(self) -> Sequence[Phrasing]:
        """The phrasings in use."""
        ...


@dataclass(frozen=True, slots=True)
class PhrasingMatch:
    """How one FAQ's learned phrasings match a question (the best of them)."""

    row: int
    coverage: float
    """Share of the question's topic words the phrasing holds, weighted as the library weighs them."""
    same_wording: bool
    similarity: float | None
    """Cosine of the question and the phrasing (None when dense search did not run)."""


@dataclass(frozen=True, slots=True)
class _Loaded:
    revision: str
    phrasings: tuple[Phrasing, ...]
    tokens: tuple[frozenset[str], ...]
    pairs: tuple[frozenset[str], ...]
    vectors: Vectors | None


class LearnedPhrasings:
    """The learned phrasings in memory, reloaded when the source's revision moves."""

    def __init__(self, *, source: PhrasingSource, embedder: Embedder) -> None:
        self._source = source
        self._embedder = embedder
        self._loaded: _Loaded | None = None
        self._vector_of: dict[str, Vectors] = {}
        self._lock = threading.Lock()

    def warm_up(self) -> int:
        """Load and embed every active phrasing now (at start-up), so the first question after a
        restart does not wait for all of them; returns how many there are."""
        return len(self._current().phrasings)

    def _current(self) -> _Loaded:
        revision = self._source.revision()
        with self._lock:
            if self._loaded is None or self._loaded.revision != revision:
                phrasings = tuple(self._source.active())
                self._loaded = _Loaded(
                    revision=revision,
                    phrasings=phrasings,
                    tokens=tuple(frozenset(tokenize(p.text)) for p in phrasings),
                    pairs=tuple(_pairs(p.text) for p in phrasings),
                    vectors=self._vectors(phrasings),
                )
            return self._loaded

    def _vectors(self, phrasings: Sequence[Phrasing]) -> Vectors | None:
        # Each wording is embedded once per process (as a query: it is one), then kept.
        missing = [p.text for p in phrasings if p.text not in self._vector_of]
        if missing:
            try:
                for text, vector in zip(
                    missing, (self._embedder.embed_query(t) for t in missing), strict=True
                ):
                    self._vector_of[text] = vector
            except EmbeddingModelError as exc:
                logger.warning("learned phrasings searched by their words only: %s", exc)
                return None
        if not phrasings:
            return None
        return np.stack([self._vector_of[p.text] for p in phrasings])

    def matches(
        self,
        snapshot: IndexSnapshot,
        *,
        question: str,
        tokens: Sequence[str],
        vector: Vectors | None,
        allowed: np.ndarray | None = None,
    ) -> list[PhrasingMatch]:
        """The FAQs whose learned phrasings match the question, best first (one entry per FAQ).

        Args:
            snapshot: the live generation (a phrasing of an FAQ no longer in it is skipped).
            question: the question as asked.
            tokens: the question's tokens.
            vector: the question's vector, or None.
            allowed: the rows the asker may see (None: all).
        """
        loaded = self._current()
        if not loaded.phrasings:
            return []
        similarities = None
        if vector is not None and loaded.vectors is not None and loaded.vectors.shape[1] == vector.shape[0]:
            similarities = loaded.vectors @ vector
        best: dict[int, PhrasingMatch] = {}
        question_pairs = _pairs(question)
        for position, phrasing in enumerate(loaded.phrasings):
            row = snapshot.row_of_faq.get(phrasing.faq_key)
            if row is None or (allowed is not None and not allowed[row]):
                continue
            coverage = snapshot.lexical.coverage_by(tokens, loaded.tokens[position])
            same = _alike(loaded.pairs[position], question_pairs)
            similarity = float(similarities[position]) if similarities is not None else None
            match = PhrasingMatch(row=row, coverage=coverage, same_wording=same, similarity=similarity)
            previous = best.get(row)
            if previous is None or _strength(match) > _strength(previous):
                best[row] = match
        return sorted(best.values(), key=_strength, reverse=True)


def _strength(match: PhrasingMatch) -> tuple[bool, float]:
    return match.same_wording, match.coverage + (match.similarity or 0.0)
