"""The external benchmark's summary of one system's rows: the figures score_reference.py computes, overall, by
set and by kind of question (fact, why/how), and one summary per side (dev, validation) when a run holds both.

Pure code: rows in, summaries out.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.evaluation.external_scoring import Row

logger = logging.getLogger(__name__)

# The kinds of question, as the table says them.
KIND_LABELS = {"fact": "fact", "explanation": "why/how", "conversation": "conversation"}
KINDS = tuple(KIND_LABELS)
# The table's two sides when a run holds both, by question set: what was tuned on, and what was held out.
SIDES = {
    "dev": "dev",
    "explain": "dev",
    "conversation": "dev",
    "validate": "validation",
    "conversation-validate": "validation",
}
# The sets of questions asked in a conversation, after an earlier turn (external_table.CONVERSATION_SETS).
_CONVERSATION_SETS = ("follow", "new-topic")


def question_kind(set_name: str) -> str:
    """ "explanation" for the why/how sets (their names start with "why"), "conversation" for the questions
    asked after an earlier turn ("follow-…", "new-topic"), "fact" for the others."""
    if set_name.startswith("why"):
        return "explanation"
    return "conversation" if set_name.startswith(_CONVERSATION_SETS) else "fact"


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
