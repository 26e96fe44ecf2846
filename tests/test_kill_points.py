"""An update killed (SIGKILL) just before each of its store operations: the index serves the whole previous
version or the whole next one (by its words at least: an update writes the vectors after), never a mix, and the
next run completes the update without losing an article.

Complements ``test_crash.py`` (random moments): here every step of the protocol is hit on purpose.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.ingest.indexing import article_key
from assistant.ingest.lexical import LexicalIndex, lexical_path
from assistant.ingest.store import ChromaStore
from assistant.types import Article
from tests.conftest import ROOT
from tests.fakes import HashEmbedder

_WORKER = """
import os, signal, sys
from assistant import Assistant, Settings
from assistant.ingest.lexical import LexicalIndex
from assistant.ingest.store import ChromaStore
from tests.fakes import HashEmbedder

seeds, index, point, nth, mode = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
owner_name, _, method = point.rpartition(".")
owner = {"ChromaStore": ChromaStore, "LexicalIndex": LexicalIndex}[owner_name or "ChromaStore"]
original = getattr(owner, method)
calls = 0

def dying(self, *args, **kwargs):
    global calls
    calls += 1
    if calls == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, *args, **kwargs)

setattr(owner, method, dying)
Assistant(Settings(seeds_dir=seeds, index_dir=index), embedder=HashEmbedder()).index(full=mode == "full")
"""

# (method, which call) just before which the update dies; the last of each list is never reached (no kill).
# ChromaStore's methods unless named; LexicalIndex._register is the last step inside an article's transaction.
INCREMENTAL_POINTS = [
    ("LexicalIndex.delete_articles", 1),  # clearing what an earlier run left
    ("LexicalIndex._register", 1),  # inside the new articles' transaction
    ("LexicalIndex._register", 3),
    ("LexicalIndex.delete_articles", 2),  # deleting the retired rows, after the switch
    ("clear_pending", 1),
    ("drop_unused_collections", 1),
    ("write_state", 1),  # announcing the pending keys
    ("write_state", 2),  # the switch: the new articles served by their words
    ("clear_pending", 2),
    ("delete_articles", 1),  # deleting the retired chunks, after the switch
    ("write_state", 3),  # recording that nothing is pending
    ("add_articles", 1),  # the first two new articles' vectors (a write carries about 5 chunks here)
    ("write_state", 4),  # recording them as embedded
    ("add_articles", 2),
    ("write_state", 5),
    ("write_state", 9),
]
FULL_POINTS = [
    ("LexicalIndex.create", 1),  # the new collection's table
    ("LexicalIndex._register", 2),
    ("LexicalIndex.drop_unused", 2),  # dropping tables of collections no longer served, after the switch
    ("drop_unused_collections", 1),
    ("new_collection", 1),
    ("add_articles", 1),
    ("add_articles", 3),
    ("add_articles", 4),  # the last article's vectors
    ("write_state", 1),  # the switch
    ("drop_unused_collections", 2),
    ("write_state", 9),
]


def _version(generation: int) -> dict[str, str]:
    """Generation 0: a0..a5. Generation 1: a0, a1 changed, a2 deleted, a6, a7 added, a3..a5 unchanged."""
    names = (
        [f"a{i}.txt" for i in range(6)]
        if generation == 0
        else ["a0.txt", "a1.txt", *(f"a{i}.txt" for i in (3, 4, 5, 6, 7))]
    )
    texts = {}
    for name in names:
        changed = generation if name in ("a0.txt", "a1.txt", "a6.txt", "a7.txt") else 0
        body = " ".join(f"Phrase {j} de l'article {name}, version {changed}." for j in range(40))
        texts[name] = f"Article {name}\n\n{body}"
    return texts


def _write(folder: Path, texts: dict[str, str]) -> None:
    for path in folder.iterdir():
        if path.name not in texts:
            path.unlink()
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")


def _served(settings: Settings) -> dict[str, str]:
    """What the index serves, file name -> article key, after checking every chunk is whole and exact."""
    store = ChromaStore(settings)
    state = store.read_state()
    assert state is not None, "the index must always open"
    texts = {**_version(0), **_version(1)}
    counts: dict[str, int] = {}
    for stored in store.iter_chunks(state):
        versions = [v for v in (_version(0), _version(1)) if stored.chunk.source in v]
        assert any(v[stored.chunk.source][stored.chunk.start : stored.chunk.end] == stored.chunk.text for v in versions)
        counts[stored.chunk.source] = counts.get(stored.chunk.source, 0) + 1
    # An update serves new articles by their words first, then writes their vectors.
    embedded = {name: record.chunks for name, record in state.articles.items() if record.embedded}
    assert {name: counts.get(name) for name in embedded} == embedded, "an article is half served"
    assert all(counts.get(name, 0) <= r.chunks for name, r in state.articles.items()), "more vectors than chunks"
    assert set(state.articles) <= set(texts)
    lexical = LexicalIndex(lexical_path(settings)).articles(state.collection)
    served = {record.key: record.chunks for record in state.articles.values()}
    assert {key: lexical.get(key) for key in served} == served, "the lexical index serves the same version"
    return {name: record.key for name, record in state.articles.items()}


def _keys(texts: dict[str, str]) -> dict[str, str]:
    return {name: article_key(Article(name, "", text)) for name, text in texts.items()}


@pytest.mark.parametrize(
    ("mode", "method", "nth"),
    [("incremental", m, n) for m, n in INCREMENTAL_POINTS] + [("full", m, n) for m, n in FULL_POINTS],
)
def test_update_killed_before_a_store_operation(tmp_path: Path, mode: str, method: str, nth: int) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    settings = Settings(seeds_dir=articles, index_dir=tmp_path / "index")
    _write(articles, _version(0))
    Assistant(settings, embedder=HashEmbedder()).index()
    _write(articles, _version(1))

    worker = subprocess.run(
        [sys.executable, "-c", _WORKER, str(articles), str(settings.index_dir), method, str(nth), mode],
        # Writes of two articles (three chunks each): the kill points fall between and inside such writes.
        env={**os.environ, "PYTHONPATH": str(ROOT), "ASSISTANT_INDEX_BATCH_CHUNKS": "5"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    never_reached = nth == 9
    if never_reached:
        assert worker.returncode == 0, worker.stderr
    else:
        assert worker.returncode == -signal.SIGKILL, worker.stderr

    served = _served(settings)
    assert served in (_keys(_version(0)), _keys(_version(1))), "the index serves one whole version"
    assistant = Assistant(settings, embedder=HashEmbedder())
    assert all(p.source in served for p in assistant.retrieve("Phrase article version", k=5))

    report = assistant.index()
    assert _served(settings) == _keys(_version(1)), "the next run completes the update; no article is lost"
    store = ChromaStore(settings)
    state = store.read_state()
    assert state is not None and not state.pending and report.chunks == state.chunk_count
    assert all(record.embedded for record in state.articles.values())
    assert store._collection(state.collection).count() == state.chunk_count, "no stale chunk is left behind"
    client = store._connect()
    names = [c.name for c in client.list_collections()]
    chunk_collections = [name for name in names if "-pointer" not in name]
    assert 1 <= sum(name.startswith("articles-pointer-") for name in names) <= 2, "the manifest and its previous one"
    assert chunk_collections == [state.collection], "no stale collection is left behind"
    lexical = LexicalIndex(lexical_path(settings))
    assert lexical.collections() == {state.collection}, "no stale lexical table is left behind"
    assert lexical.articles(state.collection) == {r.key: r.chunks for r in state.articles.values()}, "no stale row"
