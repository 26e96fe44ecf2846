"""Bring the index up to date with the articles folder: incremental by content hash, or from scratch."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from filelock import FileLock, Timeout

from assistant.config import Settings
from assistant.errors import IndexBusyError, StoreUnavailableError
from assistant.ingest.chunking import chunk_article
from assistant.ingest.embedding import ArticleEmbedder
from assistant.ingest.lexical import LexicalIndex, lexical_path, sync_lexical
from assistant.ingest.loader import FileStamp, load_articles
from assistant.ingest.store import ArticleChunks, ArticleRecord, ChromaStore, IndexState, now_iso
from assistant.types import Article, IndexReport, Metadata

logger = logging.getLogger(__name__)

# Called with (articles done, articles to embed, name of the article being embedded).
Progress = Callable[[int, int, str], None]


def article_key(article: Article) -> str:
    """Identity of an article's name and content: it changes when either does."""
    return hashlib.sha256(f"{article.source}\0{article.sha256}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class _Changes:
    """Article names sorted by what an update does to them."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]

    @classmethod
    def between(cls, old: dict[str, ArticleRecord], keys: dict[str, str]) -> _Changes:
        return cls(
            added=[s for s in keys if s not in old],
            updated=[s for s in keys if s in old and old[s].key != keys[s]],
            removed=[s for s in old if s not in keys],
            unchanged=[s for s in keys if s in old and old[s].key == keys[s]],
        )


def _not_writable(settings: Settings, err: OSError) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"the index folder {str(settings.index_dir)!r} is not writable ({err.strerror}); "
        "choose another folder with --index-dir or ASSISTANT_INDEX_DIR"
    )


@contextmanager
def build_lock(settings: Settings) -> Iterator[None]:
    """Hold the index's build lock; wait up to ``lock_timeout`` seconds for another build to finish.

    Raises:
        StoreUnavailableError: the index folder cannot be created or written.
        IndexBusyError: another build held the lock for longer than ``lock_timeout``.
    """
    path = settings.index_dir / ".build.lock"
    try:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        # filelock takes a lock file it cannot create for one held by someone else, and would wait for it.
        with path.open("a"):
            pass
    except OSError as err:
        raise _not_writable(settings, err) from err
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.warning("another index update is running; waiting up to %.0f s", settings.lock_timeout)
        try:
            lock.acquire(timeout=settings.lock_timeout)
        except Timeout as err:
            raise IndexBusyError(
                f"another index update has been running for over {settings.lock_timeout:.0f} s; "
                "wait for it to finish, then run 'assistant index' again"
            ) from err
    except OSError as err:
        raise _not_writable(settings, err) from err
    try:
        yield
    finally:
        lock.release()


def update_index(
    settings: Settings,
    store: ChromaStore,
    embedder: ArticleEmbedder,
    *,
    full: bool = False,
    progress: Progress | None = None,
    lexical: LexicalIndex | None = None,
) -> IndexReport:
    """Embed new and changed articles, drop removed ones, leave unchanged ones untouched.

    With ``full`` (or when the embedding model changed) everything is embedded again into a new collection,
    and the pointer switches to it only once it is complete. The lexical index (built from the settings when
    absent) follows the same steps: an article's rows are written with its vectors, before the switch, and
    retired rows are deleted after it.

    Raises:
        BadInputError: the articles folder does not exist.
        IndexBusyError: another update held the lock for longer than ``lock_timeout``.
        StoreUnavailableError: the index cannot be opened or written.
    """
    started = time.perf_counter()
    lexical = lexical or LexicalIndex(lexical_path(settings))
    with build_lock(settings):
        state = store.read_state()
        rebuild = full or state is None or state.embedding_model != embedder.model_id
        old = state.articles if state is not None else {}
        # Files whose size and time are those of the served article are not read again (a rebuild reads all).
        known = {} if rebuild else {s: FileStamp(r.size, r.mtime_ns, r.text_key) for s, r in old.items() if r.text_key}
        loaded = load_articles(settings.seeds_dir, settings.max_article_bytes, prefer=old, known=known)
        articles = {a.source: a for a in loaded.articles}
        if state is not None and state.embedding_model != embedder.model_id:
            logger.warning(
                "the index was built with %s; embedding every article again with %s",
                state.embedding_model,
                embedder.model_id,
            )
        keys = {source: article_key(a) for source, a in articles.items()} | {s: old[s].key for s in loaded.unchanged}
        changes = _Changes.between(old, keys)
        added, updated, removed, unchanged = (
            changes.added,
            changes.updated,
            changes.removed,
            changes.unchanged,
        )

        if rebuild:
            to_embed = sorted(articles)
            store.drop_unused_collections(keep=[state.collection] if state else [])
            lexical.drop_unused(keep=[state.collection] if state else [])
            collection = store.new_collection()
            lexical.create(collection)
            base = IndexState(collection=collection, embedding_model=embedder.model_id)
            manifest: dict[str, ArticleRecord] = {}
        else:
            assert state is not None
            state = _clear_pending(store, lexical, state)
            store.drop_unused_collections(keep=[state.collection])
            lexical.drop_unused(keep=[state.collection])
            # An index written before the lexical index was kept on disk, or a deleted lexical file: filled here.
            sync_lexical(store, lexical, state)
            to_embed = sorted(added + updated)
            restamped = {s: _described(_stamped(old[s], loaded.stamps.get(s)), loaded.meta.get(s)) for s in unchanged}
            if not to_embed and not removed:
                if store.legacy_pointer or restamped != {s: old[s] for s in unchanged}:
                    # The pointer in today's form (small, read on every question), with the files' new stamps.
                    state = replace(state, articles=dict(sorted(restamped.items())))
                    store.write_state(state)
                return _report(changes, state, started, loaded.skipped)
            # Announce the keys about to be written, so that an interrupted run can be cleaned up.
            base = replace(state, pending=tuple(keys[s] for s in to_embed))
            store.write_state(base)
            manifest = restamped

        todo = [(keys[s], articles[s]) for s in to_embed]
        records = _embed_articles(
            settings, store, embedder, lexical, collection=base.collection, to_embed=todo, progress=progress
        )
        manifest |= {s: _described(_stamped(r, loaded.stamps.get(s)), loaded.meta.get(s)) for s, r in records.items()}

        retired = [old[s].key for s in updated + removed] if not rebuild else []
        new_state = replace(base, articles=dict(sorted(manifest.items())), updated_at=now_iso(), pending=tuple(retired))
        store.write_state(new_state)  # the switch
        if rebuild:
            # The previous collection stays until the next update, so that a question being answered from it
            # during the switch still finds it; collections older than that are dropped now.
            kept = [new_state.collection, *([state.collection] if state else [])]
            store.drop_unused_collections(keep=kept)
            lexical.drop_unused(keep=kept)
        else:
            new_state = _clear_pending(store, lexical, new_state)
        return _report(changes, new_state, started, loaded.skipped)


def _embed_articles(
    settings: Settings,
    store: ChromaStore,
    embedder: ArticleEmbedder,
    lexical: LexicalIndex,
    *,
    collection: str,
    to_embed: list[tuple[str, Article]],
    progress: Progress | None,
) -> dict[str, ArticleRecord]:
    """Chunk and embed each article, writing them a few at a time; their records, by file name."""
    records: dict[str, ArticleRecord] = {}
    batch: list[ArticleChunks] = []
    for done, (key, article) in enumerate(to_embed):
        if progress:
            progress(done, len(to_embed), article.source)
        chunks = chunk_article(article, settings.chunk_min_words, settings.chunk_max_words)
        batch.append(ArticleChunks(key, article.title, chunks, embedder.embed_documents([c.text for c in chunks])))
        # Nothing written here is served before the update's switch, so the record can be made now.
        records[article.source] = ArticleRecord(key=key, title=article.title, chunks=len(chunks))
        if sum(len(a.chunks) for a in batch) >= settings.index_batch_chunks:
            _write_batch(store, lexical, collection, batch)
            batch = []
    _write_batch(store, lexical, collection, batch)
    if progress:
        progress(len(to_embed), len(to_embed), "")
    return records


def _stamped(record: ArticleRecord, stamp: FileStamp | None) -> ArticleRecord:
    """The record with the file's stamp of this update; the one it had when the file was not read again, or
    was written too recently to be trusted (that stamp no longer matches the file: it is read next time)."""
    if stamp is None:
        return record
    return replace(record, size=stamp.size, mtime_ns=stamp.mtime_ns, text_key=stamp.text_key)


def _described(record: ArticleRecord, meta: Metadata | None) -> ArticleRecord:
    """The record with the article's date, site and link (changing them does not embed the article again)."""
    meta = meta or Metadata()
    return replace(record, published=meta.published, site=meta.site, url=meta.url)


def _write_batch(store: ChromaStore, lexical: LexicalIndex, collection: str, batch: list[ArticleChunks]) -> None:
    """Write a few articles' vectors, then their lexical rows: one store write and one transaction."""
    if batch:
        store.add_articles(collection, batch)
        lexical.add_articles(collection, batch)
        logger.debug("wrote %d articles", len(batch))


def _clear_pending(store: ChromaStore, lexical: LexicalIndex, state: IndexState) -> IndexState:
    """Delete the vectors of pending articles the state does not serve, and every lexical row it does not serve."""
    lexical.delete_articles(state.collection, lexical.articles(state.collection).keys() - state.served_keys)
    return store.clear_pending(state)


def _report(changes: _Changes, state: IndexState, started: float, skipped: list[str]) -> IndexReport:
    return IndexReport(
        added=len(changes.added),
        updated=len(changes.updated),
        removed=len(changes.removed),
        unchanged=len(changes.unchanged),
        chunks=state.chunk_count,
        seconds=time.perf_counter() - started,
        skipped=tuple(skipped),
    )
