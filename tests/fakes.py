"""Deterministic stand-ins for the models, for unit tests."""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence

from langchain_core.messages import BaseMessage

from assistant.answering.generator import Generator
from assistant.ingest.embedding import ArticleEmbedder
from assistant.ingest.terms import fold

_WORD = re.compile(r"\w+")


class HashEmbedder(ArticleEmbedder):
    """Hashes each folded word into a fixed-size vector: texts that share words are near each other."""

    def __init__(self, dimension: int = 64, name: str = "fake-hash") -> None:
        self.dimension = dimension
        self.name = name
        self.calls: list[list[str]] = []
        self.fail_after: int | None = None  # raise on the n-th embed_documents call (0-based)
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"{self.name}-{self.dimension}"

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dimension
        for word in _WORD.findall(fold(text)):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vec[int.from_bytes(digest, "big") % self.dimension] += 1.0
        norm = math.sqrt(sum(x * x for x in vec)) or 1.0
        return [x / norm for x in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            if self.fail_after is not None and len(self.calls) >= self.fail_after:
                raise RuntimeError("embedding failed on purpose")
            self.calls.append(list(texts))
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class QueuedGenerator(Generator):
    """Replies with queued answers (NO_ANSWER when the queue is empty) and records every prompt."""

    def __init__(
        self,
        answers: list[str] | None = None,
        model_id: str = "fake-llm",
        seconds_per_piece: float = 0.0,
    ) -> None:
        self.answers = deque(answers or [])
        self.prompts: list[list[BaseMessage]] = []
        self._model_id = model_id
        self.seconds_per_piece = seconds_per_piece  # how long the model takes to write each piece
        self.finished: list[float] = []  # time.perf_counter() when each reply was written to its end

    @property
    def model_id(self) -> str:
        return self._model_id

    def stream(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> Iterator[str]:
        self.prompts.append(list(messages))
        text = self.answers.popleft() if self.answers else "NO_ANSWER"
        for start in range(0, len(text), 7):  # a few characters at a time, like a model
            if self.seconds_per_piece:
                time.sleep(self.seconds_per_piece)
            yield text[start : start + 7]
        self.finished.append(time.perf_counter())

    def last_user_message(self, index: int = -1) -> str:
        content = self.prompts[index][-1].content
        return content if isinstance(content, str) else ""
