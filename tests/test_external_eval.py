"""The external benchmark's scoring: hand-made cases, and the same verdicts as its reference scorer."""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.errors import BadInputError
from assistant.evaluation.external import (
    Summary,
    load_external_questions,
    render_table,
    select_questions,
    summarize,
)
from assistant.evaluation.external_scoring import (
    REFUSAL,
    ExternalQuestion,
    Quote,
    Reply,
    Row,
    content,
    holds,
    norm,
    score_reply,
)

REFERENCE = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "external" / "score_reference.py"


def _question(qid: str, set_: str, answers: list[str] | None = None, gold: str = "a.txt") -> ExternalQuestion:
    answerable = not set_.endswith("unanswerable")
    return ExternalQuestion(qid, set_, "fr", "?", answers or [], answerable, gold if answerable else "")


def _reply(text: str, answered: bool = True, citations: list[Quote] | None = None, seconds: float = 1.0) -> Reply:
    return Reply(text, answered, citations or [], seconds, seconds / 2)


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("L'étalon est en PLATINE IRIDIÉ.", ["platine iridie"]),
        ("Il est en platine iridie", ["platine iridié"]),
        ("Ils étaient 27\u202f000 au stade.", ["27,000"]),
        ("Ils étaient 27,000 au stade.", ["27 000"]),
        ("Ils étaient 27000 au stade.", ["27\xa0000"]),
        ("La croissance fut de 2,5 %.", ["2.5"]),
        ("Dans les « maisons d’aliénés ».", ["maisons d’aliénés"]),
        ("Nope.", ["Madrid", "nope"]),  # any of the answers
    ],
)
def test_a_gold_answer_held_verbatim_whatever_accents_case_and_separators(text: str, answers: list[str]) -> None:
    assert holds(text, answers)


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("Les Madrilènes se soulevèrent.", ["Madrid"]),  # whole words only
        ("Ils étaient 27 001 au stade.", ["27 000"]),
        ("Le 3 mai.", ["le 4 mai"]),  # half of {4, mai}: below two thirds
        ("", ["Madrid"]),
        ("Madrid", [""]),  # an empty gold answer holds nowhere
    ],
)
def test_what_does_not_hold(text: str, answers: list[str]) -> None:
    assert not holds(text, answers)


def test_two_thirds_of_the_content_words_are_enough() -> None:
    gold = ["maisons d'aliénés parisiennes"]
    assert content(gold[0]) == {"maisons", "alienes", "parisiennes"}  # "d" is a stop word
    assert holds("Il visita des aliénés enfermés dans des maisons.", gold)  # 2/3 >= 0.66
    assert not holds("Il visita des maisons.", gold)  # 1/3
    assert content("Le 3 mai et a") == {"3", "mai"}  # a lone digit counts, a lone letter does not


def test_norm_pads_and_folds() -> None:
    assert norm("  Élysée,  PARIS! ") == " elysee paris "
    assert norm("1.000.000 et 3,14") == " 1000000 et 3.14 "


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("I don't know.", True),
        ("Je ne sais pas.", True),
        ("The articles don't say.", True),
        ("This is not mentioned in the context.", True),
        ("Les articles ne le disent pas.", True),
        ("Ce n'est pas mentionné.", True),
        ("Il n'y a pas d'information à ce sujet.", True),
        ("I don’t know.", False),  # the reference pattern has the straight apostrophe only
        ("Madrid.", False),
        ("I know that Madrid was the starting point.", False),
    ],
)
def test_refusal_pattern(text: str, refused: bool) -> None:
    assert bool(REFUSAL.search(text)) is refused


TEXTS = {"a.txt": "Titre\n\nLe soulèvement partit de Madrid en mai.", "b.txt": "Madrid est une ville."}


def test_a_citation_is_exact_when_the_article_holds_it_at_its_start() -> None:
    q = _question("q", "piaf", ["Madrid"])
    exact = Quote("a.txt", "partit de Madrid", TEXTS["a.txt"].index("partit"))
    assert score_reply(q, _reply("Madrid.", citations=[exact]), TEXTS).cit_exact is True
    shifted = Quote("a.txt", "partit de Madrid", exact.start + 1)
    assert score_reply(q, _reply("Madrid.", citations=[exact, shifted]), TEXTS).cit_exact is False
    unknown = Quote("c.txt", "partit de Madrid", exact.start)
    assert score_reply(q, _reply("Madrid.", citations=[unknown]), TEXTS).cit_exact is False
    assert score_reply(q, _reply("Madrid."), TEXTS).cit_exact is None


def test_an_answerable_question_is_right_only_when_answered_and_cited_gold_needs_the_gold_article() -> None:
    q = _question("q", "piaf", ["Madrid"], gold="a.txt")
    other = Quote("b.txt", "Madrid est une ville.", 0)
    row = score_reply(q, _reply("Ce fut Madrid.", citations=[other]), TEXTS)
    assert (row.right, row.cited_gold, row.gold_in_citations, row.quote_chars) == (True, False, True, [21])
    assert not score_reply(q, _reply("Madrid, je ne sais pas.", answered=False), TEXTS).right


def test_an_unanswerable_question_is_right_when_refused() -> None:
    q = _question("u", "squad-unanswerable")
    assert score_reply(q, _reply("I don't know.", answered=False), TEXTS).right
    row = score_reply(q, _reply("In 1912.", answered=True), TEXTS)
    assert not row.right and row.cited_gold is None and row.gold_in_citations is None


def _rows() -> list[Row]:
    cases = [
        (_question("p1", "piaf", ["Madrid"]), _reply("Madrid.", seconds=1.0)),  # answered, right
        (_question("p2", "piaf", ["Madrid"]), _reply("Séville.", seconds=2.0)),  # answered, wrong
        (_question("p3", "piaf", ["Madrid"]), _reply("Je ne sais pas.", answered=False, seconds=3.0)),
        (_question("u1", "squad-unanswerable"), _reply("In 1912.", seconds=4.0)),  # answered: wrong
        (_question("u2", "squad-unanswerable"), _reply("I don't know.", answered=False, seconds=5.0)),
    ]
    rows = [score_reply(q, r, TEXTS) for q, r in cases]
    return [*rows, Row(id="s1", set="squad", error="RuntimeError('boom')")]


def test_the_summary_counts_as_the_reference_does() -> None:
    s = summarize("ours", _rows(), setup_s=12.34, index_s=None, peak_rss_mb=2048.0)
    assert s.right == "2/6"  # an error is a miss
    assert s.right_by_set == {"piaf": "1/3", "squad": "0/1", "squad-unanswerable": "1/2"}
    assert s.answerable_right == "1/4"
    # precision: answerable questions right over answerable questions answered (p1, p2), unanswerable aside
    assert s.precision_when_answering == "1/2"
    assert (s.errors, s.citations_exact, s.median_quote_chars) == (1, "0/0", 0)
    assert (s.p50_s, s.first_text_p50_s, s.setup_s) == (3.0, 1.5, 12.3)


def test_p95_is_the_reference_nearest_rank() -> None:
    rows = [score_reply(_question(f"q{i}", "piaf", ["x"]), _reply("x", seconds=i), {}) for i in range(1, 11)]
    s = summarize("recipe", rows, setup_s=0, index_s=1, peak_rss_mb=None)
    assert (s.p50_s, s.p95_s) == (5.5, 9.0)  # sorted[int(0.95 * 9)], not the largest


def test_the_table_puts_the_recipe_first_and_marks_missing_sets() -> None:
    ours = summarize("ours", _rows(), setup_s=400, index_s=390, peak_rss_mb=2500)
    recipe = Summary(**{**json.loads(json.dumps(ours.__dict__)), "system": "recipe", "right_by_set": {}})
    table = render_table([ours, recipe])
    header, *lines = table.splitlines()
    assert header.index("LangChain recipe") < header.index("this assistant")
    piaf = next(line for line in lines if line.startswith("French questions right [piaf]"))
    assert piaf.split()[-2:] == ["1/3", "(33%)"] and " - " in piaf
    assert any(line.startswith("precision when it answers") and "1/2 (50%)" in line for line in lines)
    assert any(line.startswith("peak memory") and "2,500 MB" in line for line in lines)
    assert "this assistant" not in render_table([recipe])


def test_questions_load_with_the_cross_lingual_file_when_present(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"questions\.jsonl"):
        load_external_questions(tmp_path)
    line: dict[str, object] = {"id": "p1", "set": "piaf", "lang": "fr", "question": "Où ?", "answers": ["Madrid"]}
    line |= {"answerable": True, "gold_article": "a.txt"}
    (tmp_path / "questions.jsonl").write_text(json.dumps(line) + "\n\n", encoding="utf-8")
    assert [q.id for q in load_external_questions(tmp_path)] == ["p1"]
    xling = {**line, "id": "x1", "set": "xling-en-fr", "lang": "en", "question": "Where?"}
    (tmp_path / "xling.jsonl").write_text(json.dumps(xling) + "\n", encoding="utf-8")
    assert [(q.id, q.set) for q in load_external_questions(tmp_path)] == [("p1", "piaf"), ("x1", "xling-en-fr")]


def test_the_limit_spreads_over_the_sets() -> None:
    qs = [_question(f"{s}{i}", s) for s in ("piaf", "squad", "squad-unanswerable") for i in range(5)]
    assert [q.id for q in select_questions(qs, limit=5)] == [
        "piaf0",
        "piaf1",
        "squad0",
        "squad1",
        "squad-unanswerable0",
    ]
    assert len(select_questions(qs, limit=2)) == 3  # one of each set at least, as the reference does
    assert {q.set for q in select_questions(qs, only="squad")} == {"squad", "squad-unanswerable"}
    assert [q.id for q in select_questions(qs, ids=["squad3", "piaf1"])] == ["piaf1", "squad3"]
    with pytest.raises(BadInputError):
        select_questions(qs, limit=-1)


@functools.cache
def _reference() -> ModuleType:
    if not REFERENCE.is_file():
        pytest.skip(f"{REFERENCE} is not there")
    spec = importlib.util.spec_from_file_location("score_reference", REFERENCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PIECES = st.sampled_from(
    [
        "Madrid",
        "madrid",
        "Élysée",
        "e",
        "27",
        "000",
        "3",
        ",",
        ".",
        " ",
        "\xa0",
        "\u202f",
        "d'",
        "l'",
        "de",
        "the",
        "don't know",
        "ne sais pas",
        "é",
        "-",
        "!",
        "\n",
        "1912",
        "mai",
    ]
)
_TEXTS = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.lists(_TEXTS, min_size=1, max_size=3))
def test_the_same_verdicts_as_the_reference_scorer(text: str, answers: list[str]) -> None:
    reference = _reference()
    assert norm(text) == reference.norm(text)
    assert content(text) == reference.content(text)
    assert holds(text, answers) == reference.holds(text, answers)
    assert bool(REFUSAL.search(text)) == bool(reference.REFUSAL.search(text))
