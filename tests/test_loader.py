from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import BadInputError
from assistant.ingest.loader import article_title, load_articles
from tests.conftest import SEEDS


def test_seed_articles_are_loaded_with_title_and_file_name() -> None:
    loaded = load_articles(SEEDS)
    assert [a.source for a in loaded.articles] == ["000_2b36652c92daeb7e.txt", "001_2e5ae490be6e9ced.txt"]
    assert loaded.articles[0].title.startswith("Google rompt avec Scale AI")
    assert loaded.articles[1].title == "Techonologie"
    assert loaded.articles[0].text == (SEEDS / "000_2b36652c92daeb7e.txt").read_bytes().decode("utf-8")
    assert not loaded.skipped


def test_title_is_first_non_empty_line_without_markdown_marks() -> None:
    assert article_title("\n\n  # Un titre  \ncorps") == "Un titre"
    assert article_title("\n") == ""


def test_bad_files_are_skipped_with_a_message_and_the_rest_load(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Titre\n\nTexte.", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Données".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden.txt").write_text("x", encoding="utf-8")
    loaded = load_articles(tmp_path)
    assert [a.source for a in loaded.articles] == ["good.md"]
    messages = " | ".join(loaded.skipped)
    assert "latin1.txt: not valid UTF-8" in messages and "re-save the file as UTF-8" in messages
    assert "empty.txt: the file is empty" in messages
    assert "binary.txt: this is a binary file" in messages
    assert len(loaded.skipped) == 3


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="does not exist; create it or set ASSISTANT_SEEDS_DIR"):
        load_articles(tmp_path / "nope")
