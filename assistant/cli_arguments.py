"""The ``assistant`` command's arguments: its parser, and the article filter its limit arguments describe."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.search.filters import ArticleFilter

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``assistant`` command and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Ask questions about a folder of news articles, in French or English.",
    )
    parser.add_argument("--seeds-dir", type=Path, help="articles folder (default: seeds/, or ASSISTANT_SEEDS_DIR)")
    parser.add_argument("--index-dir", type=Path, help="index folder (default: index/, or ASSISTANT_INDEX_DIR)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = commands.add_parser("index", help="bring the index up to date with the articles folder")
    index.add_argument("--full", action="store_true", help="rebuild everything from scratch")

    add = commands.add_parser(
        "add",
        help="add articles from files, folders or links (.txt .md .html .pdf .docx, RSS/Atom feeds), then index",
        description="Add articles to the articles folder, then bring the index up to date. Each web page, PDF, "
        "Word file, text file and feed entry becomes one article with its date, author, site and link; the same "
        "article already there in another form is not added again; a feed added again adds its new entries.",
    )
    add.add_argument("items", nargs="*", metavar="PATH_OR_URL", help="files, folders of them, or http(s) links")
    add.add_argument("--feeds", action="store_true", help="add the new entries of every feed added before")

    search = commands.add_parser("search", help="print the passages that best match a question")
    search.add_argument("question", help="the question, in French or English")
    search.add_argument("-k", type=int, default=5, help="how many passages (default: 5)")
    search.add_argument("--json", action="store_true", help="print JSON instead of text")
    _add_limit_arguments(search)

    ask = commands.add_parser("ask", help="answer a question from the articles, with cited quotes")
    ask.add_argument("question", help="the question, in French or English")
    ask.add_argument(
        "--json", action="store_true", help="print the answer as JSON (a refusal with the closest passages)"
    )
    _add_limit_arguments(ask)

    commands.add_parser("status", help="what the index holds")

    evaluate = commands.add_parser("eval", help="score retrieval and answers on the project's question sets")
    evaluate.add_argument("--only", choices=["retrieval", "answers"], help="run one of the two evaluations")
    evaluate.add_argument("--ids", nargs="+", metavar="ID", help="only these answer (or --external) questions")
    evaluate.add_argument("-k", type=int, default=5, help="passages per retrieval question (default: 5)")
    evaluate.add_argument(
        "--external",
        action="store_true",
        help="instead, answer the external benchmark's questions over its own articles (about an hour; "
        "its index is kept in ~/.cache/article-assistant/external-index/ours, or --index-dir)",
    )
    evaluate.add_argument(
        "--external-dir",
        type=Path,
        default=Path("benchmarks/data/external"),
        help="the external benchmark's folder (default: benchmarks/data/external)",
    )
    evaluate.add_argument("--limit", type=int, default=0, help="external: N questions spread over the kinds")
    evaluate.add_argument(
        "--set",
        dest="question_set",
        # assistant.evaluation.external.QUESTION_SET_NAMES
        choices=["dev", "explain", "validate", "conversation", "conversation-validate", "all"],
        default="dev",
        help="external: the questions: dev (default), explain (why/how), validate (held out, never tuned on), "
        "conversation (follow-ups; conversation-validate held out), all",
    )

    hashing = commands.add_parser(
        "hash-password",
        help="print an argon2 hash of a password for the web chat's sign-in (ASSISTANT_AUTH_FILE, ASSISTANT_AUTH)",
        description="Print an argon2 hash of a password: typed twice when run in a terminal, otherwise the first "
        "line of standard input (echo PASSWORD | assistant hash-password --user NAME).",
    )
    hashing.add_argument("--user", metavar="NAME", help="print NAME:hash, a line of the sign-in file")
    return parser


def _add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="YYYY-MM-DD", default="", help="only articles published on or after")
    parser.add_argument("--until", metavar="YYYY-MM-DD", default="", help="only articles published on or before")
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="SITE_OR_FILE",
        help="only articles from this site (as citations show it) or this file; repeat for several",
    )


def article_filter(args: argparse.Namespace) -> ArticleFilter | None:
    """The articles that ``--since``, ``--until`` and ``--source`` keep, or None when they keep all."""
    from assistant.search.filters import ArticleFilter, parse_day  # noqa: PLC0415

    limit = ArticleFilter(
        since=parse_day(args.since, "--since"), until=parse_day(args.until, "--until"), sources=tuple(args.source)
    )
    return limit if limit.active else None
