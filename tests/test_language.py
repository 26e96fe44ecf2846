"""The language of a question or a statement: lingua, with the function words of one language only deciding a
text of a few words that lingua is unsure of."""

from __future__ import annotations

import pytest

from assistant.answering.language import detect_language, language_scores
from assistant.types import Lang


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Manu Sharma est le PDG de Labelbox", "fr"),  # lingua alone: 0.57 French
        ("Labelbox examine une alternative", "fr"),  # lingua alone: 0.69 English
        ("Le PDG est Alexandr Wang", "fr"),
        ("en 1972", "fr"),
        ("l'armée de Robert Bruce", "fr"),
        ("The CEO is Alexandr Wang", "en"),
        ("in 1972", "en"),
    ],
)
def test_a_few_words_are_told_by_their_function_words(text: str, language: Lang) -> None:
    assert language_scores(text)[language] >= 0.75
    assert detect_language(text, fallback="fr" if language == "en" else "en") == language


@pytest.mark.parametrize("text", ["Charles de Gaulle was born in Lille", "The Hôtel de la Marine reopened"])
def test_french_words_among_english_ones_leave_it_to_lingua(text: str) -> None:
    assert detect_language(text, fallback="fr") == "en"


def test_a_name_alone_tells_no_language() -> None:
    assert language_scores("Alexandr Wang") == {"en": 0.5, "fr": 0.5}
