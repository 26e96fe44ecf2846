"""Score retrieval on the project's question set: recall@k and mean reciprocal rank."""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from assistant.types import Passage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrievalQuestion:
    """A question and the exact evidence (a span of one article) that answers it."""

    id: str
    question: str
    language: str
    kind: str
    source: str
    evidence: str


@dataclass(frozen=True)
class QuestionResult:
    question: RetrievalQuestion
    rank: int | None  # 1-based rank of the first passage holding the evidence, None when missed
    seconds: float


@dataclass(frozen=True)
class RetrievalScores:
    """Recall@k, MRR and latency over a question set."""

    k: int
    results: tuple[QuestionResult, ...]

    @property
    def recall(self) -> float:
        return sum(r.rank is not None for r in self.results) / len(self.results)

    @property
    def mrr(self) -> float:
        return sum(1.0 / r.rank for r in self.results if r.rank) / len(self.results)

    @property
    def misses(self) -> list[RetrievalQuestion]:
        return [r.question for r in self.results if r.rank is None]

    def latency_ms(self, quantile: float) -> float:
        times = sorted(r.seconds * 1000 for r in self.results)
        return times[min(len(times) - 1, int(quantile * len(times)))]

    def summary(self) -> str:
        lines = [
            f"{len(self.results)} questions: recall@{self.k} {self.recall:.1%}, MRR {self.mrr:.3f}, "
            f"latency p50 {statistics.median(r.seconds for r in self.results) * 1000:.1f} ms, "
            f"p95 {self.latency_ms(0.95):.1f} ms"
        ]
        for group in ("language", "kind"):
            values = sorted({getattr(r.question, group) for r in self.results})
            parts = []
            for value in values:
                subset = [r for r in self.results if getattr(r.question, group) == value]
                found = sum(r.rank is not None for r in subset)
                parts.append(f"{value} {found}/{len(subset)}")
            lines.append(f"  by {group}: " + ", ".join(parts))
        lines += [f"  missed: {q.id}: {q.question}" for q in self.misses]
        return "\n".join(lines)


def load_questions(path: Path | None = None) -> list[RetrievalQuestion]:
    """The packaged question set, or the JSON-lines file at ``path``."""
    if path is None:
        text = resources.files("assistant.evaluation").joinpath("retrieval.jsonl").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return [RetrievalQuestion(**json.loads(line)) for line in text.splitlines() if line.strip()]


def evidence_span(question: RetrievalQuestion, article_text: str) -> tuple[int, int]:
    """Character span of the question's evidence in its article.

    Raises:
        ValueError: the evidence is not in the article.
    """
    start = article_text.find(question.evidence)
    if start < 0:
        raise ValueError(f"{question.id}: evidence not found in {question.source}")
    return start, start + len(question.evidence)


def score_retrieval(
    retrieve: Callable[[str, int], Sequence[Passage]],
    questions: Sequence[RetrievalQuestion],
    article_texts: dict[str, str],
    k: int = 5,
) -> RetrievalScores:
    """Ask every question; a hit is a passage of the right article whose span holds the whole evidence."""
    results = []
    for q in questions:
        start, end = evidence_span(q, article_texts[q.source])
        began = time.perf_counter()
        passages = retrieve(q.question, k)
        seconds = time.perf_counter() - began
        rank = next(
            (i for i, p in enumerate(passages, 1) if p.source == q.source and p.start <= start and end <= p.end),
            None,
        )
        results.append(QuestionResult(q, rank, seconds))
    return RetrievalScores(k, tuple(results))
