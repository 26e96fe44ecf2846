"""What the articles folder keeps beside each article: its metadata, its original file, and the feeds followed.

An article is a text file in the folder (its name is its id). Beside it, in hidden folders the loader never
reads as articles: ``.meta/NAME.json`` (title, date, author, site, link, origin), ``.originals/NAME.EXT`` (the
PDF, page or Word file it was extracted from) and ``.feeds.json`` (the feeds added, with the entries seen).
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import BadInputError
from assistant.types import Metadata

logger = logging.getLogger(__name__)

META_DIR = ".meta"
ORIGINALS_DIR = ".originals"
FEEDS_FILE = ".feeds.json"
_UNSAFE = re.compile(r"[^a-z0-9]+")
_MAX_STEM = 80


def meta_path(folder: Path, name: str) -> Path:
    return folder / META_DIR / f"{name}.json"


def read_metadata(folder: Path, name: str) -> Metadata:
    """The metadata kept for the article ``name``; empty when none was kept (an article written by hand)."""
    try:
        data = json.loads(meta_path(folder, name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Metadata()
    except (OSError, ValueError) as err:
        logger.warning("%s: its metadata cannot be read (%s); ignored", name, err)
        return Metadata()
    return Metadata.from_dict(data) if isinstance(data, dict) else Metadata()


def read_all_metadata(folder: Path, names: set[str] | None = None) -> dict[str, Metadata]:
    """The metadata of every article of the folder that has some (of ``names`` only, when given)."""
    found: dict[str, Metadata] = {}
    meta_dir = folder / META_DIR
    if not meta_dir.is_dir():
        return found
    for entry in os.scandir(meta_dir):
        name = entry.name.removesuffix(".json")
        if entry.name.endswith(".json") and (names is None or name in names):
            meta = read_metadata(folder, name)
            if meta != Metadata():
                found[name] = meta
    return found


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a hidden temporary file, then renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_new(path: Path, data: bytes) -> bool:
    """Write ``path`` whole, unless a file of that name exists (then False): never overwrites, even when two
    additions pick the same name at once."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp)


def write_metadata(folder: Path, name: str, meta: Metadata) -> None:
    write_atomic(meta_path(folder, name), json.dumps(meta.as_dict(), ensure_ascii=False, indent=1).encode("utf-8"))


def keep_original(folder: Path, name: str, data: bytes, suffix: str) -> Path:
    """Keep the file an article was extracted from, so that the viewer can link to it."""
    path = folder / ORIGINALS_DIR / f"{Path(name).stem}{suffix}"
    write_atomic(path, data)
    return path


def original_of(folder: Path, name: str) -> Path | None:
    """The original file kept for the article ``name``, if any."""
    originals = folder / ORIGINALS_DIR
    if not originals.is_dir():
        return None
    stem = Path(name).stem
    return next((p for p in sorted(originals.iterdir()) if p.stem == stem), None)


def article_file_name(meta: Metadata, taken: set[str], given: str = "") -> str:
    """A new article's file name, not one of ``taken``: the ``given`` name of a text file made safe
    (``notes.md``), else its date and title as ASCII words (``2025-06-12-meta-buys-49-of-scale.txt``)."""
    suffix = ".md" if given.lower().endswith(".md") else ".txt"
    wanted = Path(given).stem if given else meta.title
    ascii_name = unicodedata.normalize("NFKD", wanted).encode("ascii", "ignore").decode("ascii").lower()
    stem = _UNSAFE.sub("-", ascii_name).strip("-")[:_MAX_STEM].rstrip("-") or "article"
    if meta.published and not given:
        stem = f"{meta.published}-{stem}"
    for copy in range(1, 10_000):
        name = f"{stem}{suffix}" if copy == 1 else f"{stem}-{copy}{suffix}"
        if name not in taken:
            return name
    raise BadInputError(f"{stem}: too many articles have this title; rename some of them")


@dataclass
class FollowedFeed:
    """A feed added once: its title and the ids of the entries already seen (added or skipped)."""

    url: str
    title: str = ""
    seen: list[str] = field(default_factory=list)


def read_feeds(folder: Path) -> dict[str, FollowedFeed]:
    path = folder / FEEDS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise BadInputError(
            f"{path}: cannot be read ({err}); fix or delete it (the feeds are then added anew)"
        ) from err
    return {url: FollowedFeed(url, str(f.get("title", "")), list(f.get("seen", []))) for url, f in data.items()}


def write_feeds(folder: Path, feeds: dict[str, FollowedFeed]) -> None:
    data = {url: {"title": f.title, "seen": f.seen} for url, f in sorted(feeds.items())}
    write_atomic(folder / FEEDS_FILE, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
