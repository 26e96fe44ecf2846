"""Writing articles' chunks into the index: their words (lexical rows) and their vectors.

A new collection gets both together, a few articles a write, before the pointer serves it. An update of the
served collection writes the words of every new article first, so that they are searchable at once, then their
vectors, recording after each write which articles are now searchable by their meaning too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from assistant.config import Settings
from assistant.ingest.chunking import chunk_article
from assistant.ingest.embedding import ArticleEmbedder
from assistant.ingest.index_state import ArticleRecord, IndexState, now_iso
from assistant.ingest.lexical import LexicalIndex
from assistant.ingest.store import ArticleChunks, ChromaStore
from assistant.types import Article

logger = logging.getLogger(__name__)

# Called with (articles done, articles to embed, name of the article being embedded).
Progress = Callable[[int, int, str], None]
# Called once an update's new and changed articles are searchable by their words (their vectors come after).
Searchable = Callable[[], None]

_WORDS_BATCH = 200  # articles whose lexical rows are written in one transaction


@dataclass(frozen=True)
class ChunkWriter:
    """Chunks articles and writes them to the store and the lexical index."""

    settings: Settings
    store: ChromaStore
    embedder: ArticleEmbedder
    lexical: LexicalIndex

    def chunked(self, key: str, article: Article) -> ArticleChunks:
        chunks = chunk_article(article, self.settings.chunk_min_words, self.settings.chunk_max_words)
        return ArticleChunks(key, article.title, chunks)

    def _embedded(self, article: ArticleChunks) -> ArticleChunks:
        return replace(article, vectors=self.embedder.embed_documents([c.text for c in article.chunks]))

    def write_whole(
        self, collection: str, to_embed: Sequence[tuple[str, Article]], progress: Progress | None
    ) -> dict[str, ArticleRecord]:
        """Chunk and embed each article into a collection not served yet, vectors and words together, a few
        articles a write; their records, by file name."""
        records: dict[str, ArticleRecord] = {}
        batch: list[ArticleChunks] = []
        for done, (key, article) in enumerate(to_embed):
            if progress:
                progress(done, len(to_embed), article.source)
            batch.append(self._embedded(self.chunked(key, article)))
            records[article.source] = ArticleRecord(key=key, title=article.title, chunks=len(batch[-1].chunks))
            if sum(len(a.chunks) for a in batch) >= self.settings.index_batch_chunks:
                self._write_both(collection, batch)
                batch = []
        self._write_both(collection, batch)
        if progress:
            progress(len(to_embed), len(to_embed), "")
        return records

    def _write_both(self, collection: str, batch: list[ArticleChunks]) -> None:
        """Write a few articles' vectors, then their lexical rows: one store write and one transaction."""
        if batch:
            self.store.add_articles(collection, batch)
            self.lexical.add_articles(collection, batch)
            logger.debug("wrote %d articles", len(batch))

    def write_words(self, collection: str, articles: Sequence[ArticleChunks]) -> None:
        """Write the articles' lexical rows (replacing any of the same keys), many articles a transaction."""
        for first in range(0, len(articles), _WORDS_BATCH):
            self.lexical.add_articles(collection, articles[first : first + _WORDS_BATCH])

    def write_vectors(
        self, state: IndexState, articles: Sequence[ArticleChunks], progress: Progress | None
    ) -> IndexState:
        """Embed served articles that are searchable by their words only and write their vectors, a few
        articles a write; after each write the pointer records them as embedded, so an interrupted update
        loses at most one write's work. Returns the last state written."""
        sources = {record.key: source for source, record in state.articles.items()}
        batch: list[ArticleChunks] = []
        for done, article in enumerate(articles):
            if progress:
                progress(done, len(articles), sources[article.key])
            batch.append(self._embedded(article))
            if sum(len(a.chunks) for a in batch) >= self.settings.index_batch_chunks or done == len(articles) - 1:
                self.store.add_articles(state.collection, batch)
                finished = {sources[a.key] for a in batch}
                served = {s: replace(r, embedded=True) if s in finished else r for s, r in state.articles.items()}
                state = replace(state, articles=served, updated_at=now_iso())
                self.store.write_state(state)
                batch = []
        if progress:
            progress(len(articles), len(articles), "")
        return state
