"""The persisted lexical index: BM25 in SQLite FTS5, versioned with the vectors, shared by processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.ingest.index_state import ArticleRecord, IndexState
from assistant.ingest.lexical import LexicalIndex, lexical_path
from assistant.ingest.store import ArticleChunks
from assistant.types import Chunk
from tests.conftest import ROOT
from tests.fakes import HashEmbedder

TEXTS = {
    "k0": "Meta a investi 14,3 milliards de dollars dans Scale AI.",
    "k1": "Les investisseurs historiques évaluent leur position.",
    "k2": "Labelbox et Handshake voient la demande augmenter.",
}


def _rows(key: str, text: str) -> ArticleChunks:
    return ArticleChunks(key, f"Title {key}", [Chunk(f"{key}.txt", 0, len(text), text)])


def _state(collection: str, keys: list[str]) -> IndexState:
    return IndexState(collection, "fake", {f"{k}.txt": ArticleRecord(k, f"Title {k}", 1) for k in keys})


@pytest.fixture
def lexical(tmp_path: Path) -> LexicalIndex:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.add_articles("c1", [_rows(k, t) for k, t in TEXTS.items()])
    return index


def test_matches_names_figures_and_french_inflections(lexical: LexicalIndex) -> None:
    state = _state("c1", list(TEXTS))

    def best(query: str) -> str:
        return lexical.top(state, query, 3)[0][0].key

    assert best("14.3 billion") == "k0"
    assert best("investisseur historique") == "k1"
    assert best("HANDSHAKE") == "k2"
    assert lexical.top(state, "le la les", 3) == [], "stop words alone match nothing"
    hit, score = lexical.top(state, "Labelbox", 3)[0]
    assert hit.chunk.text == TEXTS["k2"] and hit.title == "Title k2" and score > 0


def test_only_served_articles_are_found(lexical: LexicalIndex) -> None:
    assert [h.key for h, _ in lexical.top(_state("c1", ["k0", "k1"]), "Handshake Meta", 5)] == ["k0"]
    assert lexical.top(_state("other", list(TEXTS)), "Handshake", 5) == [], "another collection's table"


def test_served_rows_are_found_beyond_many_unserved_ones(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.add_articles("c1", [_rows(f"u{i}", "Handshake Handshake Handshake annonce") for i in range(60)])
    index.add_articles("c1", [_rows("s", "Handshake annonce un partenariat et recrute des annotateurs")])
    assert [h.key for h, _ in index.top(_state("c1", ["s"]), "Handshake", 3)] == ["s"]


def test_replace_delete_and_drop(lexical: LexicalIndex) -> None:
    lexical.add_articles("c1", [_rows("k2", "Surge AI double son chiffre d'affaires.")])
    state = _state("c1", list(TEXTS))
    assert lexical.top(state, "Handshake", 3) == [], "the article's old rows are replaced"
    assert lexical.top(state, "Surge", 3)[0][0].key == "k2"
    assert lexical.articles("c1") == {"k0": 1, "k1": 1, "k2": 1}

    lexical.delete_articles("c1", ["k0", "absent"])
    assert lexical.articles("c1") == {"k1": 1, "k2": 1}
    assert lexical.top(state, "Meta", 3) == []

    lexical.add_articles("c2", [_rows("k0", TEXTS["k0"])])
    lexical.drop_unused(keep=["c2"])
    assert lexical.collections() == {"c2"}
    tables = sqlite3.connect(lexical.path).execute("SELECT name FROM sqlite_master WHERE sql LIKE '%VIRTUAL%'")
    assert {name for (name,) in tables} == {"lex_c2"}


def test_a_failed_write_leaves_the_previous_rows(lexical: LexicalIndex) -> None:
    def articles() -> Iterator[ArticleChunks]:
        yield _rows("k3", "Scale AI perd Google.")  # written inside the transaction, then rolled back
        raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="disk is full"):
        lexical.add_articles("c1", articles())
    assert set(lexical.articles("c1")) == set(TEXTS), "nothing of the failed transaction is kept"
    assert lexical.top(_state("c1", [*TEXTS, "k3"]), "Google", 3) == []


def test_the_index_is_written_once_and_read_by_new_processes(settings: Settings) -> None:
    Assistant(settings, embedder=HashEmbedder()).index()
    path = lexical_path(settings)
    assert path.is_file()
    before = path.stat().st_mtime_ns
    # A new process searches without rebuilding anything: the file is not written, the store is not scanned.
    script = (
        "from assistant import Assistant, Settings\n"
        "from assistant.ingest.store import ChromaStore\n"
        "from tests.fakes import HashEmbedder\n"
        "def scanned(*a, **k): raise AssertionError('the store was scanned')\n"
        "ChromaStore.iter_chunks = scanned\nChromaStore.chunks_of = scanned\n"
        f"a = Assistant(Settings(seeds_dir={str(settings.seeds_dir)!r}, index_dir={str(settings.index_dir)!r}),"
        " embedder=HashEmbedder())\n"
        "print(a.retrieve('Labelbox Manu Sharma', 1)[0].text)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "Manu Sharma" in out.stdout
    assert path.stat().st_mtime_ns == before


def test_a_missing_lexical_file_is_filled_from_the_store(settings: Settings) -> None:
    assistant = Assistant(settings, embedder=HashEmbedder())
    report = assistant.index()
    lexical_path(settings).unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(lexical_path(settings)) + suffix).unlink(missing_ok=True)
    fresh = Assistant(settings, embedder=HashEmbedder())
    assert "Manu Sharma" in fresh.retrieve("Labelbox Manu Sharma", 1)[0].text
    state = fresh.store.read_state()
    assert state is not None
    assert sum(fresh.lexical.articles(state.collection).values()) == report.chunks


def test_on_a_large_index_terms_in_many_chunks_are_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    common = [_rows(f"c{i}", f"Scale AI annonce des résultats, numéro {i}.") for i in range(40)]
    index.add_articles("c1", [*common, _rows("rare", "Scale AI et Labelbox signent un accord.")])
    state = _state("c1", [*(f"c{i}" for i in range(40)), "rare"])
    monkeypatch.setattr("assistant.ingest.lexical._PRUNE_FROM_CHUNKS", 10)
    # "scal" is in every chunk: left out, "labelbox" alone decides; only its chunk matches at all.
    assert [h.key for h, _ in index.top(state, "Scale Labelbox", 5)] == ["rare"]
    # When every term is common, the rarest one is kept.
    assert len(index.top(state, "Scale annonce", 50)) == 40
