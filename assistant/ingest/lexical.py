"""The lexical index: BM25 over the chunks' terms, persisted in SQLite FTS5 beside the vectors.

It follows the vector store's versioning. Each chunk collection has its own FTS5 table, and each table's rows
carry their article's key, so that the pointer that says which collection and which articles are served says
it for both: rows of articles that are not (or no longer) served are skipped at search time and deleted by the
next update, and a table is dropped with its collection. Every write is one SQLite transaction, so a kill
leaves the rows of the previous commit, never half an article.

Nothing is rebuilt in memory: a process opens the file (memory-mapped by SQLite) and queries it. When the
vectors live on a Chroma server, each machine keeps its own copy of this file in its index folder, filled and
kept in step with the server's pointer from the server's own chunks (``sync_lexical``): the served articles
decide what every copy holds, so every app process ranks the same rows.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from assistant.config import Settings
from assistant.errors import StoreUnavailableError
from assistant.ingest.index_state import IndexState
from assistant.ingest.store import ArticleChunks, ChromaStore, StoredChunk, chunk_id
from assistant.ingest.terms import content_terms
from assistant.types import Chunk

logger = logging.getLogger(__name__)

# Terms are folded and stemmed before they are stored: the tokenizer only splits them, keeping "14_3" whole.
_TOKENIZER = "unicode61 remove_diacritics 0 tokenchars '_'"
_MMAP_BYTES = 1 << 30
_BUSY_MS = 60_000
_SYNC_BATCH = 200
# On a large index, query terms found in over 5 % of the chunks are left out (see _without_common); on a small
# one every term is kept: the search is fast anyway, and there a share of 5 % is a few dozen chunks.
_PRUNE_FROM_CHUNKS = 20_000
_COMMON_SHARE = 0.05  # articles per transaction when a copy is filled from the store


def lexical_path(settings: Settings) -> Path:
    """Where the lexical index of these settings lives (always a local file, also with a Chroma server)."""
    return settings.index_dir / f"{settings.collection_prefix}-lexical.sqlite3"


def _table(collection: str) -> str:
    return "lex_" + re.sub(r"\W", "_", collection)


class LexicalIndex:
    """BM25 search over folded, stop-word-free, stemmed terms (French and English alike), on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS lex_articles "
                    "(collection TEXT, article TEXT, chunks INTEGER, PRIMARY KEY (collection, article))"
                )
            except (OSError, sqlite3.Error) as err:
                raise StoreUnavailableError(
                    f"cannot open the lexical index {str(self.path)!r} ({err}); "
                    "choose a writable folder with --index-dir or ASSISTANT_INDEX_DIR"
                ) from err
            self._local.db = db
        return db

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it is committed, or none of it (also when the process is killed)."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def create(self, collection: str) -> None:
        """Create the (empty) table of a chunk collection, unless it exists (a reader then writes nothing)."""
        if self._has_table(_table(collection)):
            return
        with self._writing() as db:
            self._create(db, collection)

    def _has_table(self, table: str) -> bool:
        return self._db().execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None

    def _create(self, db: sqlite3.Connection, collection: str) -> None:
        db.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {_table(collection)} USING fts5(terms, chunk_id UNINDEXED, "
            f"article UNINDEXED, source UNINDEXED, title UNINDEXED, start UNINDEXED, end UNINDEXED, "
            f'text UNINDEXED, tokenize="{_TOKENIZER}")'
        )

    def add_articles(self, collection: str, articles: Iterable[ArticleChunks]) -> None:
        """Store the articles' chunks (replacing rows of the same key) in one transaction."""
        table = _table(collection)
        with self._writing() as db:
            self._create(db, collection)
            registered = self.articles(collection)
            for article in articles:
                if article.key in registered:
                    self._delete(db, table, [article.key])
                db.executemany(
                    f"INSERT INTO {table} (terms, chunk_id, article, source, title, start, end, text) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            " ".join(content_terms(c.text)),
                            chunk_id(article.key, c),
                            article.key,
                            c.source,
                            article.title,
                            c.start,
                            c.end,
                            c.text,
                        )
                        for c in article.chunks
                    ],
                )
                self._register(db, collection, article.key, len(article.chunks))

    def _register(self, db: sqlite3.Connection, collection: str, key: str, chunks: int) -> None:
        """Record that an article's rows are all in (the transaction's last step)."""
        db.execute("INSERT OR REPLACE INTO lex_articles VALUES (?, ?, ?)", (collection, key, chunks))

    def delete_articles(self, collection: str, keys: Iterable[str]) -> None:
        """Delete every row of the given article keys."""
        keys = sorted(set(keys))
        if not keys or collection not in self.collections():
            return
        with self._writing() as db:
            self._delete(db, _table(collection), keys)
            db.execute(
                "DELETE FROM lex_articles WHERE collection = ? AND article IN (SELECT value FROM json_each(?))",
                (collection, json.dumps(keys)),
            )

    def _delete(self, db: sqlite3.Connection, table: str, keys: Sequence[str]) -> None:
        # One pass over the table whatever the number of keys: the article column is not indexed.
        db.execute(f"DELETE FROM {table} WHERE article IN (SELECT value FROM json_each(?))", (json.dumps(list(keys)),))

    def articles(self, collection: str) -> dict[str, int]:
        """The article keys whose rows are all in the collection's table, with their chunk counts."""
        rows = self._db().execute("SELECT article, chunks FROM lex_articles WHERE collection = ?", (collection,))
        return dict(rows.fetchall())

    def collections(self) -> set[str]:
        """The collections that have a table here."""
        rows = self._db().execute("SELECT DISTINCT collection FROM lex_articles").fetchall()
        tables = {name for (name,) in self._db().execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {c for (c,) in rows if _table(c) in tables}

    def drop_unused(self, keep: Iterable[str]) -> None:
        """Drop the tables of collections that are not kept (their vectors are dropped too)."""
        keep = set(keep)
        with self._writing() as db:
            for (collection,) in db.execute("SELECT DISTINCT collection FROM lex_articles").fetchall():
                if collection not in keep:
                    db.execute(f"DROP TABLE IF EXISTS {_table(collection)}")
                    db.execute("DELETE FROM lex_articles WHERE collection = ?", (collection,))
                    logger.info("dropped the lexical table of %s", collection)

    def _without_common(self, table: str, terms: list[str], chunks: int) -> list[str]:
        """The terms found in at most ``_COMMON_SHARE`` of the chunks, or else the rarest one.

        A term in many chunks weighs little in BM25 (its IDF is near zero) but makes most of a search's time on
        a large index: every chunk that holds it is scored.
        """
        db = self._db()
        db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_vocab USING fts5vocab(main, {table}, 'row')")
        marks = ", ".join("?" * len(terms))
        found = dict(db.execute(f"SELECT term, doc FROM temp.{table}_vocab WHERE term IN ({marks})", terms).fetchall())
        kept = [t for t in terms if found.get(t, 0) <= _COMMON_SHARE * chunks]
        return kept or [min(terms, key=lambda t: found.get(t, 0))]

    def top(
        self, state: IndexState, query: str, n: int, keys: frozenset[str] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """The ``n`` served chunks that best match ``query`` (of the articles ``keys`` only, when given), with
        their BM25 scores (best first)."""
        terms = sorted(set(content_terms(query)))
        table = _table(state.collection)
        if not terms or not self._has_table(table):
            return []
        if state.chunk_count > _PRUNE_FROM_CHUNKS:
            terms = self._without_common(table, terms, state.chunk_count)
        match = " OR ".join(f'"{term}"' for term in terms)
        served = state.served_keys if keys is None else keys & state.served_keys
        want = 2 * n + 10
        while True:
            rows = (
                self._db()
                .execute(
                    f"SELECT chunk_id, article, source, title, start, end, text, bm25({_table(state.collection)}) "
                    f"FROM {_table(state.collection)} WHERE terms MATCH ? ORDER BY rank LIMIT ?",
                    (match, want),
                )
                .fetchall()
            )
            hits = [
                (StoredChunk(cid, Chunk(source, int(start), int(end), text), title, key), -float(rank))
                for cid, key, source, title, start, end, text, rank in rows
                if key in served
            ]
            # Rows of articles an update has not switched to (or has retired) may crowd the first places.
            if len(hits) >= n or len(rows) < want:
                return hits[:n]
            want *= 4


def _start(chunk: Chunk) -> int:
    return chunk.start


def sync_lexical(store: ChromaStore, lexical: LexicalIndex, state: IndexState) -> int:
    """Add to the lexical index the served articles it lacks, from the store's chunks; returns how many.

    This fills a new copy (an index built before the lexical index was persisted, a deleted file, a machine
    that reads a Chroma server's index for the first time) and brings a copy up to date after an update made
    elsewhere. It never deletes: the update that retires an article deletes its rows.
    """
    # An article whose vectors are still being written has no chunks in the store yet: the update that serves
    # it wrote its rows here, and writes them again if it was interrupted.
    missing = sorted(state.embedded_keys - lexical.articles(state.collection).keys())
    if not missing:
        lexical.create(state.collection)
        return 0
    logger.info("adding %d articles to the lexical index at %s", len(missing), lexical.path)
    for first in range(0, len(missing), _SYNC_BATCH):
        keys = missing[first : first + _SYNC_BATCH]
        grouped: dict[str, list[StoredChunk]] = {key: [] for key in keys}
        for stored in store.chunks_of(state.collection, keys):
            grouped[stored.key].append(stored)
        lexical.add_articles(
            state.collection,
            (
                ArticleChunks(
                    key, rows[0].title if rows else "", sorted((r.chunk for r in rows), key=lambda c: c.start)
                )
                for key, rows in grouped.items()
            ),
        )
    return len(missing)
