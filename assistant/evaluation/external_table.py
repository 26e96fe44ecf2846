"""The external benchmark's table: the systems' summaries side by side (the recipe's column first; dev before
validation), one figure a line, as plain text.

Pure code: summaries in, text out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from assistant.evaluation.external_summary import KIND_LABELS, KINDS, SIDES, Summary

logger = logging.getLogger(__name__)

# (set, table row), in the order of the table: fact questions, then explanatory ones (sets starting "why").
FACT_SETS = (
    ("piaf", "French questions right"),
    ("squad", "English questions right"),
    ("xling-en-fr", "English question, French article"),
    ("xling-fr-en", "French question, English article"),
    ("squad-unanswerable", "unanswerable fact questions refused"),
)
EXPLANATION_SETS = (
    ("why-fr", "French why/how questions right"),
    ("why-en-on-fr", "English question on a French article (why/how)"),
    ("why-unanswerable", "unanswerable why/how refused"),
)
CONVERSATION_SETS = (
    ("follow-fr", "French follow-up right"),
    ("follow-en", "English follow-up right"),
    ("follow-en-on-fr", "English follow-up, French article"),
    ("follow-unanswerable", "unanswerable follow-up refused"),
    ("new-topic", "new topic in a conversation right"),
)
SETS_OF_KIND = {"fact": FACT_SETS, "explanation": EXPLANATION_SETS, "conversation": CONVERSATION_SETS}
COLUMNS = {"recipe": "LangChain recipe", "ours": "this assistant"}


def _cell(fraction: str | None) -> str:
    if not fraction:
        return "-"
    part, whole = (int(x) for x in fraction.split("/"))
    return f"{fraction} ({part / whole:.0%})" if whole else "-"


def _seconds(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a:.1f} / {b:.1f} s"


def _set_cell(name: str) -> Callable[[Summary], str]:
    return lambda s: _cell(s.right_by_set.get(name))


def _of_kind(summary: Summary, kind: str) -> tuple[str | None, str | None]:
    """A summary's answerable right and precision on one kind of question; one saved before the figures by
    kind holds fact questions only."""
    if not summary.answerable_right_by_kind:
        return (summary.answerable_right, summary.precision_when_answering) if kind == "fact" else (None, None)
    return summary.answerable_right_by_kind.get(kind), summary.precision_by_kind.get(kind)


def _kind_lines(summaries: Sequence[Summary], kind: str) -> list[tuple[str, Callable[[Summary], str]]]:
    """The lines of one kind of question, when a summary has some: right, each set, precision."""
    if all(_of_kind(s, kind)[0] is None for s in summaries):
        return []
    said = KIND_LABELS[kind]
    sets = SETS_OF_KIND[kind]
    lines = [(f"answerable {said} questions right", lambda s: _cell(_of_kind(s, kind)[0]))]
    lines += [
        (f"{label} [{name}]", _set_cell(name)) for name, label in sets if any(name in s.right_by_set for s in summaries)
    ]
    lines.append((f"precision when it answers ({said})", lambda s: _cell(_of_kind(s, kind)[1])))
    return lines


def _latency_lines(summaries: Sequence[Summary]) -> list[tuple[str, Callable[[Summary], str]]]:
    kinds = [k for k in KINDS if any(k in s.p50_by_kind for s in summaries)]
    if not kinds:  # a summary saved before the figures by kind
        return [("answer latency p50 / p95", lambda s: _seconds(s.p50_s, s.p95_s))]
    return [(f"answer latency p50 / p95 ({KIND_LABELS[k]})", _latency_cell(k)) for k in kinds]


def _latency_cell(kind: str) -> Callable[[Summary], str]:
    return lambda s: _seconds(s.p50_by_kind.get(kind), s.p95_by_kind.get(kind))


def _header(summary: Summary) -> str:
    name = COLUMNS.get(summary.system, summary.system)
    return f"{name}, {summary.side}" if summary.side else name


def render_table(summaries: Sequence[Summary]) -> str:
    """The systems side by side (the recipe's column first; dev before validation), one figure a line, as
    plain text; a set or kind of question that no summary holds has no line."""
    sides = ["", *dict.fromkeys(SIDES.values())]

    def order(s: Summary) -> tuple[int, int]:
        return (
            sides.index(s.side) if s.side in sides else 99,
            list(COLUMNS).index(s.system) if s.system in COLUMNS else 99,
        )

    ordered = sorted(summaries, key=order)
    lines = [line for kind in KINDS for line in _kind_lines(ordered, kind)]
    lines += [
        ("citations exact spans", lambda s: _cell(s.citations_exact)),
        ("gold answer inside a citation", lambda s: _cell(s.gold_in_citations)),
        ("median quote chars", lambda s: f"{s.median_quote_chars:.0f}"),
        ("errors", lambda s: str(s.errors)),
        *_latency_lines(ordered),
        ("time to first text p50 / p95", lambda s: _seconds(s.first_text_p50_s, s.first_text_p95_s)),
    ]
    if any(s.refusals_with_closest is not None for s in ordered):
        lines += [
            ("refusals that show closest passages", lambda s: _cell(s.refusals_with_closest)),
            ("closest passages exact spans", lambda s: _cell(s.closest_exact)),
        ]
    lines += [
        ("index / setup", lambda s: f"{'-' if s.index_s is None else f'{s.index_s:.0f}'} / {s.setup_s:.0f} s"),
        ("peak memory", lambda s: "-" if s.peak_rss_mb is None else f"{s.peak_rss_mb:,.0f} MB"),
    ]
    cells = [[value(s) for s in ordered] for _, value in lines]
    width = max(len(label) for label, _ in lines) + 2
    col = max([18, *(len(c) for row in cells for c in row), *(len(_header(s)) for s in ordered)]) + 2
    out = [f"{'':<{width}}" + "".join(f"{_header(s):<{col}}" for s in ordered)]
    out += [
        f"{label:<{width}}" + "".join(f"{c:<{col}}" for c in row) for (label, _), row in zip(lines, cells, strict=True)
    ]
    return "\n".join(line.rstrip() for line in out)
