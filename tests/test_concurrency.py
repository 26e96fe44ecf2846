"""Questions keep being answered, whole and from one version of the index, while the index is updated."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.types import Passage
from tests.conftest import ROOT
from tests.fakes import HashEmbedder

QUERY = "Phrase de l'article version marqueur"
ARTICLES = 6

_WRITER = """
import sys, time
from assistant import Assistant, Settings
from tests.fakes import HashEmbedder
from tests.test_concurrency import SlowEmbedder, write_generation

settings = Settings(seeds_dir=sys.argv[1], index_dir=sys.argv[2])
for generation in range(1, int(sys.argv[3]) + 1):
    write_generation(settings.seeds_dir, generation)
    Assistant(settings, embedder=SlowEmbedder()).index(full=generation % 2 == 0)
"""


class SlowEmbedder(HashEmbedder):
    """Embeds slowly, so that readers run while an update is half done."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        time.sleep(0.05)
        return super().embed_documents(texts)


def generation_texts(generation: int) -> dict[str, str]:
    """The articles of one generation: every article changes from one generation to the next."""
    texts = {}
    for i in range(ARTICLES):
        body = " ".join(
            f"Phrase {j} de l'article {i}, version {generation}, marqueur g{generation}a{i}." for j in range(25)
        )
        texts[f"a{i}.txt"] = f"Article {i}\n\n{body}\n\n{body}"
    return texts


def write_generation(folder: Path, generation: int) -> None:
    for name, text in generation_texts(generation).items():
        (folder / name).write_text(text, encoding="utf-8")


def _generations_of(result: list[Passage], generations: int) -> set[int]:
    """The generations every passage of ``result`` is an exact span of."""
    possible = set(range(generations + 1))
    for p in result:
        possible &= {g for g in possible if generation_texts(g)[p.source][p.start : p.end] == p.text}
    return possible


class _Reader(threading.Thread):
    """Asks the same question in a loop and keeps every result and every error."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True)
        self.assistant = Assistant(settings, embedder=HashEmbedder())
        self.results: list[list[Passage]] = []
        self.errors: list[BaseException] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.results.append(self.assistant.retrieve(QUERY, k=8))
            except BaseException as err:
                self.errors.append(err)


def _check(readers: list[_Reader], generations: int) -> None:
    seen: set[int] = set()
    for reader in readers:
        assert not reader.errors, repr(reader.errors[:3])
        assert len(reader.results) >= 10
        for result in reader.results:
            assert len(result) == 8, "a result is whole"
            versions = _generations_of(result, generations)
            assert len(versions) == 1, f"passages from generations {versions}: {[p.text[:40] for p in result]}"
            seen |= versions
    assert len(seen) >= 3, f"readers should have seen several versions, saw {seen}"


@pytest.fixture
def index_settings(tmp_path: Path) -> Settings:
    articles = tmp_path / "articles"
    articles.mkdir()
    write_generation(articles, 0)
    settings = Settings(seeds_dir=articles, index_dir=tmp_path / "index")
    Assistant(settings, embedder=HashEmbedder()).index()
    return settings


def test_retrieval_in_threads_while_incremental_and_full_updates_run(index_settings: Settings) -> None:
    readers = [_Reader(index_settings) for _ in range(2)]
    for reader in readers:
        reader.start()
    writer = Assistant(index_settings, embedder=SlowEmbedder())
    generations = 6
    for generation in range(1, generations + 1):
        write_generation(index_settings.seeds_dir, generation)
        report = writer.index(full=generation % 2 == 0)
        assert report.added + report.updated + report.unchanged == ARTICLES
        time.sleep(0.1)
    for reader in readers:
        reader.stop.set()
        reader.join(10)
    _check(readers, generations)
    final = readers[0].assistant.retrieve(QUERY, k=8)
    assert _generations_of(final, generations) == {generations}


def test_retrieval_while_another_process_updates_the_index(index_settings: Settings) -> None:
    reader = _Reader(index_settings)
    reader.start()
    generations = 4
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.run(
        [sys.executable, "-c", _WRITER, str(index_settings.seeds_dir), str(index_settings.index_dir), str(generations)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    time.sleep(0.5)
    reader.stop.set()
    reader.join(10)
    assert writer.returncode == 0, writer.stderr
    _check([reader], generations)
    assert _generations_of(reader.results[-1], generations) == {generations}
