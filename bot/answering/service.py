"""Answer a question: retrieve, score confidence, then answer from the library or say "I don't know yet"."""

from __future__ import annotations

import logging
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.answering import messages
from bot.answering.confidence import confidence as score_confidence
from bot.answering.extractive import extract_answer
from bot.answering.llm import LlmAnswerer, LlmAnswerError
from bot.answering.retrieval import NO_FILTERS, HybridRetriever, Mode, Retrieval, SearchFilters
from ingest.text import Language, detect_language, to_script

logger = logging.getLogger(__name__)

AnswerKind = Literal["faq", "passage", "llm", "refused", "empty"]
# What the asker gets: an answer, a few "did you mean" candidates, or "I don't know yet".
Band = Literal["answer", "suggest", "unknown"]


@dataclass(frozen=True, slots=True)
class Source:
    """A cited passage, in the shape of the ``ask --json`` contract."""

    title: str
    source: str
    section: str
    doc_type: str
    text: str
    score: float

    def to_json(self) -> dict[str, Any]:
        """The JSON contract's object."""
        return asdict(self)


@dataclass(slots=True)
class Answer:
    """The reply to one question."""

    question: str
    answered: bool
    answer: str
    confidence: float
    language: Language
    kind: AnswerKind
    sources: list[Source] = field(default_factory=list)
    latency_ms: float = 0.0
    note: str = ""

    @property
    def band(self) -> Band:
        """Which of the three outcomes this is."""
        return "answer" if self.answered else "unknown"

    def to_json(self) -> dict[str, Any]:
        """The ``ask --json`` contract: answered, band, answer, confidence, sources, latency_ms."""
        return {
            "answered": self.answered,
            "answer": self.answer,
            "confidence": self.confidence,
            "sources": [source.to_json() for source in self.sources],
            "latency_ms": round(self.latency_ms, 2),
            "band": self.band,
        }


def clean_question(text: str, *, limit: int) -> tuple[str, bool]:
    """Normalise a question and cut it to ``limit`` characters; returns (question, was_truncated)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())
    if len(text) > limit:
        return text[:limit], True
    return text, False


class Answerer:
    """Answers questions from the knowledge library."""

    def __init__(
        self,
        *,
        retriever: HybridRetriever,
        top_k: int,
        threshold: float,
        max_question_chars: int,
        answer_max_chars: int,
        default_language: Language = "zh-Hans",
        llm: LlmAnswerer | None = None,
    ) -> None:
        self.retriever = retriever
        self.top_k = top_k
        self.threshold = threshold
        self.max_question_chars = max_question_chars
        self.answer_max_chars = answer_max_chars
        self.default_language = default_language
        self.llm = llm

    def _prepare(self, question: str, language: Language | None) -> tuple[str, bool, Language]:
        text, truncated = clean_question(question, limit=self.max_question_chars)
        return text, truncated, language or detect_language(text, default=self.default_language)

    def retrieve(
        self,
        question: str,
        *,
        language: Language | None = None,
        filters: SearchFilters = NO_FILTERS,
        mode: Mode = "hybrid",
        k: int | None = None,
    ) -> Retrieval:
        """Retrieval only (for evaluation and the console's "try a question")."""
        text, _, language = self._prepare(question, language)
        return self.retriever.search(text, k=k or self.top_k, language=language, filters=filters, mode=mode)

    def answer(
        self,
        question: str,
        *,
        language: Language | None = None,
        filters: SearchFilters = NO_FILTERS,
        mode: Mode = "hybrid",
        k: int | None = None,
    ) -> Answer:
        """Answer ``question`` in ``language`` (detected from the question when None).

        Args:
            question: the question as the person typed it; any length, any characters.
            language: the reply language; defaults to the question's own language.
            filters: restrict the passages used.
            mode: "hybrid" normally; single retrievers for evaluation.
            k: how many sources to return (default: the configured top_k).
        """
        started = time.perf_counter()
        text, truncated, language = self._prepare(question, language)
        if not any(ch.isalnum() for ch in text):
            return Answer(
                question=text,
                answered=False,
                answer=messages.say(messages.EMPTY_QUESTION, language),
                confidence=0.0,
                language=language,
                kind="empty",
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        retrieval = self.retriever.search(
            text, k=k or self.top_k, language=language, filters=filters, mode=mode
        )
        confidence = score_confidence(retrieval)
        sources = self._sources(retrieval, language)
        note = messages.say(messages.TRUNCATED, language, limit=self.max_question_chars) if truncated else ""
        if confidence < self.threshold or not retrieval.hits:
            return Answer(
                question=text,
                answered=False,
                answer=messages.say(messages.DONT_KNOW, language),
                confidence=confidence,
                language=language,
                kind="refused",
                sources=sources,
                latency_ms=(time.perf_counter() - started) * 1000,
                note=note,
            )
        answer_text, kind = self._compose(retrieval, language)
        answered = kind != "refused"
        return Answer(
            question=text,
            answered=answered,
            answer=answer_text if answered else messages.say(messages.DONT_KNOW, language),
            confidence=confidence,
            language=language,
            kind=kind,
            sources=sources,
            latency_ms=(time.perf_counter() - started) * 1000,
            note=note,
        )

    def _compose(self, retrieval: Retrieval, language: Language) -> tuple[str, AnswerKind]:
        if self.llm is not None:
            try:
                reply = self.llm.compose(question=retrieval.question, language=language, hits=retrieval.hits)
            except LlmAnswerError as exc:
                logger.warning("LLM answer rejected, using the extractive answer: %s", exc)
            else:
                if reply.refused:
                    return "", "refused"
                return reply.text, "llm"
        top = retrieval.hits[0].chunk
        text = extract_answer(retrieval, max_chars=self.answer_max_chars)
        if language != "en" and top.lang != "en":
            text = to_script(text, language)
        return text, "faq" if top.doc_type == "faq" else "passage"

    def _sources(self, retrieval: Retrieval, language: Language) -> list[Source]:
        sources = []
        for hit in retrieval.hits:
            chunk = hit.chunk
            convert = language != "en" and chunk.lang != "en"
            sources.append(
                Source(
                    title=to_script(chunk.title, language) if convert else chunk.title,
                    source=chunk.source,
                    section=to_script(chunk.section, language) if convert else chunk.section,
                    doc_type=chunk.doc_type,
                    text=chunk.text,
                    score=round(hit.score, 6),
                )
            )
        return sources
