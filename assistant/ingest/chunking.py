"""Cut an article into citable chunks that follow paragraphs and sentences.

Every chunk is an exact span: ``text[chunk.start:chunk.end] == chunk.text``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from assistant.types import Article, Chunk

logger = logging.getLogger(__name__)

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0\r\f\v]*\n")
_WORD = re.compile(r"\S+")
# Where an over-long sentence may be cut: after , ; : or a dash, but never between a number and what follows.
_CLAUSE_BREAK = re.compile(r"(?<=[,;:–—])\s+(?=\S)")
_NUMBER_END = re.compile(r"\d[\d\s.,\u00a0\u202f]*$")


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a clause of an over-long sentence) located in the article."""

    start: int
    end: int
    words: int
    paragraph: int


def count_words(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(_WORD.findall(text))


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    cursor = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        spans.append((cursor, brk.start()))
        cursor = brk.end()
    spans.append((cursor, len(text)))
    return [_strip_span(text, a, b) for a, b in spans if text[a:b].strip()]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    trail = len(piece) - len(piece.rstrip())
    return start + lead, end - trail


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]`` as absolute spans, found by blingfire."""
    import blingfire  # noqa: PLC0415  (0.15 s to import: only when articles or passages are split)

    piece = text[start:end]
    _, offsets = blingfire.text_to_sentences_and_offsets(piece)
    spans = [_strip_span(text, start + a, start + b) for a, b in offsets]
    spans = [(a, b) for a, b in spans if b > a]
    if not spans or not _covers(text, start, end, spans):
        # Should blingfire ever disagree with the text, the paragraph is one sentence: never a wrong span.
        return [(start, end)]
    return spans


def _covers(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """True when the spans are ordered, disjoint, inside [start, end) and skip only white space."""
    cursor = start
    for a, b in spans:
        if a < cursor or b > end or text[cursor:a].strip():
            return False
        cursor = b
    return not text[cursor:end].strip()


def _split_long(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at clause breaks (or spaces), keeping numbers with their units."""
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text, start, end)]
    if not breaks:
        breaks = [
            m.start()
            for m in re.finditer(r"\s+", text[start:end])
            if not _NUMBER_END.search(text[start : start + m.start()])
        ]
        breaks = [start + b for b in breaks]
    pieces: list[tuple[int, int]] = []
    cursor = start
    last_good = None
    for brk in breaks:
        if count_words(text[cursor:brk]) > max_words and last_good is not None:
            pieces.append(_strip_span(text, cursor, last_good))
            cursor = last_good
        last_good = brk
    pieces.append(_strip_span(text, cursor, end))
    return [(a, b) for a, b in pieces if b > a]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of ``text`` (headings and other one-line paragraphs count as one), as exact spans."""
    return [span for p_start, p_end in _paragraph_spans(text) for span in _sentence_spans(text, p_start, p_end)]


def _units(text: str, max_words: int) -> list[_Unit]:
    units = []
    for number, (p_start, p_end) in enumerate(_paragraph_spans(text)):
        for s_start, s_end in _sentence_spans(text, p_start, p_end):
            words = count_words(text[s_start:s_end])
            parts = _split_long(text, s_start, s_end, max_words) if words > max_words else [(s_start, s_end)]
            for a, b in parts:
                units.append(_Unit(a, b, count_words(text[a:b]), number))
    return units


def chunk_spans(text: str, min_words: int = 40, max_words: int = 120) -> list[tuple[int, int]]:
    """Spans of the chunks of ``text``: whole sentences, ``min_words``–``max_words`` words where possible.

    A chunk prefers to end where a paragraph ends once it holds ``min_words``; a chunk that ends inside a
    paragraph shares its last sentence with the next chunk, so that no statement loses its context.
    """
    units = _units(text, max_words)
    words_after = [0] * (len(units) + 1)
    for k in range(len(units) - 1, -1, -1):
        words_after[k] = words_after[k + 1] + units[k].words
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j = i
        words = units[i].words
        while j + 1 < len(units):
            nxt = units[j + 1]
            ends_paragraph = nxt.paragraph != units[j].paragraph
            # A short tail of the article joins this chunk rather than standing alone.
            short_tail = words_after[j + 1] < min_words and words + words_after[j + 1] <= max_words
            if words + nxt.words > max_words or (ends_paragraph and words >= min_words and not short_tail):
                break
            j += 1
            words += nxt.words
        spans.append((units[i].start, units[j].end))
        if j + 1 >= len(units):
            break
        overlap = j > i and units[j + 1].paragraph == units[j].paragraph
        i = j if overlap else j + 1
    return spans


def chunk_article(article: Article, min_words: int = 40, max_words: int = 120) -> list[Chunk]:
    """The article's chunks, each an exact span of its text."""
    return [
        Chunk(source=article.source, start=a, end=b, text=article.text[a:b])
        for a, b in chunk_spans(article.text, min_words, max_words)
    ]
