"""What the articles panel adds (uploads, links, feeds), reported in the page's language; and who may add."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import gradio as gr

from assistant.api import Assistant
from assistant.config import Settings
from assistant.errors import AssistantError, BadInputError
from assistant.ingest.catalog import read_feeds
from assistant.ingest.loader import ARTICLE_SUFFIXES
from assistant.ingest.writing import Progress
from assistant.types import IndexReport, Lang
from assistant.uploads import SavedArticle, read_upload, save_article
from assistant.web.access import signin_configured

if TYPE_CHECKING:
    from assistant.ingest.add_report import AddReport

logger = logging.getLogger(__name__)

# Extracted by ``Assistant.add_uploads``; .txt and .md uploads are saved as they are (``uploads.save_article``).
DOCUMENT_SUFFIXES = (".html", ".htm", ".pdf", ".docx", ".xml", ".rss", ".atom")
UPLOAD_SUFFIXES = (*ARTICLE_SUFFIXES, *DOCUMENT_SUFFIXES)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class ArticleAdditions:
    """Adds articles to the assistant's folder from the page, then indexes them; each addition returns the lines
    of its report (+ added, = already there, ✗ not added, · note) and shows each problem as a warning.

    Raises (every method): AssistantError when the folder, the index or the model cannot be used.
    """

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def upload(self, paths: Sequence[str], language: Lang, progress: Progress) -> list[str]:
        """Add uploaded files: a .txt or .md one is saved as it is; a page, PDF, Word file or feed is extracted
        into an article with its date, site and author (``Assistant.add_uploads``)."""
        folder = self.assistant.settings.seeds_dir
        limit = self.assistant.settings.max_upload_bytes
        lines: list[str] = []
        saved: list[SavedArticle] = []
        documents: list[tuple[str, bytes]] = []
        for name in paths:
            path = Path(name)
            try:
                data = read_upload(path, limit)
                if is_document(path.name):
                    documents.append((path.name, data))
                else:
                    saved.append(save_article(data, path.name, folder, limit))
            except AssistantError as err:
                gr.Warning(escape(str(err)))
                lines.append(f"✗ {err}")
        lines += saved_lines(saved, language)
        indexed: IndexReport | None = None
        if documents:
            report, indexed = self.assistant.add_uploads(documents, progress=progress, searchable=_told(language))
            lines += _reported(report, None, language)
        if saved and indexed is None:  # add_uploads indexed the saved articles too when it added something
            indexed = self.assistant.index(progress=progress, searchable=_told(language))
        return [*lines, *_reported(None, indexed, language)]

    def link(self, text: str | None, language: Lang, progress: Progress) -> tuple[list[str], bool]:
        """Add the web page or feed at the link typed; also whether it gave an article (added or already there).

        The link may reach loopback and private addresses only when ``settings.fetch_private`` is set.

        Raises:
            BadInputError: what was typed is not an http(s) link (see ``web_link``).
        """
        url = web_link(text, language)
        private = self.assistant.settings.fetch_private
        report, indexed = self.assistant.add(
            [url], allow_private=private, progress=progress, searchable=_told(language)
        )
        return _reported(report, indexed, language), bool(report.added or report.already)

    def feeds(self, language: Lang, progress: Progress) -> list[str]:
        """Add the new entries of every feed added before.

        Raises:
            BadInputError: no feed was added yet.
        """
        if not read_feeds(self.assistant.settings.seeds_dir):
            raise BadInputError(no_feed_yet(language))
        private = self.assistant.settings.fetch_private
        report, indexed = self.assistant.refresh_feeds(
            allow_private=private, progress=progress, searchable=_told(language)
        )
        return _reported(report, indexed, language)


def _reported(report: AddReport | None, indexed: IndexReport | None, language: Lang) -> list[str]:
    """The lines of an addition and of the index update it made, if any; the problems and the articles the index
    skipped shown as warnings too."""
    lines: list[str] = []
    if report is not None:
        _warn(report.problems)
        lines += added_lines(report, language)
    if indexed is not None:
        _warn(indexed.skipped)
        lines.append(indexed.summary())
    return lines


def _told(language: Lang) -> Callable[[], None]:
    """Says, as soon as the update serves the new articles by their words, that they can be asked about."""

    def searchable() -> None:
        gr.Info(
            said(
                language,
                "The new articles can be asked about now; their passages are being indexed by meaning.",
                "On peut déjà poser des questions sur les nouveaux articles ; leurs passages sont en cours "
                "d'indexation par le sens.",
            )
        )

    return searchable


def _warn(messages: Sequence[str]) -> None:
    for message in messages:
        gr.Warning(escape(message))


def said(language: Lang, english: str, french: str) -> str:
    return french if language == "fr" else english


def is_document(name: str) -> bool:
    """Whether an upload called ``name`` is a document to extract (a page, a PDF, a Word file, a feed) rather
    than a plain-text article."""
    return name.lower().endswith(DOCUMENT_SUFFIXES)


def web_link(text: str | None, language: Lang) -> str:
    """The http(s) link typed in the link box (``https://`` added when it has no scheme).

    Only links: whatever else is typed is refused, so that nobody adds the server's own files through the page.

    Raises:
        BadInputError: the box is empty, or holds something other than an http(s) link.
    """
    link = (text or "").strip()
    if not link:
        raise BadInputError(
            said(
                language,
                "The link box is empty: paste the link of a web page or a feed (https://…).",
                "Le champ du lien est vide : collez le lien d’une page web ou d’un flux (https://…).",
            )
        )
    if not _SCHEME.match(link) and not link.startswith(("/", "\\", ".")):
        link = f"https://{link}"
    parts = urlsplit(link)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in link):
        raise BadInputError(
            said(
                language,
                f"{link[:200]!r} is not a web link: give an http:// or https:// link to a page or a feed.",
                f"{link[:200]!r} n’est pas un lien web : donnez un lien http:// ou https:// vers une page ou un flux.",
            )
        )
    return link


def saved_lines(saved: Sequence[SavedArticle], language: Lang) -> list[str]:
    """The report of plain-text uploads: + saved, = already there."""
    lines: list[str] = []
    for article in saved:
        if not article.created:
            lines.append(f"= {article.name}: {said(language, 'already there', 'déjà présent')}")
        elif article.renamed_from:
            other = said(
                language, "another article has that name; saved as", "un autre article a ce nom ; enregistré sous"
            )
            lines.append(f"+ {article.renamed_from}: {other} {article.name} — {article.title}")
        else:
            lines.append(f"+ {article.name} — {article.title}")
    return lines


def added_lines(report: AddReport, language: Lang) -> list[str]:
    """The report of an addition in the style of the uploads: + added, = already there, ✗ not added, · note."""
    fuller = said(language, " (a fuller version)", " (une version plus complète)")
    lines = [f"+ {a.name} — {a.title}{fuller if a.replaced else ''}" for a in report.added]
    lines += [f"= {message}" for message in report.already]
    lines += [f"✗ {message}" for message in report.problems]
    lines += [f"· {message}" for message in report.notes]
    return lines


def no_feed_yet(language: Lang) -> str:
    return said(
        language,
        "No feed was added yet: paste the link of an RSS or Atom feed in the link box first.",
        "Aucun flux n’a encore été ajouté : collez d’abord le lien d’un flux RSS ou Atom dans le champ du lien.",
    )


def upload_refusal(settings: Settings, language: Lang) -> str:
    """Why this user may not add articles (uploads, links, feeds), per ``settings.uploads``."""
    if settings.uploads == "off":
        return said(
            language,
            "Uploads are turned off on this server: ask whoever runs it to add the articles.",
            "Les envois sont désactivés sur ce serveur : demandez à qui le gère d’ajouter les articles.",
        )
    if not signin_configured(settings):
        return said(
            language,
            "Only signed-in users may upload articles, and this server has no sign-in.",
            "Seuls les utilisateurs connectés peuvent envoyer des articles, et ce serveur n’a pas de connexion.",
        )
    return said(language, "Sign in to upload articles.", "Connectez-vous pour envoyer des articles.")
