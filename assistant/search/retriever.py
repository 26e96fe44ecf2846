"""Hybrid retrieval: BM25 over the chunks fused with dense vector search by reciprocal rank fusion."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from assistant.config import Settings
from assistant.errors import IndexMismatchError, IndexNotBuiltError
from assistant.ingest.embedding import ArticleEmbedder
from assistant.ingest.store import ChromaStore, IndexState, StoredChunk
from assistant.ingest.terms import content_terms
from assistant.types import Passage

logger = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG on import and would log every index build.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """BM25 over folded, stop-word-free, lightly stemmed tokens (French and English alike)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._bm25 = bm25s.BM25()
        self.size = len(texts)
        if texts:
            self._bm25.index(self._tokenize(texts), show_progress=False)

    def _tokenize(self, texts: Sequence[str]) -> list[list[str]]:
        return [content_terms(text) for text in texts]

    def top(self, query: str, n: int) -> list[tuple[int, float]]:
        """Row numbers of the ``n`` best-matching texts with their BM25 scores (only positive scores)."""
        tokens = self._tokenize([query])[0]
        if not self.size or not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        best = np.argsort(-scores, kind="stable")[: min(n, self.size)]
        return [(int(i), float(scores[i])) for i in best if scores[i] > 0]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked id lists: each id scores the sum of 1 / (k + rank) over the lists it appears in."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass
class _Snapshot:
    """The chunks of one index state, with their BM25 index."""

    state: IndexState
    chunks: list[StoredChunk]
    by_id: dict[str, StoredChunk]
    lexical: LexicalIndex


class HybridRetriever:
    """Find the passages that best answer a question, in any of the articles' languages."""

    def __init__(self, settings: Settings, store: ChromaStore, embedder: ArticleEmbedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def current_state(self) -> IndexState:
        """The index's pointer, checked against the embedding model.

        Raises:
            IndexNotBuiltError: nothing was indexed yet.
            IndexMismatchError: the index was built with another embedding model.
        """
        state = self.store.read_state()
        if state is None:
            raise IndexNotBuiltError(f"no index at {self.store.location}; build it with 'assistant index'")
        if state.embedding_model != self.embedder.model_id:
            raise IndexMismatchError(
                f"the index at {self.store.location} was built with {state.embedding_model}, "
                f"but the assistant now uses {self.embedder.model_id}; "
                "rebuild it with 'assistant index --full'"
            )
        return state

    def _snapshot_for(self, state: IndexState) -> _Snapshot:
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.state != state:
                chunks = list(self.store.iter_chunks(state))
                chunks.sort(key=lambda c: (c.chunk.source, c.chunk.start))
                snap = _Snapshot(state, chunks, {c.id: c for c in chunks}, LexicalIndex([c.chunk.text for c in chunks]))
                self._snapshot = snap
                logger.debug("loaded %d chunks for retrieval", len(chunks))
            return snap

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The ``k`` passages that best match ``query``, best first."""
        snap = self._snapshot_for(self.current_state())
        if not snap.chunks:
            return []
        dense = self.store.nearest(snap.state, self.embedder.embed_query(query), self.settings.dense_candidates)
        sparse = snap.lexical.top(query, self.settings.sparse_candidates)
        fused = reciprocal_rank_fusion(
            [[cid for cid, _ in dense if cid in snap.by_id], [snap.chunks[i].id for i, _ in sparse]],
            k=self.settings.rrf_k,
        )
        passages = []
        for cid, score in fused[:k]:
            stored = snap.by_id[cid]
            c = stored.chunk
            passages.append(Passage(c.source, stored.title, c.text, c.start, c.end, score))
        return passages
