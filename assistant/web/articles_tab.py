"""The handlers of the Articles tab: the index status and the list of articles to open, index updates, and the
additions (uploads, links, feeds), each refused to a user whom the settings do not let upload."""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from typing import Any

import gradio as gr

from assistant.api import Assistant
from assistant.errors import AssistantError, IndexNotBuiltError
from assistant.types import IndexReport, IndexStatus, Lang
from assistant.web import render
from assistant.web.access import may_upload
from assistant.web.additions import ArticleAdditions, upload_refusal
from assistant.web.user_errors import user_error

logger = logging.getLogger(__name__)


class ArticlesTab:
    """The Articles tab's handlers, around the ``Assistant`` shared by every browser session; ``WebChat`` hands
    its events to them."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.additions = ArticleAdditions(assistant)

    def refresh_status(self, language: Lang) -> tuple[str, Any]:
        """The index status and the list of articles to open."""
        status = index_status(self.assistant)
        choices = sorted(((t or s, s) for s, t in status.articles.items()), key=lambda c: c[0]) if status else []
        return render.status_html(status, language), gr.Dropdown(choices=choices, value=None)

    def update_index(self, language: Lang, progress: gr.Progress) -> tuple[str, str, Any]:
        """Embed new and changed articles, drop removed ones; returns (report, status, article list)."""
        report = self._index(progress)
        return (report.summary(), *self.refresh_status(language))

    def upload(
        self, paths: list[str] | None, language: Lang, request: gr.Request | None, progress: gr.Progress
    ) -> tuple[str, str, Any, Any]:
        """Add uploaded articles, then index them; returns (report, status, list, files)."""
        self._check_may_add(request, language, "upload")
        try:
            lines = self.additions.upload(paths or [], language, _reporter(progress))
        except Exception as err:
            raise user_error(err) from err
        return "\n".join(lines), *self.refresh_status(language), None

    def add_link(
        self, link: str | None, language: Lang, request: gr.Request | None, progress: gr.Progress
    ) -> tuple[str, str, Any, Any]:
        """Add the web page or feed at ``link``, then index it; returns (report, status, list, link box): the box
        emptied when the link gave an article, kept to correct it otherwise."""
        self._check_may_add(request, language, "link")
        try:
            lines, done = self.additions.link(link, language, _reporter(progress))
        except Exception as err:
            raise user_error(err) from err
        return "\n".join(lines), *self.refresh_status(language), "" if done else gr.skip()

    def refresh_feeds(self, language: Lang, request: gr.Request | None, progress: gr.Progress) -> tuple[str, str, Any]:
        """Add the new entries of every feed added before, then index them; returns (report, status, list)."""
        self._check_may_add(request, language, "feed refresh")
        try:
            lines = self.additions.feeds(language, _reporter(progress))
        except Exception as err:
            raise user_error(err) from err
        return "\n".join(lines), *self.refresh_status(language)

    def _index(self, progress: gr.Progress) -> IndexReport:
        try:
            result = self.assistant.index(progress=_reporter(progress))
        except Exception as err:
            raise user_error(err) from err
        for message in result.skipped:
            gr.Warning(escape(message))
        return result

    def _check_may_add(self, request: gr.Request | None, language: Lang, what: str) -> None:
        """Refuse, whatever the page shows, an addition (``what``: upload, link...) by a user whom
        ``settings.uploads`` does not let upload."""
        settings = self.assistant.settings
        user = request.username if request is not None else None
        if not may_upload(settings, user):
            logger.warning("%s refused (ASSISTANT_UPLOADS=%s, user %r)", what, settings.uploads, user)
            raise gr.Error(escape(upload_refusal(settings, language)), print_exception=False)


def index_status(assistant: Assistant) -> IndexStatus | None:
    """The status of ``assistant``'s index; None when there is none yet, or when it cannot be read (said in a
    warning)."""
    try:
        return assistant.status()
    except IndexNotBuiltError:
        return None
    except AssistantError as err:
        gr.Warning(escape(str(err)))
        return None


def _reporter(progress: gr.Progress) -> Callable[[int, int, str], None]:
    """The indexing progress callback that moves Gradio's progress bar."""

    def report(done: int, total: int, article: str) -> None:
        progress((done, total), desc=article, unit="articles")

    return report
