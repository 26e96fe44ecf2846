"""Which questions ask for a yes or a no, and the fact said with the yes or the no."""

from __future__ import annotations

import pytest

from assistant.answering.question_form import (
    asks_a_quantity,
    asks_yes_or_no,
    goes_on_from_before,
    without_yes_or_no,
)


@pytest.mark.parametrize(
    "question",
    [
        "Is this the biggest investment Meta has ever made?",
        "And did Google leave?",
        "Haven't they said anything?",
        "Meta avait-elle déjà mis de l'argent dans Scale AI ?",
        "Est-ce que les labos d'IA étiquettent leurs données eux-mêmes ?",
        "L'état Qin a t il connu des succès ?",
    ],
)
def test_a_question_answered_by_yes_or_no(question: str) -> None:
    assert asks_yes_or_no(question)


@pytest.mark.parametrize(
    "question",
    [
        "Who leads Scale AI?",
        "How much did Meta pay?",
        "Combien Meta a-t-elle payé ?",
        "Pourquoi Google quitte-t-il Scale AI ?",
        "Et qu'est-ce qu'il va faire chez Meta ?",
        "Quand l'accord a-t-il été annoncé ?",
        "Isabelle Dupont dirige quelle entreprise ?",
    ],
)
def test_a_question_that_asks_a_fact(question: str) -> None:
    assert not asks_yes_or_no(question)


def test_the_fact_is_what_follows_the_yes_or_the_no() -> None:
    assert without_yes_or_no("No, the second largest") == "the second largest"
    assert without_yes_or_no("Oui.") == ""
    assert without_yes_or_no("Nonante ans") == "Nonante ans"


@pytest.mark.parametrize(
    ("question", "quantity"),
    [
        ("Quelle part de Scale AI Meta a-t-elle prise ?", True),
        ("And how much of that comes from Google?", True),
        ("Combien de salariés compte Scale AI ?", True),
        ("What percentage of Scale AI is Meta taking?", True),
        ("Quelle partie du contrat Google a-t-il rompue ?", False),
        ("How did Meta pay?", False),
        ("Who owns how much of Scale AI?", False),
    ],
)
def test_a_question_that_asks_how_much(question: str, quantity: bool) -> None:
    assert asks_a_quantity(question) is quantity


@pytest.mark.parametrize(
    ("question", "goes_on"),
    [
        ("And how much of that comes from Google?", True),
        ("Et combien a-t-il payé ?", True),
        ("« Mais pourquoi ? »", True),
        ("Also, when?", True),
        ("Andrew Ng a-t-il commenté ?", False),
        ("Étienne Marcel est-il cité ?", False),
        ("What stake did Meta take in Scale AI?", False),
    ],
)
def test_a_question_opening_with_and_goes_on_from_the_one_before(question: str, goes_on: bool) -> None:
    assert goes_on_from_before(question) is goes_on
