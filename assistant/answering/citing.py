"""Citations of the quotes that support a statement: numbered once per span of an article, with the article's
date, site and link; and the quotes an article edited since indexing no longer holds, left out."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from assistant.answering.excerpts import Excerpts, Quote
from assistant.types import Citation, Passage

logger = logging.getLogger(__name__)

_LEADING_DASH = re.compile(r"^[\s\-\u2013\u2014\u2022]+")  # "- Un avion…" after a dateline
_NOTE = re.compile(r"\[[^\[\]]{0,30}\]")  # a footnote's mark, "[1]" or "[citation needed]": not an answer's citation


def cite(quotes: Sequence[Quote], blocks: Sequence[Passage], citations: list[Citation]) -> tuple[int, ...]:
    """The numbers of the citations of ``quotes`` (two neighbouring sentences make one quote), added to
    ``citations`` when they are new."""
    spans: list[tuple[Quote, int, int, str]] = []
    if len(quotes) == 2 and quotes[0].block == quotes[1].block and 0 <= quotes[1].start - quotes[0].end <= 3:
        block = blocks[quotes[0].block]
        start, end = quotes[0].start, quotes[1].end
        spans.append((quotes[0], start, end, block.text[start - block.start : end - block.start]))
    else:
        spans += [(q, q.start, q.end, q.text) for q in quotes]
    cited = []
    for quote, start, end, text in spans:
        known = next((c for c in citations if (c.source, c.start, c.end) == (quote.source, start, end)), None)
        if known is None:
            known = build_citation(len(citations) + 1, quote, (start, end, text), blocks)
            citations.append(known)
        cited.append(known.number)
    return tuple(cited)


def not_cited_yet(quotes: Sequence[Quote], citations: Sequence[Citation]) -> list[Quote]:
    """The quotes that no citation holds yet."""
    return [
        q for q in quotes if not any(c.source == q.source and c.start <= q.start and q.end <= c.end for c in citations)
    ]


def in_article_words(quotes: Sequence[Quote]) -> str:
    """The quotes' sentences as their article writes them, one after the other (a dateline's dash and footnote
    marks left out)."""
    return " ".join(_NOTE.sub("", _LEADING_DASH.sub("", q.text)) for q in quotes)


def build_citation(number: int, quote: Quote, span: tuple[int, int, str], blocks: Sequence[Passage]) -> Citation:
    """A citation of ``span`` (start, end, text of the quote's article), with its article's date, site and link."""
    block = blocks[quote.block] if quote.block < len(blocks) else None
    described = (block.published, block.site, block.url) if block else ("", "", "")
    return Citation(number, quote.source, span[2], span[0], span[1], quote.title, *described)


def drop_changed_quotes(excerpts: Excerpts, seeds_dir: Path) -> Excerpts:
    """The excerpts without the quotes whose text is no longer their article's at their offsets.

    An article edited since it was indexed would make the offsets wrong: its sentences cannot be quoted
    until 'assistant index' runs. An article that is not in the folder (an index shared through a Chroma
    server) is trusted as indexed.
    """
    texts: dict[str, str | None] = {}
    kept = []
    for q in excerpts.quotes:
        if q.source not in texts:
            path = seeds_dir / q.source
            texts[q.source] = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        article = texts[q.source]
        if article is not None and article[q.start : q.end] != q.text:
            logger.warning("%s changed since it was indexed; run 'assistant index'", q.source)
            continue
        kept.append(q)
    return Excerpts(excerpts.blocks, kept)
