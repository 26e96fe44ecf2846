"""Bring the index up to date with the articles folder: incremental by content hash, or from scratch."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from filelock import FileLock, Timeout

from assistant.config import Settings
from assistant.errors import IndexBusyError, StoreUnavailableError
from assistant.ingest.embedding import ArticleEmbedder
from assistant.ingest.index_state import ArticleRecord, IndexState, now_iso
from assistant.ingest.lexical import LexicalIndex, lexical_path, sync_lexical
from assistant.ingest.loader import FileStamp, LoadedArticles, load_articles
from assistant.ingest.store import ChromaStore
from assistant.ingest.writing import ChunkWriter, Progress, Searchable
from assistant.types import Article, IndexReport, Metadata

logger = logging.getLogger(__name__)


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
    searchable: Searchable | None = None,
) -> IndexReport:
    """Embed new and changed articles, drop removed ones, leave unchanged ones untouched.

    New and changed articles are served in two steps: first by their words (their lexical rows are written,
    then the pointer serves them, and ``searchable`` is called), then by their meaning as their vectors are
    written, a few articles at a time. Retired chunks are deleted after the first switch.

    With ``full`` (or when the embedding model changed) everything is embedded again into a new collection,
    and the pointer switches to it only once it is complete, words and vectors together. The lexical index is
    built from the settings when absent.

    Raises:
        BadInputError: the articles folder does not exist.
        IndexBusyError: another update held the lock for longer than ``lock_timeout``.
        StoreUnavailableError: the index cannot be opened or written.
    """
    started = time.perf_counter()
    writer = ChunkWriter(settings, store, embedder, lexical or LexicalIndex(lexical_path(settings)))
    with build_lock(settings):
        state = store.read_state()
        rebuild = full or state is None or state.embedding_model != embedder.model_id
        if state is not None and state.embedding_model != embedder.model_id:
            logger.warning(
                "the index was built with %s; embedding every article again with %s",
                state.embedding_model,
                embedder.model_id,
            )
        plan = _Plan.of(settings, state, read_all=rebuild)
        if rebuild:
            return _rebuild(writer, state, plan, started, progress)
        assert state is not None
        return _update(writer, state, plan, started, progress=progress, searchable=searchable)


@dataclass(frozen=True)
class _Plan:
    """The articles folder as this update reads it, beside what the index serves."""

    loaded: LoadedArticles
    articles: dict[str, Article]  # the articles read, by file name
    keys: dict[str, str]  # every article's key, read or not
    changes: _Changes

    @classmethod
    def of(cls, settings: Settings, state: IndexState | None, *, read_all: bool) -> _Plan:
        """Read the folder; unless ``read_all`` (a rebuild), files whose size and time are those of a served
        and embedded article are not read again."""
        old = state.articles if state is not None else {}
        stamped = {} if read_all else {s: r for s, r in old.items() if r.text_key and r.embedded}
        known = {s: FileStamp(r.size, r.mtime_ns, r.text_key) for s, r in stamped.items()}
        loaded = load_articles(settings.seeds_dir, settings.max_article_bytes, prefer=old, known=known)
        articles = {a.source: a for a in loaded.articles}
        keys = {source: article_key(a) for source, a in articles.items()} | {s: old[s].key for s in loaded.unchanged}
        return cls(loaded, articles, keys, _Changes.between(old, keys))

    def record(self, source: str, record: ArticleRecord) -> ArticleRecord:
        """The record with the file's stamp and metadata of this update."""
        return _described(_stamped(record, self.loaded.stamps.get(source)), self.loaded.meta.get(source))


def _rebuild(
    writer: ChunkWriter, state: IndexState | None, plan: _Plan, started: float, progress: Progress | None
) -> IndexReport:
    """Embed every article into a new collection, then switch the pointer to it."""
    store, lexical = writer.store, writer.lexical
    store.drop_unused_collections(keep=[state.collection] if state else [])
    lexical.drop_unused(keep=[state.collection] if state else [])
    collection = store.new_collection()
    lexical.create(collection)
    todo = [(plan.keys[s], plan.articles[s]) for s in sorted(plan.articles)]
    records = writer.write_whole(collection, todo, progress)
    served = {s: plan.record(s, r) for s, r in sorted(records.items())}
    new_state = IndexState(collection, writer.embedder.model_id, articles=served, updated_at=now_iso())
    store.write_state(new_state)  # the switch
    # The previous collection stays until the next update, so that a question being answered from it during
    # the switch still finds it; collections older than that are dropped now.
    kept = [new_state.collection, *([state.collection] if state else [])]
    store.drop_unused_collections(keep=kept)
    lexical.drop_unused(keep=kept)
    return _report(plan, new_state, started)


def _update(
    writer: ChunkWriter,
    state: IndexState,
    plan: _Plan,
    started: float,
    *,
    progress: Progress | None,
    searchable: Searchable | None,
) -> IndexReport:
    """Serve new and changed articles by their words, retire the old ones, then write the new ones' vectors."""
    store, lexical, old, changes = writer.store, writer.lexical, state.articles, plan.changes
    state = _clear_pending(store, lexical, state)
    store.drop_unused_collections(keep=[state.collection])
    lexical.drop_unused(keep=[state.collection])
    # An index written before the lexical index was kept on disk, or a deleted lexical file: filled here.
    sync_lexical(store, lexical, state)
    # Unchanged articles whose vectors an interrupted update did not finish writing are embedded now.
    unfinished = [s for s in changes.unchanged if not old[s].embedded and s in plan.articles]
    to_embed = sorted(changes.added + changes.updated + unfinished)
    kept = {s: plan.record(s, old[s]) for s in changes.unchanged}
    if not to_embed and not changes.removed:
        if store.legacy_pointer or kept != {s: old[s] for s in changes.unchanged}:
            # The pointer in today's form (small, read on every question), with the files' new stamps.
            state = replace(state, articles=dict(sorted(kept.items())))
            store.write_state(state)
        return _report(plan, state, started)
    # Announce the keys about to be written, so that an interrupted run can be cleaned up.
    store.write_state(replace(state, pending=tuple(plan.keys[s] for s in to_embed)))

    # First their words: the articles are searchable by BM25 as soon as their rows are in and the pointer
    # serves them; their vectors (the slow part: about ten chunks a second on 2 cores) come after.
    chunked = [writer.chunked(plan.keys[s], plan.articles[s]) for s in to_embed]
    writer.write_words(state.collection, chunked)
    waiting = {
        s: plan.record(s, ArticleRecord(c.key, c.title, len(c.chunks), embedded=False))
        for s, c in zip(to_embed, chunked, strict=True)
    }
    retired = [old[s].key for s in changes.updated + changes.removed]
    served = dict(sorted((kept | waiting).items()))
    state = replace(state, articles=served, updated_at=now_iso(), pending=tuple(retired))
    store.write_state(state)  # the switch
    state = _clear_pending(store, lexical, state)
    searchable_after = time.perf_counter() - started
    if searchable:
        searchable()
    state = writer.write_vectors(state, chunked, progress)
    return _report(plan, state, started, searchable_after)


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


def _clear_pending(store: ChromaStore, lexical: LexicalIndex, state: IndexState) -> IndexState:
    """Delete the vectors of pending articles the state does not serve, and every lexical row it does not serve."""
    lexical.delete_articles(state.collection, lexical.articles(state.collection).keys() - state.served_keys)
    return store.clear_pending(state)


def _report(plan: _Plan, state: IndexState, started: float, searchable_after: float | None = None) -> IndexReport:
    changes = plan.changes
    return IndexReport(
        added=len(changes.added),
        updated=len(changes.updated),
        removed=len(changes.removed),
        unchanged=len(changes.unchanged),
        chunks=state.chunk_count,
        seconds=time.perf_counter() - started,
        skipped=tuple(plan.loaded.skipped),
        searchable_seconds=searchable_after,
    )
