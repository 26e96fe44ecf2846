"""A rebuild killed with SIGKILL at random moments never leaves a broken or half-served index."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant import Assistant, Settings
from tests.conftest import ROOT
from tests.fakes import HashEmbedder

_WORKER = """
import sys, time
from assistant import Assistant, Settings
from tests.fakes import HashEmbedder

class Slow(HashEmbedder):
    def embed_documents(self, texts):
        time.sleep(0.3)
        return super().embed_documents(texts)

settings = Settings(seeds_dir=sys.argv[1], index_dir=sys.argv[2])
Assistant(settings, embedder=Slow()).index(full=sys.argv[3] == "full")
"""


def _write_articles(folder: Path, generation: int, count: int = 12) -> None:
    for i in range(count):
        body = " ".join(f"Phrase {j} de l'article {i}, version {generation}, mot{i}x{generation}." for j in range(30))
        (folder / f"a{i:02d}.txt").write_text(f"Article {i}\n\n{body}", encoding="utf-8")


def _check_consistent(settings: Settings) -> None:
    """The index opens, and every served article is served whole by its words, in exactly one version; by its
    vectors too once they are all written (an update writes an article's vectors after serving its words)."""
    assistant = Assistant(settings, embedder=HashEmbedder())
    state = assistant.store.read_state()
    assert state is not None
    words = assistant.lexical.articles(state.collection)
    for source, record in state.articles.items():
        assert words.get(record.key) == record.chunks, f"{source}: its words are not all served"
    chunks = list(assistant.store.iter_chunks(state))
    by_source: dict[str, set[str]] = {}
    for stored in chunks:
        by_source.setdefault(stored.chunk.source, set()).add(stored.key)
    assert set(by_source) >= {s for s, r in state.articles.items() if r.embedded}
    for source, keys in by_source.items():
        record = state.articles[source]
        assert keys == {record.key}, f"{source} served in two versions"
        served = sum(1 for c in chunks if c.chunk.source == source)
        if record.embedded:
            assert served == record.chunks, f"{source} half served"
        else:
            assert served <= record.chunks, f"{source}: more vectors than chunks"
    if state.articles:
        assert assistant.retrieve("Phrase article version", k=3)


def test_rebuild_killed_at_random_points(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    settings = Settings(seeds_dir=articles, index_dir=tmp_path / "index")
    _write_articles(articles, 0)
    Assistant(settings, embedder=HashEmbedder()).index()
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kills = 0
    for generation in range(1, 7):
        _write_articles(articles, generation, count=rng.randint(8, 14))
        mode = "full" if generation % 3 == 0 else "incremental"
        worker = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(articles), str(settings.index_dir), mode], env=env, cwd=ROOT
        )
        time.sleep(rng.uniform(0.5, 4.0))
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        worker.wait()
        _check_consistent(settings)
    assert kills >= 3, "the worker should have been killed mid-way most of the time"
    report = Assistant(settings, embedder=HashEmbedder()).index()
    _check_consistent(settings)
    state = Assistant(settings, embedder=HashEmbedder()).store.read_state()
    assert state is not None and sorted(state.articles) == sorted(p.name for p in articles.iterdir())
    assert report.chunks == state.chunk_count
    assert not state.pending
    assert all(record.embedded for record in state.articles.values())
