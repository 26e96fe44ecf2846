"""Read an RSS or Atom feed: one article for each entry, its text from the entry's content or summary."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import feedparser  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]
from lxml import etree

from assistant.errors import BadInputError
from assistant.ingest.documents import Document, Metadata

logger = logging.getLogger(__name__)

_SNIFF_BYTES = 2048
_ATOM_NAMESPACE = "http://www.w3.org/2005/atom"
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FIRST_TAG = re.compile(r"<([A-Za-z][\w:.-]*)")
_FEED_ROOTS = ("rss", "rdf:rdf", "feed")
_HTML_START = re.compile(r"\s*(?:<!doctype\s+html|<html)", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TITLE_CUT = 100
# Elements whose text is not part of what a reader reads.
_DROPPED = frozenset(
    ("script", "style", "noscript", "template", "head", "iframe", "object", "embed", "svg", "canvas", "button")
)
# Elements that start a new paragraph: what a browser shows as a block, and line breaks.
_BLOCKS = frozenset(
    (
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "dialog", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hgroup", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
        "tbody", "tfoot", "thead", "tr", "ul",
    )
)  # fmt: skip
_CELLS = frozenset(("td", "th"))


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, as an article.

    ``entry_id`` is what tells a new entry from one already read: its id, else its link, else a hash of its
    title and date.
    """

    entry_id: str
    link: str
    document: Document

    @property
    def has_body(self) -> bool:
        """Whether the entry brought text besides its title; when not, its page may be worth fetching."""
        return bool(self.document.text.partition("\n\n")[2].strip())


@dataclass(frozen=True)
class Feed:
    """A feed's title, its site's address, its entries and how many entries were left out past the limit."""

    title: str
    site: str
    entries: list[FeedEntry]
    skipped: int = 0


def looks_like_feed(data: bytes) -> bool:
    """Whether the document starts like an RSS (0.9x, 1.0, 2.0) or Atom feed: its first element."""
    head = _decode_head(data[:_SNIFF_BYTES])
    match = _FIRST_TAG.search(_COMMENT.sub("", head))
    if match is None:
        return False
    root = match[1].lower()
    if root == "feed":
        return _ATOM_NAMESPACE in head.lower()
    return root in _FEED_ROOTS


def parse_feed(data: bytes, url: str, max_entries: int = 500) -> Feed:
    """Read an RSS or Atom feed's entries as articles.

    Args:
        data: The feed's bytes.
        url: The feed's address, used in messages, as each article's origin and to resolve relative links.
        max_entries: Entries past this many (feeds list the newest first) are left out and counted.

    Returns:
        The feed; each entry's document holds the entry's title, then its content (or else its summary)
        turned from HTML into paragraphs. An entry without either is kept with its title alone
        (``has_body`` is false).

    Raises:
        BadInputError: The data is not an RSS or Atom feed.
    """
    if _HTML_START.match(_decode_head(data[:_SNIFF_BYTES])) and not looks_like_feed(data):
        raise BadInputError(
            f"{url}: not an RSS or Atom feed but a web page; add it as a page link, or use the address of the "
            "feed the site offers (often ending in /feed, /rss or .xml)"
        )
    # A BytesIO, not bytes: feedparser reads a file or fetches a URL when given a string that names one.
    parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-location": url})
    if not parsed.get("entries") and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception")
        logger.info("%s: not a feed: %s", url, reason)
        raise BadInputError(
            f"{url}: not an RSS or Atom feed; check the address (a site's feed often ends in /feed, /rss or .xml)"
        )
    channel = parsed.feed
    site = str(channel.get("link") or "")
    feed_title = _text_of(channel.get("title_detail"), str(channel.get("title") or "")) or urlparse(url).netloc
    entries = [_entry(raw, url, feed_title) for raw in parsed.entries[:max_entries]]
    skipped = max(len(parsed.entries) - max_entries, 0)
    logger.debug("%s: %d entries, %d skipped", url, len(entries), skipped)
    return Feed(title=feed_title, site=site, entries=entries, skipped=skipped)


def html_to_paragraphs(html: str) -> list[str]:
    """The text of an HTML fragment as paragraphs: a break at each block element, scripts and styles left out,
    whitespace collapsed."""
    if not html.strip():
        return []
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
    except (etree.LxmlError, ValueError) as error:
        logger.info("unreadable HTML, kept as text: %s", error)
        return [text] if (text := " ".join(html.split())) else []
    paragraphs: list[str] = []
    pieces: list[str] = []

    def end_paragraph() -> None:
        text = " ".join("".join(pieces).split())
        if text:
            paragraphs.append(text)
        pieces.clear()

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _DROPPED:
                walker.skip_subtree()
                continue
            if tag in _BLOCKS:
                end_paragraph()
            elif tag in _CELLS:
                pieces.append(" ")
            pieces.append(element.text or "")
        else:
            if tag in _BLOCKS:
                end_paragraph()
            pieces.append(element.tail or "")
    end_paragraph()
    return paragraphs


def _entry(raw: Any, feed_url: str, feed_title: str) -> FeedEntry:
    """One entry as an article."""
    link = str(raw.get("link") or "")
    published = _iso_date(raw.get("published_parsed") or raw.get("updated_parsed"))
    body = _body(raw)
    title = _text_of(raw.get("title_detail"), str(raw.get("title") or ""))
    if not title:
        title = _cut(body[0]) if body else (link or f"{feed_title} {published}".strip())
    while body and body[0] == title:
        body = body[1:]
    entry_id = str(raw.get("id") or "") or link or _hash(title, published)
    meta = Metadata(
        title=title,
        published=published,
        author=_author(raw),
        site=feed_title,
        url=link,
        origin=feed_url,
        entry_id=entry_id,
        format="feed",
    )
    return FeedEntry(entry_id=entry_id, link=link, document=Document(text="\n\n".join([title, *body]), meta=meta))


def _body(raw: Any) -> list[str]:
    """The paragraphs of an entry's fullest content, else of its summary."""
    contents = [item for item in raw.get("content") or [] if str(item.get("value") or "").strip()]
    if contents:
        fullest = max(contents, key=lambda item: len(str(item.get("value"))))
        return _paragraphs(str(fullest.get("value")), str(fullest.get("type") or ""))
    summary = raw.get("summary_detail")
    if summary is not None:
        return _paragraphs(str(summary.get("value") or ""), str(summary.get("type") or ""))
    return _paragraphs(str(raw.get("summary") or ""), "text/html")


def _paragraphs(value: str, content_type: str) -> list[str]:
    """Paragraphs of HTML, or of plain text (one a line)."""
    if content_type in _HTML_TYPES or not content_type:
        return html_to_paragraphs(value)
    return [text for line in value.splitlines() if (text := _one_line(line))]


def _text_of(detail: Any, fallback: str) -> str:
    """A title as one line of plain text, HTML or not."""
    value = str(detail.get("value") or "") if detail is not None else fallback
    content_type = str(detail.get("type") or "") if detail is not None else ""
    if content_type in _HTML_TYPES:
        return " ".join(html_to_paragraphs(value))
    return _one_line(value)


def _author(raw: Any) -> str:
    """The entry's author's name, without the e-mail address RSS puts with it."""
    detail = raw.get("author_detail")
    name = detail.get("name") if detail is not None else None
    return _one_line(str(name or raw.get("author") or ""))


def _iso_date(parsed: time.struct_time | None) -> str:
    if parsed is None:
        return ""
    return f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"


def _hash(title: str, published: str) -> str:
    return hashlib.sha256(f"{title}\n{published}".encode()).hexdigest()[:32]


def _cut(text: str) -> str:
    return text if len(text) <= _TITLE_CUT else f"{text[:_TITLE_CUT].rsplit(' ', 1)[0]}…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _decode_head(head: bytes) -> str:
    """The start of a document as text, UTF-16 included, well enough to sniff its first tags."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8", errors="ignore")
