"""The sentences of the retrieved passages, each an exact span of its article: what a statement of the answer is
checked against and cited as, and, ranked by closeness to the question, what a refusal shows."""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.ingest.chunking import count_words, sentence_spans
from assistant.ingest.embedding import ArticleEmbedder
from assistant.ingest.terms import content_terms
from assistant.types import Passage

logger = logging.getLogger(__name__)

_MIN_WORDS = 5  # datelines and bylines are not quotable facts
_HEADING_WORDS = 25  # a line this short without end punctuation is a heading
_LEXICAL_WEIGHT = 0.3


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


# Text addressed to an AI assistant rather than to readers: an article's sentences are shown to the model as
# data to judge, so a sentence that tries to instruct it is never shown or quoted.
_INSTRUCTION = re.compile(
    # An order at the start of a sentence (after an optional "IMPORTANT:"): "Ignore your instructions…".
    r"^\W*(?:[\w ]{1,30}:\s*)?(?:please\s+|s'il te plaît,?\s+)?(?:ignore[zs]?|disregard|forget|oublie[zs]?|override)"
    r"\b.{0,60}\b(?:instructions?|consignes?|prompts?|rules|règles|directives?)\b"
    r"|\bsystem prompt\b|\bprompt (?:système|systeme)\b"
    r"|\b(?:reply|answer|respond|say|réponds|répondez|dis|dites)\b.{0,40}\b(?:every|any|all|each|toutes?|chaque)"
    r"\b.{0,20}\bquestions?\b"
    r"|\byou are (?:now )?(?:an? )?(?:ai|assistant|chatbot|language model|llm)\b"
    r"|\btu es (?:maintenant )?(?:un |une )?(?:assistant|ia|chatbot)\b"
    r"|<\|im_(?:start|end)\|>|\[/?INST\]|^\W*(?:system|assistant)\s*:",
    re.IGNORECASE,
)


def addresses_the_model(sentence: str) -> bool:
    """True when a sentence reads as instructions to an AI (a prompt injection), not as news."""
    return bool(_INSTRUCTION.search(sentence))


def quotable(sentence: str, title: str = "") -> bool:
    """A sentence that states something: not the title, a heading, a dateline, a one-word line, or text that
    tries to instruct the model."""
    words = count_words(sentence)
    if words < _MIN_WORDS or sentence.strip() == title.strip() or addresses_the_model(sentence):
        if addresses_the_model(sentence):
            logger.info("not shown to the model (reads as instructions to it): %r", sentence[:80])
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
    content words the sentence holds, each word weighted by how rare it is among the quotes."""
    q_terms = set(content_terms(question))
    quote_terms = [set(content_terms(quote.text)) for quote in quotes]
    frequency = Counter(t for terms in quote_terms for t in terms & q_terms)
    weight = {t: math.log(1 + len(quotes) / (1 + frequency[t])) for t in q_terms}
    total = sum(weight.values()) or 1.0
    q = np.asarray(question_vector, dtype=np.float32)

    def score(i: int) -> float:
        similarity = float(np.asarray(quotes[i].vector, dtype=np.float32) @ q)
        overlap = sum(weight[t] for t in q_terms & quote_terms[i]) / total
        return similarity + _LEXICAL_WEIGHT * overlap

    return [quotes[i] for i in sorted(range(len(quotes)), key=score, reverse=True)[:limit]]


def as_read(passage: Passage) -> Passage:
    """The passage as the model reads it: without the sentences that read as instructions to it (they are
    never shown to the model, nor quoted)."""
    spans = sentence_spans(passage.text)
    kept = [passage.text[a:b] for a, b in spans if not addresses_the_model(passage.text[a:b])]
    if len(kept) == len(spans):
        return passage
    dropped = len(spans) - len(kept)
    logger.info("%s: %d sentences that read as instructions to the model not shown", passage.source, dropped)
    return replace(passage, text=" ".join(kept))
