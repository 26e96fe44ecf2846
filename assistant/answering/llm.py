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

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage

from assistant.answering.generator import Completion, Generator
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
    _without_probabilities: set[str] = set()  # noqa: RUF012  (servers that refused to give them)
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

    def complete_with_probabilities(
        self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None
    ) -> Completion:
        client = getattr(self.chat_model(), "client", None)
        if client is None or not hasattr(client, "create_chat_completion"):
            return self._server_completion(messages, max_tokens)
        # llama.cpp decodes greedily (temperature 0): each chosen token is the most likely one, so its
        # probability is the largest of the distribution the logits processor sees.
        chosen: list[tuple[int, float]] = []

        def record(_ids: Any, scores: Any) -> Any:
            logits = np.asarray(scores, dtype=np.float64)
            best = int(logits.argmax())
            chosen.append((best, float(1.0 / np.exp(logits - logits[best]).sum())))
            return scores

        text = "".join(self._pieces(messages, max_tokens, logits_processor=[record]))
        tokens = []
        for token, p in chosen:
            piece = client.detokenize([token])  # empty for the end of the reply (a special token)
            if not piece:
                break
            tokens.append((piece.decode("utf-8", errors="replace"), p))
        return Completion(text, tuple(tokens))

    def _server_completion(self, messages: Sequence[BaseMessage], max_tokens: int | None) -> Completion:
        """The reply of a server, with the probabilities it gives (an OpenAI-compatible ``logprobs``); a server
        that refuses to give them (llama-cpp-python's, for one) is asked for the reply alone from then on."""
        if self._model_id in self._without_probabilities:
            return Completion(self.complete(messages, max_tokens=max_tokens))
        model = self.chat_model()
        kwargs: dict[str, Any] = {"max_tokens": max_tokens} if max_tokens else {}
        refused: Exception | None = None
        with self._calls:
            try:
                # top_logprobs too: llama-cpp-python's server gives no probabilities without it.
                reply = model.invoke(list(messages), logprobs=True, top_logprobs=1, **kwargs)
            except Exception as err:
                _raise_if_unreachable(err)
                refused = err
        if refused is not None:
            logger.warning("the model server gives no token probabilities (%s)", first_line(refused))
            self._without_probabilities.add(self._model_id)
            return Completion(self.complete(messages, max_tokens=max_tokens))
        content = (reply.response_metadata.get("logprobs") or {}).get("content") or []
        tokens = tuple((str(t.get("token", "")), float(np.exp(t["logprob"]))) for t in content if "logprob" in t)
        return Completion(reply.content if isinstance(reply.content, str) else "", tokens)

    def yes_probability(self, messages: Sequence[BaseMessage]) -> float:
        model = self.chat_model()
        client = getattr(model, "client", None)
        with self._calls:
            if (states := self._prompt_states(model)) is not None:
                states.restore(_kind(messages))
                p = _llama_yes_probability(client, messages)
                states.save(_kind(messages))
                return p
            try:
                reply = model.invoke(list(messages), max_tokens=1, logprobs=True, top_logprobs=10)
            except Exception as err:
                _raise_if_unreachable(err)
                raise
        first = (reply.response_metadata.get("logprobs") or {}).get("content") or []
        if not first or not first[0].get("top_logprobs"):  # a server that gives no probabilities
            return super().yes_probability(messages)
        yes = no = 0.0
        for option in first[0]["top_logprobs"]:
            word = str(option.get("token", "")).strip().lower()
            if word in ("yes", "no"):
                p = float(np.exp(option["logprob"]))
                yes, no = (yes + p, no) if word == "yes" else (yes, no + p)
        return yes / (yes + no) if yes + no else 0.0


def _kind(messages: Sequence[BaseMessage]) -> str:
    """What kind of prompt this is: its fixed instructions (the system message)."""
    first = messages[0] if messages else None
    return str(first.content) if first is not None and first.type == "system" else ""


def _llama_yes_probability(client: Any, messages: Sequence[BaseMessage]) -> float:
    """P("yes") / (P("yes") + P("no")) over the first token llama.cpp would write."""
    yes, no = _yes_no_tokens(client)
    found: list[float] = []

    def record(_ids: Any, scores: Any) -> Any:
        logits = np.asarray(scores, dtype=np.float64)
        p = np.exp(logits - logits.max())
        found[:] = [float(p[yes].sum()), float(p[no].sum())]
        return scores

    roles = {"human": "user", "ai": "assistant", "system": "system"}
    client.create_chat_completion(
        messages=[{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages],
        max_tokens=1,
        temperature=0.0,
        logits_processor=[record],
    )
    if not found or sum(found) == 0:
        return 0.0
    return found[0] / sum(found)


def _yes_no_tokens(client: Any) -> tuple[list[int], list[int]]:
    """The single-token spellings of yes and no in the model's vocabulary."""
    cached: tuple[list[int], list[int]] | None = getattr(client, "_assistant_yes_no", None)
    if cached is not None:
        return cached

    def ids(words: Sequence[str]) -> list[int]:
        out = set()
        for word in words:
            tokens = client.tokenize(word.encode(), add_bos=False, special=False)
            if len(tokens) == 1:
                out.add(tokens[0])
        return sorted(out)

    pair = ids(["yes", "Yes", " yes", " Yes", "YES"]), ids(["no", "No", " no", " No", "NO"])
    client._assistant_yes_no = pair
    return pair


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
