"""Question answering over news articles, in French and English, with exact cited passages.

Names are imported on first access, so that ``import assistant`` and ``assistant --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.config import Settings
    from assistant.errors import (
        AssistantError,
        BadInputError,
        IndexBusyError,
        IndexMismatchError,
        IndexNotBuiltError,
        ModelUnavailableError,
        StoreUnavailableError,
    )
    from assistant.types import Answer, Article, Chunk, Citation, IndexReport, IndexStatus, Passage

_HOMES = {
    "Assistant": "assistant.api",
    "IndexStatus": "assistant.types",
    "Settings": "assistant.config",
    "AssistantError": "assistant.errors",
    "BadInputError": "assistant.errors",
    "IndexBusyError": "assistant.errors",
    "IndexMismatchError": "assistant.errors",
    "IndexNotBuiltError": "assistant.errors",
    "ModelUnavailableError": "assistant.errors",
    "StoreUnavailableError": "assistant.errors",
    "Answer": "assistant.types",
    "Article": "assistant.types",
    "Citation": "assistant.types",
    "Chunk": "assistant.types",
    "IndexReport": "assistant.types",
    "Passage": "assistant.types",
}

__all__ = [
    "Answer",
    "Article",
    "Assistant",
    "AssistantError",
    "BadInputError",
    "Chunk",
    "Citation",
    "IndexBusyError",
    "IndexMismatchError",
    "IndexNotBuiltError",
    "IndexReport",
    "IndexStatus",
    "ModelUnavailableError",
    "Passage",
    "Settings",
    "StoreUnavailableError",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
