"""Read a PDF's text layer as an article: paragraphs rebuilt from its lines, its title, date and author.

A PDF holds lines placed on pages, not paragraphs. The lines are joined back into paragraphs with a simple,
general heuristic (hyphenated line breaks, short lines, sentence ends), and the page furniture is dropped
(running headers and footers, page numbers).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import statistics
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PyPdfError

from assistant.errors import BadInputError
from assistant.ingest.documents import Document, Metadata

logger = logging.getLogger(__name__)

_PDF_MAGIC = b"%PDF-"
# The header may follow some junk bytes; readers look for it in the first kilobyte.
_MAGIC_WINDOW = 1024
# What a damaged file makes pypdf raise, besides its own errors.
_DAMAGED = (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError, zlib.error)
# Lines at the top and at the bottom of a page where running headers, footers and page numbers sit.
_EDGE_LINES = 3
# A line this much shorter than the typical line ends its paragraph.
_SHORT_LINE_SHARE = 0.6
_TITLE_MAX = 200
_TITLE_CUT = 100
_SENTENCE_END = (".", "!", "?", ":", "»", '"', "”")
_PARAGRAPH_START_QUOTES = "«\"“'‘"
_BULLETS = "•▪◦●■"
_PAGE_NUMBER = re.compile(r"(?:page\s*)?[-–]?\s*\d{1,5}\s*[-–]?(?:\s*(?:/|of|sur|de)\s*\d{1,5})?", re.IGNORECASE)
_HYPHENATED = re.compile(r"[^\W\d_]-$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Runs of spaces are layout; a no-break space is typography (French puts one before ! ? : ;) and stays.
_SPACES = re.compile(r"[ \t]{2,}")
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
# Titles that tools write in place of a real one.
_PLACEHOLDER_TITLE = re.compile(
    r"(?:untitled|sans titre|document\s*\d*|microsoft \w+ - .*|.*\.(?:docx?|odt|rtf|pdf|txt|tex|dvi|ps|indd|qxd))",
    re.IGNORECASE,
)
_PDF_DATE = re.compile(r"(?:D:)?\s*(\d{4})(\d{2})(\d{2})")

# How a line follows the one before it: "unhyphenate" drops the hyphen (or soft hyphen) that cut a word.
Joint = Literal["break", "space", "unhyphenate"]


def extract_pdf(data: bytes, name: str, max_pages: int = 2000) -> Document:
    """Read a PDF's text as an article: title on the first line, then one paragraph a line.

    Args:
        data: The file's bytes.
        name: The file's name, used in messages and as the document's origin.
        max_pages: PDFs with more pages are refused.

    Returns:
        The document, with the title from the PDF's /Title (or its first paragraph), the date from its
        /CreationDate and the author from its /Author; notes name the pages that had no text.

    Raises:
        BadInputError: The file is not a PDF, is damaged, is encrypted with a password, has no text layer
            or has more than ``max_pages`` pages.
    """
    reader = _open(data, name)
    try:
        page_count = len(reader.pages)
    except _DAMAGED as error:
        raise _damaged(name, _reason(error)) from error
    if page_count > max_pages:
        raise BadInputError(
            f"{name}: this PDF has {page_count} pages, more than the limit of {max_pages}; "
            "split it into smaller files, or add only the part you need"
        )
    pages, notes = _page_texts(reader, name, page_count)
    paragraphs = paragraphs_from_pages(pages)
    if not any(character.isalnum() for paragraph in paragraphs for character in paragraph):
        raise BadInputError(
            f"{name}: this PDF has no text layer (a scan?); run OCR on it or add the text as a .txt file"
        )
    info_title, published, author = _info(reader)
    title, body = _title_and_body(info_title, paragraphs)
    logger.debug("%s: %d pages, %d paragraphs", name, page_count, len(body))
    return Document(
        text="\n\n".join([title, *body]),
        meta=Metadata(title=title, published=published, author=author, origin=name, format="pdf"),
        notes=tuple(notes),
    )


def paragraphs_from_pages(pages: Sequence[str]) -> list[str]:
    """Rebuild paragraphs from the lines of each page's text, without the page headers, footers and numbers."""
    page_lines = _without_page_furniture([[_clean_line(line) for line in page.splitlines()] for page in pages])
    lines = [line for page in page_lines for line in page]
    typical = _typical_length(lines)
    paragraphs: list[str] = []
    current = ""
    previous = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = previous = ""
            continue
        if not current:
            current = previous = line
            continue
        joint = _joint(previous, line, typical)
        if joint == "break":
            paragraphs.append(current)
            current = line
        elif joint == "space":
            current = f"{current} {line}"
        else:
            current = current[:-1] + line
        previous = line
    if current:
        paragraphs.append(current)
    return [unicodedata.normalize("NFC", paragraph) for paragraph in paragraphs]


def _open(data: bytes, name: str) -> PdfReader:
    """A reader of the PDF, decrypted when it opens without a password."""
    if _PDF_MAGIC not in data[:_MAGIC_WINDOW]:
        raise BadInputError(
            f"{name}: this is not a PDF file (it has no %PDF- header); check that it is the right file, "
            "or add it in its own format (.txt, .md, .html, .docx)"
        )
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise _encrypted(name)
    except DependencyError as error:  # AES needs the cryptography package
        raise _encrypted(name) from error
    except _DAMAGED as error:
        raise _damaged(name, _reason(error)) from error
    return reader


def _page_texts(reader: PdfReader, name: str, page_count: int) -> tuple[list[str], list[str]]:
    """Each page's text ("" where there is none or it cannot be read), and notes on the pages without text."""
    texts: list[str] = []
    unreadable: list[int] = []
    empty: list[int] = []
    for number in range(1, page_count + 1):
        try:
            text = reader.pages[number - 1].extract_text()
        except DependencyError as error:
            raise _encrypted(name) from error
        except _DAMAGED as error:
            logger.info("%s: page %d cannot be read: %s", name, number, error)
            unreadable.append(number)
            text = ""
        if not text.strip() and number not in unreadable:
            empty.append(number)
        texts.append(text)
    if unreadable and len(unreadable) == page_count:
        raise _damaged(name, f"none of its {page_count} pages can be read")
    notes = []
    if unreadable:
        notes.append(f"{name}: could not read {_pages(unreadable)}; repair the PDF to include them")
    if empty and len(empty) < page_count:
        notes.append(f"{name}: no text on {_pages(empty)} (scanned images?); run OCR to include them")
    return texts, notes


def _pages(numbers: list[int]) -> str:
    """A short phrase naming pages: "page 3", "pages 3, 5", "12 pages"."""
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    if len(numbers) <= 10:
        return "pages " + ", ".join(str(number) for number in numbers)
    return f"{len(numbers)} pages"


def _encrypted(name: str) -> BadInputError:
    return BadInputError(
        f"{name}: this PDF is encrypted with a password; save an unencrypted copy (print it to a new PDF "
        "without a password) and add that"
    )


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__


def _damaged(name: str, reason: str) -> BadInputError:
    return BadInputError(
        f"{name}: this PDF is damaged and cannot be read ({reason}); open it in a PDF viewer and save or "
        "print it to a new PDF, then add that"
    )


def _info(reader: PdfReader) -> tuple[str, str, str]:
    """The title, ISO creation date and author from the PDF's document information; "" where unknown."""
    try:
        info = reader.metadata
        if info is None:
            return "", "", ""
        title, author, created = info.title, info.author, info.get("/CreationDate")
    except _DAMAGED as error:
        logger.info("unreadable document information: %s", error)
        return "", "", ""
    return _one_line(str(title or "")), _pdf_date(str(created or "")), _one_line(str(author or ""))


def _pdf_date(raw: str) -> str:
    """``D:YYYYMMDDhhmmss+hh'mm'`` as an ISO date; "" when it is not a full, valid date."""
    match = _PDF_DATE.match(raw.strip())
    if not match:
        return ""
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return ""


def _title_and_body(info_title: str, paragraphs: list[str]) -> tuple[str, list[str]]:
    """The title (the PDF's own, unless a placeholder; else the first paragraph) and the paragraphs after it."""
    if info_title and any(c.isalpha() for c in info_title) and not _PLACEHOLDER_TITLE.fullmatch(info_title):
        body = paragraphs[1:] if paragraphs and paragraphs[0] == info_title else paragraphs
        return info_title, body
    first = paragraphs[0]
    if len(first) <= _TITLE_MAX:
        return first, paragraphs[1:]
    cut = first[:_TITLE_CUT].rsplit(" ", 1)[0]
    return f"{cut}…", paragraphs


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _clean_line(line: str) -> str:
    """A line without control characters, ligatures or surrounding spaces."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", line).translate(_LIGATURES)).strip()


def _typical_length(lines: list[str]) -> float:
    """The length of a full line: the upper quartile, since headings and paragraph ends are shorter."""
    lengths = [len(line) for line in lines if line]
    if len(lengths) < 2:
        return float(lengths[0]) if lengths else 0.0
    return statistics.quantiles(lengths, n=4)[2]


def _joint(previous: str, line: str, typical: float) -> Joint:
    """How ``line`` follows the line before it: in a new paragraph, after a space, or ending a hyphenated word."""
    if previous.endswith("\u00ad") or (_HYPHENATED.search(previous) and line[0].islower()):
        return "unhyphenate"
    if len(previous) <= _SHORT_LINE_SHARE * typical:
        return "break"
    starts_sentence = line[0].isupper() or line[0].isdigit() or line[0] in _PARAGRAPH_START_QUOTES
    if (previous.endswith(_SENTENCE_END) and starts_sentence) or line[0] in _BULLETS:
        return "break"
    return "space"


def _edge_indexes(lines: list[str]) -> tuple[list[int], list[int]]:
    """The indexes of the first and of the last few non-empty lines of a page."""
    filled = [index for index, line in enumerate(lines) if line]
    return filled[:_EDGE_LINES], filled[-_EDGE_LINES:]


def _furniture_key(line: str) -> str:
    """What a running header or footer has in common from page to page (page numbers vary)."""
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def _without_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """The pages without bare page numbers and lines that recur at the top or bottom of most pages.

    The first page keeps a recurring line at its top: a running header is often the document's title.
    """
    counts: Counter[str] = Counter()
    for lines in pages:
        top, bottom = _edge_indexes(lines)
        counts.update({_furniture_key(lines[index]) for index in top + bottom})
    recurring = {key for key, count in counts.items() if count >= max(3, (len(pages) + 1) // 2)}
    cleaned = []
    for page_number, lines in enumerate(pages):
        top, bottom = _edge_indexes(lines)
        kept_header = top if page_number == 0 else []
        drop = {
            index
            for index in top + bottom
            if _PAGE_NUMBER.fullmatch(lines[index])
            or (_furniture_key(lines[index]) in recurring and index not in kept_header)
        }
        cleaned.append([line for index, line in enumerate(lines) if index not in drop])
    return cleaned
