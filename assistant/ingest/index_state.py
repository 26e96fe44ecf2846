"""The index's state as the pointer records it: which collection serves which articles, built by which model.

``IndexState`` is what ``ChromaStore`` reads and switches in one write: the pointer's own fields (small, read on
every question) and its manifest, one JSON document of the served articles (``ArticleRecord``) and of the
article keys an update left pending.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArticleRecord:
    """What the index holds of one article: its content hash, title and number of chunks; and the file's size,
    time and duplicate key when it was read (-1 and "" when unknown: the next update reads the file)."""

    key: str
    title: str
    chunks: int
    size: int = -1
    mtime_ns: int = -1
    text_key: str = ""
    # From the article's metadata, when it has some: what filters and citations show.
    published: str = ""
    site: str = ""
    url: str = ""
    # False while the article is searchable by its words only: an update serves its lexical rows first and
    # writes its vectors after (an update interrupted meanwhile leaves it False: the next one embeds it).
    embedded: bool = True


@dataclass(frozen=True)
class IndexState:
    """The pointer: which collection serves which articles, built by which model."""

    collection: str
    embedding_model: str
    articles: dict[str, ArticleRecord] = field(default_factory=dict)
    updated_at: str = ""
    # Article keys whose chunks may be in the collection without being served (an update under way or
    # interrupted): the next update deletes them unless the manifest serves them.
    pending: tuple[str, ...] = ()

    @cached_property
    def served_keys(self) -> frozenset[str]:
        return frozenset(record.key for record in self.articles.values())

    @cached_property
    def embedded_keys(self) -> frozenset[str]:
        """Keys of the served articles whose vectors are all written."""
        return frozenset(record.key for record in self.articles.values() if record.embedded)

    @cached_property
    def chunk_count(self) -> int:
        return sum(record.chunks for record in self.articles.values())

    def to_metadata(self) -> dict[str, str]:
        """The pointer's own fields (small: read on every question)."""
        return {
            "collection": self.collection,
            "embedding_model": self.embedding_model,
            "updated_at": self.updated_at,
        }

    def manifest(self) -> str:
        """The served articles and the pending keys, as one JSON document (large: read when it changes)."""
        articles = {
            s: {
                "key": r.key,
                "title": r.title,
                "chunks": r.chunks,
                "size": r.size,
                "mtime_ns": r.mtime_ns,
                "text_key": r.text_key,
                **{k: v for k, v in (("published", r.published), ("site", r.site), ("url", r.url)) if v},
                **({} if r.embedded else {"embedded": False}),
            }
            for s, r in self.articles.items()
        }
        return json.dumps({"articles": articles, "pending": list(self.pending)}, ensure_ascii=False)

    @classmethod
    def from_metadata(cls, meta: dict[str, Any], manifest: str | None = None) -> IndexState:
        """The state from the pointer's fields and its manifest (the pointer held both before version 0.2)."""
        held = json.loads(manifest) if manifest is not None else {"articles": json.loads(str(meta["articles"]))}
        pending = held.get("pending", json.loads(str(meta.get("pending", "[]"))))
        return cls(
            collection=str(meta["collection"]),
            embedding_model=str(meta["embedding_model"]),
            articles={s: ArticleRecord(**r) for s, r in held["articles"].items()},
            updated_at=str(meta.get("updated_at", "")),
            pending=tuple(pending),
        )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
