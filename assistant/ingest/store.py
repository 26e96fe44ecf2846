"""The vector store: Chroma on disk under ``index/``, or a Chroma server when ``chroma_url`` is set.

The index is a pointer plus chunks. The pointer is the metadata of one small collection and names the
collection that holds the chunks, the embedding model that built them and the manifest of the articles it
serves. Chunks are keyed by their article's content, so an update adds the new chunks first, then switches
the pointer in one write, then deletes what is no longer served: a reader (or a crash) at any moment sees a
complete index, the previous one or the next. The pointer's records are ``index_state``'s; the client is
opened by ``chroma_client``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError, StoreUnavailableError
from assistant.ingest.chroma_client import open_chroma, store_location
from assistant.ingest.index_state import IndexState
from assistant.types import Chunk

logger = logging.getLogger(__name__)

_PAGE = 2000


@dataclass(frozen=True)
class ArticleChunks:
    """One article's chunks, as an update writes them: with their vectors for the store, without for the
    lexical index."""

    key: str
    title: str
    chunks: Sequence[Chunk]
    vectors: Sequence[Sequence[float]] = ()


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the store holds it, with its article's title and key."""

    id: str
    chunk: Chunk
    title: str
    key: str


def _stored(cid: str, text: str, meta: Any) -> StoredChunk:
    chunk = Chunk(str(meta["source"]), int(meta["start"]), int(meta["end"]), text)
    return StoredChunk(cid, chunk, str(meta["title"]), str(meta["article"]))


def chunk_id(key: str, chunk: Chunk) -> str:
    return f"{key}:{chunk.start}-{chunk.end}"


class ChromaStore:
    """Chunks and their vectors in Chroma, behind an atomically switched pointer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None
        self._pointer_name = f"{settings.collection_prefix}-pointer"
        self._manifest_prefix = f"{self._pointer_name}-"
        self._state_cache: tuple[str, IndexState] | None = None
        # True once a pointer that still holds its manifest (written before version 0.2) was read.
        self.legacy_pointer = False

    @property
    def location(self) -> str:
        return store_location(self.settings)

    def _connect(self) -> Any:
        if self._client is None:
            self._client = open_chroma(self.settings)
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
        """The pointer, or None when no index was ever built here.

        The pointer's metadata is small and read every time; it names its manifest (the served articles), the
        metadata of another collection, read and parsed only when it changed.
        """
        from chromadb.errors import NotFoundError  # noqa: PLC0415

        client = self._connect()
        with self._reading():
            for _ in range(3):
                try:
                    pointer = client.get_collection(self._pointer_name, embedding_function=None)
                except NotFoundError:
                    return None
                meta = pointer.metadata or {}
                if "collection" not in meta:
                    return None
                if "manifest" not in meta:
                    self.legacy_pointer = True
                    return IndexState.from_metadata(meta)
                version = str(meta["manifest"])
                cached = self._state_cache
                if cached is not None and cached[0] == version:
                    return cached[1]
                try:
                    manifest = str((client.get_collection(version, embedding_function=None).metadata or {})["manifest"])
                except NotFoundError:
                    # Development versions kept the manifest as a document of the pointer collection.
                    documents = pointer.get(ids=[version], include=["documents"])["documents"]
                    if not documents or documents[0] is None:
                        continue  # two updates switched the pointer between these two reads: read it again
                    manifest = documents[0]
                state = IndexState.from_metadata(meta, manifest)
                self._state_cache = (version, state)
                return state
            raise StoreUnavailableError(
                f"the index at {self.location} changes too fast to be read; ask again in a moment"
            )

    def write_state(self, state: IndexState) -> None:
        """Switch the pointer: the manifest is written first (the metadata of a collection of its own: no
        document index to feed), then the pointer's metadata that names it, in one write, so readers see the old
        state or the new one. Manifests older than the previous one are deleted."""
        client = self._connect()
        manifest = f"{self._manifest_prefix}{uuid.uuid4().hex}"
        client.create_collection(manifest, metadata={"manifest": state.manifest()}, embedding_function=None)
        pointer = client.get_or_create_collection(self._pointer_name, embedding_function=None)
        previous = (pointer.metadata or {}).get("manifest")
        pointer.modify(metadata={**state.to_metadata(), "manifest": manifest})
        self._state_cache = (manifest, state)
        self.legacy_pointer = False
        for name in self._collection_names():
            if name.startswith(self._manifest_prefix) and name not in (manifest, previous):
                client.delete_collection(name)

    def _collection_names(self) -> list[str]:
        client = self._connect()
        count = client.count_collections()
        return [c.name for first in range(0, count, 100) for c in client.list_collections(limit=100, offset=first)]

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
        dropped = [
            name
            for name in self._collection_names()
            # Manifests are the pointer's: write_state keeps the current one and the previous one.
            if name.startswith(prefix) and name not in keep and not name.startswith(self._manifest_prefix)
        ]
        for name in dropped:
            client.delete_collection(name)
            logger.info("dropped unused collection %s", name)
        return dropped

    def add_articles(self, collection: str, articles: Sequence[ArticleChunks]) -> None:
        """Store the articles' chunks with their vectors, several articles a write (ids come from their keys)."""
        rows = [(a, c, v) for a in articles for c, v in zip(a.chunks, a.vectors, strict=True)]
        if not rows:
            return
        col = self._collection(collection)
        step = max(1, min(_PAGE, self._connect().get_max_batch_size()))
        for first in range(0, len(rows), step):
            part = rows[first : first + step]
            col.upsert(
                ids=[chunk_id(a.key, c) for a, c, _ in part],
                embeddings=[list(v) for _, _, v in part],
                documents=[c.text for _, c, _ in part],
                metadatas=[
                    {"source": c.source, "title": a.title, "start": c.start, "end": c.end, "article": a.key}
                    for a, c, _ in part
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
                        yield _stored(cid, text, meta)
                if len(ids) < _PAGE:
                    return
                offset += _PAGE

    def chunks_of(self, collection: str, keys: Sequence[str]) -> Iterator[StoredChunk]:
        """Every chunk of the given article keys."""
        with self._reading():
            col = self._collection(collection)
            for first in range(0, len(keys), 100):
                page = col.get(
                    where={"article": {"$in": list(keys[first : first + 100])}}, include=["documents", "metadatas"]
                )
                for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                    if meta and text is not None:
                        yield _stored(cid, text, meta)

    def nearest(
        self, state: IndexState, vector: Sequence[float], n: int, keys: frozenset[str] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """The ``n`` served chunks nearest to ``vector`` (of the articles ``keys`` only, when given), with
        their cosine similarity."""
        served = state.served_keys if keys is None else keys & state.served_keys
        chunks = state.chunk_count
        where = None
        if keys is not None and served != state.served_keys:
            # Articles whose vectors are still being written are found by their words only.
            served &= state.embedded_keys
            if not served:
                return []
            chunks = sum(r.chunks for r in state.articles.values() if r.key in served)
            where = {"article": {"$in": sorted(served)}}
        with self._reading():
            col = self._collection(state.collection)
            # Over-fetch: during an update, chunks of not-yet-served articles may rank among the nearest.
            want = min(max(2 * n, n + 10), max(1, chunks))
            found = col.query(
                query_embeddings=[list(vector)],
                n_results=want,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        hits = []
        rows = zip(found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True)
        for cid, text, meta, dist in rows:
            # After a crash Chroma may still return a deleted id without metadata: it is not served.
            if meta and text is not None and meta.get("article") in served:
                hits.append((_stored(cid, text, meta), 1.0 - float(dist)))
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
