"""Text analysis shared by the lexical index, the search and the answer checks: folding, stop words, stems."""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from pathlib import Path
from types import ModuleType

import Stemmer


def _bm25s_stopwords() -> ModuleType:
    """bm25s's stop word lists, read from its module without importing bm25s itself (which imports scipy:
    over a second of every command's start)."""
    package = importlib.util.find_spec("bm25s")
    if package is None or not package.submodule_search_locations:
        raise ImportError("bm25s is not installed; run 'make install'")
    path = Path(next(iter(package.submodule_search_locations))) / "stopwords.py"
    spec = importlib.util.spec_from_file_location("assistant_bm25s_stopwords", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot read bm25s's stop words at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_LISTS = _bm25s_stopwords()

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
ENGLISH_STOPWORDS = frozenset(fold(w) for w in _LISTS.STOPWORDS_EN)
FRENCH_STOPWORDS = frozenset(fold(w) for w in _LISTS.STOPWORDS_FRENCH)
STOPWORDS = ENGLISH_STOPWORDS | FRENCH_STOPWORDS | frozenset(fold(w) for w in _QUESTION_WORDS)
_STEMMER = Stemmer.Stemmer("french")


def content_terms(text: str) -> list[str]:
    """The text's folded, stemmed words, without stop words: what BM25 matches on."""
    words = [w for w in _TOKEN.findall(fold(text)) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    return list(_STEMMER.stemWords(words))
