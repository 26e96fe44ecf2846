"""Start app.py as a separate process on a free port, with its own copy of the seed articles and index."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RunningApp:
    url: str
    articles: Path
    log: Path
    process: subprocess.Popen[bytes]
    started: float  # perf_counter() just before the process was started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ASSISTANT_SEEDS_DIR": str(workdir / "articles"),
        "ASSISTANT_INDEX_DIR": str(workdir / "index"),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }


def prepare_workdir(workdir: Path) -> None:
    """A copy of the seed articles; the index is built on first start."""
    if not (workdir / "articles").exists():
        shutil.copytree(ROOT / "seeds", workdir / "articles")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def running_app(workdir: Path, timeout: float = 300.0) -> Iterator[RunningApp]:
    """app.py serving ``workdir``; stopped on exit. Ready means the server answers ``/config``."""
    prepare_workdir(workdir)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = workdir / f"app-{port}.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(port)],
            cwd=workdir,
            env=app_env(workdir),
            stdout=out,
            stderr=out,
        )
    try:
        deadline = time.monotonic() + timeout
        while not http_ok(url + "config"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"app.py did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)
        yield RunningApp(url, workdir / "articles", log, process, started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
