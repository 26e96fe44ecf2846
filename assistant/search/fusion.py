"""Reciprocal rank fusion: one ranking from several, without comparing their scores."""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str | None]], k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked id lists: each id scores the sum of 1 / (k + rank) over the lists it appears in (a None holds
    a rank without naming an id)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            if item is not None:
                scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
