"""Add articles from what people have: files (.txt, .md, .html, .pdf, .docx, feeds), folders of them, and links.

Each document becomes one article of the articles folder: its clean text as a UTF-8 file (what the index,
citations and viewer read), its metadata and original beside it (``catalog``), written by ``article_folder``.
The same article met again, in another form, is not added twice. A feed is followed: adding it again adds only
its new entries. One bad input is reported and the others are still added (``add_report``); nothing already in
the folder is lost.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from assistant.errors import BadInputError
from assistant.ingest.add_report import AddReport
from assistant.ingest.article_folder import ArticleFolder, OtherLanguage
from assistant.ingest.catalog import FollowedFeed, read_feeds, write_feeds
from assistant.ingest.documents import Document, Metadata
from assistant.ingest.fetch import Fetched, FetchLimits, fetch
from assistant.ingest.formats.detect import document_format
from assistant.ingest.formats.docx import extract_docx
from assistant.ingest.formats.feed import Feed, parse_feed
from assistant.ingest.formats.html import extract_html
from assistant.ingest.formats.pdf import extract_pdf
from assistant.ingest.loader import ARTICLE_SUFFIXES, article_title, decode_article

logger = logging.getLogger(__name__)

# The files a folder given to ``add`` is searched for.
ADDABLE_SUFFIXES = (*ARTICLE_SUFFIXES, ".html", ".htm", ".xhtml", ".pdf", ".docx", ".rss", ".atom", ".xml")
# A feed entry shorter than this is a summary: its page is fetched for the whole article.
_SUMMARY_CHARS = 600
_MOST_FEED_ENTRIES = 100_000
_ORIGINAL_SUFFIX = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}


@dataclass(frozen=True)
class AddLimits:
    """What one addition may cost: the fetch limits, the size of a file, the entries of a feed."""

    fetch: FetchLimits = field(default_factory=FetchLimits)
    max_file_bytes: int = 20_000_000
    max_article_bytes: int = 1_000_000
    max_feed_entries: int = 500
    max_pdf_pages: int = 2000


def is_link(item: str) -> bool:
    return urlsplit(item).scheme.lower() in {"http", "https"} or "://" in item


class ArticleAdder:
    """Adds documents to the articles folder ``folder``, one call of ``add`` at a time."""

    def __init__(self, folder: Path, limits: AddLimits, other_language: OtherLanguage | None = None) -> None:
        self.folder = folder
        self.limits = limits
        self.other_language = other_language
        self.report = AddReport()
        self._articles = ArticleFolder(folder, limits.max_article_bytes, other_language)

    def add(self, items: Sequence[str]) -> AddReport:
        """Add every file, folder and link of ``items``; a problem with one is reported, the others are added.

        Raises:
            BadInputError: nothing was given.
        """
        if not items:
            raise BadInputError("nothing to add; give files, folders or http(s) links")
        self.report = AddReport()
        for item in items:
            try:
                if is_link(item):
                    self._add_link(item)
                else:
                    self._add_path(Path(item).expanduser())
            except BadInputError as err:
                self.report.problems.append(str(err))
        return self.report

    def add_all_bytes(self, files: Sequence[tuple[str, bytes]]) -> AddReport:
        """Add documents held in memory, as (name, bytes) pairs; a problem with one is reported."""
        if not files:
            raise BadInputError("nothing to add; choose one or more files")
        self.report = AddReport()
        for name, data in files:
            try:
                self.add_bytes(data, name)
            except BadInputError as err:
                self.report.problems.append(str(err))
        return self.report

    def refresh_feeds(self) -> AddReport:
        """Add the new entries of every feed added before."""
        feeds = read_feeds(self.folder)
        if not feeds:
            raise BadInputError("no feed was added yet; add one with 'assistant add FEED_URL'")
        return self.add(sorted(feeds))

    # Inputs

    def _add_path(self, path: Path) -> None:
        if path.is_dir():
            files = sorted(p for p in _walk(path) if p.suffix.lower() in ADDABLE_SUFFIXES)
            if not files:
                raise BadInputError(f"{path}: no file to add in this folder (looked for {', '.join(ADDABLE_SUFFIXES)})")
            for file in files:
                try:
                    self._add_path(file)
                except BadInputError as err:
                    self.report.problems.append(str(err))
            return
        try:
            size = path.stat().st_size
            if size > self.limits.max_file_bytes:
                raise BadInputError(
                    f"{path.name}: {size / 1e6:.1f} MB is over the {self.limits.max_file_bytes / 1e6:.0f} MB limit "
                    "for a file to add (ASSISTANT_MAX_DOCUMENT_BYTES); split it or raise the limit"
                )
            data = path.read_bytes()
        except FileNotFoundError as err:
            raise BadInputError(f"{path}: no such file; check the path") from err
        except OSError as err:
            raise BadInputError(f"{path}: cannot be read ({err.strerror}); check the file") from err
        self.add_bytes(data, path.name, origin=str(path.resolve()))

    def _add_link(self, url: str) -> None:
        fetched = fetch(url, self.limits.fetch)
        self._add_fetched(fetched, url)

    def _add_fetched(self, fetched: Fetched, asked: str) -> None:
        name = urlsplit(fetched.url).path.rsplit("/", 1)[-1] or urlsplit(fetched.url).netloc
        kind = document_format(name, fetched.content_type, fetched.data)
        if kind == "feed":
            self._add_feed(fetched.data, asked, fetched.url)
            return
        document = self._extract(kind, fetched.data, fetched.url, url=fetched.url, charset=fetched.charset)
        self._articles.write(document, None, self.report)

    def add_bytes(self, data: bytes, name: str, origin: str = "") -> None:
        """Add a document held in memory (a file read, an upload named ``name``).

        Raises:
            BadInputError: it cannot be read as an article.
        """
        if len(data) > self.limits.max_file_bytes:
            raise BadInputError(
                f"{name}: {len(data) / 1e6:.1f} MB is over the {self.limits.max_file_bytes / 1e6:.0f} MB limit "
                "for a file to add (ASSISTANT_MAX_DOCUMENT_BYTES); split it or raise the limit"
            )
        kind = document_format(name, "", data)
        if kind == "feed":
            self._add_feed(data, origin or name, "")
            return
        document = self._extract(kind, data, name)
        document = replace(document, meta=replace(document.meta, origin=document.meta.origin or origin or name))
        original = (data, _ORIGINAL_SUFFIX[kind]) if kind in _ORIGINAL_SUFFIX else None
        self._articles.write(document, original, self.report)

    def _extract(self, kind: str, data: bytes, name: str, *, url: str = "", charset: str = "") -> Document:
        if kind == "html":
            return extract_html(data, name, url=url, charset=charset)
        if kind == "pdf":
            return extract_pdf(data, name, max_pages=self.limits.max_pdf_pages)
        if kind == "docx":
            return extract_docx(data, name)
        if kind == "text":
            text = decode_article(name, data)
            return Document(text, Metadata(title=article_title(text), url=url, origin=name, format="text"))
        raise BadInputError(f"{name}: this is an old Word .doc file; save it as .docx or PDF and add that")

    # Feeds

    def _add_feed(self, data: bytes, key: str, url: str) -> None:
        # Every entry is read (the download's size bounds them), the new ones added a slice at a time.
        feed: Feed = parse_feed(data, url or key, max_entries=_MOST_FEED_ENTRIES)
        feeds = read_feeds(self.folder)
        followed = feeds.setdefault(key, FollowedFeed(key, feed.title))
        seen = set(followed.seen)
        unseen = [e for e in feed.entries if e.entry_id not in seen]
        most = self.limits.max_feed_entries
        new = unseen[:most]
        if len(unseen) > most:
            self.report.notes.append(
                f"{feed.title or key}: the feed holds {len(feed.entries) + feed.skipped} entries, "
                f"{len(unseen)} of them new; the first {most} were read (ASSISTANT_FEED_MAX_ENTRIES); "
                "add the feed again for the next ones"
            )
        before = len(self.report.added)
        for entry in new:
            document = entry.document
            if len(document.text) < _SUMMARY_CHARS and entry.link and is_link(entry.link):
                document = self._entry_page(document, entry.link)
            try:
                self._articles.write(document, None, self.report)
            except BadInputError as err:
                self.report.problems.append(str(err))
            followed.seen.append(entry.entry_id)
        followed.title = feed.title or followed.title
        write_feeds(self.folder, feeds)
        if not new:
            self.report.notes.append(f"{feed.title or key}: no new entry")
        else:
            logger.info("%s: %d new entries, %d added", key, len(new), len(self.report.added) - before)

    def _entry_page(self, summary: Document, link: str) -> Document:
        """The whole article a feed entry links to, with the entry's metadata where the page has none; the
        entry itself when the page cannot be had."""
        try:
            fetched = fetch(link, self.limits.fetch)
            page = extract_html(fetched.data, link, url=fetched.url, charset=fetched.charset)
        except BadInputError as err:
            logger.info("feed entry %s: kept its summary (%s)", link, err)
            return summary
        meta = page.meta
        merged = replace(
            summary.meta,
            **{
                k: v for k, v in meta.as_dict().items() if k in {"author", "published"} and not getattr(summary.meta, k)
            },
        )
        return replace(page, meta=replace(merged, title=summary.meta.title or meta.title))


def _walk(folder: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        yield from (Path(root) / f for f in files if not f.startswith("."))
