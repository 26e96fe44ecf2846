"""The external benchmark (``benchmarks/data/external/``): its questions, one summary per system (scored by
``external_scoring``), and the systems side by side.

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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import BadInputError
from assistant.evaluation.external_scoring import ExternalQuestion, Quote, Reply, Row, score_reply

if TYPE_CHECKING:
    from assistant.answering.generator import Generator

logger = logging.getLogger(__name__)

QUESTION_FILES = ("questions.jsonl", "xling.jsonl")  # the second is optional
# (set, table row), in the order of the table.
SETS = (
    ("piaf", "French questions right"),
    ("squad", "English questions right"),
    ("xling-en-fr", "English question, French article"),
    ("xling-fr-en", "French question, English article"),
    ("squad-unanswerable", "unanswerable refused"),
)
COLUMNS = {"recipe": "LangChain recipe", "ours": "this assistant"}


def load_external_questions(folder: Path) -> list[ExternalQuestion]:
    """The questions of ``folder/questions.jsonl``, then those of ``folder/xling.jsonl`` when it exists.

    Raises:
        BadInputError: ``folder/questions.jsonl`` does not exist.
    """
    if not (folder / QUESTION_FILES[0]).is_file():
        raise BadInputError(f"no external benchmark in {folder}: {QUESTION_FILES[0]} is missing")
    questions = []
    for name in QUESTION_FILES:
        path = folder / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            questions += [ExternalQuestion(**json.loads(line)) for line in lines if line.strip()]
    return questions


def select_questions(
    questions: Sequence[ExternalQuestion], only: str = "", limit: int = 0, ids: Sequence[str] = ()
) -> list[ExternalQuestion]:
    """Keep the ``ids`` asked for and the sets starting with ``only``; then the first ``limit // sets`` of
    each set (at least one, as score_reference.py does), and one more of the first sets up to ``limit``."""
    if limit < 0:
        raise BadInputError(f"the limit must be 0 (all) or more, got {limit}")
    items = [q for q in questions if q.set.startswith(only) and (not ids or q.id in ids)]
    if not limit or not items:
        return items
    kinds: dict[str, list[ExternalQuestion]] = {}
    for q in items:
        kinds.setdefault(q.set, []).append(q)
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
            row = Row(id=q.id, set=q.set, error=repr(err)[:300])
        rows.append(row)
        if on_row:
            on_row(n, q, row)
    return rows


@dataclass(frozen=True)
class Summary:
    """One system's figures; fractions are "right/total" strings, as in score_reference.py."""

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


def _frac(rows: Sequence[Row], test: Callable[[Row], bool | None]) -> str:
    return f"{sum(bool(test(r)) for r in rows)}/{len(rows)}"


def _p50_p95(values: Sequence[float]) -> tuple[float | None, float | None]:
    """The median and score_reference.py's 95th percentile, ``sorted[int(0.95 * (n - 1))]``."""
    if not values:
        return None, None
    return round(statistics.median(values), 2), round(sorted(values)[int(0.95 * (len(values) - 1))], 2)


def summarize(
    system: str, rows: Sequence[Row], setup_s: float, index_s: float | None, peak_rss_mb: float | None
) -> Summary:
    """The figures of ``rows``, computed as score_reference.py computes them."""
    by_set: dict[str, list[Row]] = {}
    for r in rows:
        by_set.setdefault(r.set, []).append(r)
    answerable = [r for r in rows if not r.set.endswith("unanswerable")]
    checked = [r for r in rows if r.cit_exact is not None]
    p50, p95 = _p50_p95([r.secs for r in rows if r.secs is not None])
    first50, first95 = _p50_p95([r.first_text_secs for r in rows if r.first_text_secs is not None])
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
    )


def peak_rss_mb() -> float:
    """The high-water mark of this process's resident memory, in MB."""
    # VmHWM, not ru_maxrss: a child started by vfork and exec inherits its parent's ru_maxrss.
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KB on Linux


def _cell(fraction: str | None) -> str:
    if not fraction:
        return "-"
    part, whole = (int(x) for x in fraction.split("/"))
    return f"{fraction} ({part / whole:.0%})" if whole else "-"


def _seconds(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a:.1f} / {b:.1f} s"


def _set_cell(name: str) -> Callable[[Summary], str]:
    return lambda s: _cell(s.right_by_set.get(name))


def render_table(summaries: Sequence[Summary]) -> str:
    """The systems side by side (the recipe's column first), one figure a line, as plain text."""
    ordered = sorted(summaries, key=lambda s: list(COLUMNS).index(s.system) if s.system in COLUMNS else 99)
    lines = [(f"{label} [{name}]", _set_cell(name)) for name, label in SETS]
    lines += [
        ("answerable right in all", lambda s: _cell(s.answerable_right)),
        ("precision when it answers", lambda s: _cell(s.precision_when_answering)),
        ("citations exact", lambda s: _cell(s.citations_exact)),
        ("gold fact inside a citation", lambda s: _cell(s.gold_in_citations)),
        ("median quote chars", lambda s: f"{s.median_quote_chars:.0f}"),
        ("errors", lambda s: str(s.errors)),
        ("answer latency p50 / p95", lambda s: _seconds(s.p50_s, s.p95_s)),
        ("time to first text p50 / p95", lambda s: _seconds(s.first_text_p50_s, s.first_text_p95_s)),
        ("index / setup", lambda s: f"{'-' if s.index_s is None else f'{s.index_s:.0f}'} / {s.setup_s:.0f} s"),
        ("peak memory", lambda s: "-" if s.peak_rss_mb is None else f"{s.peak_rss_mb:,.0f} MB"),
    ]
    cells = [[value(s) for s in ordered] for _, value in lines]
    width = max(len(label) for label, _ in lines) + 2
    col = max([18, *(len(c) for row in cells for c in row)]) + 2
    out = [f"{'':<{width}}" + "".join(f"{COLUMNS.get(s.system, s.system):<{col}}" for s in ordered)]
    out += [
        f"{label:<{width}}" + "".join(f"{c:<{col}}" for c in row) for (label, _), row in zip(lines, cells, strict=True)
    ]
    return "\n".join(line.rstrip() for line in out)


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
) -> tuple[list[Row], Summary]:
    """Run the assistant on ``questions`` over ``folder/corpus``, streaming each answer; return the rows and
    their summary. The index (default ``default_index_root()/ours``) is built once and reused by later runs
    (``index_progress`` follows the build); ``on_row`` is called after each question; ``generator`` replaces
    the configured model (benchmarks/dev_replay.py replays recorded replies through it).
    Raises ``AssistantError`` when a model or the index fails."""
    from assistant.api import Assistant  # noqa: PLC0415  (models load only when this runs)

    corpus = folder / "corpus"
    began = time.perf_counter()
    assistant = Assistant(seeds_dir=corpus, index_dir=index_dir or default_index_root() / "ours", generator=generator)
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
        cits = [Quote(c.source, c.quote, c.start) for c in answer.citations]
        return Reply(answer.text, bool(answer.answered), cits, seconds, first or seconds, answer.language)

    rows = ask_all(ask, questions, load_corpus_texts(corpus), on_row)
    return rows, summarize("ours", rows, setup_s, index_s, peak_rss_mb())
