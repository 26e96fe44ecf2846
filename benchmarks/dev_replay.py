"""The assistant on the external benchmark's questions, with the model's replies recorded and replayed.

Changing how the assistant checks, grounds or cites an answer does not change what the model is asked, so
a second run replays the model's recorded replies (keyed by the whole prompt) and takes about two minutes
for the 188 dev questions instead of 25. A new prompt is sent to the model and its reply recorded. The
figures are the benchmark's (assistant.evaluation.external), but latencies are only real for the questions
whose replies were not replayed: time the assistant with benchmarks/external_eval.py.

Run with `.venv/bin/python benchmarks/dev_replay.py [--only PREFIX] [--limit N] [--ids ID ...] [--show]
[--json OUT] [--cache FILE]`; `--seeds` runs the seeds' own answer evaluation the same way. The index is the
one benchmarks/external_eval.py builds and reuses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sqlite3
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from external_eval import DATA, add_selection
from langchain_core.messages import BaseMessage

from assistant import Assistant
from assistant.answering.generator import Completion, Generator
from assistant.answering.models import make_generator
from assistant.config import Settings
from assistant.evaluation.answers import load_answer_questions, score_answers
from assistant.evaluation.external import (
    default_index_root,
    evaluate_assistant,
    load_external_questions,
    render_table,
    select_questions,
)
from assistant.evaluation.external_scoring import ExternalQuestion, Row
from assistant.ingest.loader import load_articles


class ReplayedGenerator(Generator):
    """The configured model, but a prompt it has answered before gets its recorded reply."""

    def __init__(self, model: Generator, path: Path) -> None:
        self.model = model
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("create table if not exists reply (prompt text primary key, value text)")
        self._lock = threading.Lock()
        self.new_calls = 0

    @property
    def model_id(self) -> str:
        return self.model.model_id

    def load(self) -> None:
        self.model.load()

    def stream(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> Iterator[str]:
        yield self.complete(messages, max_tokens=max_tokens)

    def complete(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> str:
        key = _key("complete", messages, max_tokens)
        found = self._recorded(key)
        if found is None:
            found = self.model.complete(messages, max_tokens=max_tokens)
            self._record(key, found)
        return str(found)

    def complete_with_probabilities(
        self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None
    ) -> Completion:
        key = _key("scored", messages, max_tokens)
        found = self._recorded(key)
        if found is None:
            completion = self.model.complete_with_probabilities(messages, max_tokens=max_tokens)
            self._record(key, [completion.text, completion.tokens])
            return completion
        text, tokens = found
        return Completion(text, tuple((piece, p) for piece, p in tokens))

    def yes_probability(self, messages: Sequence[BaseMessage]) -> float:
        key = _key("yes", messages, 0)
        found = self._recorded(key)
        if found is None:
            found = self.model.yes_probability(messages)
            self._record(key, found)
        return float(found)

    def _recorded(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("select value from reply where prompt = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _record(self, key: str, value: str | float | list[object]) -> None:
        with self._lock:
            self.new_calls += 1
            self._db.execute("insert or replace into reply values (?, ?)", (key, json.dumps(value)))
            self._db.commit()


def _key(kind: str, messages: Sequence[BaseMessage], max_tokens: int | None) -> str:
    prompt = json.dumps([kind, max_tokens, [(m.type, m.content) for m in messages]], ensure_ascii=False)
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def _seeds_evaluation(generator: Generator) -> str:
    """The seeds' answer evaluation, on an index of the seeds kept beside the benchmark's."""
    seeds = Path(__file__).resolve().parents[1] / "seeds"
    assistant = Assistant(seeds_dir=seeds, index_dir=default_index_root() / "seeds", generator=generator)
    assistant.index()
    texts = {a.source: a.text for a in load_articles(seeds).articles}
    return score_answers(assistant.stream, load_answer_questions(), texts).summary()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_selection(parser)
    parser.add_argument("--show", action="store_true", help="print each question, its gold answer and the reply")
    parser.add_argument(
        "--seeds", action="store_true", help="the seeds' own answer evaluation instead (assistant eval --only answers)"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the rows and the summary here")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING"],
        help="INFO says why each answer was refused",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=default_index_root().parent / "replies.sqlite3",
        help="the recorded replies (default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    if args.limit < 0:
        raise SystemExit(f"--limit must be 0 (all) or more, got {args.limit}")
    generator = ReplayedGenerator(make_generator(Settings()), args.cache)
    if args.seeds:
        print(_seeds_evaluation(generator))
        print(f"{generator.new_calls} new model calls (the rest replayed)")
        return 0
    questions = select_questions(load_external_questions(DATA), args.only, args.limit, args.ids)

    def show(n: int, question: ExternalQuestion, row: Row) -> None:
        if args.show:
            verdict = "ERROR" if row.error else ("OK " if row.right else "-- ")
            gold = question.answers[0] if question.answers else "(unanswerable)"
            said = " ".join((row.error or row.text).split())
            print(f"{n} {question.set} {verdict} {question.question} | {gold} | {said[:100]}", file=sys.stderr)

    rows, summary = evaluate_assistant(DATA, questions, default_index_root() / "ours", show, generator=generator)
    print(f"{len(questions)} questions, {generator.new_calls} new model calls (the rest replayed)")
    print(render_table([summary]))
    if args.json:
        result = {"summary": asdict(summary), "rows": [asdict(r) for r in rows]}
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
