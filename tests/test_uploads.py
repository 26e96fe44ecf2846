"""Saving uploaded articles: safe names, size and encoding checks, never a silent overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import BadInputError
from assistant.uploads import article_text, read_upload, safe_article_name, save_article

LIMIT = 1000


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("note.txt", "note.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\evil.md", "evil.md"),
        ("/abs/path/Report.MD", "Report.md"),
        ("Été à Paris!.txt", "Ete_a_Paris.txt"),
        ("a<script>alert(1)</script>.txt", "script.txt"),  # "/" ends a folder name
        ('a<b>&"x".txt', "a_b_x.txt"),
        (".hidden.txt", "hidden.txt"),
        ("two  spaces & more.txt", "two_spaces_more.txt"),
    ],
)
def test_names_are_made_safe(given: str, safe: str) -> None:
    assert safe_article_name(given) == safe


@pytest.mark.parametrize("given", ["notes.pdf", "archive.txt.gz", "noextension", "", "....txt", "../.txt", "日本.txt"])
def test_unusable_names_are_refused(given: str) -> None:
    with pytest.raises(BadInputError):
        safe_article_name(given)


def test_a_long_name_is_shortened_and_keeps_its_suffix() -> None:
    name = safe_article_name("x" * 500 + ".md")
    assert len(name) <= 100 and name.endswith(".md")


def test_an_article_is_saved_byte_for_byte(tmp_path: Path) -> None:
    data = "Titre\n\nUn texte accentué : 14,3 milliards.\n".encode()
    saved = save_article(data, "../Mon article.txt", tmp_path, LIMIT)
    assert saved.name == "Mon_article.txt" and saved.created and saved.title == "Titre"
    assert (tmp_path / "Mon_article.txt").read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["Mon_article.txt"], "no temporary file is left behind"


def test_too_large_is_refused_with_the_limit_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"1,200,000 bytes \(1\.2 MB\); the limit is 1,000 bytes"):
        save_article(b"a" * 1_200_000, "big.txt", tmp_path, LIMIT)
    assert list(tmp_path.iterdir()) == []


def test_a_large_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (LIMIT + 1))
    with pytest.raises(BadInputError, match=r"1,001 bytes.*the limit is 1,000 bytes"):
        read_upload(path, LIMIT)
    assert read_upload(path, LIMIT + 1) == b"a" * (LIMIT + 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Café au lait".encode("latin-1"), "not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
        (b"  \n\t\n", "empty"),
    ],
)
def test_content_that_is_not_a_text_article_is_refused(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        save_article(data, "a.txt", tmp_path, LIMIT)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(BadInputError, match=message):
        article_text(data, "a.txt", LIMIT)


def test_the_same_article_again_is_left_as_it_is(tmp_path: Path) -> None:
    save_article(b"Same\ntext", "a.txt", tmp_path, LIMIT)
    again = save_article(b"Same\ntext", "a.txt", tmp_path, LIMIT)
    assert not again.created and again.name == "a.txt"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_another_article_with_the_same_name_gets_a_new_name(tmp_path: Path) -> None:
    save_article(b"First\ntext", "a.txt", tmp_path, LIMIT)
    second = save_article(b"Second\ntext", "a.txt", tmp_path, LIMIT)
    third = save_article(b"Third\ntext", "a.txt", tmp_path, LIMIT)
    assert (second.name, second.renamed_from, third.name) == ("a-2.txt", "a.txt", "a-3.txt")
    assert (tmp_path / "a.txt").read_bytes() == b"First\ntext", "the existing article is never overwritten"
    assert (tmp_path / "a-2.txt").read_bytes() == b"Second\ntext"
    assert (tmp_path / "a-3.txt").read_bytes() == b"Third\ntext"


def test_a_folder_in_the_way_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "a.txt").mkdir()
    saved = save_article(b"Text\nbody", "a.txt", tmp_path, LIMIT)
    assert saved.name == "a-2.txt" and (tmp_path / "a.txt").is_dir()
