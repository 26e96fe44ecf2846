"""Index updates against a real Chroma store on disk, with the fake embedder."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.errors import IndexBusyError, IndexMismatchError
from assistant.ingest import loader
from assistant.ingest.indexing import build_lock
from assistant.search.filters import ArticleFilter
from assistant.types import Article
from tests.fakes import HashEmbedder

NEW_ARTICLE = (
    "Un nouvel article\n\nLa société Zorblax annonce un partenariat avec Scale AI. "
    "Le contrat porte sur 42 millions d'euros et sur l'étiquetage de données médicales."
)


def test_first_run_builds_everything_and_second_run_touches_nothing(
    fake_assistant: Assistant, embedder: HashEmbedder
) -> None:
    first = fake_assistant.index()
    assert (first.added, first.updated, first.removed, first.unchanged) == (2, 0, 0, 0)
    assert first.chunks >= 10
    calls = len(embedder.calls)
    second = fake_assistant.index()
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 2)
    assert len(embedder.calls) == calls, "nothing is embedded again when nothing changed"
    assert second.chunks == first.chunks


def test_added_changed_and_removed_articles(
    fake_assistant: Assistant, embedder: HashEmbedder, articles_dir: Path
) -> None:
    fake_assistant.index()
    (articles_dir / "002_new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    report = fake_assistant.index()
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 0, 0, 2)
    assert embedder.calls[-1][0].startswith("Un nouvel article")
    top = fake_assistant.retrieve("Zorblax", k=1)[0]
    assert top.source == "002_new.txt" and "Zorblax" in top.text

    (articles_dir / "002_new.txt").write_text(NEW_ARTICLE.replace("Zorblax", "Quintor"), encoding="utf-8")
    report = fake_assistant.index()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 2)
    texts = [p.text for p in fake_assistant.retrieve("Zorblax Quintor partenariat", k=20)]
    assert any("Quintor" in t for t in texts) and not any("Zorblax" in t for t in texts)

    (articles_dir / "002_new.txt").unlink()
    report = fake_assistant.index()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 1, 2)
    assert all(p.source != "002_new.txt" for p in fake_assistant.retrieve("Quintor partenariat", k=20))
    status = fake_assistant.status()
    assert sorted(status.articles) == ["000_2b36652c92daeb7e.txt", "001_2e5ae490be6e9ced.txt"]


def test_full_rebuild_embeds_everything_again(fake_assistant: Assistant, embedder: HashEmbedder) -> None:
    fake_assistant.index()
    before = len(embedder.calls)
    report = fake_assistant.index(full=True)
    assert len(embedder.calls) == before + 2
    assert report.unchanged == 2 and report.chunks > 0
    assert fake_assistant.retrieve("Alexandr Wang superintelligence", k=3)


def test_retrieve_builds_a_missing_index(fake_assistant: Assistant) -> None:
    passages = fake_assistant.retrieve("Combien Meta a-t-il investi ?", k=3)
    assert len(passages) == 3
    assert fake_assistant.status().chunks > 0


def test_index_built_with_another_model_is_refused_until_rebuilt(settings: Settings) -> None:
    Assistant(settings, embedder=HashEmbedder(name="model-a")).index()
    other = Assistant(settings, embedder=HashEmbedder(name="model-b"))
    with pytest.raises(IndexMismatchError, match=r"built with model-a-64.*rebuild it with 'assistant index --full'"):
        other.retrieve("Meta", k=1)
    report = other.index()
    assert report.chunks > 0
    assert other.retrieve("Meta", k=1)


def test_failed_update_leaves_the_index_working_and_the_next_run_completes_it(
    settings: Settings, articles_dir: Path
) -> None:
    good = Assistant(settings, embedder=HashEmbedder())
    good.index()
    state = good.store.read_state()
    assert state is not None
    unchanged_key = state.articles["001_2e5ae490be6e9ced.txt"].key
    before = sorted(c.id for c in good.store.chunks_of(state.collection, [unchanged_key]))

    (articles_dir / "002_new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    (articles_dir / "000_2b36652c92daeb7e.txt").write_text("Article remplacé\n\nTout a changé.", encoding="utf-8")
    failing_embedder = HashEmbedder()
    failing_embedder.fail_after = 1  # the second article to embed fails
    failing = Assistant(settings, embedder=failing_embedder)
    with pytest.raises(RuntimeError, match="on purpose"):
        failing.index()

    # The unchanged article is served as before; the new and changed ones by their words, as the folder has them.
    assert sorted(c.id for c in good.store.chunks_of(state.collection, [unchanged_key])) == before
    assert any(p.source == "001_2e5ae490be6e9ced.txt" for p in good.retrieve("Labelbox Handshake demande", k=3))
    assert good.retrieve("Zorblax", k=1)[0].source == "002_new.txt"
    assert not any(
        "Labelbox" in p.text and p.source == "000_2b36652c92daeb7e.txt" for p in good.retrieve("Labelbox", k=30)
    )
    state = good.store.read_state()
    assert state is not None
    assert {s for s, r in state.articles.items() if not r.embedded} == {"000_2b36652c92daeb7e.txt", "002_new.txt"}
    assert good.status().words_only == ("000_2b36652c92daeb7e.txt", "002_new.txt"), "the status says so"

    report = Assistant(settings, embedder=HashEmbedder()).index()
    assert (report.added, report.updated, report.unchanged) == (0, 0, 3)
    state = good.store.read_state()
    assert state is not None and all(r.embedded for r in state.articles.values())
    assert good.status().words_only == ()
    new_key = state.articles["002_new.txt"].key
    assert len(list(good.store.chunks_of(state.collection, [new_key]))) == state.articles["002_new.txt"].chunks
    assert good.retrieve("Zorblax", k=1)[0].source == "002_new.txt"


def test_new_articles_are_searchable_by_their_words_before_their_vectors_are_written(
    settings: Settings, articles_dir: Path
) -> None:
    embedder = HashEmbedder()
    assistant = Assistant(settings, embedder=embedder)
    assistant.index()
    (articles_dir / "002_new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    seen: list[tuple[int, list[str], bool]] = []

    def searchable() -> None:
        state = assistant.store.read_state()
        assert state is not None
        found = [p.source for p in assistant.retrieve("Zorblax partenariat", k=1)]
        # Limited to the new article, the dense search has no vectors to search: only its words are.
        only = ArticleFilter(sources=("002_new.txt",))
        found += [p.source for p in assistant.retrieve("étiquetage", k=1, limit=only)]
        seen.append((len(embedder.calls), found, state.articles["002_new.txt"].embedded))

    calls = len(embedder.calls)
    report = assistant.index(searchable=searchable)
    # Found by its words while none of its vectors was computed; recorded as embedded once they were written.
    assert seen == [(calls, ["002_new.txt", "002_new.txt"], False)]
    assert report.searchable_seconds is not None and report.searchable_seconds <= report.seconds
    assert "searchable by their words after" in report.summary()
    state = assistant.store.read_state()
    assert state is not None and state.articles["002_new.txt"].embedded
    assert len(embedder.calls) == calls + 1
    assert assistant.index(searchable=searchable).searchable_seconds is None and len(seen) == 1


def test_a_second_rebuild_waits_then_says_one_is_running(settings: Settings) -> None:
    impatient = settings.model_copy(update={"lock_timeout": 0.2})
    released = threading.Event()

    def hold() -> None:
        with build_lock(settings):
            released.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    try:
        with pytest.raises(IndexBusyError, match="another index update"):
            Assistant(impatient, embedder=HashEmbedder()).index()
    finally:
        released.set()
        holder.join()
    assert Assistant(impatient, embedder=HashEmbedder()).index().added == 2


def test_an_index_whose_pointer_holds_the_manifest_is_read_and_moved_on_update(settings: Settings) -> None:
    """Indexes written before the manifest moved out of the pointer's metadata keep working."""
    assistant = Assistant(settings, embedder=HashEmbedder())
    assistant.index()
    state = assistant.store.read_state()
    assert state is not None
    pointer = assistant.store._connect().get_collection(f"{settings.collection_prefix}-pointer")
    articles = {s: {"key": r.key, "title": r.title, "chunks": r.chunks} for s, r in state.articles.items()}
    old_format = {**state.to_metadata(), "articles": json.dumps(articles), "pending": "[]"}
    pointer.modify(metadata=old_format)

    reopened = Assistant(settings, embedder=HashEmbedder())
    legacy = reopened.store.read_state()
    assert legacy is not None and legacy.collection == state.collection
    assert {s: (r.key, r.title, r.chunks) for s, r in legacy.articles.items()} == {
        s: (r["key"], r["title"], r["chunks"]) for s, r in articles.items()
    }
    assert "Manu Sharma" in reopened.retrieve("Labelbox Manu Sharma", k=1)[0].text
    report = reopened.index()
    assert (report.unchanged, report.added) == (2, 0)
    meta = reopened.store._connect().get_collection(f"{settings.collection_prefix}-pointer").metadata or {}
    assert "manifest" in meta and "articles" not in meta, "the no-op update moved the manifest out"
    moved = Assistant(settings, embedder=HashEmbedder()).store.read_state()
    assert moved is not None and moved.served_keys == state.served_keys and moved.collection == state.collection


def test_an_update_does_not_read_again_the_files_it_read_before(settings: Settings) -> None:
    """Size and modification time tell an unchanged file; a file written in the last second is read again."""
    old_enough = time.time() - 10
    for path in settings.seeds_dir.iterdir():
        os.utime(path, (old_enough, old_enough))
    assistant = Assistant(settings, embedder=HashEmbedder())
    assistant.index()
    reads: list[str] = []
    original = loader.read_article

    def counting(path: Path, max_bytes: int | None = None) -> Article:
        reads.append(path.name)
        return original(path, max_bytes)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "read_article", counting)
        report = assistant.index()
        assert (report.unchanged, reads) == (2, []), "nothing was read again"

        first = sorted(settings.seeds_dir.iterdir())[0]
        text = first.read_text(encoding="utf-8")
        first.write_text(text.replace("Scale AI", "Scale IA", 1), encoding="utf-8")  # same size, new time
        report = assistant.index()
        assert (report.updated, report.unchanged, reads) == (1, 1, [first.name])
        assert assistant.retrieve("Scale IA", k=1)[0].source == first.name

        reads.clear()
        assistant.index()
        assert reads == [first.name], "written a moment ago: read again until its time is a second old"

        copy = settings.seeds_dir / "zzz_copy.txt"
        copy.write_text(sorted(settings.seeds_dir.iterdir())[1].read_text(encoding="utf-8"), encoding="utf-8")
        report = assistant.index()
        assert report.added == 0 and any("zzz_copy.txt: same text as" in m for m in report.skipped)
