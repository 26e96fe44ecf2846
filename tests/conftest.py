"""Shared fixtures: a copy of the seed articles, settings that point at temporary folders, assistants."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from tests.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    """``assistant ARGS`` as a user runs it, in a new process with a clean environment plus ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=cwd,
        capture_output=True,
        check=False,
        text=True,
        timeout=timeout,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "HOME": str(cwd),
            "XDG_CACHE_HOME": str(Path.home() / ".cache"),
            **env,
        },
    )


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Terminate a process the test started; kill it when it does not stop within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


SEEDS = ROOT / "seeds"


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def settings(tmp_path: Path, articles_dir: Path) -> Settings:
    # The fake model answers prompts from a queue, in order: the search with the question translated, one more
    # prompt, is off here and tested on its own (tests/test_both_languages.py).
    return Settings(seeds_dir=articles_dir, index_dir=tmp_path / "index", search_both_languages=False)


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def fake_assistant(settings: Settings, embedder: HashEmbedder) -> Assistant:
    return Assistant(settings, embedder=embedder)
