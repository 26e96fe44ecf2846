"""The domain's values: articles, their chunks, retrieved passages and index reports."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Lang = Literal["fr", "en"]


def content_hash(text: str) -> str:
    """Hex sha256 of a text's UTF-8 bytes: the identity of an article's content."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Metadata:
    """Where an article comes from and when it was published; empty strings where unknown.

    ``published`` is an ISO date (``YYYY-MM-DD``). ``url`` is the original link (a web page, a feed entry);
    ``origin`` the file or feed it was added from; ``entry_id`` a feed entry's id (what tells a new entry).
    """

    title: str = ""
    published: str = ""
    author: str = ""
    site: str = ""
    url: str = ""
    origin: str = ""
    entry_id: str = ""
    format: str = ""  # html, pdf, docx, feed, text

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metadata:
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in data.items() if k in names and v is not None})


@dataclass(frozen=True)
class Article:
    """One article file: its name is its id, its first non-empty line its title."""

    source: str
    title: str
    text: str

    @property
    def sha256(self) -> str:
        return content_hash(self.text)


@dataclass(frozen=True)
class Chunk:
    """A citable span of an article: ``text == article.text[start:end]``."""

    source: str
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.source}:{self.start}-{self.end}"


@dataclass(frozen=True)
class Passage:
    """A chunk returned by retrieval, with its fused relevance score (higher is better)."""

    source: str
    title: str
    text: str
    start: int
    end: int
    score: float
    published: str = ""  # the article's date (ISO), its site and original link, when known
    site: str = ""
    url: str = ""
    closeness: float = 0.0  # its closeness in meaning to the query (cosine); 0 when found by its words only


@dataclass(frozen=True)
class IndexReport:
    """What an index update did, counted in articles."""

    added: int
    updated: int
    removed: int
    unchanged: int
    chunks: int
    seconds: float
    skipped: tuple[str, ...] = ()
    # Seconds until the new and changed articles were searchable by their words (their vectors came after);
    # None when the update embedded nothing, or rebuilt the index (served whole at the end).
    searchable_seconds: float | None = None

    def summary(self) -> str:
        line = (
            f"added {self.added}, updated {self.updated}, removed {self.removed}, "
            f"unchanged {self.unchanged} ({self.chunks} chunks) in {self.seconds:.2f} s"
        )
        if self.searchable_seconds is not None:
            line += f", searchable by their words after {self.searchable_seconds:.2f} s"
        if self.skipped:
            line += f"; skipped {len(self.skipped)}: " + "; ".join(self.skipped)
        return line


@dataclass(frozen=True)
class Citation:
    """A quote that supports a statement of an answer: ``article_text[start:end] == quote``."""

    number: int
    source: str
    quote: str
    start: int
    end: int
    title: str = ""
    published: str = ""  # the article's date (ISO), its site and original link, when known
    site: str = ""
    url: str = ""


@dataclass(frozen=True)
class Statement:
    """One sentence the model wrote, and what the checks made of it: ``failed`` names the checks it did not
    pass (empty when it is part of the answer, as ``shown``, citing ``citations``; an explanation shows the
    sentences that support it, in the article's words)."""

    written: str
    shown: str = ""
    citations: tuple[int, ...] = ()
    failed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    """An answer in the question's language, with the citations its ``[n]`` markers refer to.

    When the articles do not answer (``answered`` False), ``closest`` holds the sentences of the retrieved
    passages closest to the question, exact spans too: where to look, not an answer. ``statements`` are the
    model's sentences as checked, kept or not; ``kind`` is "fact" or "explanation" (why, how, what happened);
    ``read_as_follow_up`` is True when the answer comes from reading the question with the conversation's
    earlier turns.
    """

    question: str
    text: str
    language: Lang
    answered: bool
    citations: list[Citation]
    read_as_follow_up: bool = False
    seconds: float = 0.0
    first_piece_seconds: float = 0.0
    closest: list[Citation] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    kind: str = "fact"


@dataclass(frozen=True)
class IndexStatus:
    """What the index holds now."""

    location: str
    articles: dict[str, str]  # file name -> title
    chunks: int
    embedding_model: str
    updated_at: str
    # Articles found by their words only: an update serves them before writing their vectors (one interrupted
    # leaves them so until the next update).
    words_only: tuple[str, ...] = ()
