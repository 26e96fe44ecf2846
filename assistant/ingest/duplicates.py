"""The same article in two forms (a web page, its PDF, a feed entry's summary): told by the runs of words they share."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from assistant.ingest.terms import fold

_WORD = re.compile(r"\w+")
_RUN = 6  # words in a run: long enough that two different articles rarely share one
# Share of the shorter text's runs found in the longer: above it the two are one article. A feed's summary
# is mostly sentences of its article; two reports of the same event share a few quotes, not most of their runs.
SAME_ARTICLE = 0.6
_MIN_RUNS = 8


def word_runs(text: str) -> frozenset[int]:
    """Hashes of every run of ``_RUN`` consecutive words, case and accents folded."""
    words = _WORD.findall(fold(text))
    return frozenset(
        int.from_bytes(hashlib.blake2b(" ".join(words[i : i + _RUN]).encode(), digest_size=8).digest(), "big")
        for i in range(max(0, len(words) - _RUN + 1))
    )


def same_link(a: str, b: str) -> bool:
    """Whether two links name the same page (scheme, ``www.``, a trailing slash and the fragment aside)."""
    return bool(a and b) and _link_key(a) == _link_key(b)


def _link_key(url: str) -> str:
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return urlunsplit(("", host, parts.path.rstrip("/"), parts.query, ""))


def find_same_article(runs: frozenset[int], known: Mapping[str, frozenset[int]]) -> str | None:
    """The name of a known article that is the same as the text whose runs are ``runs``, if any."""
    best, best_share = None, SAME_ARTICLE
    for name, other in known.items():
        shorter = min(len(runs), len(other))
        if shorter < _MIN_RUNS:
            continue
        share = len(runs & other) / shorter
        if share >= best_share:
            best, best_share = name, share
    return best
