"""Read the articles folder: UTF-8 .txt and .md files, one article each.

A file that cannot be an article (empty, binary, not UTF-8, too large, an odd name, a copy of another one) is
reported with its name and what to do, and the others are still loaded.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import BadInputError
from assistant.ingest.catalog import read_all_metadata
from assistant.types import Article, Metadata, content_hash

logger = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md")
UTF8_BOM = "\ufeff"
# Byte order marks of encodings we can name but do not index: offsets must be those of the file read as UTF-8.
_OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
# Control characters that text files do not hold; a few are tolerated (old word processors leave some).
_BINARY_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")
_BINARY_SHARE = 0.01
_BINARY_SAMPLE = 65_536
_RACY_NS = 1_000_000_000


@dataclass(frozen=True)
class FileStamp:
    """What tells, without reading a file again, that it holds the text read before: its size and modification
    time; with the key that finds other copies of that text."""

    size: int
    mtime_ns: int
    text_key: str


@dataclass
class LoadedArticles:
    """The articles that could be read, a message for each file that could not, and the files not read again."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # The stamps of the articles read, when they can be trusted next time.
    stamps: dict[str, FileStamp] = field(default_factory=dict)
    # Files whose stamp is the one given as known: not read.
    unchanged: dict[str, FileStamp] = field(default_factory=dict)
    # The metadata kept beside the articles (read or unchanged) that have some: date, site, link.
    meta: dict[str, Metadata] = field(default_factory=dict)


def article_title(text: str) -> str:
    """The first non-empty line, without a byte order mark or Markdown heading marks."""
    for line in text.lstrip(UTF8_BOM).splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip() or line.strip()
    return ""


def _size_text(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def check_file_name(name: str) -> None:
    """Raise BadInputError when ``name`` cannot be an article's id (not UTF-8, control characters)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as err:
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise BadInputError(f"{shown}: the file name is not valid UTF-8; rename the file") from err
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise BadInputError(f"{name!r}: the file name holds control characters; rename the file")


def decode_article(name: str, data: bytes) -> str:
    """The text of an article file's bytes (UTF-8, with or without a byte order mark).

    Raises:
        BadInputError: the bytes are empty, binary, or text in another encoding.
    """
    for bom, encoding in _OTHER_BOMS:
        if data.startswith(bom):
            raise BadInputError(f"{name}: the file is {encoding} text; save it as UTF-8")
    if b"\x00" in data:
        raise BadInputError(f"{name}: this is a binary file, not a text article; remove it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadInputError(f"{name}: not valid UTF-8 (byte {err.start}); re-save the file as UTF-8") from err
    if not text.lstrip(UTF8_BOM).strip():
        raise BadInputError(f"{name}: the file is empty; add the article's text or remove it")
    # A binary file shows its control bytes from the start: the first 64 KB tell (reading all of a large
    # collection's text through a regex would cost seconds on every update).
    head = text[:_BINARY_SAMPLE]
    if len(_BINARY_CONTROL.findall(head)) > _BINARY_SHARE * len(head):
        raise BadInputError(f"{name}: this is a binary file, not a text article; remove it")
    return text


def read_article(path: Path, max_bytes: int | None = None) -> Article:
    """Read one article file.

    Args:
        path: the file; its name is the article's id.
        max_bytes: larger files are refused (``ASSISTANT_MAX_ARTICLE_BYTES``); None: no limit.

    Raises:
        BadInputError: the file is empty, binary, not UTF-8, too large, or its name is unusable.
        OSError: the file cannot be read (deleted meanwhile, permissions).
    """
    check_file_name(path.name)
    if max_bytes is not None:
        size = path.stat().st_size
        if size > max_bytes:
            raise BadInputError(
                f"{path.name}: {_size_text(size)} is over the {_size_text(max_bytes)} limit for one article "
                "(ASSISTANT_MAX_ARTICLE_BYTES); split it into several files or raise the limit"
            )
    text = decode_article(path.name, path.read_bytes())
    return Article(source=path.name, title=article_title(text), text=text)


def _same_text_key(text: str) -> str:
    """Equal for two copies of an article that differ only in spacing, line ends or a byte order mark."""
    return content_hash(" ".join(text.lstrip(UTF8_BOM).split()))  # split(): any run of whitespace, as \s+


def load_articles(
    folder: Path,
    max_bytes: int | None = None,
    prefer: Collection[str] = (),
    known: Mapping[str, FileStamp] | None = None,
) -> LoadedArticles:
    """Every readable article in ``folder`` (not recursive, hidden files ignored), sorted by file name.

    A file that cannot be read is reported in ``skipped`` and the others are still loaded. Of two files with
    the same text only one is loaded, so that no passage is found twice: the first named in ``prefer`` (the
    articles already indexed), else the first by name; the other is reported. A file whose size and
    modification time are those ``known`` for it is not read again: it is listed in ``unchanged``.

    Raises:
        BadInputError: the folder does not exist.
    """
    if not folder.is_dir():
        raise BadInputError(f"articles folder {str(folder)!r} does not exist; create it or set ASSISTANT_SEEDS_DIR")
    known = known or {}
    loaded = LoadedArticles()
    read: list[tuple[Article, os.stat_result]] = []
    now_ns = time.time_ns()
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        path = Path(entry.path)
        if path.name.startswith(".") or path.suffix.lower() not in ARTICLE_SUFFIXES:
            continue
        try:
            status = path.stat()
            if not stat.S_ISREG(status.st_mode):
                continue
            stamp = known.get(path.name)
            if stamp is not None and (stamp.size, stamp.mtime_ns) == (status.st_size, status.st_mtime_ns):
                loaded.unchanged[path.name] = stamp
                continue
            read.append((read_article(path, max_bytes), status))
        except BadInputError as err:
            _skip(loaded, str(err))
        except FileNotFoundError:
            logger.info("%s was deleted while the folder was read", path.name)
        except OSError as err:
            _skip(loaded, f"{path.name}: cannot be read ({err.strerror}); check the file")
    kept: dict[str, str] = {stamp.text_key: name for name, stamp in loaded.unchanged.items()}
    articles: list[Article] = []
    for article, status in sorted(read, key=lambda r: (r[0].source not in prefer, r[0].source)):
        text_key = _same_text_key(article.text)
        first = kept.setdefault(text_key, article.source)
        if first != article.source:
            _skip(loaded, f"{article.source}: same text as {first}, which is indexed; delete one of the two")
            continue
        articles.append(article)
        # A file written in the last second may be written again within the same clock tick, keeping its size
        # and time: it is read again next time (as git does with "racily clean" files).
        if status.st_mtime_ns < now_ns - _RACY_NS:
            loaded.stamps[article.source] = FileStamp(status.st_size, status.st_mtime_ns, text_key)
    loaded.articles = sorted(articles, key=lambda a: a.source)
    loaded.meta = read_all_metadata(folder, {a.source for a in articles} | set(loaded.unchanged))
    loaded.skipped.sort()  # in the order of the files (each message starts with its file's name)
    return loaded


def _skip(loaded: LoadedArticles, message: str) -> None:
    logger.warning("skipped %s", message)
    loaded.skipped.append(message)
