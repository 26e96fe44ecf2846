"""What each statement check did on a saved run: every question scored again as if one check were turned off.

An approximation, from the saved rows alone: with a check off, the answer is taken to be the statements it kept
(as shown) plus those whose only failure was that check (as the model wrote them), in the order written. A
live run could differ: the pipeline stops at a number of kept statements, so a statement let through could
have taken the place of a later one, or been dropped as a repeat; it could need a translation it did not get;
and a refusal's fixed reply and notes are not in the statements. The baseline is recomputed the same way (all
checks on), so a gain or a loss is the check's alone.

Pure code: rows in, figures out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.evaluation.external_scoring import ExternalQuestion, Row, holds
from assistant.evaluation.external_summary import KIND_LABELS, KINDS, question_kind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """One question answered again: whether there was an answer, and whether it was right."""

    answered: bool
    right: bool


@dataclass(frozen=True)
class CheckEffect:
    """What turning one check off would change, on one kind of question ("fact" or "explanation").

    Fractions are "right/answered" strings; ``removed`` counts the statements this check alone dropped.
    """

    check: str
    kind: str
    removed: int
    answerable: int
    right_before: int
    right_gained: int
    right_lost: int
    unanswerable: int
    refused_before: int
    refused_lost: int
    precision_before: str
    precision_after: str


def answer_without(statements: Iterable[Mapping[str, Any]], check: str | None) -> str:
    """The answer's text with ``check`` turned off (None: all checks on): the kept statements as shown, and
    those that failed ``check`` alone as written, joined in their order."""
    said = []
    for statement in statements:
        failed = tuple(statement.get("failed") or ())
        if not failed:
            said.append(statement.get("shown") or statement["written"])
        elif check is not None and failed == (check,):
            said.append(statement["written"])
    return " ".join(s.strip() for s in said if s.strip())


def rescore(row: Row, question: ExternalQuestion, check: str | None) -> Verdict:
    """``row``'s question scored by the benchmark's rule on the answer it would have had with ``check`` off."""
    text = answer_without(row.statements or [], check)
    answered = bool(text)
    right = (answered and holds(text, question.answers)) if question.answerable else not answered
    return Verdict(answered, right)


def checks_in(rows: Iterable[Row]) -> list[str]:
    """The checks that dropped at least one statement of ``rows``, by name."""
    return sorted({name for r in rows for s in r.statements or [] for name in s.get("failed") or ()})


def _precision(verdicts: Sequence[Verdict]) -> str:
    answered = [v for v in verdicts if v.answered]
    return f"{sum(v.right for v in answered)}/{len(answered)}"


def _effect(check: str, kind: str, pairs: Sequence[tuple[Row, ExternalQuestion]]) -> CheckEffect:
    before = [rescore(r, q, None) for r, q in pairs]
    after = [rescore(r, q, check) for r, q in pairs]
    answerable = [n for n, (_, q) in enumerate(pairs) if q.answerable]
    unanswerable = [n for n, (_, q) in enumerate(pairs) if not q.answerable]
    removed = sum(tuple(s.get("failed") or ()) == (check,) for r, _ in pairs for s in r.statements or [])
    return CheckEffect(
        check=check,
        kind=kind,
        removed=removed,
        answerable=len(answerable),
        right_before=sum(before[n].right for n in answerable),
        right_gained=sum(after[n].right and not before[n].right for n in answerable),
        right_lost=sum(before[n].right and not after[n].right for n in answerable),
        unanswerable=len(unanswerable),
        refused_before=sum(before[n].right for n in unanswerable),
        refused_lost=sum(before[n].right and not after[n].right for n in unanswerable),
        precision_before=_precision([before[n] for n in answerable]),
        precision_after=_precision([after[n] for n in answerable]),
    )


def ablate(rows: Sequence[Row], questions: Mapping[str, ExternalQuestion]) -> list[CheckEffect]:
    """Each check's effect on each kind of question, from a run's rows and the questions by id.

    Rows without statements (the recipe's, errors) and rows whose question is unknown are left out.

    Args:
        rows: one system's rows, as saved by benchmarks/external_eval.py.
        questions: the questions, with their gold answers, by id.

    Returns:
        One effect per check and kind, checks by name, facts first.
    """
    pairs = [(r, questions[r.id]) for r in rows if r.statements is not None and r.id in questions]
    if unknown := sum(r.id not in questions for r in rows):
        logger.warning("%d rows name a question that is not in the benchmark: left out", unknown)
    by_kind = {k: [(r, q) for r, q in pairs if question_kind(q.set) == k] for k in KINDS}
    return [_effect(check, k, by_kind[k]) for check in checks_in(r for r, _ in pairs) for k in KINDS if by_kind[k]]


def _cell(fraction: str) -> str:
    part, whole = (int(x) for x in fraction.split("/"))
    return f"{fraction} ({part / whole:.0%})" if whole else "-"


def render_effects(effects: Sequence[CheckEffect]) -> str:
    """The effects as a plain-text table, one check and kind a line."""
    header = ("check off", "kind", "removed", "right +/-", "refusals lost", "precision before", "after")
    lines = [header]
    for e in effects:
        lines.append(
            (
                e.check,
                KIND_LABELS[e.kind],
                str(e.removed),
                f"+{e.right_gained} / -{e.right_lost} of {e.right_before}/{e.answerable}",
                f"-{e.refused_lost} of {e.refused_before}/{e.unanswerable}",
                _cell(e.precision_before),
                _cell(e.precision_after),
            )
        )
    widths = [max(len(line[n]) for line in lines) + 2 for n in range(len(header))]
    return "\n".join("".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)
