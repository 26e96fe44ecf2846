"""Questions keep being answered, whole and from one version of the index, while the index is updated; and
several questions are answered at once through a model server, never more than its setting allows."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict

from assistant import Assistant, Settings
from assistant.answering.llm import ChatModelGenerator
from assistant.answering.models import SERVER_CONCURRENCY, make_generator
from assistant.types import Answer, Passage
from assistant.web import WebChat, build_demo
from assistant.web.ui import ANSWERS_SHOWN_WAITING, ASSISTANT_QUEUE, INDEX_QUEUE
from tests.conftest import ROOT
from tests.fakes import HashEmbedder, QueuedGenerator

QUERY = "Phrase de l'article version marqueur"
ARTICLES = 6

_WRITER = """
import sys, time
from assistant import Assistant, Settings
from tests.fakes import HashEmbedder
from tests.test_concurrency import SlowEmbedder, write_generation

settings = Settings(seeds_dir=sys.argv[1], index_dir=sys.argv[2])
for generation in range(1, int(sys.argv[3]) + 1):
    write_generation(settings.seeds_dir, generation)
    Assistant(settings, embedder=SlowEmbedder()).index(full=generation % 2 == 0)
"""


class SlowEmbedder(HashEmbedder):
    """Embeds slowly, so that readers run while an update is half done."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        time.sleep(0.05)
        return super().embed_documents(texts)


def generation_texts(generation: int) -> dict[str, str]:
    """The articles of one generation: every article changes from one generation to the next."""
    texts = {}
    for i in range(ARTICLES):
        body = " ".join(
            f"Phrase {j} de l'article {i}, version {generation}, marqueur g{generation}a{i}." for j in range(25)
        )
        texts[f"a{i}.txt"] = f"Article {i}\n\n{body}\n\n{body}"
    return texts


def write_generation(folder: Path, generation: int) -> None:
    for name, text in generation_texts(generation).items():
        (folder / name).write_text(text, encoding="utf-8")


def _generations_of(result: list[Passage], generations: int) -> set[int]:
    """The generations every passage of ``result`` is an exact span of."""
    possible = set(range(generations + 1))
    for p in result:
        possible &= {g for g in possible if generation_texts(g)[p.source][p.start : p.end] == p.text}
    return possible


class _Reader(threading.Thread):
    """Asks the same question in a loop and keeps every result and every error."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True)
        self.assistant = Assistant(settings, embedder=HashEmbedder())
        self.results: list[list[Passage]] = []
        self.errors: list[BaseException] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.results.append(self.assistant.retrieve(QUERY, k=8))
            except BaseException as err:
                self.errors.append(err)


def _check(readers: list[_Reader], generations: int) -> None:
    seen: set[int] = set()
    for reader in readers:
        assert not reader.errors, repr(reader.errors[:3])
        assert len(reader.results) >= 10
        for result in reader.results:
            assert len(result) == 8, "a result is whole"
            versions = _generations_of(result, generations)
            assert len(versions) == 1, f"passages from generations {versions}: {[p.text[:40] for p in result]}"
            seen |= versions
    assert len(seen) >= 3, f"readers should have seen several versions, saw {seen}"


@pytest.fixture
def index_settings(tmp_path: Path) -> Settings:
    articles = tmp_path / "articles"
    articles.mkdir()
    write_generation(articles, 0)
    settings = Settings(seeds_dir=articles, index_dir=tmp_path / "index")
    Assistant(settings, embedder=HashEmbedder()).index()
    return settings


def test_retrieval_in_threads_while_incremental_and_full_updates_run(index_settings: Settings) -> None:
    readers = [_Reader(index_settings) for _ in range(2)]
    for reader in readers:
        reader.start()
    writer = Assistant(index_settings, embedder=SlowEmbedder())
    generations = 6
    for generation in range(1, generations + 1):
        write_generation(index_settings.seeds_dir, generation)
        report = writer.index(full=generation % 2 == 0)
        assert report.added + report.updated + report.unchanged == ARTICLES
        time.sleep(0.1)
    for reader in readers:
        reader.stop.set()
        reader.join(10)
    _check(readers, generations)
    final = readers[0].assistant.retrieve(QUERY, k=8)
    assert _generations_of(final, generations) == {generations}


def test_retrieval_while_another_process_updates_the_index(index_settings: Settings) -> None:
    reader = _Reader(index_settings)
    reader.start()
    generations = 4
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.run(
        [sys.executable, "-c", _WRITER, str(index_settings.seeds_dir), str(index_settings.index_dir), str(generations)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    time.sleep(0.5)
    reader.stop.set()
    reader.join(10)
    assert writer.returncode == 0, writer.stderr
    _check([reader], generations)
    assert _generations_of(reader.results[-1], generations) == {generations}


# Answers at once: a model server is sent up to llm_concurrency calls together; the embedded model one.

QUESTIONS = {  # French questions that the hashing embedder finds the sentences of; the model's reply; the fact
    "Quels revenus Scale AI prévoit-elle pour 2024 ?": ("Environ 870 millions de dollars", "870"),
    "Quelle part de Scale AI Meta a-t-elle acquise ?": ("49 %", "49"),
    "Qui dirige le département superintelligence de Meta ?": ("Alexandr Wang", "Wang"),
    "Quel budget Google avait-il prévu pour travailler avec Scale AI en 2023 ?": (
        "Environ 200 millions de dollars",
        "200",
    ),
}


class Probe:
    """Counts the calls a fake model server is serving at once, and when each ran."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self.most_at_once = 0
        self.intervals: list[tuple[float, float]] = []

    def enter(self) -> float:
        with self._lock:
            self.in_flight += 1
            self.most_at_once = max(self.most_at_once, self.in_flight)
        return time.perf_counter()

    def leave(self, began: float) -> None:
        with self._lock:
            self.in_flight -= 1
            self.intervals.append((began, time.perf_counter()))


class FakeServerModel(BaseChatModel):
    """A chat model that answers like a server with many slots: after ``delay`` seconds, by the question."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    probe: Probe
    delay: float = 0.5

    @property
    def _llm_type(self) -> str:
        return "fake-server"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        began = self.probe.enter()
        try:
            time.sleep(self.delay)
            prompt = str(messages[-1].content)
            reply = next((r for q, (r, _) in QUESTIONS.items() if f"Question: {q}" in prompt), "NONE")
        finally:
            self.probe.leave(began)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


def server_generator(probe: Probe, concurrency: int, delay: float = 0.5) -> ChatModelGenerator:
    """A generator on a fake server, under a model id of its own (models and their slots are per process)."""
    model_id = f"openai:fake@http://127.0.0.1/{uuid.uuid4().hex}"
    return ChatModelGenerator(model_id, lambda: FakeServerModel(probe=probe, delay=delay), concurrency=concurrency)


def _at_once(count: int, call: Callable[[int], object]) -> list[object]:
    """``call(i)`` for i in range(count), each in its own thread, all released together; their results."""
    start = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = call(i)
        except BaseException as err:
            results[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_a_server_is_sent_at_most_its_concurrency_of_calls_at_once() -> None:
    probe = Probe()
    generator = server_generator(probe, concurrency=3, delay=0.3)
    replies = _at_once(7, lambda i: generator.complete([HumanMessage(f"call {i}")]))
    assert replies == ["NONE"] * 7
    assert probe.most_at_once == 3


def test_one_call_at_a_time_with_a_concurrency_of_one() -> None:
    probe = Probe()
    generator = server_generator(probe, concurrency=1, delay=0.1)
    _at_once(4, lambda i: generator.complete([HumanMessage(f"call {i}")]))
    assert probe.most_at_once == 1
    assert len(probe.intervals) == 4


def test_the_setting_sizes_a_server_and_the_embedded_model_stays_single_flight(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/v1"
    assert make_generator(Settings(llm_url=url)).concurrency == SERVER_CONCURRENCY == 4
    assert make_generator(Settings(llm_url=url, llm_concurrency=2)).concurrency == 2
    assert make_generator(Settings(llm_model_path=tmp_path / "m.gguf")).concurrency == 1
    assert make_generator(Settings(llm_model_path=tmp_path / "m.gguf", llm_concurrency=8)).concurrency == 1
    with pytest.raises(ValueError, match="llm_concurrency"):
        Settings(llm_url=url, llm_concurrency=0)


def test_questions_from_threads_are_answered_together_through_a_server(settings: Settings) -> None:
    probe = Probe()
    assistant = Assistant(settings, embedder=HashEmbedder(), generator=server_generator(probe, concurrency=4))
    questions = list(QUESTIONS)
    for attempt in ("the index is built by the first question meanwhile", "the index is there"):
        probe.intervals.clear()
        answers = _at_once(len(questions), lambda i: assistant.ask(questions[i]))
        for question, answer in zip(questions, answers, strict=True):
            assert isinstance(answer, Answer), (attempt, answer)
            assert answer.answered, (attempt, question, answer.text)
            assert QUESTIONS[question][1] in answer.text
            assert answer.citations
    assert probe.most_at_once == 4, "the four readings ran at the same time"
    assert min(end for _, end in probe.intervals) > max(start for start, _ in probe.intervals), probe.intervals


def test_the_web_chat_answers_as_many_at_once_as_the_model_and_updates_the_index_alone(settings: Settings) -> None:
    for generator, answers in ((QueuedGenerator(), 1), (server_generator(Probe(), concurrency=3), 3)):
        demo = build_demo(WebChat(Assistant(settings, embedder=HashEmbedder(), generator=generator)))
        by_name = {fn.api_name: fn for fn in demo.fns.values() if isinstance(fn.api_name, str)}
        answering = [fn for fn in demo.fns.values() if fn.fn is not None and fn.fn.__name__ in ("respond", "ask")]
        assert len(answering) == 3  # the button, the question box's Enter, the /ask API
        for fn in answering:
            # Those the model answers, and a few more shown waiting for it (with their sources).
            assert (fn.concurrency_id, fn.concurrency_limit) == (ASSISTANT_QUEUE, answers + ANSWERS_SHOWN_WAITING)
        for name in ("update_index", "add_articles"):
            assert (by_name[name].concurrency_id, by_name[name].concurrency_limit) == (INDEX_QUEUE, 1)


def test_the_web_chat_serves_several_questions_at_once(settings: Settings) -> None:
    probe = Probe()
    chat = WebChat(Assistant(settings, embedder=HashEmbedder(), generator=server_generator(probe, concurrency=3)))
    chat.prepare()
    demo = build_demo(chat)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        questions = list(QUESTIONS)[:3]
        clients = [Client(f"http://127.0.0.1:{port}/", verbose=False) for _ in questions]
        answers = _at_once(3, lambda i: clients[i].predict(questions[i], [], api_name="/ask"))
    finally:
        demo.close()
    for question, answer in zip(questions, answers, strict=True):
        assert isinstance(answer, dict), answer
        assert answer["answered"] and QUESTIONS[question][1] in answer["text"], answer
    assert probe.most_at_once == 3
