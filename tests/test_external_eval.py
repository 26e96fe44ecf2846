"""The external benchmark: its question sets, its scoring (hand-made cases, and the same verdicts as its
reference scorer), the summary by kind of question and by side, and the assistant's rows with fake models."""

from __future__ import annotations

import functools
import importlib.util
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.cli_arguments import build_parser
from assistant.errors import BadInputError
from assistant.evaluation.external import (
    QUESTION_SET_NAMES,
    ask_all,
    evaluate_assistant,
    load_external_questions,
    select_questions,
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
from assistant.evaluation.external_summary import Summary, question_kind, summaries_by_side, summarize
from assistant.evaluation.external_table import render_table
from tests.fakes import HashEmbedder, QueuedGenerator

DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "external"
REFERENCE = DATA / "score_reference.py"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _question(
    qid: str, set_: str, answers: list[str] | None = None, gold: str = "a.txt", part: str = "dev"
) -> ExternalQuestion:
    answerable = not set_.endswith("unanswerable")
    return ExternalQuestion(qid, set_, "fr", "?", answers or [], answerable, gold if answerable else "", part)


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


def _write_lines(path: Path, lines: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


def _fact_line(qid: str, set_: str = "piaf") -> dict[str, object]:
    return {"id": qid, "set": set_, "lang": "fr", "question": "Où ?", "answers": ["Madrid"], "answerable": True}


def _explain_folder(tmp_path: Path) -> Path:
    """A benchmark folder with every question file, one or two questions each."""
    _write_lines(tmp_path / "questions.jsonl", [{**_fact_line("p1"), "gold_article": "a.txt"}])
    _write_lines(tmp_path / "xling.jsonl", [{**_fact_line("x1", "xling-en-fr"), "gold_article": "a.txt"}])
    why = {"id": "d01", "set": "why-fr", "lang": "fr", "question": "Pourquoi ?", "answerable": True}
    why |= {"key_phrases": ["une panne des deux moteurs"], "gold_article": "wikinews-002.txt"}
    english = {**why, "id": "d26", "set": "why-en-on-fr", "lang": "en", "question": "Why?"}
    english["key_phrases_en"] = ["both engines failed"]
    unanswerable = {**why, "id": "d36", "set": "why-unanswerable", "key_phrases": [], "answerable": False}
    _write_lines(tmp_path / "explain.jsonl", [why, english, unanswerable])
    _write_lines(tmp_path / "explain_own.jsonl", [{**why, "id": "o01", "gold_article": "wikinews-050.txt"}])
    _write_lines(tmp_path / "validate.jsonl", [{**_fact_line("v1"), "gold_article": "b.txt"}])
    turn = [["Qui a fondé Montréal ?", "Paul de Chomedey de Maisonneuve [1]."]]
    follow_up = {**_fact_line("c1", "follow-fr"), "question": "Et où est-il mort ?", "history": turn}
    _write_lines(tmp_path / "conversation.jsonl", [{**follow_up, "gold_article": "a.txt"}])
    _write_lines(tmp_path / "conversation_validate.jsonl", [{**follow_up, "id": "c2", "gold_article": "b.txt"}])
    return tmp_path


def test_explanatory_questions_are_scored_on_their_key_phrases_english_ones_too(tmp_path: Path) -> None:
    questions = {q.id: q for q in load_external_questions(_explain_folder(tmp_path), "explain")}
    assert list(questions) == ["d01", "d26", "d36", "o01"]
    assert questions["d01"].answers == ["une panne des deux moteurs"]
    assert questions["d26"].answers == ["une panne des deux moteurs", "both engines failed"]
    assert (questions["d36"].answers, questions["d36"].answerable) == ([], False)
    assert {q.part for q in questions.values()} == {"explain"}
    row = score_reply(questions["d26"], _reply("Because both engines failed."), {})
    assert row.right and row.set == "why-en-on-fr" and row.part == "explain"


def test_the_question_sets_are_chosen_by_name(tmp_path: Path) -> None:
    folder = _explain_folder(tmp_path)
    ids = {name: [q.id for q in load_external_questions(folder, name)] for name in QUESTION_SET_NAMES}
    assert ids == {
        "dev": ["p1", "x1"],
        "explain": ["d01", "d26", "d36", "o01"],
        "validate": ["v1"],
        "conversation": ["c1"],
        "conversation-validate": ["c2"],
        "all": ["p1", "x1", "d01", "d26", "d36", "o01", "v1", "c1", "c2"],
    }
    parts = [q.part for q in load_external_questions(folder, "all")]
    assert parts == ["dev"] * 2 + ["explain"] * 4 + ["validate", "conversation", "conversation-validate"]
    assert [q.id for q in load_external_questions(folder)] == ids["dev"]  # the default: today's questions
    with pytest.raises(BadInputError, match="unknown question set 'why'"):
        load_external_questions(folder, "why")
    (folder / "explain_own.jsonl").unlink()  # the second file of a set is optional, the first is not
    assert len(load_external_questions(folder, "explain")) == 3
    (folder / "validate.jsonl").unlink()
    with pytest.raises(BadInputError, match=r"validate\.jsonl is missing"):
        load_external_questions(folder, "all")


def test_a_bad_line_or_a_repeated_id_is_named(tmp_path: Path) -> None:
    folder = _explain_folder(tmp_path)
    _write_lines(folder / "validate.jsonl", [{**_fact_line("p1"), "gold_article": "b.txt"}])
    with pytest.raises(BadInputError, match="'p1'"):
        load_external_questions(folder, "all")
    _write_lines(folder / "validate.jsonl", [{**_fact_line("v1"), "gold_article": "b.txt", "difficulty": 3}])
    with pytest.raises(BadInputError, match=r"validate\.jsonl:1"):
        load_external_questions(folder, "validate")


def test_a_conversation_question_has_its_earlier_turns(tmp_path: Path) -> None:
    (follow_up,) = load_external_questions(_explain_folder(tmp_path), "conversation")
    assert follow_up.history == (("Qui a fondé Montréal ?", "Paul de Chomedey de Maisonneuve [1]."),)
    assert question_kind(follow_up.set) == "conversation"
    asked: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def ask(question: str, history: Sequence[tuple[str, str]]) -> Reply:
        asked.append((question, tuple(history)))
        return _reply("Il est mort à Madrid.")

    (row,) = ask_all(ask, [follow_up], {})
    assert asked == [("Et où est-il mort ?", follow_up.history)] and row.right


def test_the_shipped_question_sets() -> None:
    counts = {name: len(load_external_questions(DATA, name)) for name in QUESTION_SET_NAMES}
    expected = {"dev": 188, "explain": 69, "validate": 200, "conversation": 32, "conversation-validate": 32}
    assert counts == {**expected, "all": sum(expected.values())}
    conversations = load_external_questions(DATA, "conversation") + load_external_questions(
        DATA, "conversation-validate"
    )
    assert all(len(q.history) == 1 for q in conversations)
    assert {q.set for q in conversations} == {
        "follow-fr",
        "follow-en",
        "follow-en-on-fr",
        "follow-unanswerable",
        "new-topic",
    }
    explain = load_external_questions(DATA, "explain")
    assert {q.set for q in explain} == {"why-fr", "why-en-on-fr", "why-unanswerable"}
    assert all(q.answers for q in explain if q.answerable)
    assert all(len(q.answers) > 1 for q in explain if q.set == "why-en-on-fr")  # French and English phrases


def test_the_limit_spreads_over_each_file_sets() -> None:
    dev = [_question(f"d{i}", "piaf") for i in range(3)]
    validate = [_question(f"v{i}", "piaf", part="validate") for i in range(3)]
    assert [q.id for q in select_questions(dev + validate, limit=2)] == ["d0", "v0"]


def test_a_set_starting_with_why_is_explanatory() -> None:
    assert [question_kind(s) for s in ("why-fr", "why-unanswerable", "piaf", "squad-unanswerable")] == [
        "explanation",
        "explanation",
        "fact",
        "fact",
    ]


def _rows_of_both_kinds() -> list[Row]:
    phrases = ["une défaillance des deux moteurs"]
    cases = [
        (_question("p1", "piaf", ["Madrid"]), _reply("Madrid.", seconds=2.0)),  # fact, right
        (_question("p2", "piaf", ["Madrid"]), _reply("Séville.", seconds=4.0)),  # fact, wrong
        (_question("u1", "squad-unanswerable"), _reply("I don't know.", answered=False, seconds=6.0)),
        (_question("w1", "why-fr", phrases), _reply("Les deux moteurs ont eu une défaillance.", seconds=10.0)),
        (_question("w2", "why-fr", phrases), _reply("Je ne sais pas.", answered=False, seconds=20.0)),
        (_question("w3", "why-unanswerable"), _reply("Parce que.", seconds=30.0)),  # answered: wrong
    ]
    return [score_reply(q, r, TEXTS) for q, r in cases]


def test_the_summary_counts_fact_and_explanatory_questions_apart() -> None:
    s = summarize("ours", _rows_of_both_kinds(), setup_s=1, index_s=1, peak_rss_mb=None)
    assert s.answerable_right == "2/4"  # both kinds together, as score_reference.py counts
    assert s.answerable_right_by_kind == {"fact": "1/2", "explanation": "1/2"}
    assert s.precision_by_kind == {"fact": "1/2", "explanation": "1/1"}
    assert s.right_by_set["why-fr"] == "1/2" and s.right_by_set["why-unanswerable"] == "0/1"
    assert (s.p50_by_kind, s.p95_by_kind) == ({"fact": 4.0, "explanation": 20.0}, {"fact": 4.0, "explanation": 20.0})
    only_facts = summarize("ours", _rows_of_both_kinds()[:3], setup_s=1, index_s=1, peak_rss_mb=None)
    assert list(only_facts.answerable_right_by_kind) == ["fact"]


def test_the_table_shows_each_kind_with_its_own_lines_and_leaves_out_absent_sets() -> None:
    table = render_table([summarize("ours", _rows_of_both_kinds(), setup_s=1, index_s=1, peak_rss_mb=None)])
    lines = {line.split("  ")[0]: line for line in table.splitlines()[1:]}
    assert "1/2 (50%)" in lines["answerable fact questions right"]
    assert "1/2 (50%)" in lines["French why/how questions right [why-fr]"]
    assert "0/1 (0%)" in lines["unanswerable why/how refused [why-unanswerable]"]
    assert "1/1 (100%)" in lines["precision when it answers (why/how)"]
    assert "1/1 (100%)" in lines["unanswerable fact questions refused [squad-unanswerable]"]
    assert "4.0 / 4.0 s" in lines["answer latency p50 / p95 (fact)"]
    assert "20.0 / 20.0 s" in lines["answer latency p50 / p95 (why/how)"]
    assert not any("xling" in label or "why-en-on-fr" in label for label in lines)  # no such questions
    assert "refusals that show closest passages" not in lines  # no system here shows any
    facts = render_table([summarize("ours", _rows_of_both_kinds()[:3], setup_s=1, index_s=1, peak_rss_mb=None)])
    assert "why/how" not in facts


def test_this_assistants_rows_tell_its_kind_of_answer_closest_passages_and_statements() -> None:
    q = _question("u", "squad-unanswerable")
    closest = [Quote("a.txt", "partit de Madrid", TEXTS["a.txt"].index("partit")), Quote("b.txt", "Madrid", 0)]
    statements = [{"written": "In 1912.", "shown": "", "failed": ["unsupported"]}]
    reply = Reply("I don't know.", False, [], 1.0, 0.5, "en", kind="fact", closest=closest, statements=statements)
    row = score_reply(q, reply, TEXTS)
    assert (row.kind, row.closest, row.closest_exact, row.statements) == ("fact", 2, True, statements)
    shifted = Reply("I don't know.", False, [], 1.0, 0.5, kind="fact", closest=[Quote("b.txt", "Madrid", 1)])
    assert score_reply(q, shifted, TEXTS).closest_exact is False
    bare = Reply("I don't know.", False, [], 1.0, 0.5, kind="fact", closest=[])
    assert (score_reply(q, bare, TEXTS).closest, score_reply(q, bare, TEXTS).closest_exact) == (0, None)
    recipe = score_reply(q, _reply("I don't know.", answered=False), TEXTS)  # the recipe tells none of these
    assert (recipe.kind, recipe.closest, recipe.closest_exact, recipe.statements) == (None, None, None, None)
    rows = [row, score_reply(q, bare, TEXTS), score_reply(_question("p", "piaf", ["Madrid"]), _reply("Madrid"), TEXTS)]
    ours = summarize("ours", rows, setup_s=1, index_s=1, peak_rss_mb=None)
    assert (ours.refusals_with_closest, ours.closest_exact) == ("1/2", "1/1")
    others = summarize("recipe", [recipe], setup_s=1, index_s=1, peak_rss_mb=None)
    assert (others.refusals_with_closest, others.closest_exact) == (None, None)
    line = next(x for x in render_table([ours, others]).splitlines() if x.startswith("refusals that show closest"))
    assert line.split()[-3:] == ["-", "1/2", "(50%)"]  # the recipe's column first


def test_dev_and_validation_are_summarized_side_by_side() -> None:
    dev = _question("p1", "piaf", ["Madrid"])
    why = _question("w1", "why-fr", ["Madrid"], part="explain")
    held_out = _question("v1", "piaf", ["Madrid"], part="validate")
    rows = [
        score_reply(dev, _reply("Madrid."), TEXTS),
        score_reply(why, _reply("Non."), TEXTS),
        score_reply(held_out, _reply("Non."), TEXTS),
    ]
    whole = summarize("ours", rows, setup_s=10, index_s=5, peak_rss_mb=100)
    dev_side, validation = summaries_by_side(whole, rows)
    assert (dev_side.side, dev_side.questions, dev_side.right_by_set) == ("dev", 2, {"piaf": "1/1", "why-fr": "0/1"})
    assert (validation.side, validation.questions, validation.right_by_set) == ("validation", 1, {"piaf": "0/1"})
    assert (validation.setup_s, validation.index_s, validation.peak_rss_mb) == (10, 5, 100)
    assert summaries_by_side(whole, rows[:2]) == [whole]  # all tuned on: one summary
    recipe = summaries_by_side(summarize("recipe", rows, setup_s=1, index_s=1, peak_rss_mb=1), rows)
    header = render_table([validation, dev_side, *recipe]).splitlines()[0]
    columns = [
        "LangChain recipe, dev",
        "this assistant, dev",
        "LangChain recipe, validation",
        "this assistant, validation",
    ]
    assert [header.index(c) for c in columns] == sorted(header.index(c) for c in columns)


def test_the_command_line_offers_the_same_sets() -> None:
    for name in QUESTION_SET_NAMES:
        assert build_parser().parse_args(["eval", "--external", "--set", name]).question_set == name
    assert build_parser().parse_args(["eval", "--external"]).question_set == "dev"


def test_the_assistants_rows_with_fake_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_SEARCH_BOTH_LANGUAGES", "false")  # the queued reply answers the first question
    folder = tmp_path / "benchmark"
    shutil.copytree(SEEDS, folder / "corpus")
    answerable = ExternalQuestion(
        "q1", "piaf", "fr", "Quels revenus Scale AI prévoit-elle pour 2024 ?", ["870 millions"], True, "x", "dev"
    )
    unanswerable = ExternalQuestion("q2", "why-unanswerable", "fr", "Pourquoi la Lune est-elle ronde ?", [], False, "")
    generator = QueuedGenerator(["Environ 870 millions de dollars"])  # the second question: NO_ANSWER
    rows, summary = evaluate_assistant(
        folder, [answerable, unanswerable], tmp_path / "index", generator=generator, embedder=HashEmbedder()
    )
    first, second = rows
    assert (first.error, first.right, first.kind, first.part) == (None, True, "fact", "dev")
    assert first.statements == [
        {"written": "Environ 870 millions de dollars", "shown": "Environ 870 millions de dollars [1].", "failed": []}
    ]
    assert (first.closest, first.closest_exact, first.cit_exact) == (0, None, True)
    assert (second.error, second.answered, second.right, second.kind) == (None, False, True, "explanation")
    assert second.closest is not None and second.closest > 0 and second.closest_exact is True
    assert summary.refusals_with_closest == "1/1" and summary.closest_exact == "1/1"


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
