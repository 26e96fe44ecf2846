"""The vector store: Chroma on disk under ``index/``, or a Chroma server when ``chroma_url`` is set.

The index is a pointer plus chunks. The pointer is the metadata of one small collection and names the
collection that holds the chunks, the embedding model that built them and the manifest of the articles it
serves. Chunks are keyed by their article's content, so an update adds the new chunks first, then switches
the pointer in one write, then deletes what is no longer served: a reader (or a crash) at any moment sees a
complete index, the previous one or the next.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from assistant.config import Settings
from assistant.errors import AssistantError, BadInputError, StoreUnavailableError
from assistant.types import Chunk

logger = logging.getLogger(__name__)

_PAGE = 2000


@dataclass(frozen=True)
class ArticleRecord:
    """What the index holds of one article: its content hash, title and number of chunks."""

    key: str
    title: str
    chunks: int


@dataclass(frozen=True)
class IndexState:
    """The pointer: which collection serves which articles, built by which model."""

    collection: str
    embedding_model: str
    articles: dict[str, ArticleRecord] = field(default_factory=dict)
    updated_at: str = ""
    # Article keys whose chunks may be in the collection without being served (an update under way or
    # interrupted): the next update deletes them unless the manifest serves them.
    pending: tuple[str, ...] = ()

    @property
    def served_keys(self) -> frozenset[str]:
        return frozenset(record.key for record in self.articles.values())

    @property
    def chunk_count(self) -> int:
        return sum(record.chunks for record in self.articles.values())

    def to_metadata(self) -> dict[str, str]:
        return {
            "collection": self.collection,
            "embedding_model": self.embedding_model,
            "articles": json.dumps({s: asdict(r) for s, r in self.articles.items()}, ensure_ascii=False),
            "updated_at": self.updated_at,
            "pending": json.dumps(list(self.pending)),
        }

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> IndexState:
        articles = {s: ArticleRecord(**r) for s, r in json.loads(str(meta["articles"])).items()}
        return cls(
            collection=str(meta["collection"]),
            embedding_model=str(meta["embedding_model"]),
            articles=articles,
            updated_at=str(meta.get("updated_at", "")),
            pending=tuple(json.loads(str(meta.get("pending", "[]")))),
        )


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the store holds it, with its article's title and key."""

    id: str
    chunk: Chunk
    title: str
    key: str


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _chunk_id(key: str, chunk: Chunk) -> str:
    return f"{key}:{chunk.start}-{chunk.end}"


class ChromaStore:
    """Chunks and their vectors in Chroma, behind an atomically switched pointer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None
        self._pointer_name = f"{settings.collection_prefix}-pointer"

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(self.settings.index_dir)

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        import chromadb  # noqa: PLC0415  (heavy; only when the store is used)
        from chromadb.config import Settings as ChromaSettings  # noqa: PLC0415

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        url = self.settings.chroma_url
        try:
            if url:
                parsed = urlparse(url)
                if parsed.scheme not in ("http", "https") or not parsed.hostname:
                    raise BadInputError(f"ASSISTANT_CHROMA_URL {url!r} is not an http(s)://host:port URL")
                self._client = chromadb.HttpClient(
                    host=parsed.hostname,
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
                self._client.heartbeat()
            else:
                self.settings.index_dir.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(self.settings.index_dir), settings=chroma_settings)
        except BadInputError:
            raise
        except Exception as err:
            self._client = None
            reason = " ".join(str(err).split())
            raise StoreUnavailableError(
                f"cannot open the index at {self.location} ({reason}); "
                + (
                    "check that the Chroma server runs there, or unset ASSISTANT_CHROMA_URL"
                    if url
                    else "choose a writable folder with --index-dir or ASSISTANT_INDEX_DIR"
                )
            ) from err
        return self._client

    def _collection(self, name: str) -> Any:
        return self._connect().get_collection(name, embedding_function=None)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn a failed read (a server gone, a collection replaced twice during one question) into a message."""
        try:
            yield
        except AssistantError:
            raise
        except Exception as err:
            reason = " ".join(str(err).split())[:200]
            raise StoreUnavailableError(
                f"the index at {self.location} could not be read ({reason}); ask again, and if this persists "
                + ("check that the Chroma server runs" if self.settings.chroma_url else "run 'assistant index'")
            ) from err

    def read_state(self) -> IndexState | None:
        """The pointer, or None when no index was ever built here."""
        client = self._connect()
        with self._reading():
            names = {c.name for c in client.list_collections()}
            if self._pointer_name not in names:
                return None
            meta = client.get_collection(self._pointer_name, embedding_function=None).metadata or {}
            return IndexState.from_metadata(meta) if "collection" in meta else None

    def write_state(self, state: IndexState) -> None:
        """Switch the pointer: one metadata write, so readers see the old state or the new one."""
        client = self._connect()
        pointer = client.get_or_create_collection(self._pointer_name, embedding_function=None)
        pointer.modify(metadata=state.to_metadata())

    def new_collection(self) -> str:
        """Create an empty chunk collection (cosine space) and return its name."""
        name = f"{self.settings.collection_prefix}-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
        self._connect().create_collection(name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
        return name

    def drop_unused_collections(self, keep: Iterable[str]) -> list[str]:
        """Delete chunk collections that no pointer serves (left by an interrupted full rebuild)."""
        keep = set(keep) | {self._pointer_name}
        client = self._connect()
        prefix = f"{self.settings.collection_prefix}-"
        dropped = [c.name for c in client.list_collections() if c.name.startswith(prefix) and c.name not in keep]
        for name in dropped:
            client.delete_collection(name)
            logger.info("dropped unused collection %s", name)
        return dropped

    def add_chunks(
        self,
        collection: str,
        key: str,
        title: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]],
    ) -> None:
        """Store an article's chunks with their vectors (ids are derived from the article's key)."""
        if not chunks:
            return
        col = self._collection(collection)
        step = max(1, min(_PAGE, self._connect().get_max_batch_size()))
        for first in range(0, len(chunks), step):
            part = chunks[first : first + step]
            col.upsert(
                ids=[_chunk_id(key, c) for c in part],
                embeddings=[list(v) for v in vectors[first : first + step]],
                documents=[c.text for c in part],
                metadatas=[
                    {"source": c.source, "title": title, "start": c.start, "end": c.end, "article": key} for c in part
                ],
            )

    def delete_articles(self, collection: str, keys: Iterable[str]) -> None:
        """Delete every chunk of the given article keys."""
        keys = sorted(set(keys))
        col = self._collection(collection)
        for first in range(0, len(keys), 100):
            col.delete(where={"article": {"$in": keys[first : first + 100]}})

    def iter_chunks(self, state: IndexState) -> Iterator[StoredChunk]:
        """Every chunk the state serves (chunks of pending articles are left out)."""
        with self._reading():
            col = self._collection(state.collection)
            served = state.served_keys
            offset = 0
            while True:
                page = col.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
                ids = page["ids"]
                for cid, text, meta in zip(ids, page["documents"], page["metadatas"], strict=True):
                    if meta and text is not None and meta.get("article") in served:
                        chunk = Chunk(str(meta["source"]), int(meta["start"]), int(meta["end"]), text)
                        yield StoredChunk(cid, chunk, str(meta["title"]), str(meta["article"]))
                if len(ids) < _PAGE:
                    return
                offset += _PAGE

    def nearest(self, state: IndexState, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        """Ids of the ``n`` served chunks nearest to ``vector``, with their cosine similarity."""
        served = state.served_keys
        with self._reading():
            col = self._collection(state.collection)
            # Over-fetch: during an update, chunks of not-yet-served articles may rank among the nearest.
            want = min(max(2 * n, n + 10), max(1, col.count()))
            found = col.query(query_embeddings=[list(vector)], n_results=want, include=["metadatas", "distances"])
        hits = []
        for cid, meta, dist in zip(found["ids"][0], found["metadatas"][0], found["distances"][0], strict=True):
            # After a crash Chroma may still return a deleted id without metadata: it is not served.
            if meta and meta.get("article") in served:
                hits.append((cid, 1.0 - float(dist)))
        return hits[:n]

    def clear_pending(self, state: IndexState) -> IndexState:
        """Delete chunks of pending articles the state does not serve, then record that none are left."""
        stale = set(state.pending) - state.served_keys
        if stale:
            self.delete_articles(state.collection, stale)
        if state.pending:
            state = replace(state, pending=())
            self.write_state(state)
        return state
