"""What a document of any format becomes before it is stored as an article: its clean text and its metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.types import Metadata

__all__ = ["Document", "Metadata"]


@dataclass(frozen=True)
class Document:
    """One article extracted from a file, a page or a feed entry.

    ``text`` is what is stored, indexed and cited: the title on the first line, a blank line, then the body
    with one paragraph a line. ``notes`` are warnings worth telling the user (text cut short, say).
    """

    text: str
    meta: Metadata
    notes: tuple[str, ...] = field(default=())
