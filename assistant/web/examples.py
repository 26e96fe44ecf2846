"""The example questions under the chat, drawn from the titles of the articles that are loaded."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from assistant.answering.language import detect_language
from assistant.types import Lang

logger = logging.getLogger(__name__)

EXAMPLE_COUNT = 4
TITLE_MAX_CHARS = 80
_QUESTIONS: dict[Lang, str] = {
    "fr": "Que disent les articles sur « {title} » ?",
    "en": "What do the articles say about “{title}”?",
}
_TRAILING = " ,;:-–—"  # left at the end of a shortened title, before the ellipsis


def example_questions(articles: Mapping[str, str], count: int = EXAMPLE_COUNT) -> list[str]:
    """Up to ``count`` questions about articles spread over the collection, each in its title's language.

    The titled articles, sorted by file name and without repeated titles, are cut into ``count`` even slices
    and the first article of each is asked about, so that a large collection shows articles far apart.

    Args:
        articles: file name -> title, as in ``IndexStatus.articles``; empty titles are skipped.
        count: how many questions at most.

    Returns:
        The questions, in the order of the file names; none for an empty collection.
    """
    titled: list[str] = []
    seen: set[str] = set()
    for _, title in sorted(articles.items()):
        shown = shorten_title(title)
        if shown and shown.casefold() not in seen:
            seen.add(shown.casefold())
            titled.append(shown)
    if not titled or count <= 0:
        return []
    shown_count = min(count, len(titled))
    picked = [titled[i * len(titled) // shown_count] for i in range(shown_count)]
    # A title too short to tell ("Technologie", a name) takes the language of the titles together.
    collection: Lang = detect_language(" · ".join(picked))
    return [question_about(title, detect_language(title, fallback=collection)) for title in picked]


def question_about(title: str, language: Lang) -> str:
    """The example question about an article called ``title``, in ``language``."""
    return _QUESTIONS[language].format(title=title)


def shorten_title(title: str, limit: int = TITLE_MAX_CHARS) -> str:
    """``title`` on one line; over ``limit`` characters, cut at a word boundary and ended with "…"."""
    flat = " ".join(title.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    # Cut before the word that does not fit; inside it only when it is very long (a URL), not to keep too little.
    if flat[limit - 1] != " " and space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(_TRAILING) + "…"
