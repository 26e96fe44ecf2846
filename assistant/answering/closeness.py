"""Which of two searches to read: the one whose best passage comes clearly closer in meaning to its query.

Two questions are decided so. A question searched in both of the articles' languages (as asked, and translated
into the other one): the embedding model finds an article in the other language than the question's, but less
readily than one in its own, so a passage in the question's language that is only near the subject often ranks
above the French passage that answers an English question; searched again translated, that passage comes first.
And a question asked in a conversation (as asked, and with the turn before it, ``follow_ups``): "Where did he
die?" finds passages about deaths, while with the turn before it finds the article it is about. A query finds the
passages that answer it closer than a rough translation, or a question padded with an unrelated turn, finds
theirs, unless the answer is only found that other way (measured on the dev questions: docs/design.md,
"Searching in both languages" and "Follow-ups and conversations").
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.types import Passage

# How much closer (cosine) the other search's best passage must come. A rough translation of a question asked in
# its article's language sometimes comes a little closer to a passage of the other language by chance; on the dev
# questions never by more than this, while an answer in the other language came closer by more, all but a few.
CLOSER_BY = 0.01


def closer_in_meaning(other: Sequence[Passage], asked: Sequence[Passage]) -> bool:
    """Whether the best passage found by the other search (the question translated, or read with the turn before
    it) is closer in meaning to its query, by ``CLOSER_BY``, than the best one found for the question as asked is
    to the question."""
    return bool(other) and _closest(other) > _closest(asked) + CLOSER_BY


def _closest(passages: Sequence[Passage]) -> float:
    return max((p.closeness for p in passages), default=0.0)
