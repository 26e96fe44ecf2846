"""Adversarial articles and questions: each is reported or refused with a clear message, or handled, and
nothing else is lost. Fake models, a real Chroma store on disk.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.errors import BadInputError
from assistant.ingest.loader import load_articles
from assistant.types import IndexReport
from tests.fakes import HashEmbedder, QueuedGenerator

GOOD = "good.txt"
GOOD_TEXT = "Un bon article\n\nLa société Zorblax annonce un contrat de 42 millions d'euros avec Scale AI. " * 3


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / GOOD).write_text(GOOD_TEXT, encoding="utf-8")
    return articles


@pytest.fixture
def assistant(tmp_path: Path, folder: Path) -> Assistant:
    return Assistant(Settings(seeds_dir=folder, index_dir=tmp_path / "index"), embedder=HashEmbedder())


def _served(assistant: Assistant) -> list[str]:
    return sorted(assistant.status().articles)


def _index_with(assistant: Assistant, folder: Path, name: str | bytes, data: bytes) -> IndexReport:
    """Put one bad file next to the good article, index, and check the good article is served."""
    target = os.path.join(os.fsencode(folder), os.fsencode(name))
    with open(target, "wb") as handle:
        handle.write(data)
    report = assistant.index()
    assert GOOD in assistant.status().articles
    return report


# --- articles ------------------------------------------------------------------------------------------


def test_empty_file_is_skipped(assistant: Assistant, folder: Path) -> None:
    report = _index_with(assistant, folder, "empty.txt", b"")
    assert report.skipped == ("empty.txt: the file is empty; add the article's text or remove it",)
    assert _served(assistant) == [GOOD]


def test_blank_file_with_a_byte_order_mark_is_empty(assistant: Assistant, folder: Path) -> None:
    report = _index_with(assistant, folder, "blank.md", "\ufeff \n\t\n".encode())
    assert report.skipped == ("blank.md: the file is empty; add the article's text or remove it",)


def test_latin1_file_names_the_byte_and_says_to_save_as_utf8(assistant: Assistant, folder: Path) -> None:
    report = _index_with(assistant, folder, "latin1.txt", "Données économiques".encode("latin-1"))
    assert report.skipped == ("latin1.txt: not valid UTF-8 (byte 4); re-save the file as UTF-8",)
    assert _served(assistant) == [GOOD]


def test_cp1252_file_with_curly_quotes_is_skipped(assistant: Assistant, folder: Path) -> None:
    report = _index_with(assistant, folder, "cp1252.txt", "L’œuvre coûte 3 €".encode("cp1252"))
    assert report.skipped == ("cp1252.txt: not valid UTF-8 (byte 1); re-save the file as UTF-8",)


def test_utf8_with_a_byte_order_mark_is_indexed_with_exact_offsets(assistant: Assistant, folder: Path) -> None:
    text = "\ufeffTitre avec BOM\n\nLe consortium Quintor rachète la société Plexa pour 7 millions."
    report = _index_with(assistant, folder, "bom.txt", text.encode("utf-8"))
    assert report.skipped == ()
    assert assistant.status().articles["bom.txt"] == "Titre avec BOM"
    hit = assistant.retrieve("Quintor Plexa", k=1)[0]
    assert hit.source == "bom.txt"
    # The offsets are those of the file as any UTF-8 reader sees it, byte order mark included.
    assert (folder / "bom.txt").read_text(encoding="utf-8")[hit.start : hit.end] == hit.text


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Données".encode("utf-16"), "UTF-16"),
        (b"\xfe\xff" + "Données".encode("utf-16-be"), "UTF-16"),
        ("Données".encode("utf-32"), "UTF-32"),
    ],
)
def test_utf16_and_utf32_files_are_named_and_skipped(
    assistant: Assistant, folder: Path, data: bytes, encoding: str
) -> None:
    report = _index_with(assistant, folder, "windows.txt", data)
    assert report.skipped == (f"windows.txt: the file is {encoding} text; save it as UTF-8",)


def test_binary_file_with_a_txt_name_is_skipped(assistant: Assistant, folder: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    report = _index_with(assistant, folder, "photo.txt", png)
    assert report.skipped == ("photo.txt: this is a binary file, not a text article; remove it",)


def test_binary_file_without_nul_bytes_is_skipped(assistant: Assistant, folder: Path) -> None:
    data = bytes([1, 2, 3, 4, 5, 6, 7, 8, 0x0E, 0x1F, 0x7F]) * 20 + b"some text"
    report = _index_with(assistant, folder, "dump.md", data)
    assert report.skipped == ("dump.md: this is a binary file, not a text article; remove it",)


def test_a_20_mb_article_is_skipped_quickly_with_the_setting_to_change(assistant: Assistant, folder: Path) -> None:
    paragraph = b"Le marche de l'etiquetage de donnees progresse encore cette annee. " * 30 + b"\n\n"
    (folder / "huge.txt").write_bytes((paragraph * (20_000_000 // len(paragraph) + 1))[:20_000_000])
    began = time.perf_counter()
    report = assistant.index()
    assert time.perf_counter() - began < 5
    assert report.skipped == (
        "huge.txt: 20.0 MB is over the 1.0 MB limit for one article (ASSISTANT_MAX_ARTICLE_BYTES); "
        "split it into several files or raise the limit",
    )
    assert _served(assistant) == [GOOD]


def test_a_large_article_is_indexed_when_the_limit_allows_it(tmp_path: Path, folder: Path) -> None:
    paragraph = "Article long\n\n" + "La société Quintor publie son rapport annuel détaillé. " * 40 + "\n\n"
    text = paragraph * (1_300_000 // len(paragraph))
    (folder / "long.txt").write_text(text, encoding="utf-8")
    settings = Settings(seeds_dir=folder, index_dir=tmp_path / "index", max_article_bytes=2_000_000)
    assistant = Assistant(settings, embedder=HashEmbedder())
    report = assistant.index()
    assert report.skipped == () and report.added == 2
    hit = assistant.retrieve("Quintor rapport annuel", k=1)[0]
    assert hit.source == "long.txt" and text[hit.start : hit.end] == hit.text


def test_two_articles_with_the_same_text_are_indexed_once(assistant: Assistant, folder: Path) -> None:
    report = _index_with(assistant, folder, "the same.txt", GOOD_TEXT.encode())
    assert report.skipped == ("the same.txt: same text as good.txt, which is indexed; delete one of the two",)
    assert _served(assistant) == [GOOD]
    texts = [p.text for p in assistant.retrieve("Zorblax contrat Scale AI", k=10)]
    assert len(texts) == len(set(texts)), "no passage is returned twice"


def test_a_copy_that_differs_only_in_line_ends_is_a_duplicate(assistant: Assistant, folder: Path) -> None:
    assistant.index()
    report = _index_with(assistant, folder, "a-first.txt", GOOD_TEXT.replace("\n", "\r\n").encode() + b"  \n")
    # The article already indexed keeps its place, although the copy's name sorts first.
    assert report.skipped == ("a-first.txt: same text as good.txt, which is indexed; delete one of the two",)
    assert (report.added, report.unchanged) == (0, 1)


def test_deleting_the_indexed_original_serves_the_copy(assistant: Assistant, folder: Path) -> None:
    _index_with(assistant, folder, "z-copy.txt", GOOD_TEXT.encode())
    (folder / GOOD).unlink()
    report = assistant.index()
    assert (report.added, report.removed, report.skipped) == (1, 1, ())
    assert _served(assistant) == ["z-copy.txt"]


@pytest.mark.parametrize(
    "name",
    ["mon article.txt", "économie à l'été.md", "日本語の記事.txt", "emoji 📰 news.txt", "UPPER.TXT", "a;b&c$(x).txt"],
)
def test_odd_file_names_are_indexed_and_cited_by_name(assistant: Assistant, folder: Path, name: str) -> None:
    text = f"Titre\n\nLa société Vextron, dans le fichier {name}, rachète Plexa pour 9 millions."
    report = _index_with(assistant, folder, name, text.encode())
    assert report.skipped == () and report.added == 2
    hit = assistant.retrieve("Vextron Plexa", k=1)[0]
    assert hit.source == name and text[hit.start : hit.end] == hit.text


def test_hidden_files_other_suffixes_and_folders_are_ignored_silently(assistant: Assistant, folder: Path) -> None:
    (folder / ".hidden.txt").write_text("Caché\n\nTexte caché.", encoding="utf-8")
    (folder / ".~lock.good.txt#").write_text("lock", encoding="utf-8")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.7")
    (folder / "folder.txt").mkdir()
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    report = assistant.index()
    assert (report.added, report.skipped) == (1, ())
    assert _served(assistant) == [GOOD]


def test_a_file_name_that_is_not_utf8_is_skipped(assistant: Assistant, folder: Path) -> None:
    report = _index_with(assistant, folder, b"caf\xe9.txt", b"Titre\n\nTexte du caf\xc3\xa9.")
    assert report.skipped == ("caf\ufffd.txt: the file name is not valid UTF-8; rename the file",)
    assert _served(assistant) == [GOOD]


def test_a_file_name_with_a_newline_is_skipped(assistant: Assistant, folder: Path) -> None:
    report = _index_with(assistant, folder, "two\nlines.txt", b"Titre\n\nTexte.")
    assert report.skipped == ("'two\\nlines.txt': the file name holds control characters; rename the file",)


def test_article_deleted_between_listing_and_reading(
    assistant: Assistant, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "gone.txt").write_text("Bientôt supprimé\n\nCe texte disparaît.", encoding="utf-8")
    real_read_bytes = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "gone.txt":
            path.unlink()
        return real_read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = assistant.index()
    assert (report.added, report.skipped) == (1, ())
    assert _served(assistant) == [GOOD]


def test_article_deleted_while_it_is_embedded_is_dropped_by_the_next_run(assistant: Assistant, folder: Path) -> None:
    (folder / "later.txt").write_text("Supprimé pendant l'indexation\n\nLe groupe Ardent investit.", encoding="utf-8")

    def delete_during(done: int, total: int, article: str) -> None:
        if article == GOOD:
            (folder / "later.txt").unlink()

    report = assistant.index(progress=delete_during)
    assert report.added == 2  # read before it was deleted: served whole
    assert _served(assistant) == [GOOD, "later.txt"]
    again = assistant.index()
    assert (again.removed, again.unchanged) == (1, 1)
    assert _served(assistant) == [GOOD]
    assert all(p.source == GOOD for p in assistant.retrieve("groupe Ardent investit", k=5))


def test_an_indexed_article_that_turns_unreadable_is_reported_and_not_served_stale(
    assistant: Assistant, folder: Path
) -> None:
    (folder / "edited.txt").write_text("Édité\n\nLa firme Ormel licencie.", encoding="utf-8")
    assistant.index()
    (folder / "edited.txt").write_bytes("Édité\n\nLa firme Ormel recrute.".encode("latin-1"))
    report = assistant.index()
    assert report.removed == 1
    assert report.skipped == ("edited.txt: not valid UTF-8 (byte 0); re-save the file as UTF-8",)
    assert all(p.source == GOOD for p in assistant.retrieve("firme Ormel", k=5))
    (folder / "edited.txt").write_text("Édité\n\nLa firme Ormel recrute.", encoding="utf-8")
    assert assistant.index().added == 1


def test_loader_reports_every_bad_file_and_keeps_the_good_ones(folder: Path) -> None:
    (folder / "b-empty.txt").write_bytes(b"")
    (folder / "c-bin.txt").write_bytes(b"\x00\x01")
    (folder / "z-copy.txt").write_text(GOOD_TEXT, encoding="utf-8")
    size = len(GOOD_TEXT.encode())
    loaded = load_articles(folder, max_bytes=10)
    assert loaded.articles == []
    assert loaded.skipped == [
        "b-empty.txt: the file is empty; add the article's text or remove it",
        "c-bin.txt: this is a binary file, not a text article; remove it",
        *(
            f"{name}: {size} bytes is over the 10 bytes limit for one article (ASSISTANT_MAX_ARTICLE_BYTES); "
            "split it into several files or raise the limit"
            for name in (GOOD, "z-copy.txt")
        ),
    ]
    loaded = load_articles(folder)
    assert [a.source for a in loaded.articles] == [GOOD]
    assert [s.split(":")[0] for s in loaded.skipped] == ["b-empty.txt", "c-bin.txt", "z-copy.txt"]
    assert loaded.skipped[2] == "z-copy.txt: same text as good.txt, which is indexed; delete one of the two"


# --- questions -----------------------------------------------------------------------------------------


@pytest.fixture
def asking(tmp_path: Path, folder: Path) -> tuple[Assistant, HashEmbedder, QueuedGenerator]:
    embedder, generator = HashEmbedder(), QueuedGenerator()
    settings = Settings(seeds_dir=folder, index_dir=tmp_path / "index")
    assistant = Assistant(settings, embedder=embedder, generator=generator)
    assistant.index()
    return assistant, embedder, generator


def test_a_100000_character_question_is_refused_before_any_work(
    asking: tuple[Assistant, HashEmbedder, QueuedGenerator],
) -> None:
    assistant, embedder, generator = asking
    calls = len(embedder.calls)
    question = "Combien ? " * 10_000
    for ask in (assistant.ask, assistant.stream, lambda q: assistant.retrieve(q, k=3)):
        with pytest.raises(BadInputError) as info:
            ask(question)
        assert str(info.value) == (
            "the question is 100,000 characters long; the limit is 2,000 (ASSISTANT_MAX_QUESTION_CHARS): "
            "ask it in fewer words"
        )
    assert len(embedder.calls) == calls and generator.prompts == []


def test_the_question_limit_is_a_setting(tmp_path: Path, folder: Path) -> None:
    settings = Settings(seeds_dir=folder, index_dir=tmp_path / "index", max_question_chars=20)
    assistant = Assistant(settings, embedder=HashEmbedder(), generator=QueuedGenerator())
    with pytest.raises(BadInputError, match="is 21 characters long; the limit is 20"):
        assistant.retrieve("Qui dirige Zorblax ??", k=1)
    assert assistant.retrieve("Qui dirige Zorblax ?", k=1)[0].source == GOOD


def test_control_characters_and_invisible_marks_are_removed(
    asking: tuple[Assistant, HashEmbedder, QueuedGenerator],
) -> None:
    assistant, _, generator = asking
    answer = assistant.ask("Quel\x00 contrat\x1b a signé\u200b Zorblax\u202e ?\r\n")
    assert answer.question == "Quel contrat a signé Zorblax ?"
    for messages in generator.prompts:
        for message in messages:
            assert "\x00" not in str(message.content) and "\u202e" not in str(message.content)


def test_lone_surrogates_are_removed_from_the_question_and_the_history(
    asking: tuple[Assistant, HashEmbedder, QueuedGenerator],
) -> None:
    assistant, _, generator = asking
    # Read alone, the question answers nothing (the fake replies NO_ANSWER): it is read with the turn before.
    answer = assistant.ask(
        "Quel contrat \ud800a signé Zorblax ?", history=[("Qui est \udfffZorblax ?", "Une \ud83d société.")]
    )
    assert answer.question == "Quel contrat a signé Zorblax ?"
    assert generator.prompts, "the question reached the model"
    assert any("Qui est Zorblax ?" in str(m.content) for p in generator.prompts for m in p), "the history was read"
    for messages in generator.prompts:
        for message in messages:
            str(message.content).encode("utf-8")  # raises if a surrogate got through


def test_retrieve_with_lone_surrogates_and_accents_in_decomposed_form(
    asking: tuple[Assistant, HashEmbedder, QueuedGenerator],
) -> None:
    assistant, _, _ = asking
    hits = assistant.retrieve("socie\u0301te\u0301 \udc80Zorblax", k=2)
    assert hits[0].source == GOOD


@pytest.mark.parametrize("question", ["?", "?!?... ¿¡", "🤔🤔 ❓", "—  …  «  »", "\u200b?\u200b"])
def test_a_question_without_words_is_refused(
    asking: tuple[Assistant, HashEmbedder, QueuedGenerator], question: str
) -> None:
    assistant, _, generator = asking
    with pytest.raises(BadInputError) as info:
        assistant.ask(question)
    assert str(info.value) == "the question has no words (only punctuation or symbols); type a question in words"
    assert generator.prompts == []


@pytest.mark.parametrize("question", ["", "   ", "\n\t\r", "\x00\x07", "\u200b\u200d\ufeff", "\ud800"])
def test_an_empty_or_invisible_question_is_refused(
    asking: tuple[Assistant, HashEmbedder, QueuedGenerator], question: str
) -> None:
    assistant, _, _ = asking
    with pytest.raises(BadInputError, match=r"^the question is empty; type a question about the articles$"):
        assistant.retrieve(question, k=1)


def test_a_question_that_is_not_text_is_refused(asking: tuple[Assistant, HashEmbedder, QueuedGenerator]) -> None:
    assistant, _, _ = asking
    for question in (None, b"Qui ?", 42):
        with pytest.raises(BadInputError, match=r"^the question must be text, not (NoneType|bytes|int)$"):
            assistant.ask(question)  # type: ignore[arg-type]


def test_a_question_of_digits_or_one_word_is_accepted(asking: tuple[Assistant, HashEmbedder, QueuedGenerator]) -> None:
    assistant, _, _ = asking
    assert assistant.retrieve("42", k=1)[0].source == GOOD
    assert assistant.retrieve("Zorblax", k=1)[0].source == GOOD
