"""Answers written at the same time by llama.cpp's own server with parallel slots (``llama-server --parallel``).

Four questions asked from four threads through one ``Assistant``: each is answered right (its figure or name,
with exact citations), the assistant has at least three of their model calls in flight at the same time, and
the server works on at least three at the same time, one slot each (its /slots endpoint, polled). How much time
that saves is not checked here (on a busy CI machine a timing bound would flake): `make bench-web` measures it.

llama-cpp-python's server (tests/test_llm_server.py) cannot show this: it takes one request at a time behind
a lock (and by default cuts a streamed reply short when another request arrives). llama-server is built once
from the llama.cpp sources of the installed llama-cpp-python and cached (benchmarks/webapp.py).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage

from assistant import Assistant, Settings
from assistant.answering.generator import Generator
from assistant.answering.models import make_generator
from assistant.ingest.loader import load_articles
from assistant.model_files import ensure_default_model
from assistant.types import Answer
from tests.conftest import ROOT

sys.path.append(str(ROOT / "benchmarks"))  # where the benchmarks start the same server
from webapp import RunningServer, running_llama_server

pytestmark = pytest.mark.integration

SLOTS = 4
QUESTIONS = {  # the questions the load benchmark asks, and the fact each answer must hold
    "What stake did Meta take in Scale AI?": "49",
    "Quels revenus Scale AI prévoit-elle pour 2024 ?": "870",
    "Who leads Meta's superintelligence team?": "Wang",
    "How much revenue does Scale AI expect for 2024?": "870",
}


class TimedGenerator(Generator):
    """Another generator, recording when each of its calls began and ended, and in which thread."""

    def __init__(self, inner: Generator) -> None:
        self.inner = inner
        self.calls: list[tuple[int, float, float]] = []
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def concurrency(self) -> int:
        return self.inner.concurrency

    def load(self) -> None:
        self.inner.load()

    def stream(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> Iterator[str]:
        began = time.perf_counter()
        try:
            yield from self.inner.stream(messages, max_tokens=max_tokens)
        finally:
            with self._lock:
                self.calls.append((threading.get_ident(), began, time.perf_counter()))


def most_at_once(intervals: Sequence[tuple[float, float]]) -> int:
    """The largest number of the intervals that hold one same instant."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = best = 0
    for _, step in events:
        running += step
        best = max(best, running)
    return best


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """llama-server with SLOTS parallel slots on 127.0.0.1, serving the default model; its slots can be erased
    and it keeps no prompt cache, so that a timed answer never reuses the prompt of an earlier one."""
    folder = tmp_path_factory.mktemp("llama-server")
    options = ("--slot-save-path", str(folder), "--cache-ram", "0")
    try:
        with running_llama_server(ensure_default_model(), folder, slots=SLOTS, options=options) as server:
            yield server
    except RuntimeError as err:  # the build or the start failed: say why, with the log's end
        pytest.fail(str(err))


def erase_slots(server: RunningServer) -> None:
    """Forget every slot's evaluated prompt."""
    base = server.url.removesuffix("/v1")
    for slot in range(server.slots):
        request = urllib.request.Request(f"{base}/slots/{slot}?action=erase", data=b"{}", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200


class SlotWatcher(threading.Thread):
    """Polls the server's /slots and keeps the largest number of slots it saw busy at the same time."""

    def __init__(self, server: RunningServer) -> None:
        super().__init__(daemon=True)
        self.url = server.url.removesuffix("/v1") + "/slots"
        self.most_busy = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with urllib.request.urlopen(self.url, timeout=60) as response:
                busy = sum(bool(slot.get("is_processing")) for slot in json.load(response))
            self.most_busy = max(self.most_busy, busy)
            self.stop.wait(0.1)


def _check(answer: object, question: str, texts: dict[str, str]) -> Answer:
    assert isinstance(answer, Answer), answer
    assert answer.answered, (question, answer.text)
    assert QUESTIONS[question] in answer.text, (question, answer.text)
    assert answer.citations, answer
    for c in answer.citations:
        assert texts[c.source][c.start : c.end] == c.quote
    return answer


def test_answers_are_written_at_the_same_time_on_a_server_with_parallel_slots(
    llama_server: RunningServer, articles_dir: Path, tmp_path: Path
) -> None:
    settings = Settings(
        seeds_dir=articles_dir,
        index_dir=tmp_path / "index",
        llm_url=llama_server.url,
        llm_concurrency=SLOTS,
        # Four prompts read together take about four times as long each: not to be cut by the 60 s default.
        llm_timeout=600,
    )
    timed = TimedGenerator(make_generator(settings))
    assistant = Assistant(settings, generator=timed)  # the real embedder: English questions, French articles
    texts = {article.source: article.text for article in load_articles(articles_dir).articles}
    assistant.index()
    assistant.ask("What is Scale AI known for?")  # loads the embedder; the server evaluates the fixed prompt

    timed.calls.clear()
    erase_slots(llama_server)
    questions = list(QUESTIONS)
    answers: list[object] = [None] * len(questions)
    start = threading.Barrier(len(questions))

    def ask(i: int) -> None:
        start.wait()
        try:
            answers[i] = assistant.ask(questions[i])
        except Exception as err:
            answers[i] = err

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(questions))]
    watcher = SlotWatcher(llama_server)
    watcher.start()
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    together = time.perf_counter() - began
    watcher.stop.set()
    watcher.join(60)
    for question, answer in zip(questions, answers, strict=True):
        _check(answer, question, texts)

    calls = [(start_s, end_s) for _, start_s, end_s in timed.calls]
    summary = (
        f"together: {together:.1f} s; most model calls in flight at once: {most_at_once(calls)}; "
        f"most server slots busy at once: {watcher.most_busy}"
    )
    print(summary)
    assert len({thread for thread, _, _ in timed.calls}) == len(questions), "each question, its own thread"
    assert most_at_once(calls) >= 3, summary  # the assistant sent the readings of several questions at once...
    assert watcher.most_busy >= 3, summary  # ...and the server worked on them at the same time, in its slots
    # How much faster that is depends on the machine (on 2 cores the slots share the same compute): the speed is
    # measured by `make bench-web`, which prints it, not asserted here, where a busy CI machine would flake.
