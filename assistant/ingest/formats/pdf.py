"""Read a PDF's text layer as an article: paragraphs rebuilt from its lines, its title, date and author.

A PDF holds lines placed on pages, not paragraphs. The lines are joined back into paragraphs with a simple,
general heuristic (hyphenated line breaks, short lines, sentence ends), and the page furniture is dropped
(running headers and footers, page numbers); that part is in ``pdf_text``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zlib

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PyPdfError

from assistant.errors import BadInputError
from assistant.ingest.documents import Document, Metadata
from assistant.ingest.formats.pdf_text import one_line, paragraphs_from_pages

logger = logging.getLogger(__name__)

_PDF_MAGIC = b"%PDF-"
# The header may follow some junk bytes; readers look for it in the first kilobyte.
_MAGIC_WINDOW = 1024
# What a damaged file makes pypdf raise, besides its own errors.
_DAMAGED = (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError, zlib.error)
_TITLE_MAX = 200
_TITLE_CUT = 100
# Titles that tools write in place of a real one.
_PLACEHOLDER_TITLE = re.compile(
    r"(?:untitled|sans titre|document\s*\d*|microsoft \w+ - .*|.*\.(?:docx?|odt|rtf|pdf|txt|tex|dvi|ps|indd|qxd))",
    re.IGNORECASE,
)
_PDF_DATE = re.compile(r"(?:D:)?\s*(\d{4})(\d{2})(\d{2})")


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
    return one_line(str(title or "")), _pdf_date(str(created or "")), one_line(str(author or ""))


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
