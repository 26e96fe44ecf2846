"""The chat's turns as Gradio shows them: the messages, and the sources selector under an answer (whose choices
name a turn and a quote)."""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from assistant.types import Answer, Citation
from assistant.web import render
from assistant.web.wording import LABELS

logger = logging.getLogger(__name__)

Turn = tuple[str, Answer]  # a question as asked, and its answer
Message = dict[str, str]


def conversation(turns: list[Turn]) -> list[Message]:
    """The chat as Gradio messages: every question and answer rendered from escaped text."""
    messages: list[Message] = []
    for question, answer in turns:
        messages.append({"role": "user", "content": render.question_html(question)})
        messages.append({"role": "assistant", "content": render.finished_answer_html(answer)})
    return messages


def assistant_message(content: str) -> Message:
    return {"role": "assistant", "content": content}


def sources_update(turns: list[Turn], index: int) -> Any:
    """The sources selector for the answer of turn ``index``."""
    if not 0 <= index < len(turns):
        return gr.Radio(choices=[], value=None, visible=False)
    answer = turns[index][1]
    choices = [(render.citation_label(c), f"{index}:{c.number}") for c in render.listed_citations(answer)]
    label = LABELS[answer.language]["sources" if answer.answered else "closest"]
    return gr.Radio(choices=choices, value=None, visible=bool(choices), label=label)


def chosen_citation(choice: str | None, turns: list[Turn]) -> tuple[Answer, Citation] | None:
    """The answer and the quote that a choice of the sources selector names ("turn:number"); None when none."""
    try:
        turn, number = (int(part) for part in (choice or "").split(":"))
        answer = turns[turn][1]
        return answer, next(c for c in render.listed_citations(answer) if c.number == number)
    except (ValueError, IndexError, StopIteration):
        return None
