"""Read a Word .docx file as an article: its paragraphs and tables in order, its title, date and author.

The archive is checked before python-docx opens it: a .docx is a zip file, and a zip file can be made to
unpack to far more than it weighs (a "zip bomb").
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import docx
from docx.opc.exceptions import OpcError
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree  # type: ignore[import-untyped]

from assistant.errors import BadInputError
from assistant.ingest.documents import Document, Metadata

logger = logging.getLogger(__name__)

_TEMPLATE_CREATED = "2013-12-23"

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK"
MAIN_PART = "word/document.xml"
# A password-protected .docx is an OLE file holding the encrypted package under this stream name.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# An entry this large that unpacks more than _BOMB_RATIO times its packed size is not ordinary content:
# Word's XML packs about ten to one, images hardly at all.
_BOMB_ENTRY_BYTES = 1_000_000
_BOMB_RATIO = 100
_TITLE_MAX = 200
_TITLE_CUT = 100
_TITLE_STYLES = ("title", "titre")
# How many paragraphs at the start may precede a paragraph styled as the title (a kicker, a date).
_TITLE_SEARCH = 3
_PLACEHOLDER_TITLE = re.compile(r"(?:word document|untitled|sans titre|document\s*\d*|titre|title)", re.IGNORECASE)
# What python-docx raises on a damaged package, besides the zip and XML errors.
_DAMAGED = (OpcError, zipfile.BadZipFile, etree.LxmlError, KeyError, ValueError, TypeError, AttributeError, EOFError)


@dataclass(frozen=True)
class _Block:
    """One paragraph of the document's text, and whether Word styles it as the document's title."""

    text: str
    is_title: bool = False


def extract_docx(data: bytes, name: str, max_unpacked_bytes: int = 50_000_000) -> Document:
    """Read a Word .docx document as an article: title on the first line, then one paragraph a line.

    Args:
        data: The file's bytes.
        name: The file's name, used in messages and as the document's origin.
        max_unpacked_bytes: Files whose archive unpacks to more are refused before they are parsed.

    Returns:
        The document: paragraphs and table rows (cells joined by " | ") in order; the title from the core
        properties, else the paragraph styled as the title, else the first paragraph; the date the document
        was created and its author.

    Raises:
        BadInputError: The file is an old .doc, password-protected, not a .docx, damaged, unpacks to too
            much, or has no text.
    """
    _check_archive(data, name, max_unpacked_bytes)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(_blocks(document.iter_inner_content()))
        properties = document.core_properties
        core_title = _one_line(str(properties.title or ""))
        author = _one_line(str(properties.author or ""))
        created = properties.created
    except _DAMAGED as error:
        raise BadInputError(
            f"{name}: this Word document is damaged and cannot be read ({str(error) or type(error).__name__}); "
            "open it in Word or LibreOffice and save it again as .docx"
        ) from error
    if not blocks:
        raise BadInputError(f"{name}: this Word document has no text; check that it is the right file")
    title, body = _title_and_body(core_title, blocks)
    if created is not None and created.date().isoformat() == _TEMPLATE_CREATED:
        # A file written by python-docx keeps its template's creation date unless it sets its own: not this
        # document's date.
        created = None
    published = created.date().isoformat() if created is not None else ""
    logger.debug("%s: %d paragraphs", name, len(body))
    return Document(
        text="\n\n".join([title, *body]),
        meta=Metadata(title=title, published=published, author=author, origin=name, format="docx"),
    )


def _check_archive(data: bytes, name: str, max_unpacked_bytes: int) -> None:
    """Refuse what is not a .docx, or what would unpack to far more than a document, before parsing it."""
    if data.startswith(OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise BadInputError(
                f"{name}: this Word document is protected with a password; save a copy without a password"
            )
        raise BadInputError(f"{name}: this is an old Word .doc file; save it as .docx or PDF")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        if data.startswith(ZIP_MAGIC):
            raise BadInputError(
                f"{name}: this Word document is damaged (its zip archive cannot be read: {error}); "
                "open it in Word or LibreOffice and save it again as .docx"
            ) from error
        raise BadInputError(
            f"{name}: this is not a Word .docx file; check that it is the right file, or save it as .docx"
        ) from error
    names = {entry.filename for entry in entries}
    if MAIN_PART not in names:
        kind = "an OpenDocument (.odt) file" if "content.xml" in names else "a zip archive but not a Word document"
        raise BadInputError(f"{name}: this is {kind} (it has no {MAIN_PART}); save it as .docx or PDF")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > max_unpacked_bytes:
        raise BadInputError(
            f"{name}: unpacks to {_megabytes(unpacked)} MB, over the limit of {_megabytes(max_unpacked_bytes)} "
            "MB; this is not an ordinary Word document, check where it comes from"
        )
    for entry in entries:
        if entry.file_size > _BOMB_ENTRY_BYTES and entry.file_size > _BOMB_RATIO * max(entry.compress_size, 1):
            raise BadInputError(
                f"{name}: {entry.filename} unpacks to {_megabytes(entry.file_size)} MB from "
                f"{entry.compress_size:,} bytes, far more than any real content packs; this is not an ordinary "
                "Word document, check where it comes from"
            )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}" if size < 10_000_000 else f"{size / 1_000_000:.0f}"


def _blocks(content: Iterator[Paragraph | Table]) -> Iterator[_Block]:
    """The document's paragraphs in order: one per paragraph or line break, one per table row."""
    for item in content:
        if isinstance(item, Paragraph):
            style = item.style.name if item.style is not None else ""
            is_title = (style or "").lower().startswith(_TITLE_STYLES)
            for line in item.text.splitlines():
                text = _one_line(line)
                if text:
                    yield _Block(text, is_title)
        else:
            yield from _table_rows(item)


def _table_rows(table: Table) -> Iterator[_Block]:
    """A table's rows, each with its cells' text joined by " | " (a merged cell counted once)."""
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            if previous is not None and cell == previous:
                continue
            previous = cell
            text = _one_line(cell.text)
            if text:
                cells.append(text)
        if cells:
            yield _Block(" | ".join(cells))


def _title_and_body(core_title: str, blocks: list[_Block]) -> tuple[str, list[str]]:
    """The title and the paragraphs after it.

    The title is the core properties' (unless a placeholder such as python-docx's "Word Document"), else a
    paragraph styled as the title near the start, else the first paragraph.
    """
    texts = [block.text for block in blocks]
    if core_title and any(c.isalpha() for c in core_title) and not _PLACEHOLDER_TITLE.fullmatch(core_title):
        return core_title, texts[1:] if texts[0] == core_title else texts
    styled = [index for index, block in enumerate(blocks[:_TITLE_SEARCH]) if block.is_title]
    index = styled[0] if styled else 0
    title = texts[index]
    if len(title) > _TITLE_MAX:
        return f"{title[:_TITLE_CUT].rsplit(' ', 1)[0]}…", texts
    return title, texts[:index] + texts[index + 1 :]


def _one_line(text: str) -> str:
    return " ".join(text.split())
