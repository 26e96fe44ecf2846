"""The external benchmark (``benchmarks/data/external/``): its question sets by name (dev, explain, validate,
all), and the assistant's run over them; each reply is scored by ``external_scoring``, a system's rows are
summed up by ``external_summary`` (fact and why/how questions apart, dev and validation apart), and
``external_table`` sets the systems side by side.

Pure code: the assistant is imported only when ``evaluate_assistant`` runs it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import BadInputError
from assistant.evaluation.external_scoring import ExternalQuestion, Quote, Reply, Row, score_reply
from assistant.evaluation.external_summary import Summary, summarize

if TYPE_CHECKING:
    from assistant.answering.generator import Generator
    from assistant.ingest.embedding import ArticleEmbedder

logger = logging.getLogger(__name__)

# The question sets by name, each its files (the first one required); "all" is all of them.
QUESTION_SETS = {
    "dev": ("questions.jsonl", "xling.jsonl"),
    "explain": ("explain.jsonl", "explain_own.jsonl"),
    "validate": ("validate.jsonl",),
    "conversation": ("conversation.jsonl",),
    "conversation-validate": ("conversation_validate.jsonl",),
}
QUESTION_SET_NAMES = (*QUESTION_SETS, "all")


def _question(line: str, part: str, where: str) -> ExternalQuestion:
    """One question of a file; an explanatory one's gold answers are its key phrases, English ones too; a
    conversation's question has its earlier turns (``history``: [question, answer] pairs)."""
    try:
        data = json.loads(line)
        phrases = data.pop("key_phrases", []) + data.pop("key_phrases_en", [])
        data.setdefault("answers", phrases)
        data["history"] = tuple((str(q), str(a)) for q, a in data.get("history", []))
        return ExternalQuestion(**data, part=part)
    except (ValueError, TypeError, AttributeError) as err:  # not JSON, not an object, or other fields
        raise BadInputError(f"{where}: not a question of the external benchmark ({err})") from err


def load_external_questions(folder: Path, question_set: str = "dev") -> list[ExternalQuestion]:
    """The questions of ``question_set`` (see ``QUESTION_SETS``; "all" for every set), file by file.

    Raises:
        BadInputError: the set is unknown, its first file is missing, a line is not a question, or two
            questions share an id.
    """
    if question_set not in QUESTION_SET_NAMES:
        raise BadInputError(f"unknown question set {question_set!r}: choose one of {', '.join(QUESTION_SET_NAMES)}")
    parts = list(QUESTION_SETS) if question_set == "all" else [question_set]
    questions: list[ExternalQuestion] = []
    for part in parts:
        first = QUESTION_SETS[part][0]
        if not (folder / first).is_file():
            raise BadInputError(f"no {part} questions in {folder}: {first} is missing")
        for name in QUESTION_SETS[part]:
            path = folder / name
            if path.is_file():
                lines = path.read_text(encoding="utf-8").splitlines()
                questions += [_question(line, part, f"{path}:{n}") for n, line in enumerate(lines, 1) if line.strip()]
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            raise BadInputError(f"two questions of {folder} have the id {q.id!r}: ids must be unique")
        seen.add(q.id)
    return questions


def select_questions(
    questions: Sequence[ExternalQuestion], only: str = "", limit: int = 0, ids: Sequence[str] = ()
) -> list[ExternalQuestion]:
    """Keep the ``ids`` asked for and the sets starting with ``only``; then the first ``limit // sets`` of
    each set of each question file (at least one, as score_reference.py does), and one more of the first sets
    up to ``limit``."""
    if limit < 0:
        raise BadInputError(f"the limit must be 0 (all) or more, got {limit}")
    items = [q for q in questions if q.set.startswith(only) and (not ids or q.id in ids)]
    if not limit or not items:
        return items
    kinds: dict[tuple[str, str], list[ExternalQuestion]] = {}
    for q in items:
        kinds.setdefault((q.part, q.set), []).append(q)
    per, extra = divmod(limit, len(kinds))
    if per == 0:  # fewer questions than sets: one of each all the same
        per, extra = 1, 0
    return [q for n, group in enumerate(kinds.values()) for q in group[: per + (n < extra)]]


def load_corpus_texts(corpus: Path) -> dict[str, str]:
    """Each article's text by file name, read as the reference scorer reads it."""
    return {p.name: p.read_text(encoding="utf-8") for p in corpus.glob("*.txt")}


Ask = Callable[[str, Sequence[tuple[str, str]]], Reply]  # a question and its conversation's earlier turns


def ask_all(
    ask: Ask,
    questions: Sequence[ExternalQuestion],
    texts: dict[str, str],
    on_row: Callable[[int, ExternalQuestion, Row], None] | None = None,
) -> list[Row]:
    """Ask every question, after its earlier turns; a crash is a miss (an error row), not the end of the run."""
    rows = []
    for n, q in enumerate(questions, 1):
        try:
            row = score_reply(q, ask(q.question, q.history), texts)
        except Exception as err:
            logger.warning("%s: %r", q.id, err)
            row = Row(id=q.id, set=q.set, error=repr(err)[:300], part=q.part)
        rows.append(row)
        if on_row:
            on_row(n, q, row)
    return rows


def peak_rss_mb() -> float:
    """The high-water mark of this process's resident memory, in MB."""
    # VmHWM, not ru_maxrss: a child started by vfork and exec inherits its parent's ru_maxrss.
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KB on Linux


def default_index_root() -> Path:
    """Where the benchmark's indexes are kept between runs: ``~/.cache/article-assistant/external-index``."""
    from assistant.model_files import default_model_dir  # noqa: PLC0415

    return default_model_dir().parent / "external-index"


def evaluate_assistant(
    folder: Path,
    questions: Sequence[ExternalQuestion],
    index_dir: Path | None = None,
    on_row: Callable[[int, ExternalQuestion, Row], None] | None = None,
    index_progress: Callable[[int, int, str], None] | None = None,
    *,
    generator: Generator | None = None,
    embedder: ArticleEmbedder | None = None,
) -> tuple[list[Row], Summary]:
    """Run the assistant on ``questions`` over ``folder/corpus``, streaming each answer; return the rows and
    their summary. The index (default ``default_index_root()/ours``) is built once and reused by later runs
    (``index_progress`` follows the build); ``on_row`` is called after each question; ``generator`` and
    ``embedder`` replace the configured models (benchmarks/dev_replay.py replays recorded replies; tests fake
    both). Raises ``AssistantError`` when a model or the index fails."""
    from assistant.api import Assistant  # noqa: PLC0415  (models load only when this runs)

    corpus = folder / "corpus"
    began = time.perf_counter()
    assistant = Assistant(
        seeds_dir=corpus, index_dir=index_dir or default_index_root() / "ours", generator=generator, embedder=embedder
    )
    report = assistant.index(progress=index_progress)
    index_s = time.perf_counter() - began
    logger.info("external index: %s", report.summary())
    assistant.warm_up()
    setup_s = time.perf_counter() - began

    def ask(question: str, history: Sequence[tuple[str, str]]) -> Reply:
        start = time.perf_counter()
        first: float | None = None
        stream = assistant.stream(question, history=list(history))
        for piece in stream:
            if piece and first is None:
                first = time.perf_counter() - start
        seconds = time.perf_counter() - start
        answer = stream.answer
        return Reply(
            answer.text,
            bool(answer.answered),
            [Quote(c.source, c.quote, c.start) for c in answer.citations],
            seconds,
            first or seconds,
            answer.language,
            kind=answer.kind,
            closest=[Quote(c.source, c.quote, c.start) for c in answer.closest],
            statements=[{"written": s.written, "shown": s.shown, "failed": list(s.failed)} for s in answer.statements],
        )

    rows = ask_all(ask, questions, load_corpus_texts(corpus), on_row)
    return rows, summarize("ours", rows, setup_s, index_s, peak_rss_mb())
