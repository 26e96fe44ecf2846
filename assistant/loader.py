"""Read the articles folder: UTF-8 .txt and .md files, one article each."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import BadInputError
from assistant.types import Article

logger = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md")


@dataclass
class LoadedArticles:
    """The articles that could be read, and a message for each file that could not."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def article_title(text: str) -> str:
    """The first non-empty line, without Markdown heading marks."""
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip() or line.strip()
    return ""


def read_article(path: Path) -> Article:
    """Read one article file.

    Raises:
        BadInputError: the file is empty, binary or not UTF-8.
    """
    data = path.read_bytes()
    if b"\x00" in data:
        raise BadInputError(f"{path.name}: this is a binary file, not a text article; remove it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadInputError(f"{path.name}: not valid UTF-8 (byte {err.start}); re-save the file as UTF-8") from err
    if not text.strip():
        raise BadInputError(f"{path.name}: the file is empty; add the article's text or remove it")
    return Article(source=path.name, title=article_title(text), text=text)


def load_articles(folder: Path) -> LoadedArticles:
    """Every readable article in ``folder`` (not recursive), sorted by file name.

    A file that cannot be read is reported in ``skipped`` and the others are still loaded.

    Raises:
        BadInputError: the folder does not exist.
    """
    if not folder.is_dir():
        raise BadInputError(f"articles folder {str(folder)!r} does not exist; create it or set ASSISTANT_SEEDS_DIR")
    loaded = LoadedArticles()
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in ARTICLE_SUFFIXES or not path.is_file():
            continue
        try:
            loaded.articles.append(read_article(path))
        except BadInputError as err:
            logger.warning("skipped %s", err)
            loaded.skipped.append(str(err))
        except OSError as err:  # deleted or unreadable while we listed the folder
            message = f"{path.name}: cannot be read ({err.strerror}); check the file"
            logger.warning("skipped %s", message)
            loaded.skipped.append(message)
    return loaded
