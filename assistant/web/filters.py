"""Limiting a question to some articles from the page: the dates typed and the sources chosen."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from assistant.search.filters import ArticleFilter, parse_day

logger = logging.getLogger(__name__)

Choice = tuple[str, str]  # (shown, value) of a Dropdown


def question_filter(since: str | None, until: str | None, sources: Sequence[str] | None) -> ArticleFilter | None:
    """The articles a question is limited to; None when no date is typed and no source chosen.

    Raises:
        BadInputError: a date is not ``YYYY-MM-DD``, or the range is empty (its message says which).
    """
    limit = ArticleFilter(
        since=parse_day(since or "", "the “From” date"),
        until=parse_day(until or "", "the “To” date"),
        sources=tuple(s for s in sources or () if s.strip()),
    )
    return limit if limit.active else None


def source_choices(articles: Mapping[str, tuple[str, str]]) -> list[Choice]:
    """The sources a question may be limited to: every site, then every article by its title.

    Args:
        articles: file name -> (title, site), as the index holds them.

    Returns:
        (shown, value) pairs: a site's value is its name, an article's its file name (what ``ArticleFilter``
        accepts); the sites sorted, then the articles by title.
    """
    sites = sorted({site.strip() for _, site in articles.values() if site.strip()}, key=str.casefold)
    titled = sorted(((title or name, name) for name, (title, _) in articles.items()), key=lambda c: c[0].casefold())
    site_names = {s.casefold() for s in sites}
    # An article whose title is a site's name would look like that site in the list: its file name tells it.
    shown = [(f"{title} ({name})" if title.casefold() in site_names else title, name) for title, name in titled]
    return [*((site, site) for site in sites), *shown]
