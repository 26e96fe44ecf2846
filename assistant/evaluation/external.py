"""The external benchmark (``benchmarks/data/external/``): its question sets by name (dev, explain, validate,
all), one summary per system (scored by ``external_scoring``; fact and why/how questions apart, dev and
validation apart); ``external_table`` sets the systems side by side.

Pure code: the assistant is imported only when ``evaluate_assistant`` runs it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import BadInputError
from assistant.evaluation.external_scoring import ExternalQuestion, Quote, Reply, Row, score_reply

if TYPE_CHECKING:
    from assistant.answering.generator import Generator
    from assistant.ingest.embedding import ArticleEmbedder

logger = logging.getLogger(__name__)

# The question sets by name, each its files (the first one required); "all" is all of them.
QUESTION_SETS = {
    "dev": ("questions.jsonl", "xling.jsonl"),
    "explain": ("explain.jsonl", "explain_own.jsonl"),
    "validate": ("validate.jsonl",),
}
QUESTION_SET_NAMES = (*QUESTION_SETS, "all")
KIND_LABELS = {"fact": "fact", "explanation": "why/how"}  # the kinds of question, as the table says them
KINDS = tuple(KIND_LABELS)
# The table's two sides when a run holds both: what was tuned on, and what was held out.
SIDES = {"dev": "dev", "explain": "dev", "validate": "validation"}


def question_kind(set_name: str) -> str:
    """ "explanation" for the why/how sets (their names start with "why"), "fact" for the others."""
    return "explanation" if set_name.startswith("why") else "fact"


def _question(line: str, part: str, where: str) -> ExternalQuestion:
    """One question of a file; an explanatory one's gold answers are its key phrases, English ones too."""
    try:
        data = json.loads(line)
        phrases = data.pop("key_phrases", []) + data.pop("key_phrases_en", [])
        data.setdefault("answers", phrases)
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


def ask_all(
    ask: Callable[[str], Reply],
    questions: Sequence[ExternalQuestion],
    texts: dict[str, str],
    on_row: Callable[[int, ExternalQuestion, Row], None] | None = None,
) -> list[Row]:
    """Ask every question; a crash is a miss (an error row), not the end of the run."""
    rows = []
    for n, q in enumerate(questions, 1):
        try:
            row = score_reply(q, ask(q.question), texts)
        except Exception as err:
            logger.warning("%s: %r", q.id, err)
            row = Row(id=q.id, set=q.set, error=repr(err)[:300], part=q.part)
        rows.append(row)
        if on_row:
            on_row(n, q, row)
    return rows


@dataclass(frozen=True)
class Summary:
    """One system's figures; fractions are "right/total" strings, as in score_reference.py. The figures by
    kind ("fact", "explanation") have a key for each kind the rows hold; ``side`` is "dev" or "validation"
    when a run holds both; ``refusals_with_closest`` and ``closest_exact`` are None for a system that shows
    no closest passages."""

    system: str
    questions: int
    right: str
    right_by_set: dict[str, str]
    answerable_right: str
    precision_when_answering: str
    cited_gold: str
    gold_in_citations: str
    citations_exact: str
    median_quote_chars: float
    errors: int
    p50_s: float | None
    p95_s: float | None
    first_text_p50_s: float | None
    first_text_p95_s: float | None
    setup_s: float
    index_s: float | None
    peak_rss_mb: float | None
    side: str = ""
    answerable_right_by_kind: dict[str, str] = field(default_factory=dict)
    precision_by_kind: dict[str, str] = field(default_factory=dict)
    p50_by_kind: dict[str, float | None] = field(default_factory=dict)
    p95_by_kind: dict[str, float | None] = field(default_factory=dict)
    refusals_with_closest: str | None = None
    closest_exact: str | None = None


def _frac(rows: Sequence[Row], test: Callable[[Row], bool | int | None]) -> str:
    return f"{sum(bool(test(r)) for r in rows)}/{len(rows)}"


def _p50_p95(values: Sequence[float]) -> tuple[float | None, float | None]:
    """The median and score_reference.py's 95th percentile, ``sorted[int(0.95 * (n - 1))]``."""
    if not values:
        return None, None
    return round(statistics.median(values), 2), round(sorted(values)[int(0.95 * (len(values) - 1))], 2)


def _answerable(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if not r.set.endswith("unanswerable")]


def summarize(
    system: str,
    rows: Sequence[Row],
    setup_s: float,
    index_s: float | None,
    peak_rss_mb: float | None,
    *,
    side: str = "",
) -> Summary:
    """The figures of ``rows``, computed as score_reference.py computes them, overall and by kind."""
    by_set: dict[str, list[Row]] = {}
    by_kind: dict[str, list[Row]] = {}
    for r in rows:
        by_set.setdefault(r.set, []).append(r)
        by_kind.setdefault(question_kind(r.set), []).append(r)
    answerable = _answerable(rows)
    checked = [r for r in rows if r.cit_exact is not None]
    p50, p95 = _p50_p95([r.secs for r in rows if r.secs is not None])
    first50, first95 = _p50_p95([r.first_text_secs for r in rows if r.first_text_secs is not None])
    latency = {k: _p50_p95([r.secs for r in v if r.secs is not None]) for k, v in by_kind.items()}
    shows_closest = any(r.closest is not None for r in rows)
    refusals = [r for r in rows if r.closest is not None and not r.answered]
    return Summary(
        system=system,
        questions=len(rows),
        right=_frac(rows, lambda r: r.right),
        right_by_set={k: _frac(v, lambda r: r.right) for k, v in sorted(by_set.items())},
        answerable_right=_frac(answerable, lambda r: r.right),
        precision_when_answering=_frac([r for r in answerable if r.answered], lambda r: r.right),
        cited_gold=_frac(answerable, lambda r: r.cited_gold),
        gold_in_citations=_frac(answerable, lambda r: r.gold_in_citations),
        citations_exact=_frac(checked, lambda r: r.cit_exact),
        median_quote_chars=statistics.median([q for r in rows for q in r.quote_chars] or [0]),
        errors=sum(r.error is not None for r in rows),
        p50_s=p50,
        p95_s=p95,
        first_text_p50_s=first50,
        first_text_p95_s=first95,
        setup_s=round(setup_s, 1),
        index_s=None if index_s is None else round(index_s, 1),
        peak_rss_mb=peak_rss_mb,
        side=side,
        answerable_right_by_kind={k: _frac(_answerable(v), lambda r: r.right) for k, v in by_kind.items()},
        precision_by_kind={
            k: _frac([r for r in _answerable(v) if r.answered], lambda r: r.right) for k, v in by_kind.items()
        },
        p50_by_kind={k: p for k, (p, _) in latency.items()},
        p95_by_kind={k: p for k, (_, p) in latency.items()},
        refusals_with_closest=_frac(refusals, lambda r: r.closest) if shows_closest else None,
        closest_exact=_frac([r for r in rows if r.closest_exact is not None], lambda r: r.closest_exact)
        if shows_closest
        else None,
    )


def summaries_by_side(summary: Summary, rows: Sequence[Row]) -> list[Summary]:
    """``summary`` alone when its rows are all tuned on or all held out; otherwise one summary per side ("dev":
    the dev and explanatory questions, "validation": the held-out ones), each with the run's setup and memory."""
    sides: dict[str, list[Row]] = {}
    for r in rows:
        sides.setdefault(SIDES.get(r.part, r.part), []).append(r)
    if len(sides) < 2:
        return [summary]
    return [
        summarize(summary.system, group, summary.setup_s, summary.index_s, summary.peak_rss_mb, side=side)
        for side, group in sides.items()
    ]


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

    def ask(question: str) -> Reply:
        start = time.perf_counter()
        first: float | None = None
        stream = assistant.stream(question)
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
