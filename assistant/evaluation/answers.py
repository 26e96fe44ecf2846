"""Score answers on the project's question set: correct, refused when they should be, in the right
language, with exact and relevant citations, and how fast."""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from assistant.answering.answer_stream import AnswerStream
from assistant.answering.language import detect_language
from assistant.ingest.terms import fold
from assistant.types import Answer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerQuestion:
    """A question, its conversation so far, and the facts a correct answer must contain."""

    id: str
    question: str
    language: str
    kind: str
    answerable: bool
    history: list[tuple[str, str]] = field(default_factory=list)
    facts: list[list[str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AnswerResult:
    question: AnswerQuestion
    answer: Answer
    first_piece: float
    seconds: float

    @property
    def correct(self) -> bool:
        if not self.question.answerable:
            return not self.answer.answered
        return self.answer.answered and all(_has_any(self.answer.text, group) for group in self.question.facts)

    @property
    def language_ok(self) -> bool:
        expected = self.question.language
        if self.answer.language != expected:
            return False
        return not self.answer.answered or detect_language(self.answer.text, fallback=self.answer.language) == expected


def _has_any(text: str, alternatives: Sequence[str]) -> bool:
    folded = fold(text)
    return any(fold(alt) in folded for alt in alternatives)


def load_answer_questions(path: Path | None = None) -> list[AnswerQuestion]:
    """The packaged question set, or the JSON-lines file at ``path``."""
    if path is None:
        text = resources.files("assistant.evaluation").joinpath("answers.jsonl").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    questions = []
    for line in text.splitlines():
        if line.strip():
            raw = json.loads(line)
            raw["history"] = [tuple(turn) for turn in raw.get("history", [])]
            questions.append(AnswerQuestion(**raw))
    return questions


@dataclass(frozen=True)
class AnswerScores:
    results: tuple[AnswerResult, ...]
    article_texts: dict[str, str]

    def _citations(self) -> list[tuple[AnswerResult, str, bool]]:
        out = []
        for r in self.results:
            for c in r.answer.citations:
                text = self.article_texts.get(c.source, "")
                out.append((r, c.quote, text[c.start : c.end] == c.quote))
        return out

    def summary(self) -> str:
        results = self.results
        answerable = [r for r in results if r.question.answerable]
        unanswerable = [r for r in results if not r.question.answerable]
        cites = self._citations()
        supporting = [
            r
            for r in answerable
            if r.answer.answered
            and all(_has_any(" ".join(c.quote for c in r.answer.citations), g) for g in r.question.facts)
        ]
        answered = [r for r in answerable if r.answer.answered]
        quote_words = [len(q.split()) for _, q, _ in cites]

        def pct(part: int, whole: int) -> str:
            return f"{part}/{whole} ({part / whole:.0%})" if whole else "0/0"

        def quantile(values: list[float], q: float) -> float:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        firsts = [r.first_piece for r in results]
        totals = [r.seconds for r in results]
        lines = [
            f"{len(results)} questions",
            f"  answers correct: {pct(sum(r.correct for r in answerable), len(answerable))}",
            f"  unanswerable ones refused: {pct(sum(r.correct for r in unanswerable), len(unanswerable))}",
            f"  answers in the right language: {pct(sum(r.language_ok for r in results), len(results))}",
            f"  citations that are exact spans: {pct(sum(ok for *_, ok in cites), len(cites))}",
            f"  answered questions whose citations contain the supporting facts: {pct(len(supporting), len(answered))}",
            f"  median quote length: {statistics.median(quote_words) if quote_words else 0:.0f} words",
            f"  latency: p50 {statistics.median(totals):.2f} s, p95 {quantile(totals, 0.95):.2f} s; "
            f"first piece of text: p50 {statistics.median(firsts):.2f} s, p95 {quantile(firsts, 0.95):.2f} s",
        ]
        for kind in sorted({r.question.kind for r in results}):
            subset = [r for r in results if r.question.kind == kind]
            lines.append(f"  {kind}: {sum(r.correct for r in subset)}/{len(subset)} correct")
        for r in results:
            if not r.correct or not r.language_ok:
                why = "wrong language" if r.correct else ("answered" if not r.question.answerable else "wrong")
                lines.append(f"  {why}: {r.question.id}: {r.question.question!r} -> {r.answer.text!r}")
        return "\n".join(lines)


def score_answers(
    stream: Callable[[str, list[tuple[str, str]]], AnswerStream],
    questions: Sequence[AnswerQuestion],
    article_texts: dict[str, str],
    on_result: Callable[[AnswerResult], None] | None = None,
) -> AnswerScores:
    """Ask every question (with its history), timing the first piece of text and the whole answer."""
    results = []
    for q in questions:
        began = time.perf_counter()
        answer_stream = stream(q.question, list(q.history))
        first = None
        for _ in answer_stream:
            if first is None:
                first = time.perf_counter() - began
        answer = answer_stream.answer
        result = AnswerResult(q, answer, first or 0.0, time.perf_counter() - began)
        results.append(result)
        if on_result:
            on_result(result)
    return AnswerScores(tuple(results), article_texts)
