"""Limiting a search to some articles: a date range, some sites or article files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from assistant.errors import BadInputError
from assistant.ingest.index_state import ArticleRecord


def parse_day(text: str, what: str) -> date | None:
    """A ``YYYY-MM-DD`` date typed by a user (None when blank).

    Raises:
        BadInputError: the text is not such a date.
    """
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise BadInputError(f"{what} {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-06-12") from err


@dataclass(frozen=True)
class ArticleFilter:
    """Which articles a question is answered from: published between ``since`` and ``until`` (inclusive; an
    article without a date is then left out), from one of ``sources`` (a site's name, as the citations show
    it, or an article's file name; any when empty)."""

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise BadInputError(f"the date range {self.since} to {self.until} is empty; put the earlier date first")

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.sources)

    def accepts(self, source: str, record: ArticleRecord) -> bool:
        if self.sources:
            wanted = {s.strip().casefold() for s in self.sources}
            if source.casefold() not in wanted and record.site.casefold() not in wanted:
                return False
        if self.since or self.until:
            try:
                published = date.fromisoformat(record.published[:10])
            except ValueError:
                return False
            if (self.since and published < self.since) or (self.until and published > self.until):
                return False
        return True

    def describe(self) -> str:
        parts = []
        if self.since or self.until:
            parts.append(f"published {self.since or '…'} to {self.until or '…'}")
        if self.sources:
            parts.append("from " + ", ".join(self.sources))
        return " and ".join(parts)
