"""Two dated articles report the same thing with different figures: the answer quotes both, the newer first;
without dates (which is newer cannot be told) or with the same figures, nothing is added."""

from __future__ import annotations

from pathlib import Path

from assistant import Assistant, Settings
from assistant.ingest.catalog import write_metadata
from assistant.types import Answer, Metadata
from tests.fakes import HashEmbedder, QueuedGenerator

FIRST = (
    "Accident de car près de Lyon : un premier bilan\n\n"
    "Un car de touristes s'est renversé mardi sur l'autoroute A7 au sud de Lyon. "
    "Le bilan de l'accident de car près de Lyon s'élève à 12 blessés selon la préfecture du Rhône. "
    "Les secours sont restés sur place toute la nuit pour dégager le véhicule."
)
SECOND = (
    "Accident de car près de Lyon : le bilan s'alourdit\n\n"
    "Le car transportait un groupe de retraités venus de Belgique pour une semaine de vacances. "
    "Le bilan de l'accident de car près de Lyon s'élève désormais à 19 blessés selon la préfecture du Rhône. "
    "L'enquête devra déterminer les causes de la sortie de route."
)
QUESTION = "Quel est le bilan de l'accident de car près de Lyon ?"


def _assistant(tmp_path: Path, replies: list[str], *, dated: bool = True, second: str = SECOND) -> Assistant:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text, day, site in (
        ("lyon-1.txt", FIRST, "2025-06-10", "Le Progrès"),
        ("lyon-2.txt", second, "2025-06-12", "Lyon Capitale"),
    ):
        (folder / name).write_text(text, encoding="utf-8")
        write_metadata(folder, name, Metadata(title=text.splitlines()[0], published=day if dated else "", site=site))
    assistant = Assistant(
        Settings(seeds_dir=folder, index_dir=tmp_path / "index", search_both_languages=False),
        embedder=HashEmbedder(),
        generator=QueuedGenerator(replies),
    )
    assistant.index()
    return assistant


def _exact(answer: Answer, folder: Path) -> None:
    for c in answer.citations:
        assert (folder / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote


def test_an_older_figure_is_followed_by_the_newer_report_first(tmp_path: Path) -> None:
    assistant = _assistant(tmp_path, ["Le bilan de l'accident de car près de Lyon s'élève à 12 blessés [1]."])
    answer = assistant.ask(QUESTION)
    assert answer.answered
    assert answer.text.startswith("Un article plus récent, Lyon Capitale (2025-06-12), dit : « Le bilan"), answer.text
    assert answer.text.index("19 blessés") < answer.text.index("12 blessés")
    assert [c.source for c in answer.citations] == ["lyon-2.txt", "lyon-1.txt"]
    assert answer.text.endswith("12 blessés [2].")
    _exact(answer, assistant.settings.seeds_dir)


def test_a_newer_figure_is_followed_by_the_earlier_report(tmp_path: Path) -> None:
    assistant = _assistant(tmp_path, ["Le bilan de l'accident de car près de Lyon s'élève désormais à 19 blessés [1]."])
    answer = assistant.ask(QUESTION)
    assert answer.answered
    assert "Un article antérieur, Le Progrès (2025-06-10), disait : « " in answer.text
    assert answer.text.index("19 blessés") < answer.text.index("12 blessés"), "the newer first"
    assert [c.source for c in answer.citations] == ["lyon-2.txt", "lyon-1.txt"]
    _exact(answer, assistant.settings.seeds_dir)


def test_without_dates_nothing_is_added(tmp_path: Path) -> None:
    assistant = _assistant(
        tmp_path, ["Le bilan de l'accident de car près de Lyon s'élève à 12 blessés [1]."], dated=False
    )
    answer = assistant.ask(QUESTION)
    assert answer.answered and "19" not in answer.text
    assert [c.source for c in answer.citations] == ["lyon-1.txt"]


def test_the_same_figure_in_both_adds_nothing(tmp_path: Path) -> None:
    assistant = _assistant(
        tmp_path,
        ["Le bilan de l'accident de car près de Lyon s'élève à 12 blessés [1]."],
        second=SECOND.replace("19 blessés", "12 blessés"),
    )
    answer = assistant.ask(QUESTION)
    assert answer.answered and "plus récent" not in answer.text and "antérieur" not in answer.text
    assert len(answer.citations) == 1
