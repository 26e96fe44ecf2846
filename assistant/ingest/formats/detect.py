"""Tell a document's format from its first bytes, then from its content type and name."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import PurePosixPath
from urllib.parse import urlparse

from assistant.errors import BadInputError
from assistant.ingest.formats.docx import MAIN_PART, OLE_MAGIC, ZIP_MAGIC
from assistant.ingest.formats.feed import looks_like_feed

logger = logging.getLogger(__name__)

ACCEPTED = ".txt, .md, .html, .pdf, .docx, RSS/Atom feeds or an http(s) link"
_PDF_MAGIC = b"%PDF-"
_MAGIC_WINDOW = 1024
_SNIFF_BYTES = 2048
_ZIP_HEADER = ZIP_MAGIC + b"\x03\x04"
_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_BY_CONTENT_TYPE = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/rss+xml": "feed",
    "application/atom+xml": "feed",
    "application/rdf+xml": "feed",
    "application/xml": "feed",
    "text/xml": "feed",
    "text/plain": "text",
    "text/markdown": "text",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
}
_BY_SUFFIX = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "text",
    ".md": "text",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
    ".pdf": "pdf",
    ".docx": "docx",
    ".doc": "doc",
}


def document_format(name: str, content_type: str, data: bytes) -> str:
    """The format of a document: "html", "pdf", "docx", "feed", "text", or "doc" (an old Word file to refuse).

    The first bytes decide (a PDF or Word header, a feed's root element), then the content type, then the
    name's suffix, then an HTML start. A name or type that says PDF or .docx while the bytes do not gives that
    format, so that its reader says what is wrong with the file.

    Args:
        name: The file's name or the document's address.
        content_type: The Content-Type a server sent ("" for a file); parameters such as charset are ignored.
        data: The document's bytes.

    Raises:
        BadInputError: The format is none of those accepted.
    """
    kind = _format_by_bytes(data) or _format_declared(name, content_type)
    if kind is None and _HTML.search(data[:_SNIFF_BYTES]):
        kind = "html"
    if kind is None:
        logger.info("%s: unknown format (content type %r, starts with %r)", name, content_type, data[:16])
        raise BadInputError(f"{name}: this is not a format the assistant reads; add {ACCEPTED}")
    return kind


def _format_by_bytes(data: bytes) -> str | None:
    """The format the first bytes show: a PDF or Word header, a feed's root element."""
    if _PDF_MAGIC in data[:_MAGIC_WINDOW]:
        return "pdf"
    if data.startswith(OLE_MAGIC):
        return "doc"
    if data.startswith(_ZIP_HEADER) and _is_word_archive(data):
        return "docx"
    return "feed" if looks_like_feed(data) else None


def _format_declared(name: str, content_type: str) -> str | None:
    """The format the content type says, else the one the name's suffix says."""
    declared = _BY_CONTENT_TYPE.get(content_type.split(";", 1)[0].strip().lower())
    return declared or _BY_SUFFIX.get(_suffix(name))


def _is_word_archive(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return MAIN_PART in archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False


def _suffix(name: str) -> str:
    """The suffix of a file's name or of an address's path, lowercased."""
    path = urlparse(name).path if "://" in name else name
    return PurePosixPath(path).suffix.lower()
