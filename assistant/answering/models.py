"""The configured generative model: the packaged GGUF run in process by llama.cpp, or the OpenAI-compatible
server at ``llm_url``."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.answering.generator import Generator
from assistant.answering.llm import ChatModelGenerator, first_line
from assistant.config import Settings
from assistant.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

# Requests in flight to a model server when llm_concurrency is not set: llama.cpp's server runs 4 sequences
# at once by default (--parallel) and vLLM batches many more.
SERVER_CONCURRENCY = 4


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
            f"cannot load the model {str(path)!r} (llama.cpp: {first_line(err)}); "
            "is it a complete GGUF file? Fix ASSISTANT_LLM_MODEL_PATH, or unset it to use the packaged model"
        ) from err
    # No LlamaRAMCache: its saved states hold a copy of the logits (hundreds of MB each) that its capacity
    # does not count. llama.cpp already reuses the longest common prefix with the previous prompt, so the
    # fixed system part of consecutive answer prompts is evaluated once.
    return model


def _openai_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI  # noqa: PLC0415

    return ChatOpenAI(
        base_url=settings.llm_url,
        api_key=settings.llm_api_key,  # a SecretStr: LangChain keeps it hidden too
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
