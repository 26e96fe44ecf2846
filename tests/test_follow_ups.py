"""A question asked in a conversation, read with the turn before it: what the search and the model are given, and
with the real models, a pronoun question that read alone is answered about someone else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.answering.follow_ups import earlier_turns, in_context, names_its_own
from assistant.answering.prompts import DONT_KNOW

_CORPUS = Path(__file__).parent.parent / "benchmarks" / "data" / "external" / "corpus"

_HISTORY = [
    ("Qui dirige Labelbox ?", "Manu Sharma est le PDG de Labelbox [1]."),
    ("Who runs Scale AI?", "Alexandr Wang runs Scale AI [1][2]."),
]


def test_the_earlier_turns_are_the_last_ones_without_their_markers() -> None:
    assert earlier_turns(_HISTORY, 1) == [("Who runs Scale AI?", "Alexandr Wang runs Scale AI.")]
    assert earlier_turns(_HISTORY, 5)[0] == ("Qui dirige Labelbox ?", "Manu Sharma est le PDG de Labelbox.")
    assert earlier_turns(_HISTORY, 0) == []


@pytest.mark.parametrize("refusal", DONT_KNOW.values())
def test_a_refused_turn_keeps_its_question_and_drops_its_answer(refusal: str) -> None:
    assert earlier_turns([("Who founded Scale AI?", refusal)], 1) == [("Who founded Scale AI?", "")]


def test_a_follow_up_is_searched_after_the_earlier_questions_and_answers() -> None:
    turns = earlier_turns(_HISTORY, 1)
    assert in_context("How old is he?", turns) == "How old is he? Who runs Scale AI? Alexandr Wang runs Scale AI."
    assert in_context("How old is he?", [("Who founded Scale AI?", "")]) == "How old is he? Who founded Scale AI?"


@pytest.mark.parametrize(
    ("question", "names_something"),
    [
        ("What stake did Meta take in Scale AI?", True),
        ("What happened in 1968?", True),
        ("Quel âge avait-elle à ce moment-là ?", False),
        ("Who directed it?", False),
        ("How much prize money does its winner get?", False),
    ],
)
def test_a_question_names_something_of_its_own_or_only_refers_to_before(question: str, names_something: bool) -> None:
    assert names_its_own(question) is names_something


@pytest.mark.integration
def test_the_real_models_read_a_pronoun_question_with_the_turn_before_it(tmp_path: Path) -> None:
    """A dev conversation of the external benchmark (c-dev-17): after "Who coined the term packet switching?",
    "When did he start developing it?" read alone was answered from the French article on the International Bureau
    of Education ("On December 18, 1925, the International Bureau of Education begins its action"). Searched with
    the turn before, it reads the article on packet switching, and its answer gives the year."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("squad-006.txt", "piaf-021.txt"):
        shutil.copy(_CORPUS / name, folder / name)
    assistant = Assistant(Settings(seeds_dir=folder, index_dir=tmp_path / "index"))
    history = [
        (
            "Who coined the term packet switching?",
            "Donald Davies of the UK's National Physical Laboratory is credited with coining the name packet "
            "switching [1].",
        )
    ]
    answer = assistant.ask("When did he start developing it?", history=history)
    assert answer.read_as_follow_up and answer.answered and answer.language == "en"
    assert "1965" in answer.text and "1925" not in answer.text
    article = (folder / "squad-006.txt").read_text(encoding="utf-8")
    assert answer.citations and all(c.source == "squad-006.txt" for c in answer.citations)
    assert all(article[c.start : c.end] == c.quote for c in answer.citations)
