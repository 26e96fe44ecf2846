"""The generative model: the embedded GGUF through llama.cpp, or any OpenAI-compatible server.

Both are LangChain chat models. The model is built on first use and shared by the whole process. The
embedded model writes one reply at a time (llama-cpp-python's ``Llama`` has one context and is not
thread-safe); a server writes several at once, as many as ``llm_concurrency`` says.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage

from assistant.answering.prompt_states import PromptStates
from assistant.config import Settings
from assistant.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

# Requests in flight to a model server when llm_concurrency is not set: llama.cpp's server runs 4 sequences
# at once by default (--parallel) and vLLM batches many more.
SERVER_CONCURRENCY = 4


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
            logger.warning("the model server gives no token probabilities (%s)", _first_line(refused))
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


def _llama_cpp_model(path: Path, settings: Settings) -> BaseChatModel:
    try:
        from langchain_community.chat_models import ChatLlamaCpp  # noqa: PLC0415
    except ImportError as err:
        raise ModelUnavailableError(f"llama-cpp-python is not installed ({err}); run 'make run' to install it") from err
    from assistant.model_files import check_gguf_file  # noqa: PLC0415

    check_gguf_file(path)
    try:
        model = ChatLlamaCpp(
            model_path=str(path),
            n_ctx=settings.llm_context,
            n_threads=settings.llm_threads or os.cpu_count() or 2,
            n_batch=512,
            temperature=0.0,
            # ChatLlamaCpp's default 1.1 penalises the prompt's last tokens, i.e. the words an answer should
            # copy from the sentences it read: on 4 dev questions it changed 2 right answers into wrong ones.
            repeat_penalty=1.0,
            max_tokens=settings.max_answer_tokens,
            seed=0,
            verbose=False,
        )
    except (ValueError, RuntimeError) as err:
        raise ModelUnavailableError(
            f"cannot load the model {str(path)!r} (llama.cpp: {_first_line(err)}); "
            "is it a complete GGUF file? Fix ASSISTANT_LLM_MODEL_PATH, or unset it to use the packaged model"
        ) from err
    # No LlamaRAMCache: its saved states hold a copy of the logits (hundreds of MB each) that its capacity
    # does not count. llama.cpp already reuses the longest common prefix with the previous prompt, so the
    # fixed system part of consecutive answer prompts is evaluated once.
    return model


def _first_line(err: Exception) -> str:
    """The gist of a (pydantic-wrapped) loading error, on one line."""
    text = str(err)
    marker = "Received error "
    if marker in text:
        text = text.split(marker, 1)[1]
    return text.strip().splitlines()[0].split(" [type=")[0] if text.strip() else type(err).__name__


def _openai_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI  # noqa: PLC0415

    return ChatOpenAI(
        base_url=settings.llm_url,
        api_key=settings.llm_api_key,  # type: ignore[arg-type]
        model=settings.llm_model,
        temperature=0.0,
        max_completion_tokens=settings.max_answer_tokens,
        timeout=settings.llm_timeout,
        max_retries=1,
    )


def model_concurrency(settings: Settings) -> int:
    """How many replies the model the settings name writes at once: ``llm_concurrency`` (default
    ``SERVER_CONCURRENCY``) for a server, always 1 for the embedded model."""
    if settings.llm_url:
        return settings.llm_concurrency or SERVER_CONCURRENCY
    if settings.llm_concurrency not in (None, 1):
        logger.warning(
            "llm_concurrency=%d is ignored: the embedded model writes one answer at a time "
            "(set ASSISTANT_LLM_URL to answer through a server)",
            settings.llm_concurrency,
        )
    return 1


def make_generator(settings: Settings) -> Generator:
    """The generator the settings name; the model is loaded (and assembled, if needed) on first use."""
    if settings.llm_url:
        return ChatModelGenerator(
            f"openai:{settings.llm_model}@{settings.llm_url}",
            lambda: _openai_model(settings),
            timeout=settings.llm_timeout,
            concurrency=model_concurrency(settings),
        )

    def resolve_path() -> Path:
        if settings.llm_model_path is not None:
            return settings.llm_model_path
        from assistant.model_files import ensure_default_model  # noqa: PLC0415

        return ensure_default_model(settings.llm_model_dir)

    name = settings.llm_model_path.name if settings.llm_model_path else "qwen2.5-coder-1.5b-instruct-q4_k_m"
    return ChatModelGenerator(
        f"llama-cpp:{name}",
        lambda: _llama_cpp_model(resolve_path(), settings),
        timeout=settings.llm_timeout,
        concurrency=model_concurrency(settings),
    )
