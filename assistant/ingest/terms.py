"""Text analysis shared by the lexical index, the search and the answer checks: folding, stop words, stems."""

from __future__ import annotations

import re
import unicodedata

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_DECIMAL = re.compile(r"(?<=\d)[.,](?=\d)")
_TOKEN = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lowercase, strip accents, and join decimals ("14,3" and "14.3" both become "14_3")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _DECIMAL.sub("_", plain.lower())


# Question words say what is asked, not what about: they match nothing useful in an article.
_QUESTION_WORDS = [
    "combien",
    "pourquoi",
    "comment",
    "quand",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "lequel",
    "laquelle",
    "lesquels",
    "qui",
    "quoi",
    "ou",
    "est-ce",
    "who",
    "whom",
    "whose",
    "what",
    "which",
    "how",
    "when",
    "where",
    "why",
]
STOPWORDS = frozenset(fold(w) for w in (*STOPWORDS_EN, *STOPWORDS_FRENCH, *_QUESTION_WORDS))
_STEMMER = Stemmer.Stemmer("french")


def content_terms(text: str) -> list[str]:
    """The text's folded, stemmed words, without stop words: what BM25 matches on."""
    words = [w for w in _TOKEN.findall(fold(text)) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    return list(_STEMMER.stemWords(words))
