"""The kept prompt states with the real embedded model: a kind's fixed part is evaluated once, and putting a
state back never changes what the model writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from assistant import Settings
from assistant.answering.llm import ChatModelGenerator
from assistant.answering.models import make_generator
from assistant.answering.prompts import answer_messages, translate_messages
from assistant.types import Passage

_REVENUE = (
    "Malgré les défis actuels, Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024, "
    "dont environ 150 millions de dollars provenant du seul Google."
)
_STAKE = "Ce dernier s’est ainsi emparé de 49% du capital (environ 14 milliards de dollars)."


@pytest.fixture(scope="module")
def model() -> Iterator[tuple[ChatModelGenerator, list[int]]]:
    """The packaged model, with the number of tokens llama.cpp evaluates at each step recorded."""
    generator = make_generator(Settings())
    assert isinstance(generator, ChatModelGenerator)
    client: Any = generator.chat_model().client  # type: ignore[attr-defined]
    evaluated: list[int] = []
    original = client.eval

    def counting_eval(tokens: Any) -> Any:
        evaluated.append(len(tokens))
        return original(tokens)

    client.eval = counting_eval
    yield generator, evaluated
    client.eval = original


def _answer_messages(question: str, passage: str) -> list[BaseMessage]:
    return answer_messages([Passage("a.txt", "Scale AI", passage, 0, len(passage), 1.0)], question, "fr")


def test_a_translation_after_an_answer_reuses_the_translation_instructions(
    model: tuple[ChatModelGenerator, list[int]],
) -> None:
    generator, evaluated = model
    ChatModelGenerator._states.clear()  # states kept by earlier tests would make the first translation warm
    generator.complete(_answer_messages("Combien ?", "Une phrase sans rapport."), max_tokens=8)
    evaluated.clear()
    first = generator.complete(translate_messages(_REVENUE, "en"))
    cold = sum(evaluated)

    generator.complete(_answer_messages("Combien ?", "Une autre phrase sans rapport."), max_tokens=8)
    evaluated.clear()
    generator.complete(translate_messages(_STAKE, "en"))
    warm = sum(evaluated)

    assert "870" in first
    # The instructions and the two examples (about 170 tokens) are not evaluated again after the answer.
    assert warm < cold - 120, (cold, warm)


def test_a_restored_state_gives_the_reply_of_a_fresh_prompt(model: tuple[ChatModelGenerator, list[int]]) -> None:
    generator, _ = model
    client: Any = generator.chat_model().client  # type: ignore[attr-defined]
    question = "Combien Meta a-t-il investi ?"
    client.reset()  # nothing kept by llama.cpp itself: a fresh prompt
    translated = generator.complete(translate_messages(_REVENUE, "en"))
    client.reset()
    answered = generator.complete(_answer_messages(question, _STAKE), max_tokens=40)

    generator.complete(_answer_messages("Qui ?", "Une phrase."), max_tokens=8)
    assert generator.complete(translate_messages(_REVENUE, "en")) == translated
    generator.complete(translate_messages(_STAKE, "en"))
    assert generator.complete(_answer_messages(question, _STAKE), max_tokens=40) == answered
