"""The ``assistant`` command: thin; it parses arguments (``cli_arguments``) and calls one API function each,
showing progress on a terminal (``cli_terminal``)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from assistant.cli_arguments import article_filter, build_parser
from assistant.cli_terminal import ProgressBar, StatusLine

if TYPE_CHECKING:
    from pydantic import ValidationError

    from assistant.api import Assistant
    from assistant.types import Citation, Passage

logger = logging.getLogger(__name__)


def _assistant(args: argparse.Namespace) -> Assistant:
    from assistant.api import Assistant  # noqa: PLC0415  (keeps --help fast)

    return Assistant(seeds_dir=args.seeds_dir, index_dir=args.index_dir)


def _run_index(args: argparse.Namespace) -> str:
    bar = ProgressBar()
    # The skipped files are printed below, one a line; the loader's warnings would repeat them.
    logging.getLogger("assistant.ingest.loader").setLevel(logging.INFO if args.verbose else logging.ERROR)
    try:
        report = _assistant(args).index(full=args.full, progress=bar)
    finally:
        bar.close()
    summary = replace(report, skipped=()).summary()
    if not report.skipped:
        return "index: " + summary
    return "\n".join([f"index: {summary}; skipped {len(report.skipped)}:", *(f"  {m}" for m in report.skipped)])


def _run_add(args: argparse.Namespace) -> str:
    from assistant.errors import BadInputError  # noqa: PLC0415

    if not args.items and not args.feeds:
        raise BadInputError("give files, folders or links to add (or --feeds to refresh the feeds added before)")
    bar = ProgressBar()
    logging.getLogger("assistant.ingest.loader").setLevel(logging.INFO if args.verbose else logging.ERROR)
    assistant = _assistant(args)
    try:
        added, indexed = assistant.refresh_feeds() if args.feeds else assistant.add(args.items, progress=bar)
    finally:
        bar.close()
    lines = added.lines()
    if indexed is not None:
        lines.append("index: " + replace(indexed, skipped=()).summary())
    elif not added.added:
        lines.append("nothing new to index")
    output = "\n".join(lines)
    if added.problems:
        # The articles that could be added are; the exit status says that some could not.
        sys.stdout.write(output + "\n")
        raise BadInputError(f"{len(added.problems)} of the inputs could not be added (see 'not added' above)")
    return output


def _run_search(args: argparse.Namespace) -> str:
    passages = _assistant(args).retrieve(args.question, k=args.k, limit=article_filter(args))
    if args.json:
        return json.dumps([asdict(p) for p in passages], ensure_ascii=False, indent=2)
    if not passages:
        return "no passage found (is the articles folder empty?)"
    blocks = []
    for rank, p in enumerate(passages, start=1):
        header = f"[{rank}] {p.source} [{p.start}:{p.end}] score {p.score:.4f} — {p.title}{_described(p)}"
        blocks.append(header + "\n    " + " ".join(p.text.split()))
    return "\n\n".join(blocks)


def _described(p: Passage | Citation) -> str:
    """ " (site, 2025-06-12)" for an article whose site or date is known."""
    known = [x for x in (p.site, p.published) if x]
    return f" ({', '.join(known)})" if known else ""


def _run_ask(args: argparse.Namespace) -> str:
    assistant = _assistant(args)
    limit = article_filter(args)
    assistant.warm_up()  # everything the answer needs, loaded side by side rather than one after the other
    if args.json:
        return json.dumps(asdict(assistant.ask(args.question, limit=limit)), ensure_ascii=False, indent=2)
    stream = assistant.stream(args.question, limit=limit)
    status = StatusLine()
    said = ""
    try:
        for update in stream.updates():  # the answer appears as it is checked, statement by statement
            if update.text.startswith(said) and len(update.text) > len(said):
                status.clear()
                sys.stdout.write(update.text[len(said) :])
                sys.stdout.flush()
                said = update.text
            elif update.stage == "reading" and not said:
                count = len(update.sources)
                status.show(f"reading {count} passage{'s' if count != 1 else ''}…")
    finally:  # an error message then starts on a clean line
        status.clear()
    answer = stream.answer
    lines = [""]
    if not answer.answered and answer.closest:
        lines += ["", _CLOSEST_HEADING[answer.language]]
    for c in answer.citations if answer.answered else answer.closest:
        lines.append(f"[{c.number}] {c.source} [{c.start}:{c.end}] {c.title}{_described(c)}")
        if c.url:
            lines.append(f"    {c.url}")
        lines.append(f"    « {' '.join(c.quote.split())} »")
    return "\n".join(lines)


# Printed over the closest passages after a refusal: they show where to look, they do not answer.
_CLOSEST_HEADING = {
    "en": "Closest passages in the articles (not an answer):",
    "fr": "Passages les plus proches dans les articles (ce n'est pas une réponse) :",
}


def _run_status(args: argparse.Namespace) -> str:
    status = _assistant(args).status()
    lines = [
        f"index: {status.location}",
        f"embedding model: {status.embedding_model}",
        f"updated: {status.updated_at}",
        f"{len(status.articles)} articles, {status.chunks} chunks:",
    ]
    lines += [f"  {source} — {title}" for source, title in status.articles.items()]
    if status.words_only:
        lines.append(
            f"{len(status.words_only)} found by their words only, their vectors not written yet "
            "(run 'assistant index' if no update is running): " + ", ".join(status.words_only)
        )
    return "\n".join(lines)


def _run_external_eval(args: argparse.Namespace) -> str:
    from assistant.evaluation import external, external_summary, external_table  # noqa: PLC0415

    questions = external.load_external_questions(args.external_dir, args.question_set)
    questions = external.select_questions(questions, limit=args.limit, ids=args.ids or ())
    index_bar, bar = ProgressBar(), ProgressBar()
    try:
        rows, summary = external.evaluate_assistant(
            args.external_dir,
            questions,
            args.index_dir,
            on_row=lambda n, question, _row: bar(n, len(questions), question.id),
            index_progress=index_bar,
        )
    finally:
        index_bar.close()
        bar.close()
    table = external_table.render_table(external_summary.summaries_by_side(summary, rows))
    return f"{summary.questions} questions ({args.question_set})\n{table}"


def _run_eval(args: argparse.Namespace) -> str:
    if args.external:
        return _run_external_eval(args)
    from assistant.evaluation.answers import load_answer_questions, score_answers  # noqa: PLC0415
    from assistant.evaluation.retrieval import load_questions, score_retrieval  # noqa: PLC0415
    from assistant.ingest.loader import load_articles  # noqa: PLC0415

    assistant = _assistant(args)
    assistant.retrieve("warm-up", k=1)  # builds the index if missing and loads the embedding model
    texts = {a.source: a.text for a in load_articles(assistant.settings.seeds_dir).articles}
    parts = []
    if args.only != "answers":
        scores = score_retrieval(assistant.retrieve, load_questions(), texts, k=args.k)
        parts.append("retrieval: " + scores.summary())
    if args.only != "retrieval":
        questions = load_answer_questions()
        if args.ids:
            questions = [q for q in questions if q.id in set(args.ids)]
        assistant.ask("warm-up: what are the articles about?")  # loads the language model
        progress = ProgressBar()
        done = []

        def tick(result: object) -> None:
            done.append(result)
            progress(len(done), len(questions), "")

        try:
            answer_scores = score_answers(assistant.stream, questions, texts, on_result=tick)
        finally:
            progress.close()
        parts.append("answers: " + answer_scores.summary())
    return "\n".join(parts)


def _run_hash_password(args: argparse.Namespace) -> str:
    from assistant.passwords import check_user_name, hash_password, read_new_password  # noqa: PLC0415

    user = check_user_name(args.user) if args.user is not None else None
    hashed = hash_password(read_new_password(sys.stdin))
    return hashed if user is None else f"{user}:{hashed}"


_COMMANDS = {
    "index": _run_index,
    "add": _run_add,
    "search": _run_search,
    "ask": _run_ask,
    "status": _run_status,
    "eval": _run_eval,
    "hash-password": _run_hash_password,
}


def _settings_problem(err: ValidationError) -> str:
    """The first invalid setting, on one line, with the variable to fix."""
    first = err.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not first["loc"]:
        return f"invalid settings: {message}"
    variable = "ASSISTANT_" + str(first["loc"][0]).upper()
    return f"{variable}={first.get('input')!r} is invalid ({message}); fix or unset it"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 a user-facing error)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from pydantic import ValidationError  # noqa: PLC0415

    from assistant.errors import AssistantError  # noqa: PLC0415

    try:
        output = _COMMANDS[args.command](args)
    except ValidationError as err:  # a bad ASSISTANT_* value
        sys.stderr.write(f"assistant: error: {_settings_problem(err)}\n")
        return 1
    except AssistantError as err:
        message = " ".join(str(err).split())  # one line, whatever the message holds
        sys.stderr.write(f"assistant: error: {message}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("assistant: interrupted; the previous index is still in use\n")
        return 130
    sys.stdout.write(output + "\n")
    return 0
