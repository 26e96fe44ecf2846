"""A question searched in both languages: as asked, and translated into the other one; the passages of whichever
search comes closer in meaning are read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.answering.closeness import closer_in_meaning
from assistant.answering.language import detect_language
from assistant.types import Passage
from tests.fakes import HashEmbedder, QueuedGenerator

_CORPUS = Path(__file__).parent.parent / "benchmarks" / "data" / "external" / "corpus"

# A French article that answers an English question, and an English one near its subject that does not.
_ANSWERS = """Les revenus de Scale AI

Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024, selon ses dirigeants. La start-up compte
sur ses clients historiques pour y parvenir.
"""
_NEAR_MISS = """What data labelling firms expect

What revenue do data labelling firms expect this year? Analysts say that what they expect depends on their largest
customers, and that revenue will grow.
"""


def _passage(closeness: float) -> Passage:
    return Passage("a.txt", "A", "Un texte.", 0, 9, 0.5, closeness=closeness)


@pytest.mark.parametrize(
    ("translated", "asked", "closer"),
    [
        ([_passage(0.9)], [_passage(0.8), _passage(0.85)], True),
        ([_passage(0.8)], [_passage(0.85)], False),
        ([_passage(0.8)], [_passage(0.8)], False),  # as close: the question as asked is read
        ([_passage(0.805)], [_passage(0.8)], False),  # a little closer, as a rough translation may come by chance
        ([], [_passage(0.1)], False),  # no translation, nothing found for it
        ([_passage(0.5)], [], True),  # nothing found as asked
    ],
)
def test_the_search_closer_in_meaning_is_read(translated: list[Passage], asked: list[Passage], closer: bool) -> None:
    assert closer_in_meaning(translated, asked) is closer


@pytest.fixture
def with_near_miss(tmp_path: Path) -> Settings:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "revenus.txt").write_text(_ANSWERS, encoding="utf-8")
    (folder / "near-miss.txt").write_text(_NEAR_MISS, encoding="utf-8")
    return Settings(seeds_dir=folder, index_dir=tmp_path / "index", search_both_languages=True)


def test_an_english_question_finds_the_french_article_through_its_translation(with_near_miss: Settings) -> None:
    translation = "Quels revenus Scale AI prévoit-elle pour 2024 ?"
    answer = "Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024 [1]."
    in_english = "Scale AI expects revenue of about 870 million dollars for 2024 [1]."
    generator = QueuedGenerator([translation, answer, in_english])
    stream = Assistant(with_near_miss, embedder=HashEmbedder(), generator=generator).stream(
        "What revenue does Scale AI expect for 2024?"
    )
    read = [[p.source for p in u.sources] for u in stream.updates() if u.stage == "reading"]
    result = stream.answer
    assert generator.last_user_message(0) == "Translate into French: What revenue does Scale AI expect for 2024?"
    assert len(read) == 2, "the passages found as asked are shown at once, then those found for the translation"
    assert read[0][0] == "near-miss.txt", "as asked, the English near miss comes first"
    assert read[1][0] == "revenus.txt", "the translated question finds the French article closer"
    assert "Quels revenus" not in generator.last_user_message(1), "the model reads the question as it was asked"
    assert result.answered and "870" in result.text and result.language == "en"
    assert result.citations and all(c.source == "revenus.txt" for c in result.citations)


def test_a_translation_that_finds_nothing_closer_leaves_the_first_search(with_near_miss: Settings) -> None:
    generator = QueuedGenerator(["Bonjour tout le monde."])  # not the question: nothing it finds is closer
    stream = Assistant(with_near_miss, embedder=HashEmbedder(), generator=generator).stream(
        "What revenue do data labelling firms expect this year?"
    )
    read = [[p.source for p in u.sources] for u in stream.updates() if u.stage == "reading"]
    assert len(read) == 1 and read[0][0] == "near-miss.txt"
    assert len(generator.prompts) == 2, "the translation, then the answer from the passages found as asked"


def test_off_the_question_is_searched_once_and_the_model_only_answers(tmp_path: Path, articles_dir: Path) -> None:
    settings = Settings(seeds_dir=articles_dir, index_dir=tmp_path / "index", search_both_languages=False)
    generator = QueuedGenerator(["Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024 [1]."])
    answer = Assistant(settings, embedder=HashEmbedder(), generator=generator).ask(
        "Quels revenus Scale AI prévoit-elle pour 2024 ?"
    )
    assert answer.answered and len(generator.prompts) == 1


@pytest.mark.integration
def test_the_real_models_answer_an_english_question_from_the_french_article_an_english_one_hides(
    tmp_path: Path,
) -> None:
    """A dev question of the external benchmark (xen-009): asked in English, the English article on the Normans
    comes first, and the model reads it and misses the count; the French article that names him is found by the
    question translated."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("piaf-169.txt", "squad-000.txt"):
        shutil.copy(_CORPUS / name, folder / name)
    assistant = Assistant(Settings(seeds_dir=folder, index_dir=tmp_path / "index"))
    question = (
        "During the Norman conquest of southern Italy, whom did the Normans elect as their count in September 1042?"
    )
    assert assistant.retrieve(question, 2)[0].source == "squad-000.txt", "as asked, the English article first"
    stream = assistant.stream(question)
    read = [[p.source for p in u.sources] for u in stream.updates() if u.stage == "reading"]
    answer = stream.answer
    assert read[-1][0] == "piaf-169.txt"
    assert answer.answered and answer.language == "en" and detect_language(answer.text) == "en"
    assert "Guillaume Bras de Fer" in answer.text or "William Iron Arm" in answer.text
    article = (folder / "piaf-169.txt").read_text(encoding="utf-8")
    assert answer.citations and all(c.source == "piaf-169.txt" for c in answer.citations)
    assert all(article[c.start : c.end] == c.quote for c in answer.citations)
