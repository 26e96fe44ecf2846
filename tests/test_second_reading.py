"""A fact's second reading: when the model, reading the supporting sentences alone, answers like the first
reading, and how the pipeline drops a statement it does not."""

from __future__ import annotations

import pytest

from assistant import Assistant, Settings
from assistant.answering.prompts import DONT_KNOW
from assistant.answering.second_reading import readings_agree
from assistant.answering.statements import DISAGREES
from tests.fakes import HashEmbedder, QueuedGenerator

_REVENUE_QUESTION = "Quels revenus Scale AI prévoit-elle pour 2024 ?"
_REVENUE_ANSWER = "Environ 870 millions de dollars"


@pytest.mark.parametrize(
    ("statement", "reply", "question", "agree"),
    [
        ("Pierre reçoit Trani en 1043.", "Trani", "Quelle baronnie reçoit le chef normand Pierre en 1043 ?", True),
        ("Le chimiste Lavoisier fut guillotiné le 8 mai 1794.", "8 May 1794", "When was Lavoisier executed?", True),
        ("Aldo Serena finit capocannoniere avec 22 buts.", "22", "Avec combien de buts Aldo Serena finit-il ?", True),
        (
            "The bill is submitted to the Presiding Officer before it is passed.",
            "Monarch",
            "The bill is submitted to whom before it is passed?",
            False,
        ),
        ("Gold prices had risen by less than two percent.", "NONE", "How much had the price of gold risen?", False),
        # Only the question's words again: the second reading found no answer.
        (
            "General Hermann von François is a descendant of a Huguenot family.",
            "General Hermann von François",
            "Who is a descendant of General Hermann von Francois?",
            False,
        ),
        ("The Normans invaded Ireland in 1169.", "The sentences do not say.", "Who invaded Ireland in 1169?", False),
    ],
)
def test_two_readings_agree_when_they_share_more_than_the_question(
    statement: str, reply: str, question: str, agree: bool
) -> None:
    assert readings_agree(statement, reply, question) is agree


def test_a_fact_is_refused_when_its_sentence_read_alone_answers_otherwise(
    settings: Settings, embedder: HashEmbedder
) -> None:
    generator = QueuedGenerator([_REVENUE_ANSWER, _REVENUE_ANSWER])
    assistant = Assistant(settings, embedder=embedder, generator=generator)
    generator.rereadings.append("Environ 150 millions de dollars")
    refused = assistant.ask(_REVENUE_QUESTION)
    assert (refused.answered, refused.text) == (False, DONT_KNOW["fr"])
    assert [s.failed for s in refused.statements] == [(DISAGREES,)]
    assert refused.closest, "the closest passages are shown all the same"
    # The second reading read the supporting sentence alone, under its article's title, and the question.
    (prompt,) = generator.second_readings
    sentences = str(prompt[-1].content)
    assert "870 millions de dollars" in sentences and f"Question: {_REVENUE_QUESTION}" in sentences
    assert "150 millions de dollars proviennent du seul Google" not in sentences
    # Read again alike (the fake copies the sentence it is given), the same answer stands.
    assert assistant.ask(_REVENUE_QUESTION).text == f"{_REVENUE_ANSWER} [1]."
    assert len(generator.second_readings) == 2


def test_no_second_reading_when_it_is_turned_off(settings: Settings, embedder: HashEmbedder) -> None:
    generator = QueuedGenerator([_REVENUE_ANSWER])
    generator.rereadings.append("NONE")
    off = settings.model_copy(update={"second_reading": False})
    assert Assistant(off, embedder=embedder, generator=generator).ask(_REVENUE_QUESTION).answered
    assert generator.second_readings == []


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        # An explanation's one to three sentences are not a few words to compare.
        (
            "Pourquoi Scale AI prévoit-elle des revenus pour 2024 malgré les défis actuels ?",
            "Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024.",
        ),
        # A yes or a no is not in the sentence; the fact said with it is checked as any statement is.
        ("Scale AI prévoit-elle des revenus pour 2024 ?", "Oui, environ 870 millions de dollars"),
    ],
)
def test_explanations_and_yes_or_no_answers_are_read_once(
    settings: Settings, embedder: HashEmbedder, question: str, reply: str
) -> None:
    generator = QueuedGenerator([reply])
    generator.rereadings.append("NONE")
    assert Assistant(settings, embedder=embedder, generator=generator).ask(question).answered
    assert generator.second_readings == []
