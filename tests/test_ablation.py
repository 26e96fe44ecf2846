"""The ablation of the statement checks, on hand-made rows: what turning one check off would have changed."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from assistant.evaluation.ablation import (
    CheckEffect,
    Verdict,
    ablate,
    answer_without,
    checks_in,
    render_effects,
    rescore,
)
from assistant.evaluation.external_scoring import ExternalQuestion, Row

ROOT = Path(__file__).resolve().parent.parent


def _question(qid: str, set_: str, answers: list[str] | None = None) -> ExternalQuestion:
    answerable = not set_.endswith("unanswerable")
    return ExternalQuestion(qid, set_, "fr", "?", answers or [], answerable, "a.txt" if answerable else "")


def _said(written: str, *failed: str, shown: str = "") -> dict[str, Any]:
    return {"written": written, "shown": shown, "failed": list(failed)}


def _row(question: ExternalQuestion, *statements: dict[str, Any]) -> Row:
    """A row as this assistant's run saves it; its verdict is recomputed from the statements anyway."""
    return Row(id=question.id, set=question.set, statements=list(statements))


QUESTIONS = {
    q.id: q
    for q in (
        # refused rightly, because "unsupported" dropped a made-up date
        _question("u1", "squad-unanswerable"),
        # answered wrongly: the right statement failed "question-not-in-passage" alone
        _question("p1", "piaf", ["Madrid"]),
        # answered rightly; a wrong statement failed two checks: turning one off does not let it through
        _question("p2", "piaf", ["Séville"]),
        # an explanatory question, refused; its key phrase was in a statement dropped as "unsupported"
        _question("w1", "why-fr", ["une défaillance des deux moteurs"]),
        # the recipe's row and an error: no statements
        _question("r1", "piaf", ["Madrid"]),
        _question("e1", "piaf", ["Madrid"]),
    )
}
ROWS = [
    _row(QUESTIONS["u1"], _said("The treaty was signed in 1912.", "unsupported")),
    _row(
        QUESTIONS["p1"],
        _said("Le soulèvement eut lieu en mai.", shown="Le soulèvement eut lieu en mai [1]."),
        _said("Il partit de Madrid.", "question-not-in-passage"),
    ),
    _row(
        QUESTIONS["p2"],
        _said("Ce fut Séville.", shown="Ce fut Séville [1]."),
        _said("Ou Cordoue.", "unsupported", "no-figure"),
    ),
    _row(QUESTIONS["w1"], _said("Les deux moteurs ont eu une défaillance.", "unsupported")),
    Row(id="r1", set="piaf", right=True, answered=True, text="Madrid"),
    Row(id="e1", set="piaf", error="RuntimeError('boom')"),
]


def _effect(effects: list[CheckEffect], check: str, kind: str) -> CheckEffect:
    return next(e for e in effects if (e.check, e.kind) == (check, kind))


def test_the_answer_without_a_check_adds_the_statements_that_failed_it_alone_in_their_order() -> None:
    statements = ROWS[1].statements or []
    assert answer_without(statements, None) == "Le soulèvement eut lieu en mai [1]."
    assert (
        answer_without(statements, "question-not-in-passage")
        == "Le soulèvement eut lieu en mai [1]. Il partit de Madrid."
    )
    assert answer_without(statements, "unsupported") == answer_without(statements, None)
    assert answer_without(ROWS[2].statements or [], "unsupported") == "Ce fut Séville [1]."  # it failed two checks
    assert answer_without([_said("Kept, never shown.")], None) == "Kept, never shown."  # as written when not shown
    assert answer_without([], "unsupported") == ""


def test_a_rescored_question_uses_the_benchmarks_rule() -> None:
    assert rescore(ROWS[0], QUESTIONS["u1"], None) == Verdict(answered=False, right=True)
    assert rescore(ROWS[0], QUESTIONS["u1"], "unsupported") == Verdict(answered=True, right=False)
    assert rescore(ROWS[1], QUESTIONS["p1"], None) == Verdict(answered=True, right=False)
    assert rescore(ROWS[1], QUESTIONS["p1"], "question-not-in-passage") == Verdict(answered=True, right=True)


def test_the_checks_are_those_that_dropped_a_statement() -> None:
    assert checks_in(ROWS) == ["no-figure", "question-not-in-passage", "unsupported"]


def test_turning_a_check_off_loses_a_right_refusal_or_gains_a_right_answer() -> None:
    effects = ablate(ROWS, QUESTIONS)
    assert {(e.check, e.kind) for e in effects} == {
        (check, kind)
        for check in ("no-figure", "question-not-in-passage", "unsupported")
        for kind in ("fact", "explanation")
    }
    unsupported = _effect(effects, "unsupported", "fact")
    # facts: p1, p2 answerable (the recipe's and the error row left out), u1 unanswerable
    assert (unsupported.answerable, unsupported.right_before, unsupported.unanswerable) == (2, 1, 1)
    assert (unsupported.refused_before, unsupported.refused_lost) == (1, 1)  # u1 would have said 1912
    assert (unsupported.right_gained, unsupported.right_lost, unsupported.removed) == (0, 0, 1)
    assert (unsupported.precision_before, unsupported.precision_after) == ("1/2", "1/2")
    off_question = _effect(effects, "question-not-in-passage", "fact")
    assert (off_question.right_gained, off_question.right_lost, off_question.refused_lost) == (1, 0, 0)
    assert (off_question.precision_before, off_question.precision_after) == ("1/2", "2/2")
    no_figure = _effect(effects, "no-figure", "fact")
    assert (no_figure.removed, no_figure.right_gained, no_figure.right_lost, no_figure.refused_lost) == (0, 0, 0, 0)
    explained = _effect(effects, "unsupported", "explanation")
    assert (explained.answerable, explained.right_before, explained.right_gained) == (1, 0, 1)
    assert (explained.precision_before, explained.precision_after) == ("0/0", "1/1")
    assert _effect(effects, "question-not-in-passage", "explanation").right_gained == 0


def test_rows_without_statements_or_a_known_question_are_left_out() -> None:
    assert ablate(ROWS[4:], QUESTIONS) == []
    assert ablate([_row(_question("zz", "piaf"), _said("x", "unsupported"))], QUESTIONS) == []


def test_the_table_has_a_line_per_check_and_kind() -> None:
    lines = render_effects(ablate(ROWS, QUESTIONS)).splitlines()
    assert lines[0].split()[:2] == ["check", "off"] and len(lines) == 7
    line = next(x for x in lines if x.startswith("question-not-in-passage") and " fact " in x)
    assert "+1 / -0 of 1/2" in line and "(100%)" in line


def test_the_benchmark_script_ablates_a_saved_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import external_eval  # noqa: PLC0415  (a script of benchmarks/, importable from there)

    saved: dict[str, Any] = {}

    def save_result(name: str, figures: dict[str, Any], *, settings: dict[str, Any] | None = None) -> Path:
        saved.update(name=name, figures=figures, settings=settings)
        return tmp_path / f"{name}.json"

    monkeypatch.setattr(external_eval, "save_result", save_result)
    monkeypatch.setattr(external_eval, "load_external_questions", lambda _folder, _set: list(QUESTIONS.values()))
    rows = [{**asdict(row), "a_field_of_later_runs": 1} for row in ROWS]
    run = tmp_path / "external_eval_all.json"
    run.write_text(json.dumps({"figures": {"rows": {"ours": rows, "recipe": []}}}), encoding="utf-8")
    assert external_eval.main(["--ablate", str(run)]) == 0
    assert saved["name"] == "ablation" and saved["settings"] == {"result": str(run)}
    assert saved["figures"]["rows_with_statements"] == 4
    assert saved["figures"]["effects"] == [asdict(e) for e in ablate(ROWS, QUESTIONS)]
    with pytest.raises(SystemExit, match="no rows"):
        run.write_text(json.dumps({"figures": {"rows": {"recipe": rows}}}), encoding="utf-8")
        external_eval.main(["--ablate", str(run)])
