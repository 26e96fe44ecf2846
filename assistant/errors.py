"""The errors the assistant raises: each says what is wrong and what to do."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error meant for the user."""


class BadInputError(AssistantError):
    """A question, an article or a setting the assistant cannot use."""


class IndexNotBuiltError(AssistantError):
    """The index has not been built yet."""


class IndexMismatchError(AssistantError):
    """The index was built with another embedding model."""


class IndexBusyError(AssistantError):
    """Another process is updating the index."""


class StoreUnavailableError(AssistantError):
    """The vector store (a folder or a Chroma server) cannot be reached or written."""


class ModelUnavailableError(AssistantError):
    """A model cannot be loaded."""
