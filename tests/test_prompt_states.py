"""The kept prompt states with the real embedded model: a kind's fixed part is evaluated once, and putting a
state back never changes what the model writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant import Settings
from assistant.answering.llm import ChatModelGenerator
from assistant.answering.models import make_generator
from assistant.answering.prompts import judge_messages, translate_messages

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


def test_a_translation_after_a_judgement_reuses_the_translation_instructions(
    model: tuple[ChatModelGenerator, list[int]],
) -> None:
    generator, evaluated = model
    ChatModelGenerator._states.clear()  # states kept by earlier tests would make the first translation warm
    generator.yes_probability(judge_messages("Combien ?", "Une phrase sans rapport."))
    evaluated.clear()
    first = generator.complete(translate_messages(_REVENUE, "en"))
    cold = sum(evaluated)

    generator.yes_probability(judge_messages("Combien ?", "Une autre phrase sans rapport."))
    evaluated.clear()
    generator.complete(translate_messages(_STAKE, "en"))
    warm = sum(evaluated)

    assert "870" in first
    # The instructions and the two examples (about 170 tokens) are not evaluated again after the judgement.
    assert warm < cold - 120, (cold, warm)


def test_a_restored_state_gives_the_reply_of_a_fresh_prompt(model: tuple[ChatModelGenerator, list[int]]) -> None:
    generator, _ = model
    client: Any = generator.chat_model().client  # type: ignore[attr-defined]
    question = "Combien Meta a-t-il investi ?"
    client.reset()  # nothing kept by llama.cpp itself: a fresh prompt
    translated = generator.complete(translate_messages(_REVENUE, "en"))
    client.reset()
    judged = generator.yes_probability(judge_messages(question, _STAKE))

    generator.yes_probability(judge_messages("Qui ?", "Une phrase."))
    assert generator.complete(translate_messages(_REVENUE, "en")) == translated
    generator.complete(translate_messages(_STAKE, "en"))
    # llama.cpp's sums depend on how a prompt was split between evaluations (0.37 fresh, 0.39 with the
    # instructions kept by llama.cpp itself, 0.41 restored, for this sentence): the same, within that.
    assert generator.yes_probability(judge_messages(question, _STAKE)) == pytest.approx(judged, abs=0.05)


def test_the_reply_with_its_probabilities_is_the_reply_the_model_writes(
    model: tuple[ChatModelGenerator, list[int]],
) -> None:
    generator, _ = model
    messages = translate_messages(_REVENUE, "en")
    plain = generator.complete(messages)
    scored = generator.complete_with_probabilities(messages)
    assert scored.text == plain, "recording the probabilities does not change what the model writes"
    assert "".join(piece for piece, _ in scored.tokens) == plain
    assert all(0 < p <= 1 for _, p in scored.tokens)
    # The figures are copied from the sentence: the model is sure of them, not of every word of its wording.
    figures = [p for piece, p in scored.tokens if piece.strip().isdigit()]
    assert figures and min(figures) > 0.9
