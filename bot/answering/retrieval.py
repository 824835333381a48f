"""Hybrid retrieval: BM25 and dense search fused by what each is good at.

Plain reciprocal-rank fusion of a strong and a weak retriever drags the result towards the weak
one. The packaged English embedding model is weak on Chinese, so dense search only gets weight for
questions in the languages the model declares (``CHANGEBOT_EMBEDDING_LANGUAGES``); with a
multilingual model configured, both sides count for every language.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from bot.errors import KnowledgeUnavailableError
from ingest.chunk import Chunk
from ingest.embedding import Embedder, EmbeddingModelError, Vectors
from ingest.index import IndexSnapshot, IndexStore
from ingest.lexical import LexicalIndex
from ingest.text import CHINESE, Language, detect_language, intent_synonyms, is_intent_word, tokenize
from ingest.vectors import VectorStore, VectorStoreUnavailableError

if TYPE_CHECKING:
    from bot.answering.phrasings import LearnedPhrasings

logger = logging.getLogger(__name__)

Mode = Literal["hybrid", "lexical", "dense"]


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrict results by document type, language or audience (None = no restriction), and say
    which units the asker belongs to: an FAQ scoped to a unit (a manager's answer for their stores)
    only answers people in that unit or below, so ``units`` holds the asker's unit and every unit
    above it. Nobody known (the CLI, an open kiosk) sees no scoped entry."""

    doc_types: frozenset[str] | None = None
    languages: frozenset[str] | None = None
    audience: str | None = None
    units: frozenset[str] = frozenset()

    def allows(self, chunk: Chunk) -> bool:
        """Whether a chunk passes the filters."""
        scope = chunk.metadata.get("scope")
        if scope and scope not in self.units:
            return False
        if self.doc_types is not None and chunk.doc_type not in self.doc_types:
            return False
        if self.languages is not None and chunk.lang not in self.languages:
            return False
        if self.audience is not None:
            audience = chunk.metadata.get("audience", "") or "all"
            allowed = {part.strip() for part in audience.split(",")}
            if "all" not in allowed and self.audience not in allowed:
                return False
        return True

    def chroma_where(self) -> dict[str, Any] | None:
        """The same filters as a Chroma ``where`` clause, so dense search filters before ranking."""
        clauses: list[dict[str, Any]] = []
        if self.doc_types is not None:
            clauses.append({"doc_type": {"$in": sorted(self.doc_types)}})
        if self.languages is not None:
            clauses.append({"lang": {"$in": sorted(self.languages)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


NO_FILTERS = SearchFilters()


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """How much each ranked list counts in the fusion."""

    lexical: float = 1.0
    faq_question: float = 0.3
    dense: float = 1.0
    dense_unserved: float = 0.0
    # Multilingual models rank passages in the question's own language first: an English question
    # finds the short English summary before the Chinese passage that holds the detail. For English
    # questions a second dense list over the Chinese passages only, at this share of the dense
    # weight, gives the best Chinese passage a rank of its own. (The other way round it hurts: in a
    # mostly Chinese library, Chinese questions lose more to English summaries than they gain.)
    dense_crosslingual: float = 0.0
    rrf_k: int = 10
    # BM25 weight of intent words ("多久", "谁") relative to topic words. Enough to put "培训要多久"
    # above "培训算不算上班时间" for "培训要多久", too little to let prose that happens to say
    # 怎么 or 哪 outrank a better topic match: 0.1 to 0.2 keep the sample eval set as it was.
    intent: float = 0.15
    # English questions: weight of a BM25 list over the question's words translated into Chinese
    # by a dictionary (``ingest.crosslingual``), so a Chinese passage is found by its words too.
    translated: float = 0.0


@dataclass(slots=True)
class Hit:
    """One retrieved chunk with the evidence behind its rank."""

    chunk: Chunk
    row: int
    score: float = 0.0
    lexical_rank: int | None = None
    faq_rank: int | None = None
    dense_rank: int | None = None
    dense_similarity: float | None = None
    translated_rank: int | None = None
    learned_coverage: float = 0.0
    """How much of the question a learned phrasing of this FAQ covers (``phrasings``)."""
    same_wording: bool = False
    """A learned phrasing of this FAQ is the question's own wording: a person confirmed the answer."""


@dataclass(slots=True)
class Retrieval:
    """The outcome of one search."""

    question: str
    language: Language
    tokens: list[str]
    hits: list[Hit]
    dense_weight: float
    snapshot: IndexSnapshot | None = field(default=None, repr=False)
    dense_floor: float | None = None
    """The lowest cosine among dense search's candidates: at least as high as that of any passage it
    did not rank (None when dense search did not run)."""
    dense_best: float | None = None
    """The highest cosine of any passage dense search looked at, in any language (None: it did not run)."""
    query_vector: Vectors | None = field(default=None, repr=False)
    """The question's vector when dense search ran."""


class LiveIndex:
    """The current index generation, reloaded when an ingest (in any process) makes a new one live."""

    def __init__(self, *, store: IndexStore) -> None:
        self._store = store
        self._snapshot: IndexSnapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> IndexSnapshot | None:
        """The live generation; cheap when nothing changed (one small file read)."""
        name = self._store.current_name()
        with self._lock:
            if name is None:
                self._snapshot = None
            elif self._snapshot is None or self._snapshot.name != name:
                self._snapshot = self._store.load()
            return self._snapshot


class HybridRetriever:
    """Ranks chunks for a question from BM25, FAQ-question BM25 and dense search."""

    def __init__(
        self,
        *,
        index: LiveIndex,
        vectors: VectorStore,
        embedder: Embedder,
        weights: FusionWeights,
        candidates: int = 30,
        phrasings: LearnedPhrasings | None = None,
    ) -> None:
        self.index = index
        self.phrasings = phrasings
        self._vectors = vectors
        self._embedder = embedder
        self._weights = weights
        self._candidates = candidates
        self._model_failed = False

    def dense_weight_for(self, language: str) -> float:
        """Fusion weight of dense search for a question in ``language``."""
        if language in self._embedder.languages:
            return self._weights.dense
        return self._weights.dense_unserved

    def search(
        self,
        question: str,
        *,
        k: int,
        language: Language | None = None,
        filters: SearchFilters = NO_FILTERS,
        mode: Mode = "hybrid",
    ) -> Retrieval:
        """Rank chunks for ``question``.

        Args:
            question: the question as asked.
            k: how many hits to return.
            language: the question's language; detected when None.
            filters: restrictions on doc type, language, audience.
            mode: "hybrid", or a single retriever for evaluation.
        """
        language = language or detect_language(question)
        tokens = tokenize(question)
        snapshot = self.index.snapshot()
        dense_weight = (
            1.0 if mode == "dense" else 0.0 if mode == "lexical" else self.dense_weight_for(language)
        )
        if snapshot is None or not snapshot.chunks:
            return Retrieval(
                question=question, language=language, tokens=tokens, hits=[], dense_weight=dense_weight
            )

        mask = self._mask(snapshot, filters)
        hits: dict[int, Hit] = {}
        rrf_k = self._weights.rrf_k

        def hit(row: int) -> Hit:
            if row not in hits:
                hits[row] = Hit(chunk=snapshot.chunks[row], row=row)
            return hits[row]

        best_match = 0.0  # the most of the question any passage covers in the question's own words
        if mode in ("hybrid", "lexical"):
            lexical_scores = self._lexical_scores(snapshot.lexical, tokens)
            for rank, row in enumerate(self._top(lexical_scores, mask), start=1):
                entry = hit(row)
                entry.lexical_rank = rank
                # Rank alone forgets whether a passage matched one word of the question or all of
                # them; half of the vote depends on how much of the question it covers.
                match = snapshot.lexical.coverage(tokens, row)
                best_match = max(best_match, match)
                entry.score += self._weights.lexical * (0.5 + 0.5 * match) / (rrf_k + rank)
            if snapshot.faq_rows and mode == "hybrid":
                faq_scores = self._lexical_scores(snapshot.faq_lexical, tokens)
                faq_mask = mask[snapshot.faq_rows] if mask is not None else None
                for rank, faq_row in enumerate(self._top(faq_scores, faq_mask), start=1):
                    entry = hit(snapshot.faq_rows[faq_row])
                    entry.faq_rank = rank
                    # Scaled by how much of the question the FAQ's phrasings cover: being the only
                    # FAQ that mentions "培训" must not outrank a passage that matches the question.
                    match = snapshot.faq_lexical.coverage(tokens, faq_row)
                    entry.score += self._weights.faq_question * match / (rrf_k + rank)
        if mode == "hybrid" and language == "en" and self._weights.translated > 0:
            translated = _translated_scores(snapshot, tokens)
            # A stand-in for the words the question's own language cannot match: where an English
            # passage already covers the question, translated Chinese matches must not push it down.
            weight = self._weights.translated * (1.0 - best_match)
            if translated is not None and weight > 0:
                scores, share = translated
                for rank, row in enumerate(self._top(scores, mask), start=1):
                    entry = hit(row)
                    entry.translated_rank = rank
                    entry.score += weight * (0.5 + 0.5 * share[row]) / (rrf_k + rank)
        vector = self._query_vector(question) if dense_weight > 0 else None
        if vector is None and mode == "hybrid":
            dense_weight = 0.0
        dense_floor = dense_best = None
        if vector is not None and dense_weight > 0:
            for rank, (row, similarity) in enumerate(self._dense(snapshot, vector, filters), start=1):
                entry = hit(row)
                entry.dense_rank = rank
                entry.dense_similarity = similarity
                entry.score += dense_weight / (rrf_k + rank)
                dense_floor = similarity if dense_floor is None else min(dense_floor, similarity)
                dense_best = similarity if dense_best is None else max(dense_best, similarity)
            crosslingual = self._weights.dense_crosslingual * dense_weight
            chinese = _chinese_only(filters)
            # Only a model that reads Chinese can rank Chinese passages for an English question.
            reads_chinese = bool(CHINESE & self._embedder.languages)
            if (
                language == "en"
                and mode == "hybrid"
                and crosslingual > 0
                and reads_chinese
                and chinese is not None
            ):
                for rank, (row, similarity) in enumerate(self._dense(snapshot, vector, chinese), start=1):
                    entry = hit(row)
                    if entry.dense_similarity is None:
                        entry.dense_similarity = similarity
                    dense_best = similarity if dense_best is None else max(dense_best, similarity)
                    entry.score += crosslingual / (rrf_k + rank)

        if self.phrasings is not None and mode == "hybrid":
            self._add_learned(snapshot, hits=hits, hit=hit, question=question, tokens=tokens, vector=vector,
                              mask=mask, dense_weight=dense_weight)  # fmt: skip
        # The question's own wording, learned from a person, goes first whatever the fusion says.
        ranked = sorted(hits.values(), key=lambda h: (not h.same_wording, -h.score, h.row))[:k]
        return Retrieval(
            question=question,
            language=language,
            tokens=tokens,
            hits=ranked,
            dense_weight=dense_weight,
            snapshot=snapshot,
            dense_floor=dense_floor,
            dense_best=dense_best,
            query_vector=vector if dense_weight > 0 else None,
        )

    def _add_learned(
        self,
        snapshot: IndexSnapshot,
        *,
        hits: dict[int, Hit],
        hit: Callable[[int], Hit],
        question: str,
        tokens: list[str],
        vector: Vectors | None,
        mask: npt.NDArray[np.bool_] | None,
        dense_weight: float,
    ) -> None:
        """Votes from the FAQs' learned phrasings, as the FAQ-question list votes from their written
        phrasings: one list ranked by words; and one by meaning, for phrasings the question is
        closer to than to any passage (a cosine means different things for each model, but a
        learned question nearer than every passage is a paraphrase of it on any of them)."""
        assert self.phrasings is not None  # noqa: S101
        matches = self.phrasings.matches(
            snapshot, question=question, tokens=tokens, vector=vector, allowed=mask
        )
        rrf_k = self._weights.rrf_k
        by_words = sorted((m for m in matches if m.coverage > 0), key=lambda m: -m.coverage)
        for rank, match in enumerate(by_words[: self._candidates], start=1):
            entry = hit(match.row)
            entry.learned_coverage = max(entry.learned_coverage, match.coverage)
            entry.same_wording = entry.same_wording or match.same_wording
            entry.score += self._weights.faq_question * match.coverage / (rrf_k + rank)
        nearest_passage = max(
            (h.dense_similarity or 0.0 for h in hits.values() if h.dense_rank is not None), default=1.0
        )
        closer = [m for m in matches if m.similarity is not None and m.similarity > nearest_passage]
        if dense_weight > 0:
            for rank, match in enumerate(sorted(closer, key=lambda m: -(m.similarity or 0.0)), start=1):
                hit(match.row).score += dense_weight / (rrf_k + rank)

    def _query_vector(self, question: str) -> Vectors | None:
        """The question's vector, or None when the embedding model cannot run: answers then come
        from lexical search alone (said once in the log, not once per question)."""
        try:
            return self._embedder.embed_query(question)
        except EmbeddingModelError as exc:
            if not self._model_failed:
                logger.error("embedding model unavailable, answering from lexical search only: %s", exc)
                self._model_failed = True
            return None

    def pinned(self, question: str, *, chunk_id: str, language: Language) -> Retrieval | None:
        """A retrieval whose only hit is chunk ``chunk_id`` (a passage the asker picked), or None
        when the live generation no longer has it."""
        snapshot = self.index.snapshot()
        row = snapshot.by_id.get(chunk_id) if snapshot is not None else None
        if snapshot is None or row is None:
            return None
        return Retrieval(
            question=question, language=language, tokens=tokenize(question),
            hits=[Hit(chunk=snapshot.chunks[row], row=row, score=1.0)], dense_weight=0.0, snapshot=snapshot,
        )  # fmt: skip

    def _lexical_scores(self, index: LexicalIndex, tokens: list[str]) -> npt.NDArray[np.float64]:
        # Intent words tell apart passages on the same topic; at full weight they would also pull
        # in passages on other topics that merely say 怎么 or 哪.
        topic = [token for token in tokens if not is_intent_word(token)]
        intent = [token for token in tokens if is_intent_word(token)]
        scores = index.scores(topic)
        if intent and self._weights.intent > 0:
            # Each intent word counts as its best-matching synonym: "多长时间" finds "多久".
            for token in intent:
                best = np.max([index.scores([word]) for word in intent_synonyms(token) | {token}], axis=0)
                scores = scores + self._weights.intent * best
        return scores

    def _mask(self, snapshot: IndexSnapshot, filters: SearchFilters) -> npt.NDArray[np.bool_] | None:
        if filters == NO_FILTERS and not snapshot.has_scoped:
            return None
        return np.fromiter(
            (filters.allows(chunk) for chunk in snapshot.chunks), dtype=bool, count=len(snapshot.chunks)
        )

    def _top(self, scores: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_] | None) -> Iterable[int]:
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        count = min(self._candidates, int(np.count_nonzero(scores > 0)))
        if count == 0:
            return []
        top = np.argpartition(-scores, count - 1)[:count]
        return [int(row) for row in top[np.argsort(-scores[top], kind="stable")]]

    def _dense(
        self, snapshot: IndexSnapshot, vector: Vectors, filters: SearchFilters
    ) -> list[tuple[int, float]]:
        try:
            found = self._vectors.query(vector=vector, k=self._candidates, where=filters.chroma_where())
        except VectorStoreUnavailableError as exc:
            raise KnowledgeUnavailableError(
                "the knowledge library's vector store is not answering right now; "
                "please try again in a minute"
            ) from exc
        results = []
        for chunk_id, similarity in found:
            row = snapshot.by_id.get(chunk_id)
            # Ids not in this generation are leftovers of an interrupted ingest, or chunks of a
            # newer generation this process has not loaded yet (another process ingested a moment
            # ago): ignore them. Chunks whose vectors are already gone simply get no dense rank.
            if row is not None and filters.allows(snapshot.chunks[row]):
                results.append((row, similarity))
        return results


def _translated_scores(
    snapshot: IndexSnapshot, tokens: list[str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
    """BM25 of each passage for an English question's topic words in Chinese, each word counting
    as its best translation (``snapshot.translations``), and the share of the translatable words
    each passage holds; None when no word has a translation the library uses."""
    index = snapshot.lexical
    columns = [
        ids
        for token in dict.fromkeys(t for t in tokens if not is_intent_word(t))
        if (ids := index.term_ids(snapshot.translations.get(token, ())))
    ]
    if not columns or not index.size:
        return None
    scores = np.zeros(index.size, dtype=np.float64)
    held = np.zeros(index.size, dtype=np.float64)
    for ids in columns:
        # Max, not sum: "store" has a dozen Chinese words; a passage saying 门店 and 店铺 is not
        # twice about stores.
        best = index.weights[:, ids].max(axis=1).toarray().ravel()
        scores += best
        held += best > 0
    return scores, held / len(columns)


def _chinese_only(filters: SearchFilters) -> SearchFilters | None:
    """``filters`` narrowed to Chinese passages (None: they exclude Chinese altogether)."""
    allowed = CHINESE if filters.languages is None else filters.languages & CHINESE
    return dataclasses.replace(filters, languages=allowed) if allowed else None
