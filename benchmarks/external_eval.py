"""The external benchmark: this assistant and the standard LangChain recipe side by side.

benchmarks/data/external/ holds 307 articles and question sets by name (see its README.md): `--set dev` (the
default: 140 PIAF and SQuAD 2.0 questions, and the 48 cross-lingual ones of xling.jsonl), `--set explain` (69
why/how questions, scored on their key phrases), `--set validate` (200 held-out fact questions, never tuned on:
run them as a whole), `--set conversation` (32 follow-up questions, each after an earlier question and its answer;
`--set conversation-validate`: 32 held out), `--set all` (all of them; the table then shows dev and validation side
by side). Each
system runs in a process of its own (so that its peak memory is its own), one after the other; each question's
result is printed to stderr as it comes, the table at the end. Both are scored by the benchmark's rule
(assistant.evaluation.external).

Run with `.venv/bin/python benchmarks/external_eval.py [--set dev|explain|validate|all] [--systems ours recipe]
[--only PREFIX] [--limit N] [--ids ID ...] [--index-dir DIR]`; the figures and every question's row are saved
to benchmarks/results/external_eval.json (dev), external_eval_explain.json, external_eval_validate.json,
external_eval_conversation.json, external_eval_conversation_validate.json or external_eval_all.json. The
indexes are built on the first run (about 7 minutes for the assistant, 3 for the recipe on 2 cores) and reused
after, from ~/.cache/article-assistant/external-index/. The dev set takes about an hour; nothing here is a
pass/fail test.

`.venv/bin/python benchmarks/external_eval.py --ablate benchmarks/results/external_eval_all.json` scores a saved
run again as if each statement check were turned off in turn (assistant.evaluation.ablation: an approximation),
prints the table and saves it to benchmarks/results/ablation.json; it asks no model.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from results import save_result

from assistant.errors import BadInputError
from assistant.evaluation.ablation import ablate, render_effects
from assistant.evaluation.external import (
    QUESTION_SET_NAMES,
    default_index_root,
    evaluate_assistant,
    load_external_questions,
    select_questions,
)
from assistant.evaluation.external_scoring import ExternalQuestion, Row
from assistant.evaluation.external_summary import Summary, summaries_by_side
from assistant.evaluation.external_table import render_table

DATA = Path(__file__).resolve().parent / "data" / "external"
SYSTEMS = ("ours", "recipe")
# Each question set's result file (benchmarks/results/NAME.json): a run of one set does not replace another's.
RESULT_NAMES = {
    "dev": "external_eval",
    "explain": "external_eval_explain",
    "validate": "external_eval_validate",
    "conversation": "external_eval_conversation",
    "conversation-validate": "external_eval_conversation_validate",
    "all": "external_eval_all",
}


def add_selection(parser: argparse.ArgumentParser) -> None:
    """The options that choose which of the benchmark's questions are asked."""
    parser.add_argument(
        "--only", default="", metavar="PREFIX", help="sets whose name starts so: piaf, squad, xling, why"
    )
    parser.add_argument("--limit", type=int, default=0, help="N questions spread evenly over the sets")
    parser.add_argument("--ids", nargs="+", default=[], metavar="ID", help="only these questions")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--set",
        dest="question_set",
        choices=QUESTION_SET_NAMES,
        default="dev",
        help="the questions: dev (default), explain (why/how), validate (held out), conversation (follow-ups; "
        "conversation-validate held out), all",
    )
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS), help="default: both")
    add_selection(parser)
    parser.add_argument(
        "--ablate",
        type=Path,
        metavar="RESULT.json",
        help="instead, score a saved run again with each statement check off in turn (no model is run)",
    )
    parser.add_argument(
        "--index-dir",
        type=Path,
        help=f"where the indexes are kept: DIR/ours and DIR/recipe-<hash> (default: {default_index_root()})",
    )
    # The child process that runs one system, and the file it writes its rows and summary to.
    parser.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    return parser


def _progress(system: str, total: int) -> Callable[[int, ExternalQuestion, Row], None]:
    def report(n: int, question: ExternalQuestion, row: Row) -> None:
        verdict = "ERROR" if row.error else ("OK " if row.right else "-- ")
        said = row.error or " ".join(row.text.split())
        print(
            f"{system} {n}/{total} {question.id} {question.set} {verdict} {row.secs or 0:.1f}s {said[:100]}",
            file=sys.stderr,
            flush=True,
        )

    return report


def run_worker(args: argparse.Namespace) -> None:
    """In the child process: run one system and write its rows and summary to ``--worker-out``."""
    questions = select_questions(load_external_questions(DATA, args.question_set), args.only, args.limit, args.ids)
    root = args.index_dir or default_index_root()
    on_row = _progress(args.worker, len(questions))
    if args.worker == "ours":

        def indexing(done: int, total: int, article: str) -> None:
            if total and (done % 25 == 0 or done == total):
                print(f"ours: indexed {done}/{total} articles ({article})", file=sys.stderr, flush=True)

        rows, summary = evaluate_assistant(DATA, questions, root / "ours", on_row, indexing)
    else:
        from langchain_recipe import evaluate_recipe  # noqa: PLC0415  (langchain only when the recipe runs)

        rows, summary = evaluate_recipe(DATA, questions, root, on_row)
    result = {"summary": asdict(summary), "rows": [asdict(r) for r in rows]}
    args.worker_out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


def row_from_json(saved: dict[str, Any]) -> Row:
    """A row as saved in a result file; fields that Row no longer has are left out."""
    known = {f.name for f in fields(Row)}
    return Row(**{k: v for k, v in saved.items() if k in known})


def side_summaries(result: dict[str, Any]) -> list[Summary]:
    """A system's summary, or one per side (dev, validation) when its rows hold both."""
    rows = [row_from_json(row) for row in result["rows"]]
    return summaries_by_side(Summary(**result["summary"]), rows)


def run_system(system: str, args: argparse.Namespace, out: Path) -> dict[str, Any] | None:
    """Run one system in a child process; its rows and summary, or None when it failed."""
    command = [sys.executable, __file__, "--worker", system, "--worker-out", str(out), "--limit", str(args.limit)]
    command += ["--set", args.question_set]
    command += ["--only", args.only] if args.only else []
    command += ["--ids", *args.ids] if args.ids else []
    command += ["--index-dir", str(args.index_dir)] if args.index_dir else []
    code = subprocess.run(command, check=False).returncode
    if code != 0 or not out.is_file():
        print(f"{system}: failed (exit status {code})", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    print(f"{system}: {json.dumps(result['summary'], ensure_ascii=False)}", file=sys.stderr)
    return result


def saved_rows(path: Path, system: str = "ours") -> list[Row]:
    """``system``'s rows in a result file saved by this script (fields it does not know are left out)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SystemExit(f"cannot read {path}: {err}") from err
    saved = record.get("figures", {}).get("rows", {}).get(system)
    if not saved:
        raise SystemExit(f"{path} holds no rows of {system!r}: give a result of benchmarks/external_eval.py")
    return [row_from_json(row) for row in saved]


def run_ablation(path: Path) -> int:
    """Print and save what each statement check did on the saved run ``path`` (this assistant's rows)."""
    rows = saved_rows(path)
    questions = {q.id: q for q in load_external_questions(DATA, "all")}
    effects = ablate(rows, questions)
    with_statements = sum(r.statements is not None for r in rows)
    print(f"{with_statements} of {len(rows)} rows have their statements")
    if not effects:
        print("no check dropped a statement in these rows: nothing to compare")
    else:
        print(render_effects(effects))
    figures = {"rows": len(rows), "rows_with_statements": with_statements, "effects": [asdict(e) for e in effects]}
    save_result("ablation", figures, settings={"result": str(path)})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.limit < 0:
        raise SystemExit(f"--limit must be 0 (all) or more, got {args.limit}")
    if args.ablate:
        return run_ablation(args.ablate)
    if args.worker:
        run_worker(args)
        return 0
    try:
        load_external_questions(DATA, args.question_set)
    except BadInputError as err:
        raise SystemExit(str(err)) from err
    # The children inherit these: no network on this machine, and no telemetry.
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False")):
        os.environ.setdefault(name, value)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="external-eval-") as tmp:
        for system in dict.fromkeys(args.systems):  # one after the other, never at the same time
            result = run_system(system, args, Path(tmp) / f"{system}.json")
            if result is not None:
                results[system] = result
    load, cores = os.getloadavg()[1], os.cpu_count() or 1
    selection = {"set": args.question_set, "systems": args.systems, "only": args.only, "limit": args.limit}
    selection["ids"] = args.ids
    by_side = {system: side_summaries(result) for system, result in results.items()}
    figures: dict[str, Any] = {"summary": {system: result["summary"] for system, result in results.items()}}
    sides: dict[str, dict[str, Any]] = {}
    for system, summaries in by_side.items():
        for summary in summaries:
            sides.setdefault(summary.side, {})[system] = asdict(summary)
    if len(sides) > 1:  # dev and validation, side by side
        figures["summary_by_side"] = sides
    figures |= {"load_average_5min": load, "rows": {system: result["rows"] for system, result in results.items()}}
    save_result(RESULT_NAMES[args.question_set], figures, settings=selection)
    if load > cores + 0.5:  # each system keeps every core busy: more means other processes shared them
        print(f"warning: load average {load:.1f} on {cores} cores: other processes ran too; timings are inflated")
    if results:
        questions = max(r["summary"]["questions"] for r in results.values())
        print(f"\n{questions} questions ({args.question_set})")
        print(render_table([s for summaries in by_side.values() for s in summaries]))
    return 0 if len(results) == len(set(args.systems)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
