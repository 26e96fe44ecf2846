"""Writing added documents into the articles folder: each as one article, its metadata and original beside it.

The same article met again, in another form or under the same link, is not written twice; a fuller version
of it (a feed entry's page after its summary) takes its place. Nothing already in the folder is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from assistant.errors import BadInputError
from assistant.ingest.add_report import AddedArticle, AddReport
from assistant.ingest.catalog import article_file_name, keep_original, write_atomic, write_metadata, write_new
from assistant.ingest.documents import Document
from assistant.ingest.duplicates import find_same_article, same_link, word_runs
from assistant.ingest.loader import article_title, load_articles

logger = logging.getLogger(__name__)

# The language a text is in, when it is neither French nor English ("German"); None otherwise.
OtherLanguage = Callable[[str], str | None]


class ArticleFolder:
    """The articles folder ``folder`` as additions write into it: what it holds is read once, then kept up to
    date with what is written."""

    def __init__(self, folder: Path, max_article_bytes: int, other_language: OtherLanguage | None = None) -> None:
        self.folder = folder
        self.max_article_bytes = max_article_bytes
        self.other_language = other_language
        self._runs: dict[str, frozenset[int]] = {}
        self._links: dict[str, str] = {}
        self._loaded = False

    def _known(self) -> None:
        """The runs of words and links of the articles already in the folder, read once per adder."""
        if self._loaded or not self.folder.is_dir():
            return
        loaded = load_articles(self.folder)
        self._runs = {article.source: word_runs(article.text) for article in loaded.articles}
        self._links = {name: meta.url for name, meta in loaded.meta.items() if meta.url}
        self._loaded = True

    def write(self, document: Document, original: tuple[bytes, str] | None, report: AddReport) -> None:
        """Write the document as an article, unless the folder holds it already (then only a fuller version
        replaces it); what was done goes into ``report``.

        Raises:
            BadInputError: the text is too long, in another language, or cannot be written.
        """
        text = document.text
        label = document.meta.url or document.meta.origin or document.meta.title
        if len(text.encode("utf-8")) > self.max_article_bytes:
            raise BadInputError(
                f"{label}: its text is over the {self.max_article_bytes / 1e6:.1f} MB limit for one article "
                "(ASSISTANT_MAX_ARTICLE_BYTES); split it or raise the limit"
            )
        if self.other_language is not None and (language := self.other_language(text)):
            raise BadInputError(
                f"{label}: the article is in {language}; the assistant reads French and English articles only"
            )
        report.notes.extend(f"{label}: {note}" for note in document.notes)
        self._known()
        runs = word_runs(text)
        same = next((n for n, url in self._links.items() if same_link(url, document.meta.url)), None)
        same = same or find_same_article(runs, self._runs)
        if same is not None:
            if len(runs) <= len(self._runs.get(same, frozenset())) * 1.2:
                report.already.append(f"{label} is the same article as {same}")
                return
            self._write(same, document, original, runs, report=report, replacing=True)
            return
        given = document.meta.origin if document.meta.format == "text" and not document.meta.url else ""
        name = article_file_name(document.meta, set(self._runs) | _names_in(self.folder), Path(given).name)
        self._write(name, document, original, runs, report=report, replacing=False)

    def _write(
        self,
        name: str,
        document: Document,
        original: tuple[bytes, str] | None,
        runs: frozenset[int],
        *,
        report: AddReport,
        replacing: bool,
    ) -> None:
        # The metadata and the original first, then the article: a reader of the folder never sees an article
        # without them, and an interrupted addition leaves at most hidden files behind.
        meta = document.meta
        data = document.text.encode("utf-8")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            while True:
                if original is not None:
                    keep_original(self.folder, name, *original)
                write_metadata(self.folder, name, meta)
                if replacing:
                    write_atomic(self.folder / name, data)
                    break
                if write_new(self.folder / name, data):
                    break
                # Another addition took the name meanwhile: the next free one.
                name = article_file_name(meta, set(self._runs) | _names_in(self.folder), name)
        except OSError as err:
            raise BadInputError(
                f"cannot write {name} into {str(self.folder)!r} ({err.strerror}); check the folder"
            ) from err
        self._runs[name] = runs
        if meta.url:
            self._links[name] = meta.url
        title = meta.title or article_title(document.text)
        report.added.append(AddedArticle(name, title, meta, replaced=replacing))
        logger.info("added %s (%s)", name, meta.url or meta.origin)


def _names_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()
