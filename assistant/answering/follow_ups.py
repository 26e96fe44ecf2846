"""A question asked in a conversation, read with the turns before it: what they say, as the model and the search
are given them.

Nothing is rewritten: the 1.5B model's rewrites of a follow-up into a standalone question often kept the pronoun
or changed the question (docs/experiments.md, "Rewriting every question of a conversation first"). The question
is searched as asked followed by the earlier questions and answers, whose names and figures find the article it
is about; the model reads it after them, and resolves "he" or "that treaty" itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answering.figures import numbers
from assistant.answering.prompts import DONT_KNOW
from assistant.answering.words import names

History = Sequence[tuple[str, str]]

_MARKER = re.compile(r"\s*\[\d+\]")


def earlier_turns(history: History, turns: int) -> list[tuple[str, str]]:
    """The last ``turns`` turns of the conversation, each answer without its [n] markers; a refusal's answer is
    left out (blank): it names nothing the question could refer to."""
    kept = history[-turns:] if turns > 0 else []
    return [(question, "" if _refused(answer) else _MARKER.sub("", answer).strip()) for question, answer in kept]


def in_context(question: str, turns: History) -> str:
    """The text a follow-up is searched with: the question, then the earlier turns' questions and answers."""
    return " ".join([question, *(f"{q} {a}".strip() for q, a in turns)])


def names_its_own(question: str) -> bool:
    """Whether the question names something, a name or a figure, that it can be searched and answered for
    alone ("What stake did Meta take in Scale AI?"). One that names nothing ("Quel âge avait-elle à ce
    moment-là ?", "Who directed it?") is about what was said before: read alone, it is answered about whatever
    article comes closest."""
    return bool(names(question, set()) or numbers(question))


def _refused(answer: str) -> bool:
    return any(refusal in answer for refusal in DONT_KNOW.values())
