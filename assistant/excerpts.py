"""What the model is shown (the best passages, as numbered blocks) and what may be quoted from them
(their sentences, each an exact span of its article)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.chunking import count_words, sentence_spans
from assistant.embedding import ArticleEmbedder
from assistant.retrieval import content_terms
from assistant.types import Passage

logger = logging.getLogger(__name__)

_MIN_WORDS = 5  # datelines and bylines are not quotable facts
_HEADING_WORDS = 25  # a line this short without end punctuation is a heading
_LEXICAL_WEIGHT = 0.3
_BLOCK_WEIGHT = 0.02


@dataclass(frozen=True)
class Quote:
    """A sentence of a shown passage: ``article_text[start:end] == text``; ``block`` is the passage's index."""

    source: str
    title: str
    start: int
    end: int
    text: str
    block: int
    vector: tuple[float, ...]


@dataclass(frozen=True)
class Excerpts:
    """The passages shown to the model and the sentences of theirs that can be quoted."""

    blocks: list[Passage]
    quotes: list[Quote]


class SentenceVectors:
    """Passage embeddings of sentences, remembered (LRU) so that a sentence is embedded once."""

    def __init__(self, embedder: ArticleEmbedder, capacity: int = 20000) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._cache: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            fresh = self.embedder.embed_documents(missing)
            with self._lock:
                for text, vec in zip(missing, fresh, strict=True):
                    self._cache[text] = tuple(vec)
                while len(self._cache) > self.capacity:
                    self._cache.popitem(last=False)
        with self._lock:
            out = []
            for text in texts:
                if text not in self._cache:  # evicted meanwhile by another thread
                    self._cache[text] = tuple(self.embedder.embed_documents([text])[0])
                self._cache.move_to_end(text)
                out.append(self._cache[text])
            return out


def quotable(sentence: str, title: str = "") -> bool:
    """A sentence that states something: not the title, a heading, a dateline or a one-word line."""
    words = count_words(sentence)
    if words < _MIN_WORDS or sentence.strip() == title.strip():
        return False
    return words >= _HEADING_WORDS or sentence.rstrip()[-1] in '.!?…»")'


def gather_excerpts(passages: Sequence[Passage], sentence_vectors: SentenceVectors, limit: int) -> Excerpts:
    """The first ``limit`` passages and their quotable sentences (each sentence once)."""
    blocks = list(passages[:limit])
    seen: set[str] = set()
    found: list[tuple[Passage, int, int, int]] = []
    for index, passage in enumerate(blocks):
        for a, b in sentence_spans(passage.text):
            sentence = passage.text[a:b]
            if sentence in seen or not quotable(sentence, passage.title):
                continue
            seen.add(sentence)  # overlapping chunks give the same sentence twice
            found.append((passage, a, b, index))
    vectors = sentence_vectors.vectors([p.text[a:b] for p, a, b, _ in found])
    quotes = [
        Quote(p.source, p.title, p.start + a, p.start + b, p.text[a:b], index, vec)
        for (p, a, b, index), vec in zip(found, vectors, strict=True)
    ]
    return Excerpts(blocks, quotes)


def rank_quotes(question: str, question_vector: Sequence[float], quotes: Sequence[Quote], limit: int) -> list[Quote]:
    """The ``limit`` quotes closest to the question: cosine similarity, plus a share of the question's
    content words the sentence holds, less a little for coming from a lower-ranked passage."""
    q_terms = set(content_terms(question))
    q = np.asarray(question_vector, dtype=np.float32)

    def score(quote: Quote) -> float:
        similarity = float(np.asarray(quote.vector, dtype=np.float32) @ q)
        overlap = len(q_terms & set(content_terms(quote.text))) / len(q_terms) if q_terms else 0.0
        return similarity + _LEXICAL_WEIGHT * overlap - _BLOCK_WEIGHT * quote.block

    return sorted(quotes, key=score, reverse=True)[:limit]
