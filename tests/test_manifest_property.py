"""Property: whatever happens to the articles folder, an update leaves the index serving exactly its content.

Random sequences of added, modified, copied and deleted articles, incremental and full updates, and updates
that fail half-way, against a real Chroma store on disk. After each successful update the manifest holds
exactly the folder's readable, distinct articles with their content hashes, every stored chunk is an exact
span of its article, and retrieval returns only such chunks. After a failed update everything describes the
previous successful one, or (the failure came after the switch to the new articles' words) the folder.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant import Assistant, Settings
from assistant.ingest.index_state import ArticleRecord
from assistant.ingest.indexing import article_key
from assistant.types import Article
from tests.fakes import HashEmbedder

NAMES = ("a.txt", "b.md", "c d.txt", "é.txt")
WORDS = ("Meta", "Scale", "données", "contrat", "milliards", "Wang", "OpenAI", "marché", "14,3", "équipe")


@dataclass(frozen=True)
class Op:
    kind: str  # write, copy, delete, update, full, failing
    name: str = ""
    seed: int = 0
    other: str = ""


def _text(name: str, seed: int) -> str:
    words = [WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(20 + seed % 50)]
    sentences = [" ".join(words[i : i + 9]).capitalize() + "." for i in range(0, len(words), 9)]
    return f"Titre {name} {seed}\n\n" + " ".join(sentences) + f"\n\nFin {seed}."


ops = st.one_of(
    st.builds(Op, kind=st.just("write"), name=st.sampled_from(NAMES), seed=st.integers(0, 200)),
    st.builds(Op, kind=st.just("copy"), name=st.sampled_from(NAMES), other=st.sampled_from(NAMES)),
    st.builds(Op, kind=st.just("delete"), name=st.sampled_from(NAMES)),
    st.builds(Op, kind=st.sampled_from(["update", "full", "failing"])),
)


def _apply(folder: Path, op: Op) -> None:
    path = folder / op.name
    if op.kind == "write":
        path.write_text(_text(op.name, op.seed), encoding="utf-8")
    elif op.kind == "copy" and (folder / op.other).is_file() and op.other != op.name:
        path.write_bytes((folder / op.other).read_bytes())
    elif op.kind == "delete":
        path.unlink(missing_ok=True)


def _check_index(assistant: Assistant, expected: dict[str, str]) -> None:
    """The index serves exactly ``expected`` (file name -> text): manifest, chunks and retrieval."""
    state = assistant.store.read_state()
    assert state is not None
    assert sorted(state.articles) == sorted(expected)
    for name, record in state.articles.items():
        assert record.key == article_key(Article(name, "", expected[name]))
    counts: dict[str, int] = {}
    for stored in assistant.store.iter_chunks(state):
        chunk = stored.chunk
        assert expected[chunk.source][chunk.start : chunk.end] == chunk.text
        counts[chunk.source] = counts.get(chunk.source, 0) + 1
    # Every article served by its words; by its vectors once they are written (after its words).
    words = assistant.lexical.articles(state.collection)
    assert {name: words.get(r.key) for name, r in state.articles.items()} == {
        name: r.chunks for name, r in state.articles.items()
    }
    embedded = {name: record.chunks for name, record in state.articles.items() if record.embedded}
    assert {name: counts.get(name) for name in embedded} == embedded
    assert all(counts.get(name, 0) <= r.chunks for name, r in state.articles.items())
    if expected:
        passages = assistant.retrieve("Meta Scale données contrat", k=10)
        assert passages
        for passage in passages:
            assert expected[passage.source][passage.start : passage.end] == passage.text


def _keys(records: dict[str, ArticleRecord]) -> dict[str, str]:
    return {name: record.key for name, record in records.items()}


def _keys_of(texts: dict[str, str]) -> dict[str, str]:
    return {name: article_key(Article(name, "", text)) for name, text in texts.items()}


def _expected(folder: Path, before: dict[str, str]) -> dict[str, str]:
    """The articles an update must serve: one file of each text, the one already served if any."""
    groups: dict[str, list[str]] = {}
    for path in sorted(folder.iterdir()):
        groups.setdefault(path.read_text(encoding="utf-8"), []).append(path.name)
    return {next((n for n in names if n in before), names[0]): text for text, names in groups.items()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, min_size=1, max_size=10))
# A copy that sorts before the served original: the original stays served.
@example([Op("write", "b.md", 1), Op("update"), Op("copy", "a.txt", other="b.md"), Op("full"), Op("update")])
# A copy, then the original deleted: the copy is served from then on.
@example([Op("write", "a.txt", 2), Op("copy", "c d.txt", other="a.txt"), Op("update"), Op("delete", "a.txt")])
def test_updates_always_leave_the_manifest_equal_to_the_folder(sequence: list[Op]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "articles"
        folder.mkdir()
        embedder = HashEmbedder()
        assistant = Assistant(Settings(seeds_dir=folder, index_dir=Path(tmp) / "index"), embedder=embedder)
        served: dict[str, str] = {}
        for op in [*sequence, Op("update")]:
            _apply(folder, op)
            if op.kind not in ("update", "full", "failing"):
                continue
            expected = _expected(folder, served)
            if op.kind == "failing":
                embedder.fail_after = len(embedder.calls)  # the first article to embed fails
            try:
                report = assistant.index(full=op.kind == "full")
            except RuntimeError:
                assert op.kind == "failing"
                state = assistant.store.read_state()
                if state is not None:
                    # A failed rebuild leaves the previous index; a failed update has switched to the folder's
                    # articles, served by their words (their vectors are written by the next update).
                    now = expected if _keys(state.articles) == _keys_of(expected) else served
                    _check_index(assistant, now)
                    served = now
                continue
            finally:
                embedder.fail_after = None
            served = expected
            copies = sorted(p.name for p in folder.iterdir() if p.name not in served)
            assert [s.split(": same text as ")[0] for s in report.skipped] == copies
            _check_index(assistant, served)
