"""The language of a question or a statement: lingua, with the function words of one language only deciding a
text of a few words that lingua is unsure of, and a clear majority of one language's function words deciding a text
that borrows the other's terms."""

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


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # lingua alone reads each of these English questions as French (0.97 for the first).
        ("What were the villes de sûreté granted to the Huguenots?", "en"),
        ('And how many "villes de sûreté" did that edict grant them?', "en"),
        ("Who is the président du Sénat?", "en"),
        ("Why was the réforme des retraites unpopular?", "en"),
        ("What did the préfet de police say about the manifestation?", "en"),
        ("What does Scale AI's étiquetage de données involve?", "en"),
        # and the other way round, English terms in French questions
        ("Pourquoi le deep learning a-t-il besoin de données étiquetées ?", "fr"),
        ("Qui dirige la Superintelligence team de Meta ?", "fr"),
        ("Combien coûte le cloud computing de Google ?", "fr"),
    ],
)
def test_a_question_is_in_the_language_of_its_grammar_words_not_of_the_terms_it_borrows(
    text: str, language: Lang
) -> None:
    assert detect_language(text, fallback="fr" if language == "en" else "en") == language


def test_as_many_grammar_words_of_each_language_leave_it_to_lingua() -> None:
    # "the" and "de" once each: no majority; lingua reads the English sentence (0.69).
    scores = language_scores("Nobody expected the coup de grâce")
    assert 0.6 < scores["en"] < 0.8, "lingua's own score, not the function words' 0.8 or 0.9"
    assert detect_language("Nobody expected the coup de grâce", fallback="fr") == "en"


def test_the_particles_of_a_name_are_the_names() -> None:
    # "de" in "Charles de Gaulle" is not a French word of the sentence: "was" and "the" make it English.
    assert language_scores("Charles de Gaulle was the first president")["en"] >= 0.9


def test_a_name_alone_tells_no_language() -> None:
    assert language_scores("Alexandr Wang") == {"en": 0.5, "fr": 0.5}
