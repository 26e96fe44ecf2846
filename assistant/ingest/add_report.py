"""What an addition of articles did: the articles written, those already there, the inputs that could not be used."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from assistant.ingest.documents import Metadata

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AddedArticle:
    """An article written into the folder: its file name, title and metadata; ``replaced`` when it took the
    place of a shorter version of itself (a feed's summary, say)."""

    name: str
    title: str
    meta: Metadata
    replaced: bool = False


@dataclass
class AddReport:
    """What an addition did: the articles written, those already there, the inputs that could not be used."""

    added: list[AddedArticle] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"added {a.name} — {a.title}" + (" (a fuller version)" if a.replaced else "") for a in self.added]
        out += [f"already there: {m}" for m in self.already]
        out += [f"note: {m}" for m in self.notes]
        out += [f"not added: {m}" for m in self.problems]
        return out
