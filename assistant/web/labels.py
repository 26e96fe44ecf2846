"""The page's labels in the language of the last question, and what Gradio needs to read a handler's types."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import gradio as gr

from assistant.types import Lang
from assistant.web.wording import LABELS

# The components whose labels follow the language of the last question, in this order.
LABELLED = (
    "question",
    "ask",
    "clear",
    "open_article",
    "update",
    "upload",
    "result",
    "link",
    "add_link",
    "refresh_feeds",
    "filters",
    "since",
    "until",
    "filter_sources",
)


def language_updates(language: Lang) -> list[Any]:
    """Updates that relabel the ``LABELLED`` components in ``language``."""
    labels = LABELS[language]
    return [
        gr.Textbox(label=labels["question"], placeholder=labels["placeholder"]),
        gr.Button(value=labels["ask"]),
        gr.Button(value=labels["clear"]),
        gr.Dropdown(label=labels["open_article"]),
        gr.Button(value=labels["update"]),
        gr.File(label=labels["upload"]),
        gr.Textbox(label=labels["result"]),
        gr.Textbox(label=labels["link"], placeholder=labels["link_placeholder"]),
        gr.Button(value=labels["add_link"]),
        gr.Button(value=labels["refresh_feeds"]),
        gr.Accordion(label=labels["filters"]),
        gr.Textbox(label=labels["since"], placeholder=labels["date_placeholder"]),
        gr.Textbox(label=labels["until"], placeholder=labels["date_placeholder"]),
        gr.Dropdown(label=labels["filter_sources"]),
    ]


def with_evaluated_hints(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its annotations resolved: gr.api reads the return type from the signature, not as a string."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    signature = inspect.signature(fn, eval_str=True)
    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__annotations__ = {name: p.annotation for name, p in signature.parameters.items()}
    call.__annotations__["return"] = signature.return_annotation
    call.__doc__ = fn.__doc__
    call.__name__ = fn.__name__
    return call
