"""Shared fixtures: a copy of the seed articles, settings that point at temporary folders, assistants."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from tests.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def settings(tmp_path: Path, articles_dir: Path) -> Settings:
    return Settings(seeds_dir=articles_dir, index_dir=tmp_path / "index")


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def fake_assistant(settings: Settings, embedder: HashEmbedder) -> Assistant:
    return Assistant(settings, embedder=embedder)
