"""The model's answer slots, handed out in order of arrival: a question waiting for the model shows its sources
and how many questions are ahead of it, instead of waiting unseen in the page's queue."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


class AnswerSlots:
    """``slots`` answers written at once; the others wait their turn, first come first served."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self._slots = slots
        self._free = slots
        self._waiting: deque[object] = deque()
        self._changed = threading.Condition()

    @contextmanager
    def turn(self) -> Iterator[Waiting]:
        """Join the line; the ``Waiting`` says how many are ahead and takes the slot. The slot (or the place in
        line, when leaving before getting it) is given back on exit."""
        waiting = Waiting(self)
        with self._changed:
            self._waiting.append(waiting)
        try:
            yield waiting
        finally:
            with self._changed:
                if waiting.served:
                    self._free += 1
                else:
                    self._waiting.remove(waiting)
                self._changed.notify_all()

    def _ahead(self, waiting: Waiting) -> int:
        with self._changed:
            return 0 if waiting.served else self._waiting.index(waiting) + self._slots - self._free

    def _take(self, waiting: Waiting, timeout: float | None) -> bool:
        with self._changed:
            if not self._changed.wait_for(lambda: self._free > 0 and self._waiting[0] is waiting, timeout):
                return False
            self._waiting.popleft()
            self._free -= 1
            waiting.served = True
            self._changed.notify_all()  # the others move up a place
            return True


class Waiting:
    """One question's place in line for a slot."""

    def __init__(self, slots: AnswerSlots) -> None:
        self._slots = slots
        self.served = False

    @property
    def ahead(self) -> int:
        """Questions the model answers before this one: those being answered and those ahead in line (0 once
        this one has its slot)."""
        return self._slots._ahead(self)

    def take(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` seconds (None: as long as it takes) for the slot; True once this question has
        it."""
        return self.served or self._slots._take(self, timeout)
