"""What the answer stage asks of a generative model: chat messages in, text out (whole, piece by piece, or with
the probability of each token), and how likely a yes/no reply is "yes"."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from langchain_core.messages import BaseMessage


class Generator(ABC):
    """Turns chat messages into text, as a stream of pieces."""

    @property
    @abstractmethod
    def model_id(self) -> str:
        """Which model answers."""

    @abstractmethod
    def stream(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> Iterator[str]:
        """The reply, piece by piece, as the model writes it."""

    @property
    def concurrency(self) -> int:
        """How many calls may run at the same time (from different threads); the web chat answers that many
        questions at once. One unless a generator says it can do more."""
        return 1

    def load(self) -> None:  # noqa: B027  (optional: a model with nothing to load does nothing)
        """Get ready to answer (load the model) now rather than on the first call."""

    def complete(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> str:
        """The whole reply."""
        return "".join(self.stream(messages, max_tokens=max_tokens))
