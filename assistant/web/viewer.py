"""The article viewer of the side panel: an article of the folder as escaped text, a cited quote highlighted,
with its date, author, site and original."""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path

import gradio as gr

from assistant.api import Assistant
from assistant.ingest.catalog import original_of, read_metadata
from assistant.types import Citation, Lang
from assistant.web import render
from assistant.web.articles_tab import index_status
from assistant.web.wording import LABELS

logger = logging.getLogger(__name__)


class ArticleViewer:
    """Shows the articles of the ``Assistant``'s folder in the side panel, as HTML built from escaped text."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    @property
    def articles_dir(self) -> Path:
        return self.assistant.settings.seeds_dir

    def show_citation(self, citation: Citation, language: Lang) -> str:
        """The cited article, the quote highlighted: found again (and said so) when the article changed since
        it was indexed; a hint when the article is gone."""
        labels = LABELS[language]
        path = self.articles_dir / citation.source
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return render.hint_html(labels["missing"])
        span: tuple[int, int] | None = (citation.start, citation.end)
        note = ""
        if text[citation.start : citation.end] != citation.quote:
            found = text.find(citation.quote)
            span = (found, found + len(citation.quote)) if found >= 0 else None
            note = labels["changed"]
        about = self._about(citation.source, language)
        view = render.article_html(citation.title or citation.source, citation.source, text, span, note, about=about)
        return view.html

    def open_article(self, source: str, language: Lang) -> str:
        """An article of the list (``source``: its file name), nothing highlighted, under its indexed title.

        Raises:
            gr.Error: the article cannot be read.
        """
        name = Path(source).name
        try:
            text = (self.articles_dir / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise gr.Error(escape(f"{source} cannot be read; update the index"), print_exception=False) from err
        titles = index_status(self.assistant)
        title = titles.articles.get(source, source) if titles else source
        return render.article_html(title, source, text, about=self._about(name, language)).html

    def _about(self, name: str, language: Lang) -> str:
        """The HTML of an article's date, author, site and original, from what the folder keeps beside it."""
        original = original_of(self.articles_dir, name)
        return render.about_html(read_metadata(self.articles_dir, name), original.name if original else "", language)
