"""Answering through an OpenAI-compatible server (llama-cpp-python's own), and the error when none listens."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.errors import ModelUnavailableError
from assistant.ingest.loader import load_articles
from assistant.model_files import ensure_default_model
from tests.conftest import stop_process
from tests.fakes import HashEmbedder

STARTUP_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0
SERVER_EXTRAS = ("fastapi", "sse_starlette", "starlette_context", "uvicorn", "pydantic_settings")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (…/v1) of a llama-cpp-python server running the default model."""
    missing = [name for name in SERVER_EXTRAS if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(
            f"the server's dependencies are missing ({', '.join(missing)}); "
            "pip install 'llama-cpp-python[server]==0.3.36'"
        )
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    # A file, not a pipe: a pipe nobody reads fills up and blocks the server.
    log = tmp_path_factory.mktemp("llm-server") / "stderr.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(ensure_default_model()),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", "4096",
        # All cores, like the embedded model (the server's default is half of them).
        "--n_threads", str(os.cpu_count() or 1),
    ]  # fmt: skip
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _server_answers(url):
            if process.poll() is not None:
                pytest.fail(
                    f"the llama.cpp server exited with code {process.returncode}:\n"
                    f"{log.read_text(errors='replace')[-4000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the llama.cpp server did not answer GET /v1/models within {STARTUP_TIMEOUT:.0f} s:\n"
                    f"{log.read_text(errors='replace')[-4000:]}"
                )
            time.sleep(0.5)
        yield url
    finally:
        stop_process(process, STOP_TIMEOUT)


@pytest.mark.integration
def test_answers_through_a_server(llm_server: str, articles_dir: Path, tmp_path: Path) -> None:
    assistant = Assistant(Settings(seeds_dir=articles_dir, index_dir=tmp_path / "index", llm_url=llm_server))
    assert assistant.generator.model_id.startswith("openai:")

    answer = assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?")
    assert answer.answered, answer.text
    assert answer.language == "fr"
    assert "870" in answer.text
    texts = {article.source: article.text for article in load_articles(articles_dir).articles}
    exact = [c for c in answer.citations if texts[c.source][c.start : c.end] == c.quote]
    assert exact, answer.citations
    assert len(exact) == len(answer.citations), answer.citations

    refused = assistant.ask("What is Scale AI's share price?")
    assert not refused.answered, refused.text


def test_unreachable_server_says_which_setting_to_fix(articles_dir: Path, tmp_path: Path) -> None:
    closed_port = _free_port()  # bound, then released: nothing listens there
    settings = Settings(
        seeds_dir=articles_dir, index_dir=tmp_path / "index", llm_url=f"http://127.0.0.1:{closed_port}/v1"
    )
    assistant = Assistant(settings, embedder=HashEmbedder())

    with pytest.raises(ModelUnavailableError, match="ASSISTANT_LLM_URL"):
        assistant.ask("Who leads Meta's superintelligence team?")
