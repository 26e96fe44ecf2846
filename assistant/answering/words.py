"""The words and names of a text as the answer checks compare them: its folded words and the acronyms of its runs
of capitalised words, its names (capitalised words that are not calendar words, languages or titles), and whether a
word or a stem is found among others, spelt in the other language or stemmed a letter apart."""

from __future__ import annotations

import re

from assistant.ingest.terms import STOPWORDS, fold

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_WORD = re.compile(r"[^\W_][\w\-.]*[^\W_]|[^\W_]")
_POSSESSIVE = re.compile(r"['’]s\b")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\s»\"”’]*\s(?=\W*[A-ZÀ-Ý])")

# Capitalised words that are not names: calendar words, languages and titles (a chief executive is the "CEO" of an
# English sentence and the "PDG" of a French one), written in either language.
_GENERIC = frozenset(
    fold(w)
    for w in [
        "I",
        "Mr",
        "Mrs",
        "Ms",
        "M",
        "Mme",
        "Dr",
        "CEO",
        "PDG",
        "DG",
        "CFO",
        "CTO",
        "COO",
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
        "Lundi",
        "Mardi",
        "Mercredi",
        "Jeudi",
        "Vendredi",
        "Samedi",
        "Dimanche",
        "English",
        "French",
        "Anglais",
        "Français",
    ]
)

_LETTERS = re.compile(r"[^\W\d_]+|\S")
_ACRONYM_WORDS = 5
_PREFIX = 5  # a name and its spelling in the other language share their first letters (Philippe, Philip)
_STEM_MIN = 3


def word_set(text: str) -> set[str]:
    """The text's words, folded, possessives removed, and the initials of its runs of capitalised words
    ("uk" for "United Kingdom"): what names are looked up in."""
    plain = _POSSESSIVE.sub("", text)
    return {fold(w).strip(".-") for w in _WORD.findall(plain)} | _initials(plain)


def _initials(text: str) -> set[str]:
    """The initials of every run of two to five capitalised words, stop words between them skipped: what an
    acronym of them would be ("uk" for "United Kingdom", "fifa" for "Fédération Internationale de Football
    Association")."""
    found: set[str] = set()
    run: list[str] = []
    for word in [*_LETTERS.findall(text), "."]:
        if fold(word) in STOPWORDS:
            continue
        if word[0].isupper():
            run.append(word)
            continue
        for i in range(len(run)):
            for j in range(i + 2, min(len(run), i + _ACRONYM_WORDS) + 1):
                found.add(fold("".join(w[0] for w in run[i:j])))
        run = []
    return found


def names(text: str, known: set[str]) -> list[str]:
    """The text's capitalised words (folded); a sentence's first word only when ``known`` holds it."""
    found = []
    for sentence in _SENTENCE_BREAK.split(_POSSESSIVE.sub("", _MARKER.sub(" ", text))):
        for i, word in enumerate(_WORD.findall(sentence)):
            if not any(ch.isupper() for ch in word):
                continue
            folded = fold(word).strip(".-")
            if (i == 0 and not found_in(folded, known)) or folded in _GENERIC or folded in STOPWORDS or not folded:
                continue
            found.append(folded)
    return found


def found_in(word: str, words: set[str]) -> bool:
    """``word`` is among ``words``, or shares its first letters with one (a name spelt in the other language)."""
    if word in words:
        return True
    if len(word) < _PREFIX or word.isdigit():
        return False
    return any(len(w) >= _PREFIX and w[:_PREFIX] == word[:_PREFIX] for w in words)


def term_found_in(term: str, terms: set[str]) -> bool:
    """``term`` (a stem) is found among ``terms`` as a word is, or with a letter more or less at its end: the
    stemmer leaves "cede" of "cédée" and "ced" of "cède"."""
    if found_in(term, terms):
        return True
    if term.isdigit() or len(term) < _STEM_MIN:
        return False
    return any(t[:-1] == term or term[:-1] == t for t in terms if len(t) >= _STEM_MIN)
