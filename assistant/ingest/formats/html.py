"""Read a web page as an article: its main text without menus, ads or banners, and its title, date, author and site.

trafilatura finds the article (fast mode, favouring recall) and its metadata. Three general rules then trim what
it keeps that is not the article body: a first block that repeats the page's title, headings before the first
paragraph (kickers, headline variants), and short blocks (links to other stories, "Follow us", "Comments") that
neither readability nor jusText, two other extractors run on the same page, also found. Measured on the
Scrapinghub article-extraction benchmark by benchmarks/extraction_bench.py (docs/extraction-experiments.md).
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from copy import deepcopy
from pathlib import PurePosixPath
from typing import Any

from trafilatura import bare_extraction, load_html
from trafilatura.external import try_justext, try_readability
from trafilatura.settings import Document as PageDocument

from assistant.errors import BadInputError
from assistant.ingest.documents import Document, Metadata

logger = logging.getLogger(__name__)

Block = tuple[str, str]  # kind (p, head, item, row, quote...) and text
Opinion = Callable[[], str]  # another extractor's text for the page, computed when called

# trafilatura's fast mode (no internal fallbacks) favouring recall, without reader comments: the best reading of
# the benchmark's pages once the rules below trim it (docs/extraction-experiments.md).
TRAFILATURA_OPTIONS: dict[str, Any] = {"fast": True, "favor_recall": True, "include_comments": False}
MIN_BODY_CHARS = 200
# A block of fewer words than this is kept only when readability or jusText found it too.
CONFIRM_BELOW_WORDS = 20
# With fewer words than this from the other extractors, they failed on the page: nothing is dropped on their word.
MIN_CONFIRMING_WORDS = 50

_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# What browsers decode these labels as (the WHATWG encoding standard): windows-1252 is a superset.
_AS_WINDOWS_1252 = {"iso8859-1", "ascii", "cp1252"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORD = re.compile(r"\w+")


def extract_html(data: bytes, name: str, url: str = "", charset: str = "") -> Document:
    """The article of a web page: its title, then its body, one paragraph a block; and its metadata.

    Args:
        data: the page as it was saved or fetched.
        name: the file or link it came from (``meta.origin``, and the title when the page has none).
        url: the page's address, when known (else its canonical URL, if it declares one).
        charset: the encoding the server declared, if any (see ``decode_page``).

    Returns:
        The document: ``text`` is the title, a blank line, then the body's paragraphs separated by blank lines.

    Raises:
        BadInputError: the page has no article text (only menus, a login wall, a JavaScript application).
    """
    html, lossy = decode_page(data, charset)
    no_text = BadInputError(
        f"{name}: no article text found on this page (only menus or scripts?); "
        "save the article's text as a .txt file instead"
    )
    tree = load_html(html) if html.strip() else None
    page = read_page(tree, url) if tree is not None else None
    if page is None or page.body is None:
        raise no_text
    site = clean(page.sitename or page.hostname or "")
    title = without_site_name(clean(page.title or ""), site)
    blocks = list(page_blocks(page.body))
    body = article_blocks(blocks, title, second_opinions(tree))
    if len(" ".join(body)) < MIN_BODY_CHARS:
        raise no_text
    heading = next((text for kind, text in blocks if kind == "head"), "")
    title = title or heading or PurePosixPath(name.rstrip("/")).stem or name
    meta = Metadata(
        title=title,
        published=page.date if page.date and _ISO_DATE.fullmatch(page.date) else "",
        author=clean(page.author or ""),
        site=site,
        url=url or page.url or "",
        origin=name,
        format="html",
    )
    notes = ("some characters of this page could not be decoded and were replaced",) if lossy else ()
    logger.debug("%s: %d paragraphs, %d characters", name, len(body), sum(map(len, body)))
    return Document(text="\n\n".join([title, *body]), meta=meta, notes=notes)


def decode_page(data: bytes, charset: str = "") -> tuple[str, bool]:
    """The page's text, and whether some bytes had to be replaced.

    A byte-order mark decides; then bytes that are valid UTF-8 are read as UTF-8, whatever a header or a meta tag
    says (pages are often re-saved as UTF-8 with their old tag, and text in another 8-bit charset is practically
    never valid UTF-8); otherwise the declared ``charset``, then the page's meta tag, then windows-1252.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), False
    declared = _codec(charset)
    # UTF-16 text in the ASCII range is also valid UTF-8 (with NUL bytes): a declared UTF-16/32 goes first.
    labels = [declared, "utf-8"] if declared.startswith(("utf-16", "utf-32")) else ["utf-8", declared]
    for codec in (*labels, _codec(declared_charset(data))):
        if codec:
            try:
                return data.decode(codec), False
            except UnicodeDecodeError:
                continue
    text = data.decode("windows-1252", errors="replace")
    return text, "\ufffd" in text


def declared_charset(data: bytes) -> str:
    """The charset a ``<meta charset>`` or ``<meta http-equiv content-type>`` tag declares near the top, or ""."""
    found = _META_CHARSET.search(data[:_SNIFF_BYTES])
    return found.group(1).decode("ascii") if found else ""


def _codec(label: str) -> str:
    try:
        name = codecs.lookup(label.strip()).name if label.strip() else ""
    except LookupError:
        logger.debug("unknown charset %r", label)
        return ""
    return "windows-1252" if name in _AS_WINDOWS_1252 else name


def clean(text: str) -> str:
    """Text on one line with single spaces."""
    return " ".join(text.split())


def without_site_name(title: str, site: str) -> str:
    """The title without a trailing " - Site" (or " | Site", " – Site", " — Site")."""
    for separator in (" - ", " | ", " – ", " — "):
        if site and title.lower().endswith((separator + site).lower()) and len(title) > len(separator + site):
            return title[: -len(separator + site)].rstrip()
    return title


def page_blocks(body: Any) -> Iterator[Block]:
    """The (kind, text) blocks of trafilatura's body tree: paragraphs, headings, list items, table rows, quotes."""
    if text := clean(body.text or ""):
        yield "p", text
    for element in body:
        if element.tag in ("list", "div"):
            yield from page_blocks(element) if element.tag == "div" else _list_items(element)
        elif element.tag == "table":
            for row in element.iter("row"):
                cells = [c for c in (clean(" ".join(cell.itertext())) for cell in row) if c]
                if cells:
                    yield "row", " | ".join(cells)
        elif text := clean(" ".join(element.itertext())):
            yield element.tag, text
        if tail := clean(element.tail or ""):
            yield "p", tail


def _list_items(element: Any) -> Iterator[Block]:
    for item in element.iter("item"):
        if text := clean("".join(_text_outside_lists(item))):
            yield "item", text


def _text_outside_lists(item: Any) -> Iterator[str]:
    """An item's text without that of the lists nested in it (their items are blocks of their own)."""
    yield item.text or ""
    for child in item:
        if child.tag != "list":
            yield " ".join(child.itertext())
        yield child.tail or ""


def words(text: str) -> str:
    """Text as lowercase words separated by single spaces, with spaces at both ends: what block matching compares."""
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def read_page(tree: Any, url: str = "", **options: Any) -> PageDocument | None:
    """trafilatura's reading of a parsed page (``TRAFILATURA_OPTIONS`` unless ``options``), metadata included."""
    page = bare_extraction(deepcopy(tree), url=url or None, with_metadata=True, **(options or TRAFILATURA_OPTIONS))
    return page if isinstance(page, PageDocument) else None


def article_blocks(blocks: list[Block], title: str, opinions: Sequence[Opinion]) -> list[str]:
    """The paragraphs of trafilatura's blocks that belong to the article's body, by the three rules in order.

    Args:
        blocks: trafilatura's (kind, text) blocks in page order.
        title: the page's title ("" when unknown).
        opinions: other extractors' readings of the page, asked in turn while short blocks remain unconfirmed.
    """
    return [text for _, text in confirmed(without_leading_headings(without_title(blocks, title)), opinions)]


def without_title(blocks: list[Block], title: str) -> list[Block]:
    """The blocks without the first one when it repeats the title (whole, or without the site's name)."""
    first = words(blocks[0][1]) if blocks else " "
    return blocks[1:] if title and first.strip() and first in words(title) else blocks


def without_leading_headings(blocks: list[Block]) -> list[Block]:
    """The blocks from the first one that is not a heading: what comes before is a kicker, a headline, a deck."""
    start = next((i for i, (kind, _) in enumerate(blocks) if kind != "head"), len(blocks))
    return blocks[start:]


def confirmed(blocks: list[Block], opinions: Sequence[Opinion], below_words: int = CONFIRM_BELOW_WORDS) -> list[Block]:
    """The blocks without the short ones (under ``below_words`` words) that no opinion's text holds.

    Links to other stories, "Follow us on ...", "Comments": short blocks are where boilerplate hides, and other
    extractors, built on other rules, seldom keep the same boilerplate. An opinion is only asked for while some
    short block is unconfirmed; when the opinions found almost nothing (pages they fail on), nothing is dropped.
    """
    unconfirmed = {i for i, (_, text) in enumerate(blocks) if 0 < len(words(text).split()) < below_words}
    found_words = 0
    for opinion in opinions:
        if not unconfirmed:
            break
        found = words(opinion())
        found_words += len(found.split())
        unconfirmed = {i for i in unconfirmed if words(blocks[i][1]) not in found}
    if found_words < MIN_CONFIRMING_WORDS:
        return blocks
    return [block for i, block in enumerate(blocks) if i not in unconfirmed]


def second_opinions(tree: Any) -> list[Opinion]:
    """readability's and jusText's readings of the page (run on demand; "" when one fails)."""

    def opinion(extractor: Callable[[Any], Any]) -> Opinion:
        def text() -> str:
            try:
                return " ".join(extractor(deepcopy(tree)).itertext())
            except Exception as error:  # a failing second opinion only means less trimming
                logger.debug("%s failed: %s", extractor.__name__, error)
                return ""

        return text

    return [opinion(try_readability), opinion(justext_text)]


def justext_text(tree: Any) -> Any:
    """jusText's paragraphs of the page, as trafilatura runs it (every language's stop words)."""
    return try_justext(tree, None, None)
