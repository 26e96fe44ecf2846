"""What the citation checks compare: figures with their scale, and names."""

from __future__ import annotations

import pytest

from assistant.citations import amounts, names, numbers


@pytest.mark.parametrize(
    ("french", "english"),
    [
        ("870 millions de dollars", "870 million dollars"),
        ("14,3 milliards de dollars", "14.3 billion dollars"),
        ("14,3 milliards de dollars", "$14.3bn"),
        ("1 milliard de dollars", "1 billion dollars"),
        ("200 millions d'euros", "200 million euros"),
    ],
)
def test_the_same_amount_in_both_languages_is_equal(french: str, english: str) -> None:
    assert amounts(french) == amounts(english) != set()
    assert numbers(french) == numbers(english)


def test_a_changed_scale_is_another_amount() -> None:
    # Same digits, so `numbers` alone cannot tell them apart: a translation that turned millions into
    # billions was seen from the real model.
    french, wrong = "870 millions de dollars", "870 billion dollars"
    assert numbers(french) == numbers(wrong)
    assert amounts(french) != amounts(wrong)


def test_figures_without_a_scale_are_not_amounts() -> None:
    assert amounts("Meta acquiert 49 % de Scale AI le 12 juin 2025.") == set()


def test_a_sentence_start_is_not_a_name_but_a_known_name_is() -> None:
    text = "The CEO of Scale AI joins Meta. He will lead it. Et Google aussi. U. S. regulators may act."
    assert names(text, known=set()) == ["scale", "meta", "google"]
