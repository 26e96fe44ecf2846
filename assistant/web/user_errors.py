"""How a handler's failure reaches the page: a readable message as text, never a stack trace."""

from __future__ import annotations

import logging
from html import escape

import gradio as gr

from assistant.errors import AssistantError

logger = logging.getLogger(__name__)

_UNEXPECTED = "Something went wrong on the server (see its log); try again."


def user_error(err: Exception) -> gr.Error:
    """A readable error for the UI: the message as text (gr.Error renders HTML), never a stack trace."""
    if not isinstance(err, AssistantError):
        logger.exception("unexpected error in the web chat")
        return gr.Error(escape(_UNEXPECTED), print_exception=False)
    return gr.Error(escape(str(err)), print_exception=False)
