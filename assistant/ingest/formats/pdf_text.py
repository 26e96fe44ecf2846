"""Rebuild paragraphs from the lines of a PDF's pages, and clean the text of its document information.

A PDF holds lines placed on pages, not paragraphs. The lines are joined back into paragraphs with a simple,
general heuristic (hyphenated line breaks, short lines, sentence ends), and the page furniture is dropped
(running headers and footers, page numbers).
"""

from __future__ import annotations

import logging
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Literal

logger = logging.getLogger(__name__)

# Lines at the top and at the bottom of a page where running headers, footers and page numbers sit.
_EDGE_LINES = 3
# A line this much shorter than the typical line ends its paragraph.
_SHORT_LINE_SHARE = 0.6
_SENTENCE_END = (".", "!", "?", ":", "»", '"', "”")
_PARAGRAPH_START_QUOTES = "«\"“'‘"
_BULLETS = "•▪◦●■"
_PAGE_NUMBER = re.compile(r"(?:page\s*)?[-–]?\s*\d{1,5}\s*[-–]?(?:\s*(?:/|of|sur|de)\s*\d{1,5})?", re.IGNORECASE)
_HYPHENATED = re.compile(r"[^\W\d_]-$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Runs of spaces are layout; a no-break space is typography (French puts one before ! ? : ;) and stays.
_SPACES = re.compile(r"[ \t]{2,}")
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})

# How a line follows the one before it: "unhyphenate" drops the hyphen (or soft hyphen) that cut a word.
Joint = Literal["break", "space", "unhyphenate"]


def paragraphs_from_pages(pages: Sequence[str]) -> list[str]:
    """Rebuild paragraphs from the lines of each page's text, without the page headers, footers and numbers."""
    page_lines = _without_page_furniture([[_clean_line(line) for line in page.splitlines()] for page in pages])
    lines = [line for page in page_lines for line in page]
    typical = _typical_length(lines)
    paragraphs: list[str] = []
    current = ""
    previous = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = previous = ""
            continue
        if not current:
            current = previous = line
            continue
        joint = _joint(previous, line, typical)
        if joint == "break":
            paragraphs.append(current)
            current = line
        elif joint == "space":
            current = f"{current} {line}"
        else:
            current = current[:-1] + line
        previous = line
    if current:
        paragraphs.append(current)
    return [unicodedata.normalize("NFC", paragraph) for paragraph in paragraphs]


def one_line(text: str) -> str:
    """The text on one line, without control characters or runs of white space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _clean_line(line: str) -> str:
    """A line without control characters, ligatures or surrounding spaces."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", line).translate(_LIGATURES)).strip()


def _typical_length(lines: list[str]) -> float:
    """The length of a full line: the upper quartile, since headings and paragraph ends are shorter."""
    lengths = [len(line) for line in lines if line]
    if len(lengths) < 2:
        return float(lengths[0]) if lengths else 0.0
    return statistics.quantiles(lengths, n=4)[2]


def _joint(previous: str, line: str, typical: float) -> Joint:
    """How ``line`` follows the line before it: in a new paragraph, after a space, or ending a hyphenated word."""
    if previous.endswith("\u00ad") or (_HYPHENATED.search(previous) and line[0].islower()):
        return "unhyphenate"
    if len(previous) <= _SHORT_LINE_SHARE * typical:
        return "break"
    starts_sentence = line[0].isupper() or line[0].isdigit() or line[0] in _PARAGRAPH_START_QUOTES
    if (previous.endswith(_SENTENCE_END) and starts_sentence) or line[0] in _BULLETS:
        return "break"
    return "space"


def _edge_indexes(lines: list[str]) -> tuple[list[int], list[int]]:
    """The indexes of the first and of the last few non-empty lines of a page."""
    filled = [index for index, line in enumerate(lines) if line]
    return filled[:_EDGE_LINES], filled[-_EDGE_LINES:]


def _furniture_key(line: str) -> str:
    """What a running header or footer has in common from page to page (page numbers vary)."""
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def _without_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """The pages without bare page numbers and lines that recur at the top or bottom of most pages.

    The first page keeps a recurring line at its top: a running header is often the document's title.
    """
    counts: Counter[str] = Counter()
    for lines in pages:
        top, bottom = _edge_indexes(lines)
        counts.update({_furniture_key(lines[index]) for index in top + bottom})
    recurring = {key for key, count in counts.items() if count >= max(3, (len(pages) + 1) // 2)}
    cleaned = []
    for page_number, lines in enumerate(pages):
        top, bottom = _edge_indexes(lines)
        kept_header = top if page_number == 0 else []
        drop = {
            index
            for index in top + bottom
            if _PAGE_NUMBER.fullmatch(lines[index])
            or (_furniture_key(lines[index]) in recurring and index not in kept_header)
        }
        cleaned.append([line for index, line in enumerate(lines) if index not in drop])
    return cleaned
