"""The answer as it comes: the updates shown while the passages are read and the answer is written, the
stream that hands them out, and the clock that notes when the first of them was shown."""

from __future__ import annotations

import logging
import time
from collections.abc import Generator as Steps
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeVar

from assistant.types import Answer, Citation, Passage

logger = logging.getLogger(__name__)

Stage = Literal["reading", "writing", "done"]
Result = TypeVar("Result")


@dataclass(frozen=True)
class AnswerUpdate:
    """What can be shown so far: the passages being read, then the checked answer as it grows.

    ``stage`` is "reading" (the model reads ``sources``), "writing" (``text`` holds the statements checked so
    far) or "done" (``answer`` is the final Answer)."""

    stage: Stage
    sources: tuple[Passage, ...] = ()
    text: str = ""
    citations: tuple[Citation, ...] = ()
    answer: Answer | None = None


class AnswerStream:
    """The answer as it comes. Iterate for its text, piece by piece (each checked statement as soon as it is
    checked); or over ``updates()`` for what the web chat shows. ``answer`` holds the full Answer afterwards."""

    def __init__(self, updates: Iterator[AnswerUpdate]) -> None:
        self._updates = updates
        self._answer: Answer | None = None

    def updates(self) -> Iterator[AnswerUpdate]:
        for update in self._updates:
            if update.answer is not None:
                self._answer = update.answer
            yield update

    def __iter__(self) -> Iterator[str]:
        said = ""
        for update in self.updates():
            if update.text.startswith(said) and len(update.text) > len(said):
                yield update.text[len(said) :]
                said = update.text

    @property
    def answer(self) -> Answer:
        """The final answer; reading it consumes whatever of the stream is left."""
        for _ in self.updates():
            pass
        assert self._answer is not None
        return self._answer


class Clock:
    """Seconds since the question came, and when something was first shown."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.first: float | None = None

    def seconds(self) -> float:
        return time.perf_counter() - self.began

    def mark(self) -> None:
        if self.first is None:
            self.first = self.seconds()


def relay(steps: Steps[AnswerUpdate, None, Result], clock: Clock) -> Steps[AnswerUpdate, None, Result]:
    """``steps`` passed on, the time of the first update noted: the time to the first visible content."""
    while True:
        try:
            update = next(steps)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        clock.mark()
        yield update
