"""The generative model as a LangChain chat model: the embedded GGUF through llama.cpp, or any
OpenAI-compatible server.

The model is built on first use and shared by the whole process. The embedded model writes one reply at a
time (llama-cpp-python's ``Llama`` has one context and is not thread-safe); a server writes several at once,
as many as ``llm_concurrency`` says.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage

from assistant.answering.generator import Generator
from assistant.answering.prompt_states import PromptStates
from assistant.errors import ModelUnavailableError

logger = logging.getLogger(__name__)


class ChatModelGenerator(Generator):
    """A LangChain chat model, built by ``factory`` on first use, at most ``concurrency`` calls at a time, each
    with a time limit.

    The model is shared by the whole process, by ``model_id``, and so are its call slots: several assistants
    on one server send it at most ``concurrency`` requests together. ``concurrency`` must be 1 for a model
    that runs in this process (llama.cpp's context serves one call at a time).
    """

    _shared: dict[str, BaseChatModel] = {}  # noqa: RUF012  (one model per process, by id)
    _states: dict[str, PromptStates] = {}  # noqa: RUF012  (and its kept prompt states)
    _slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}  # noqa: RUF012  (its calls in flight)
    _shared_lock = threading.Lock()

    def __init__(
        self,
        model_id: str,
        factory: Callable[[], BaseChatModel],
        *,
        timeout: float = 60.0,
        concurrency: int = 1,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self._model_id = model_id
        self._factory = factory
        self.timeout = timeout
        self._concurrency = concurrency
        with self._shared_lock:
            key = (model_id, concurrency)
            self._calls = self._slots.setdefault(key, threading.BoundedSemaphore(concurrency))

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def concurrency(self) -> int:
        return self._concurrency

    def load(self) -> None:
        self.chat_model()

    def chat_model(self) -> BaseChatModel:
        """The chat model, loaded now if this is its first use in the process."""
        with self._shared_lock:
            model = self._shared.get(self._model_id)
            if model is None:
                began = time.perf_counter()
                model = self._factory()
                self._shared[self._model_id] = model
                logger.info("loaded %s in %.1f s", self._model_id, time.perf_counter() - began)
            return model

    def _prompt_states(self, model: BaseChatModel) -> PromptStates | None:
        """The kept prompt states of the embedded llama.cpp model (None for a server)."""
        client = getattr(model, "client", None)
        if client is None or not hasattr(client, "create_chat_completion"):
            return None
        with self._shared_lock:
            states = self._states.get(self._model_id)
            if states is None:
                states = self._states[self._model_id] = PromptStates(client)
            return states

    def stream(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> Iterator[str]:
        return self._pieces(messages, max_tokens)

    def _pieces(self, messages: Sequence[BaseMessage], max_tokens: int | None, **options: Any) -> Iterator[str]:
        """The reply's pieces; ``options`` go to the chat model's call."""
        model = self.chat_model()
        states = self._prompt_states(model)
        kwargs: dict[str, Any] = {"max_tokens": max_tokens} if max_tokens else {}
        # A slot for the whole reply: the embedded model's single context (and the prompt state put back into
        # it) belongs to this call until it ends; a server is sent no more requests than it was sized for.
        # The time limit starts once the call has its slot.
        with self._calls:
            deadline = time.monotonic() + self.timeout
            if states is not None:
                states.restore(_kind(messages))
            try:
                for chunk in model.stream(list(messages), **kwargs, **options):
                    text = chunk.content if isinstance(chunk.content, str) else ""
                    if text:
                        yield text
                    if time.monotonic() > deadline:
                        logger.warning("generation stopped after %.0f s (llm_timeout)", self.timeout)
                        break
                if states is not None:
                    states.save(_kind(messages))
            except ModelUnavailableError:
                raise
            except Exception as err:
                _raise_if_unreachable(err)
                raise


def _kind(messages: Sequence[BaseMessage]) -> str:
    """What kind of prompt this is: its fixed instructions (the system message)."""
    first = messages[0] if messages else None
    return str(first.content) if first is not None and first.type == "system" else ""


def _raise_if_unreachable(err: Exception) -> None:
    """Turn a failure to reach the model's server into the user's error; leave any other failure alone."""
    if _is_connection_error(err):
        raise ModelUnavailableError(
            f"the language model server cannot be reached ({err}); "
            "check ASSISTANT_LLM_URL or unset it to use the embedded model"
        ) from err


def _is_connection_error(err: Exception) -> bool:
    names = {cls.__name__ for cls in type(err).__mro__}
    return bool(names & {"APIConnectionError", "ConnectError", "ConnectionError", "APITimeoutError"})


def first_line(err: Exception) -> str:
    """The gist of a (pydantic-wrapped) loading error, on one line."""
    text = str(err)
    marker = "Received error "
    if marker in text:
        text = text.split(marker, 1)[1]
    return text.strip().splitlines()[0].split(" [type=")[0] if text.strip() else type(err).__name__
