"""Check every statement of a model's answer against the excerpts it was shown, and pick its citations.

The model's ``[n]`` markers are a hint, never trusted: a statement keeps a citation only when the quoted
sentence holds all of the statement's figures and names and says something close to it (by meaning, across
languages, or by shared words). A statement that no excerpt supports is dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.chunking import sentence_spans
from assistant.excerpts import Quote
from assistant.retrieval import STOPWORDS, content_terms, fold

logger = logging.getLogger(__name__)

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKERS_AFTER_END = re.compile(r"([.!?…])\s*((?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]\s*)+)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORD = re.compile(r"[^\W_][\w\-.]*[^\W_]|[^\W_]")
_POSSESSIVE = re.compile(r"['’]s\b")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\s»\"”’]*\s(?=\W*[A-ZÀ-Ý])")

# Capitalised words that are not names, or that an answer may write in its own language while the
# articles write them in theirs; they need not appear in the quoted sentence.
_GENERIC = frozenset(
    fold(w)
    for w in [
        "CEO",
        "PDG",
        "AI",
        "IA",
        "US",
        "USA",
        "U.S",
        "U",  # "U. S." as a translation may write it
        "S",
        "American",
        "Américain",
        "Américaine",
        "Series",
        "Série",
        "Big",
        "Tech",
        "I",
        "Mr",
        "Mrs",
        "Ms",
        "M",
        "Mme",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Janvier",
        "Février",
        "Mars",
        "Avril",
        "Mai",
        "Juin",
        "Juillet",
        "Août",
        "Septembre",
        "Octobre",
        "Novembre",
        "Décembre",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "English",
        "French",
        "Anglais",
        "Français",
        "Internet",
        "Web",
        "Cloud",
    ]
)

_REFUSAL = re.compile(
    r"NO_ANSWER|\b(?:do(?:es)?n['’]?t|do(?:es)? not|did not|didn['’]t) (?:mention|say|state|specify|provide|"
    r"contain|indicate|give)|\bnot (?:mentioned|specified|provided|stated|given|indicated|available)\b|"
    r"\bno (?:information|mention|data)\b|\bI (?:do not|don['’]t) know\b|\bne (?:le )?(?:mentionne|précise|"
    r"dit|indique|donne|contient|fournit|sais)(?:nt)? pas\b|\baucune (?:information|mention|donnée|indication)\b|"
    r"\bpas d['’](?:information|indication)\b|\bn['’](?:est|sont) pas (?:mentionnée?s?|précisée?s?|"
    r"indiquée?s?|donnée?s?)\b|\bje ne sais pas\b",
    re.IGNORECASE,
)

SIMILARITY_MIN = 0.80
# A translation of a sentence is much closer to it than an answer drawn from it is.
TRANSLATION_MIN = 0.90
OVERLAP_MIN = 0.5


@dataclass(frozen=True)
class Claim:
    """One statement of an answer, without its markers, and the excerpt numbers the model cited."""

    text: str
    markers: tuple[int, ...]


def split_claims(answer: str) -> list[Claim]:
    """The answer's sentences, each with the ``[n]`` markers written inside it or right after it."""
    normalised = _MARKERS_AFTER_END.sub(lambda m: f" {m.group(2).strip()}{m.group(1)} ", answer.strip())
    claims = []
    for start, end in sentence_spans(normalised):
        sentence = normalised[start:end]
        markers = tuple(int(n) for group in _MARKER.findall(sentence) for n in re.split(r"[,;]", group))
        text = " ".join(_MARKER.sub(" ", sentence).split())
        text = re.sub(r"\s+([.,;:!?…])", r"\1", text)
        if text and re.search(r"\w", text):
            claims.append(Claim(text, markers))
    return claims


def is_refusal(text: str) -> bool:
    """True when the text says that the excerpts do not hold the answer."""
    return bool(_REFUSAL.search(text))


def numbers(text: str) -> set[str]:
    """The figures of a text, with "14,3" and "14.3" written alike."""
    return {n.replace(",", ".") for n in _NUMBER.findall(_MARKER.sub(" ", text))}


# Words that scale the figure before them: "870 millions" and "870 million" are one amount, "870 billion"
# another. French "milliard" is the English "billion"; a French article's "billion" (10^12) is not expected.
_SCALES = {
    "thousand": 1e3,
    "mille": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "milliard": 1e9,
    "md": 1e9,
    "mds": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
}
_SCALED = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:de\s+|d['’]\s*)?([^\W\d_]+)")


def amounts(text: str) -> set[str]:
    """The text's figures that a scale word follows, as plain values ("14,3 milliards" = "14.3 billion")."""
    found = set()
    for match in _SCALED.finditer(_MARKER.sub(" ", text)):
        scale = _SCALES.get(fold(match.group(2)).rstrip("s")) or _SCALES.get(fold(match.group(2)))
        if scale:
            found.add(f"{float(match.group(1).replace(',', '.')) * scale:.6g}")
    return found


def word_set(text: str) -> set[str]:
    """The text's words, folded, possessives removed: what names are looked up in."""
    return {fold(w).strip(".-") for w in _WORD.findall(_POSSESSIVE.sub("", text))}


def names(text: str, known: set[str]) -> list[str]:
    """The text's capitalised words (folded); a sentence's first word only when ``known`` holds it."""
    found = []
    for sentence in _SENTENCE_BREAK.split(_POSSESSIVE.sub("", _MARKER.sub(" ", text))):
        for i, word in enumerate(_WORD.findall(sentence)):
            if not any(ch.isupper() for ch in word):
                continue
            folded = fold(word).strip(".-")
            if (i == 0 and folded not in known) or folded in _GENERIC or folded in STOPWORDS or not folded:
                continue
            found.append(folded)
    return found


class ClaimChecker:
    """Decides which quotes (sentences of the shown passages) support a claim."""

    def __init__(self, quotes: Sequence[Quote], shown_text: str = "") -> None:
        self.quotes = list(quotes)
        self._words = [word_set(q.text) for q in self.quotes]
        self._numbers = [numbers(q.text) for q in self.quotes]
        self._amounts = [amounts(q.text) for q in self.quotes]
        self._terms = [set(content_terms(q.text)) for q in self.quotes]
        self.known_words: set[str] = word_set(shown_text).union(*self._words)

    def unsupported_names(self, text: str) -> list[str]:
        """Names in ``text`` that nothing shown to the model mentions."""
        return [n for n in names(text, self.known_words) if n not in self.known_words]

    def distinctive_names(self, question: str) -> list[str]:
        """Names of the question that only some quotes mention: an answer must quote one of those."""
        limit = max(1, len(self.quotes) // 3)
        out = []
        for name in names(question, self.known_words):
            count = sum(name in words for words in self._words)
            if 0 < count <= limit:
                out.append(name)
        return out

    def supports(self, index: int, claim: Claim, claim_vector: Sequence[float]) -> bool:
        """True when quote ``index`` holds the claim's figures and names and says something close."""
        if not numbers(claim.text) <= self._numbers[index] or not amounts(claim.text) <= self._amounts[index]:
            return False
        if any(n not in self._words[index] for n in names(claim.text, self.known_words)):
            return False
        similarity = float(np.asarray(self.quotes[index].vector) @ np.asarray(claim_vector))
        terms = set(content_terms(claim.text))
        overlap = len(terms & self._terms[index]) / len(terms) if terms else 0.0
        logger.debug("claim %r vs quote %d: similarity %.3f, overlap %.2f", claim.text, index, similarity, overlap)
        return similarity >= SIMILARITY_MIN or overlap >= OVERLAP_MIN

    def faithful(self, claim: Claim, claim_vector: Sequence[float], index: int) -> bool:
        """True when the claim says what quote ``index`` says, in other words or another language: the
        same figures, only names the quote holds, and a meaning very close to it."""
        if numbers(claim.text) != self._numbers[index] or amounts(claim.text) != self._amounts[index]:
            return False
        if any(n not in self._words[index] for n in names(claim.text, self.known_words)):
            return False
        similarity = float(np.asarray(self.quotes[index].vector) @ np.asarray(claim_vector))
        logger.debug("rewording %r of quote %d: similarity %.3f", claim.text, index, similarity)
        return similarity >= TRANSLATION_MIN

    def support(self, claim: Claim, claim_vector: Sequence[float]) -> list[int]:
        """Indexes of the quotes to cite for the claim: the closest one that supports it; empty when none does."""
        if self.unsupported_names(claim.text):
            return []
        vec = np.asarray(claim_vector)
        ranked = sorted(range(len(self.quotes)), key=lambda i: -float(np.asarray(self.quotes[i].vector) @ vec))
        return next(([i] for i in ranked if self.supports(i, claim, claim_vector)), [])
