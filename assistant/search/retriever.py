"""Hybrid retrieval: BM25 over the chunks fused with dense vector search by reciprocal rank fusion."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from assistant.config import Settings
from assistant.errors import BadInputError, IndexMismatchError, IndexNotBuiltError
from assistant.ingest.embedding import ArticleEmbedder
from assistant.ingest.index_state import IndexState
from assistant.ingest.lexical import LexicalIndex, lexical_path, sync_lexical
from assistant.ingest.store import ChromaStore
from assistant.search.filters import ArticleFilter
from assistant.search.fusion import reciprocal_rank_fusion
from assistant.types import Passage

logger = logging.getLogger(__name__)

_RETRIES = 3  # searches of a state that an update replaced meanwhile, before the last one is kept


class HybridRetriever:
    """Find the passages that best answer a question, in any of the articles' languages."""

    def __init__(
        self, settings: Settings, store: ChromaStore, embedder: ArticleEmbedder, lexical: LexicalIndex | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.lexical = lexical or LexicalIndex(lexical_path(settings))
        self._synced: IndexState | None = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lexical-search")

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

    def _lexical_for(self, state: IndexState) -> LexicalIndex:
        """The lexical index, holding every article ``state`` serves (checked once per state and process)."""
        with self._lock:
            if self._synced is not state and self._synced != state:
                sync_lexical(self.store, self.lexical, state)
                self._synced = state
        return self.lexical

    def search(self, query: str, k: int = 5, limit: ArticleFilter | None = None) -> list[Passage]:
        """The ``k`` passages that best match ``query``, best first; of the articles ``limit`` accepts.

        Raises:
            BadInputError: no article is accepted by ``limit``.
        """
        state = self.current_state()
        for _ in range(_RETRIES):
            passages = self._search(state, query, k, limit)
            # An update deletes what it retires only after switching the pointer: when the pointer has not
            # moved, nothing this search read from was deleted under it.
            now = self.current_state()
            if now is state or now == state:
                break
            state = now
        return passages

    def _search(self, state: IndexState, query: str, k: int, limit: ArticleFilter | None) -> list[Passage]:
        if not state.articles:
            return []
        keys = None
        if limit is not None and limit.active:
            keys = frozenset(r.key for source, r in state.articles.items() if limit.accepts(source, r))
            if not keys:
                raise BadInputError(
                    f"no article is {limit.describe()}; widen the dates or the sources "
                    "(the sources are the sites and file names the citations show)"
                )
        lexical = self._lexical_for(state)
        # SQLite and Chroma both search outside the GIL: the lexical search runs beside the dense one.
        sparse_search = self._pool.submit(lexical.top, state, query, self.settings.sparse_candidates, keys)
        dense = self.store.nearest(state, self.embedder.embed_query(query), self.settings.dense_candidates, keys)
        sparse = sparse_search.result()
        by_id = {stored.id: stored for stored, _ in (*dense, *sparse)}
        closeness = {stored.id: similarity for stored, similarity in dense}
        rankings: list[list[str | None]] = [[stored.id for stored, _ in dense], [stored.id for stored, _ in sparse]]
        if state.embedded_keys != state.served_keys:
            # Articles whose vectors are still being written cannot be in the dense ranking: their chunks are
            # ranked there as they are by their words, so that a new article is not outranked for lacking them.
            rankings.append([stored.id if stored.key not in state.embedded_keys else None for stored, _ in sparse])
        fused = reciprocal_rank_fusion(rankings, k=self.settings.rrf_k)
        passages = []
        for cid, score in fused[:k]:
            stored = by_id[cid]
            c = stored.chunk
            record = state.articles.get(c.source)
            described = (record.published, record.site, record.url) if record else ("", "", "")
            passages.append(
                Passage(c.source, stored.title, c.text, c.start, c.end, score, *described, closeness.get(cid, 0.0))
            )
        return passages
