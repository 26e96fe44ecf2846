"""A question searched in both of the articles' languages: as asked, and translated into the other one.

The embedding model finds an article in the other language than the question's, but less readily than one in its
own: a passage in the question's language that is only near the subject often ranks above the French passage that
answers an English question. Searched again with the question translated, that passage comes first. Which of the
two searches is read is decided by how close in meaning each one's best passage is to its query: a question finds
the passages of its own language closer than a rough translation finds those of the other, unless the answer is
in the other language (measured on the dev questions: docs/design.md, "Searching in both languages").
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.types import Passage

# How much closer (cosine) the translation's best passage must come. A rough translation of a question asked in its
# article's language sometimes comes a little closer to a passage of the other language by chance; on the dev
# questions never by more than this, while an answer in the other language came closer by more, all but a few.
CLOSER_BY = 0.01


def closer_in_meaning(translated: Sequence[Passage], asked: Sequence[Passage]) -> bool:
    """Whether the best passage found for the translated question is closer in meaning to it, by ``CLOSER_BY``,
    than the best one found for the question as asked is to the question."""
    return bool(translated) and _closest(translated) > _closest(asked) + CLOSER_BY


def _closest(passages: Sequence[Passage]) -> float:
    return max((p.closeness for p in passages), default=0.0)
