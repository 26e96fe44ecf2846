"""The answer pipeline with a queued fake model: what the code decides, whatever the model writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.errors import BadInputError
from assistant.prompts import DONT_KNOW
from tests.fakes import HashEmbedder, QueuedGenerator


@pytest.fixture
def generator() -> QueuedGenerator:
    return QueuedGenerator()


@pytest.fixture
def assistant(settings: Settings, embedder: HashEmbedder, generator: QueuedGenerator) -> Assistant:
    return Assistant(settings, embedder=embedder, generator=generator)


def _check_exact(answer_citations: list, articles_dir: Path) -> None:  # type: ignore[type-arg]
    for c in answer_citations:
        text = (articles_dir / c.source).read_text(encoding="utf-8")
        assert text[c.start : c.end] == c.quote


def test_supported_answer_keeps_its_citation(
    assistant: Assistant, generator: QueuedGenerator, articles_dir: Path
) -> None:
    generator.answers.append("Meta a investi 14,3 milliards de dollars dans Scale AI [1].")
    answer = assistant.ask("Combien Meta a-t-il investi dans Scale AI ? 14,3 milliards")
    assert answer.answered and answer.language == "fr"
    assert answer.text == "Meta a investi 14,3 milliards de dollars dans Scale AI [1]."
    assert len(answer.citations) == 1
    assert "14,3 milliards" in answer.citations[0].quote
    _check_exact(answer.citations, articles_dir)


def test_a_wrong_marker_is_replaced_by_the_excerpt_that_holds_the_figure(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    generator.answers.append("Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024 [9].")
    answer = assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?")
    assert answer.answered
    assert answer.citations[0].number == 1
    assert "870 millions" in answer.citations[0].quote
    assert answer.text.endswith("[1].")


def test_an_invented_figure_is_dropped_and_nothing_left_means_dont_know(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    generator.answers.append("Scale AI was founded in 2016 [1].")
    answer = assistant.ask("When was Scale AI founded?")
    assert not answer.answered
    assert answer.text == DONT_KNOW["en"]
    assert answer.citations == []


def test_only_supported_statements_survive(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.append(
        "Google avait prévu un budget d'environ 200 millions de dollars [1]. "
        "Google a aussi acheté Labelbox en 2019 [2]."
    )
    answer = assistant.ask("Quel budget Google avait-il prévu pour Scale AI ?")
    assert answer.answered
    assert "200 millions" in answer.text and "2019" not in answer.text
    assert len(answer.citations) == 1


@pytest.mark.parametrize(
    ("question", "language"), [("What is Scale AI's share price?", "en"), ("Quel est le cours de l'action ?", "fr")]
)
def test_model_refusal_gives_the_fixed_reply_in_the_question_language(
    assistant: Assistant, generator: QueuedGenerator, question: str, language: str
) -> None:
    generator.answers.append("NO_ANSWER")
    answer = assistant.ask(question)
    assert (answer.answered, answer.language, answer.text) == (False, language, DONT_KNOW[language])  # type: ignore[index]


def test_a_name_the_answer_does_not_quote_makes_it_dont_know(assistant: Assistant, generator: QueuedGenerator) -> None:
    # Handshake is named in one sentence only; an answer quoting another sentence does not answer about it.
    generator.answers.append("Manu Sharma est le PDG de Labelbox [1].")
    answer = assistant.ask("Qui est le PDG de Handshake ?")
    assert not answer.answered
    assert answer.text == DONT_KNOW["fr"]


def test_follow_up_is_rewritten_before_retrieval(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.extend(
        [
            "How much of Scale AI's 2024 revenue comes from Google?",
            "About 150 million dollars of it come from Google alone [1].",
        ]
    )
    history = [("How much revenue does Scale AI expect in 2024?", "About 870 million dollars [1].")]
    answer = assistant.ask("And how much of that comes from Google?", history=history)
    assert "Last question: And how much of that comes from Google?" in generator.last_user_message(0)
    assert "870 million" in generator.last_user_message(0)
    assert "Question: How much of Scale AI's 2024 revenue comes from Google?" in generator.last_user_message(1)
    assert answer.standalone_question == "How much of Scale AI's 2024 revenue comes from Google?"
    assert answer.answered and "150" in answer.text
    assert "150 millions" in answer.citations[0].quote


def test_an_answer_in_the_wrong_language_is_translated(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.extend(
        [
            "Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024 [1].",
            "Scale AI expects revenue of about 870 million dollars for 2024 [1].",
        ]
    )
    answer = assistant.ask("What revenue does Scale AI expect for 2024?")
    assert answer.language == "en"
    assert answer.text == "Scale AI expects revenue of about 870 million dollars for 2024 [1]."
    assert generator.last_user_message().startswith("Translate into English:")


def test_streamed_pieces_are_the_final_text(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.append("Alexandr Wang rejoint Meta [1]. Il dirigera le département « superintelligence » [1].")
    stream = assistant.stream("Qui dirige le département superintelligence de Meta ? Alexandr Wang")
    pieces = list(stream)
    assert len(pieces) == 2, "one piece per accepted statement"
    assert "".join(pieces) == stream.answer.text
    assert stream.answer.first_piece_seconds > 0


def test_empty_question_is_refused(assistant: Assistant) -> None:
    with pytest.raises(BadInputError):
        assistant.ask("  ")
