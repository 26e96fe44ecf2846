"""Save an uploaded article into the articles folder: size-limited, UTF-8 text, a safe name, no silent overwrite."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import BadInputError
from assistant.ingest.catalog import write_new
from assistant.ingest.loader import ARTICLE_SUFFIXES, article_title

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 100
_MAX_COPIES = 1000


@dataclass(frozen=True)
class SavedArticle:
    """Where an upload went and what it held."""

    name: str  # the file name in the articles folder: the article's id
    title: str
    created: bool  # False: the folder already held this very text under this name
    renamed_from: str = ""  # the requested name when another article already had it


def safe_article_name(name: str) -> str:
    """A file name that is safe in the articles folder: no folder part, ASCII letters, digits, ``.``, ``_``, ``-``.

    Raises:
        BadInputError: the name is not a ``.txt`` or ``.md`` file, or nothing usable is left of it.
    """
    base = re.split(r"[\\/]", name.strip())[-1]
    # Accented letters keep their base letter ("été" -> "ete") rather than becoming underscores.
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = ascii_name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in ARTICLE_SUFFIXES:
        raise BadInputError(f"{base!r} is not a .txt or .md file; only plain-text articles can be added")
    stem = _UNSAFE.sub("_", stem).strip("._-")[: _MAX_NAME - len(suffix) - 1]
    if not stem:
        raise BadInputError(f"{base!r} has no usable file name; rename it with letters or digits")
    return f"{stem}.{suffix.lower()}"


def article_text(data: bytes, name: str, max_bytes: int) -> str:
    """The text of an uploaded file.

    Raises:
        BadInputError: it is larger than ``max_bytes``, binary, not UTF-8 or empty.
    """
    if len(data) > max_bytes:
        raise BadInputError(
            f"{name} is {_size(len(data))}; the limit is {_size(max_bytes)} (ASSISTANT_MAX_UPLOAD_BYTES)"
        )
    if b"\x00" in data:
        raise BadInputError(f"{name} is a binary file, not a text article; upload a UTF-8 .txt or .md file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadInputError(
            f"{name} is not UTF-8 text (byte {err.start}); re-save it as UTF-8 and upload it again"
        ) from err
    if not text.strip():
        raise BadInputError(f"{name} is empty; an article needs some text")
    return text


def read_upload(path: Path, max_bytes: int) -> bytes:
    """The bytes of an uploaded file, refusing to read one larger than ``max_bytes``.

    Raises:
        BadInputError: the file is too large or cannot be read.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BadInputError(
                f"{path.name} is {_size(size)}; the limit is {_size(max_bytes)} (ASSISTANT_MAX_UPLOAD_BYTES)"
            )
        return path.read_bytes()
    except OSError as err:
        raise BadInputError(f"the uploaded file {path.name} cannot be read ({err.strerror}); upload it again") from err


def save_article(data: bytes, name: str, folder: Path, max_bytes: int) -> SavedArticle:
    """Save an uploaded article into ``folder`` under a safe version of ``name``.

    An article already there with the same name and the same text is left as it is; one with another text is
    never overwritten: the upload gets the next free name (``name-2.txt``, ``name-3.txt``, ...).

    Raises:
        BadInputError: the name, the size or the content cannot be used (see ``safe_article_name`` and
            ``article_text``), or the folder cannot be written.
    """
    wanted = safe_article_name(name)
    text = article_text(data, wanted, max_bytes)
    title = article_title(text)
    stem, suffix = wanted.rsplit(".", 1)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for copy in range(1, _MAX_COPIES + 1):
            candidate = wanted if copy == 1 else f"{stem}-{copy}.{suffix}"
            target = folder / candidate
            if target.exists():
                if target.is_file() and target.read_bytes() == data:
                    logger.info("upload %s: the same article is already there as %s", name, candidate)
                    return SavedArticle(candidate, title, created=False)
                continue
            if write_new(target, data):
                logger.info("upload %s saved as %s (%d bytes)", name, target, len(data))
                return SavedArticle(candidate, title, created=True, renamed_from="" if copy == 1 else wanted)
    except OSError as err:
        raise BadInputError(f"cannot save {wanted} into {str(folder)!r} ({err.strerror}); check the folder") from err
    raise BadInputError(f"{wanted}: too many articles already have this name; rename the file")


def _size(n: int) -> str:
    exact = f"{n:,} bytes"
    if n >= 1_000_000:
        return f"{exact} ({n / 1_000_000:.1f} MB)"
    if n >= 1000:
        return f"{exact} ({n / 1000:.1f} KB)"
    return exact
