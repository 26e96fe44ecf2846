"""The generative model: the embedded GGUF through llama.cpp, or any OpenAI-compatible server.

Both are LangChain chat models. The model is built on first use and shared by the whole process; calls
are serialised because llama.cpp runs one generation at a time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage

from assistant.config import Settings
from assistant.errors import ModelUnavailableError

logger = logging.getLogger(__name__)


class Generator(ABC):
    """Turns chat messages into text, as a stream of pieces."""

    @property
    @abstractmethod
    def model_id(self) -> str:
        """Which model answers."""

    @abstractmethod
    def stream(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> Iterator[str]:
        """The reply, piece by piece, as the model writes it."""

    def complete(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> str:
        """The whole reply."""
        return "".join(self.stream(messages, max_tokens=max_tokens))


class ChatModelGenerator(Generator):
    """A LangChain chat model, built by ``factory`` on first use, one call at a time, with a time limit."""

    _shared: dict[str, BaseChatModel] = {}  # noqa: RUF012  (one model per process, by id)
    _shared_lock = threading.Lock()

    def __init__(self, model_id: str, factory: Callable[[], BaseChatModel], *, timeout: float = 60.0) -> None:
        self._model_id = model_id
        self._factory = factory
        self.timeout = timeout

    @property
    def model_id(self) -> str:
        return self._model_id

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

    def stream(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> Iterator[str]:
        model = self.chat_model()
        kwargs: dict[str, Any] = {"max_tokens": max_tokens} if max_tokens else {}
        with _GLOBAL_CALL_LOCK:
            deadline = time.monotonic() + self.timeout
            try:
                for chunk in model.stream(list(messages), **kwargs):
                    text = chunk.content if isinstance(chunk.content, str) else ""
                    if text:
                        yield text
                    if time.monotonic() > deadline:
                        logger.warning("generation stopped after %.0f s (llm_timeout)", self.timeout)
                        return
            except ModelUnavailableError:
                raise
            except Exception as err:
                if _is_connection_error(err):
                    raise ModelUnavailableError(
                        f"the language model server cannot be reached ({err}); "
                        "check ASSISTANT_LLM_URL or unset it to use the embedded model"
                    ) from err
                raise


# llama.cpp holds one context per model and the server side serialises anyway: one generation at a time.
_GLOBAL_CALL_LOCK = threading.RLock()


def _is_connection_error(err: Exception) -> bool:
    names = {cls.__name__ for cls in type(err).__mro__}
    return bool(names & {"APIConnectionError", "ConnectError", "ConnectionError", "APITimeoutError"})


def _llama_cpp_model(path: Path, settings: Settings) -> BaseChatModel:
    try:
        from langchain_community.chat_models import ChatLlamaCpp  # noqa: PLC0415
    except ImportError as err:
        raise ModelUnavailableError(f"llama-cpp-python is not installed ({err}); run 'make run' to install it") from err
    if not path.is_file():
        raise ModelUnavailableError(f"model file {str(path)!r} does not exist; fix ASSISTANT_LLM_MODEL_PATH")
    try:
        model = ChatLlamaCpp(
            model_path=str(path),
            n_ctx=settings.llm_context,
            n_threads=settings.llm_threads or os.cpu_count() or 2,
            n_batch=512,
            temperature=0.0,
            max_tokens=settings.max_answer_tokens,
            seed=0,
            verbose=False,
        )
    except (ValueError, RuntimeError) as err:
        raise ModelUnavailableError(f"cannot load the model {str(path)!r} ({err}); is it a valid GGUF file?") from err
    # No LlamaRAMCache: its saved states hold a copy of the logits (hundreds of MB each) that its capacity
    # does not count. llama.cpp already reuses the longest common prefix with the previous prompt, so the
    # fixed system part of consecutive answer prompts is evaluated once.
    return model


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


def make_generator(settings: Settings) -> Generator:
    """The generator the settings name; the model is loaded (and assembled, if needed) on first use."""
    if settings.llm_url:
        return ChatModelGenerator(
            f"openai:{settings.llm_model}@{settings.llm_url}",
            lambda: _openai_model(settings),
            timeout=settings.llm_timeout,
        )

    def resolve_path() -> Path:
        if settings.llm_model_path is not None:
            return settings.llm_model_path
        from assistant.model_files import ensure_default_model  # noqa: PLC0415

        return ensure_default_model(settings.llm_model_dir)

    name = settings.llm_model_path.name if settings.llm_model_path else "qwen2.5-coder-1.5b-instruct-q4_k_m"
    return ChatModelGenerator(
        f"llama-cpp:{name}", lambda: _llama_cpp_model(resolve_path(), settings), timeout=settings.llm_timeout
    )
