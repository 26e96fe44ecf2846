"""What the answer stage asks of a generative model: chat messages in, text out (whole, piece by piece, or with
the probability of each token), and how likely a yes/no reply is "yes"."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage


@dataclass(frozen=True)
class Completion:
    """A whole reply with, when the model gives them, its tokens and the probability of each as it was chosen
    (empty when it does not: a generator or server that gives no probabilities)."""

    text: str
    tokens: tuple[tuple[str, float], ...] = ()


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

    def complete_with_probabilities(
        self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None
    ) -> Completion:
        """The whole reply with the probability of each of its tokens; this default gives none."""
        return Completion(self.complete(messages, max_tokens=max_tokens))

    def yes_probability(self, messages: Sequence[BaseMessage]) -> float:
        """How likely the reply to a yes/no prompt is "yes", from 0 to 1.

        This default reads the first word of a short reply (0 or 1); models that expose their token
        probabilities give a graded answer.
        """
        reply = self.complete(messages, max_tokens=3).strip().lower()
        return 1.0 if reply.startswith(("yes", "oui")) else 0.0
