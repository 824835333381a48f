"""Answer a question: retrieve, score confidence, then answer from the library or say "I don't know yet"."""

from __future__ import annotations

import logging
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.answering import messages
from bot.answering.calibration import Band as ModelBand
from bot.answering.calibration import ConfidenceModel, features
from bot.answering.confidence import confidence as score_confidence
from bot.answering.extractive import extract_answer
from bot.answering.llm import LlmAnswerer, LlmAnswerError
from bot.answering.retrieval import NO_FILTERS, HybridRetriever, Mode, Retrieval, SearchFilters
from bot.answering.small_talk import SmallTalk
from bot.wording import say
from ingest.lexical import faq_key
from ingest.text import Language, detect_language, readable_in, restore_cjk_punctuation, to_script

logger = logging.getLogger(__name__)

AnswerKind = Literal["faq", "passage", "llm", "suggest", "off_topic", "refused", "empty"]
# What the asker gets: an answer, a few "did you mean" candidates, or "I don't know yet" (which
# includes the friendly reply to chit-chat, kind "off_topic").
Band = Literal["answer", "suggest", "unknown"]
MAX_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A "did you mean" candidate: what the button says, and the passage it answers from."""

    label: str
    chunk_id: str

    def to_json(self) -> dict[str, str]:
        """The JSON contract's object."""
        return {"label": self.label, "chunk_id": self.chunk_id}


@dataclass(frozen=True, slots=True)
class FaqRef:
    """An FAQ entry as the learned phrasings name it: its key, its question, every written phrasing."""

    key: str
    question: str
    phrasings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Source:
    """A cited passage, in the shape of the ``ask --json`` contract."""

    title: str
    source: str
    section: str
    doc_type: str
    text: str
    score: float
    chunk_id: str = ""

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
    suggestions: list[Suggestion] = field(default_factory=list)
    full_answer: str = ""  # the whole passage when ``answer`` shows only part of it ("more")

    @property
    def band(self) -> Band:
        """Which of the three outcomes this is."""
        if self.answered:
            return "answer"
        return "suggest" if self.kind == "suggest" else "unknown"

    @property
    def is_gap(self) -> bool:
        """Whether a person should see this question: not answered, not chit-chat, not empty."""
        return self.kind == "refused"

    def to_json(self) -> dict[str, Any]:
        """The ``ask --json`` contract: answered, answer, confidence, sources, latency_ms, band,
        suggestions, full_answer."""
        return {
            "answered": self.answered,
            "answer": self.answer,
            "confidence": self.confidence,
            "sources": [source.to_json() for source in self.sources],
            "latency_ms": round(self.latency_ms, 2),
            "band": self.band,
            "suggestions": [suggestion.to_json() for suggestion in self.suggestions],
            "full_answer": self.full_answer,
        }


def clean_question(text: str, *, limit: int) -> tuple[str, bool]:
    """Normalise a question and cut it to ``limit`` characters; returns (question, was_truncated)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    # NFKC turned "？" into "?"; the question is stored and shown to a manager as the asker wrote it.
    text = restore_cjk_punctuation(" ".join(text.split()))
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
        confidence_model: ConfidenceModel | None = None,
        small_talk: SmallTalk | None = None,
    ) -> None:
        """``confidence_model`` picks the band; without one, ``threshold`` on the older confidence
        score decides between answer and "I don't know yet" (no suggestions, no chit-chat reply).
        ``small_talk`` tells everyday small talk by meaning, where the model was fitted with it."""
        self.retriever = retriever
        self.confidence_model = confidence_model
        self.small_talk = small_talk
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
                answer=say(messages.EMPTY_QUESTION, language),
                confidence=0.0,
                language=language,
                kind="empty",
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        # At least as many hits as there can be suggestions, and as the features look at.
        retrieval = self.retriever.search(
            text, k=max(k or self.top_k, 5), language=language, filters=filters, mode=mode
        )
        band, confidence = self._band(retrieval)
        shown = k or self.top_k
        sources = self._sources(retrieval, language)[:shown]
        note = say(messages.TRUNCATED, language, limit=self.max_question_chars) if truncated else ""

        def reply(*, answered: bool, answer: str, kind: AnswerKind, **extra: Any) -> Answer:
            return Answer(
                question=text, answered=answered, answer=answer, confidence=confidence, language=language,
                kind=kind, sources=sources, latency_ms=(time.perf_counter() - started) * 1000, note=note,
                **extra,
            )  # fmt: skip

        if band == "suggest":
            return reply(
                answered=False,
                answer=say(messages.DID_YOU_MEAN, language),
                kind="suggest",
                suggestions=self._suggestions(retrieval, language),
            )
        if band == "off_topic":
            return reply(answered=False, answer=say(messages.OFF_TOPIC, language), kind="off_topic")
        if band == "unknown":
            return reply(answered=False, answer=say(messages.DONT_KNOW, language), kind="refused")
        answer_text, full, kind = self._compose(retrieval, language)
        if kind == "refused":
            return reply(answered=False, answer=say(messages.DONT_KNOW, language), kind="refused")
        return reply(answered=True, answer=answer_text, kind=kind, full_answer=full)

    def answer_from(
        self,
        question: str,
        *,
        chunk_id: str,
        language: Language | None = None,
        filters: SearchFilters = NO_FILTERS,
    ) -> Answer | None:
        """The answer to ``question`` from one passage: a "did you mean" candidate the asker picked,
        or the FAQ a manager answered it with.

        None when the passage is no longer in the library (re-ingested since the question was
        asked) or ``filters`` leave it out (an FAQ scoped to a unit the asker is not in).
        """
        started = time.perf_counter()
        text, _, language = self._prepare(question, language)
        retrieval = self.retriever.pinned(text, chunk_id=chunk_id, language=language)
        if retrieval is None or not filters.allows(retrieval.hits[0].chunk):
            return None
        answer_text, full, kind = self._compose(retrieval, language)
        if kind == "refused":  # the LLM found the passage does not answer it after all
            answer_text, full, kind = self._compose_extractive(retrieval, language)
        return Answer(
            question=text, answered=True, answer=answer_text, confidence=1.0, language=language, kind=kind,
            sources=self._sources(retrieval, language)[:1], latency_ms=(time.perf_counter() - started) * 1000,
            full_answer=full,
        )  # fmt: skip

    def passage(self, chunk_id: str, *, language: Language) -> str | None:
        """The whole text of passage ``chunk_id`` as "more" shows it (None: no longer in the library)."""
        retrieval = self.retriever.pinned("", chunk_id=chunk_id, language=language)
        if retrieval is None:
            return None
        full = extract_answer(retrieval, max_chars=self.answer_max_chars).full
        return in_script(full, passage_language=retrieval.hits[0].chunk.lang, language=language)

    def faq_of(self, chunk_id: str) -> FaqRef | None:
        """The FAQ entry behind passage ``chunk_id`` in the live library (None: not an FAQ, or gone)."""
        retrieval = self.retriever.pinned("", chunk_id=chunk_id, language=self.default_language)
        if retrieval is None:
            return None
        chunk = retrieval.hits[0].chunk
        key = faq_key(chunk)
        if key is None:
            return None
        written = [
            chunk.metadata.get("faq_question", ""),
            *chunk.metadata.get("alternatives", "").splitlines(),
        ]
        # The loader folds punctuation for matching; people read the question as it was written.
        question = restore_cjk_punctuation(written[0] or chunk.section)
        return FaqRef(key=key, question=question, phrasings=tuple(p for p in written if p))

    def _band(self, retrieval: Retrieval) -> tuple[ModelBand, float]:
        """("answer" | "suggest" | "off_topic" | "unknown", the confidence reported with it)."""
        if retrieval.hits and retrieval.hits[0].same_wording:
            # Somebody asked exactly this before and a person (the asker pressing "helpful", or a
            # manager answering with this FAQ) confirmed the answer: nothing left to estimate.
            return "answer", 1.0
        if self.confidence_model is None:
            confidence = score_confidence(retrieval) if retrieval.hits else 0.0
            return ("answer" if confidence >= self.threshold else "unknown"), confidence
        margin = self.small_talk_margin(retrieval)
        band, probability = self.confidence_model.band(features(retrieval), small_talk=margin)
        closer_to_the_library = margin is not None and margin < 0
        if (
            band == "off_topic"
            and not self.confidence_model.is_small_talk(margin)
            and (closer_to_the_library or not self._library_speaks(retrieval))
        ):
            # Few words matched, but in meaning the question is nearer a passage than any small talk
            # ("忘记秘码了登不上去", a typo): a question for a person, not chit-chat. On the tuning half
            # this kept one answerable question and no off-topic one from the friendly reply.
            # Or no passage shares the question's language, so no word of it could match: the
            # features that tell chit-chat apart are blind there. An English question about a Chinese library
            # is not chit-chat; it goes to a person like any question the library cannot answer.
            band = "unknown"
        if not retrieval.hits:
            return ("off_topic" if band == "off_topic" else "unknown"), 0.0
        return band, round(probability, 4)

    def small_talk_margin(self, retrieval: Retrieval) -> float | None:
        """How much closer the question is to small talk than to the library (None: not known)."""
        return self.small_talk.margin(retrieval) if self.small_talk is not None else None

    def _library_speaks(self, retrieval: Retrieval) -> bool:
        """Whether the library has passages in the question's language (either Chinese script counts)."""
        snapshot = retrieval.snapshot
        if snapshot is None:
            return True
        return bool(readable_in(retrieval.language) & snapshot.languages)

    def _suggestions(self, retrieval: Retrieval, language: Language) -> list[Suggestion]:
        """The top passages as button labels: an FAQ's question, else "title › section"."""
        suggestions: list[Suggestion] = []
        seen: set[str] = set()
        # Candidates the asker can read come first: an English question about layoffs should offer
        # the English FAQ before two Chinese ones that rank a little higher. Order is kept otherwise.
        readable = sorted(
            retrieval.hits[: MAX_SUGGESTIONS * 2],
            key=lambda hit: hit.chunk.lang not in readable_in(language),
        )
        for hit in readable:
            chunk = hit.chunk
            if chunk.doc_type == "faq" and chunk.metadata.get("faq_question"):
                label = chunk.metadata["faq_question"]
            else:
                label = " › ".join(part for part in (chunk.title, chunk.section) if part)
            label = in_script(label, passage_language=chunk.lang, language=language)
            if not label or label in seen:
                continue
            seen.add(label)
            suggestions.append(Suggestion(label=label, chunk_id=chunk.id))
            if len(suggestions) == MAX_SUGGESTIONS:
                break
        return suggestions

    def _compose(self, retrieval: Retrieval, language: Language) -> tuple[str, str, AnswerKind]:
        """(the answer, the whole passage behind it or "" when it is all shown, its kind)."""
        if self.llm is not None:
            try:
                reply = self.llm.compose(question=retrieval.question, language=language, hits=retrieval.hits)
            except LlmAnswerError as exc:
                logger.warning("LLM answer rejected, using the extractive answer: %s", exc)
            else:
                if reply.refused:
                    return "", "", "refused"
                return reply.text, "", "llm"
        return self._compose_extractive(retrieval, language)

    def _compose_extractive(self, retrieval: Retrieval, language: Language) -> tuple[str, str, AnswerKind]:
        top = retrieval.hits[0].chunk
        extract = extract_answer(retrieval, max_chars=self.answer_max_chars)
        short = in_script(extract.short, passage_language=top.lang, language=language)
        full = (
            in_script(extract.full, passage_language=top.lang, language=language) if extract.has_more else ""
        )
        return short, full, "faq" if top.doc_type == "faq" else "passage"

    def _sources(self, retrieval: Retrieval, language: Language) -> list[Source]:
        sources = []
        for hit in retrieval.hits:
            chunk = hit.chunk
            sources.append(
                Source(
                    title=in_script(chunk.title, passage_language=chunk.lang, language=language),
                    source=chunk.source,
                    section=in_script(chunk.section, passage_language=chunk.lang, language=language),
                    doc_type=chunk.doc_type,
                    text=chunk.text,
                    score=round(hit.score, 6),
                    chunk_id=chunk.id,
                )
            )
        return sources


def in_script(text: str, *, passage_language: str, language: Language) -> str:
    """Library text as a reader of ``language`` sees it: Chinese in their script; English as it is
    (and Chinese for an English reader stays as written)."""
    if passage_language == "en":
        return text
    if language == "en":  # in its own script, but with Chinese punctuation again
        return restore_cjk_punctuation(text)
    return to_script(text, language)
