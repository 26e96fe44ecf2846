"""Figures as answers and articles write them: numbers, their scale ("14,3 milliards"), their units ("$", "%"),
figures written in words, and the words that belong to a figure."""

from __future__ import annotations

import re

from text_to_num import alpha2digit, text2num

from assistant.ingest.terms import content_terms, fold
from assistant.types import Lang

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# "27 000", "27,000" and "27.000" are one figure: a separator followed by exactly three digits groups thousands.
_THOUSANDS = re.compile(r"(?<=\d)[\s\u202f\xa0,.](?=\d{3}(?!\d))")
# Figures written in words are read from two up ("deux joueurs", "two players"): "un", "une" and "one" are more
# often articles and pronouns than figures.
_SPELLED_FROM = 1.5
_SPELLED_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# A scale word in the plural with no figure before it ("hundreds of millions", "des milliers de personnes",
# "tens of thousands") says "many", not how many: text2num would read "hundreds" as 100 and "millions" as a
# million, and a translation of "des centaines de millions" would seem to change its figures.
_VAGUE = re.compile(
    r"(?<![^\W\d_])(?:dozens|tens|hundreds|thousands|millions|billions|trillions|dizaines|douzaines|centaines|"
    r"milliers|milliards)(?![^\W\d_])",
    re.IGNORECASE,
)
_WORD_BEFORE = 40  # characters before a scale word where the word that may count it is looked for
_LONE_INTEGER = re.compile(r"(?<![\d.,\[])\d+(?![\d\]]|[.,]\d)")

# Words scaling the figure before them: "870 millions" and "870 million" are one amount, "870 billion" another.
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
_SCALED_FIGURE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:de\s+|d['’]\s*)?(?:" + "|".join(_SCALES) + r")s?\b", re.IGNORECASE)
# The units a figure is said in, as words, codes or symbols of either language.
_UNITS = {
    "dollar": r"\$|(?<![^\W\d_])(?:dollars?|usd)(?![^\W\d_])",
    "euro": r"€|(?<![^\W\d_])(?:euros?|eur)(?![^\W\d_])",
    "pound": r"£|(?<![^\W\d_])(?:pounds?|livres?\s+sterling|gbp)(?![^\W\d_])",
    "yen": r"¥|(?<![^\W\d_])(?:yens?|jpy)(?![^\W\d_])",
    "yuan": r"(?<![^\W\d_])(?:yuans?|renminbi|rmb|cny)(?![^\W\d_])",
    "percent": r"%|(?<![^\W\d_])(?:pour\s*cent|percent|per\s+cent)(?![^\W\d_])",
}
_UNIT = {unit: re.compile(pattern, re.IGNORECASE) for unit, pattern in _UNITS.items()}
# A figure with the words that belong to it ("about $14.3bn", "environ 870 millions de dollars", "49 %"): they say
# how much, and are compared as the figure is (its value, its scale, its unit), never as words a sentence must hold.
_OF = r"\s*(?:de\s+|d['’]\s*)?"
_ABOUT = (
    r"(?:(?<![^\W\d_])(?:about|around|approximately|roughly|nearly|almost|some|environ|approximativement|presque|"
    r"quelques?|(?:à\s+)?peu\s+près|près\s+(?:de\s+|d['’]\s*))\s*)?"
)
_SCALE_WORD = r"(?<![^\W\d_])(?:" + "|".join(_SCALES) + r"|k)s?(?![^\W\d_])"
_FIGURE = r"(?<![\w.,])\d+(?:[.,]\d+)?(?![.,]?\d)"
_FIGURE_WORDS = re.compile(
    rf"{_ABOUT}(?:[$€£¥]\s*)?{_FIGURE}(?:{_OF}{_SCALE_WORD})?(?:{_OF}(?:{'|'.join(_UNITS.values())}))?(?![^\W\d_])",
    re.IGNORECASE,
)


def numbers(text: str) -> set[str]:
    """The figures of a text, with "14,3" and "14.3" written alike, and those written in words ("onze ans",
    "three chronicles") as digits too."""
    plain = _plain_figures(text)
    # "870 millions" is one figure and its scale (see ``amounts``), not 870 and a million.
    spelled = _without_vague_quantities(_SCALED_FIGURE.sub(" ", plain))
    for language in ("fr", "en"):
        spelled = alpha2digit(spelled, language, threshold=_SPELLED_FROM)
    return {n.replace(",", ".") for n in _NUMBER.findall(plain) + _NUMBER.findall(spelled)}


def _without_vague_quantities(text: str) -> str:
    """The text without its plural scale words that no figure counts ("hundreds of", "des milliers de"); those
    that one does ("trois millions", "two hundred thousands") are kept."""

    def vague(match: re.Match[str]) -> str:
        before = text[max(0, match.start() - _WORD_BEFORE) : match.start()].split()
        counted = bool(before) and (before[-1][-1:].isdigit() or _is_number_word(before[-1]))
        return match.group() if counted else " "

    return _VAGUE.sub(vague, text)


def _is_number_word(word: str) -> bool:
    for language in ("fr", "en"):
        try:
            text2num(fold(word).strip(",;:"), language)
        except ValueError:
            continue
        return True
    return False


def values(text: str) -> set[str]:
    """Every value the text's figures can stand for: each figure as written, and scaled by the word after it
    ("4,4 millions" holds 4.4 and 4,400,000)."""
    return {figure_value(n) for n in numbers(text)} | amounts(text)


def figure_value(figure: str | float) -> str:
    """A figure as a comparable value: "14.30", "14.3" and 14.3 are alike."""
    return f"{float(figure):.6g}"


def _plain_figures(text: str) -> str:
    """The text without citation markers, its figures without thousands separators."""
    return _THOUSANDS.sub("", _MARKER.sub(" ", text))


def amounts(text: str) -> set[str]:
    """The text's figures that a scale word follows, as plain values ("14,3 milliards" = "14.3 billion")."""
    found = set()
    for match in _SCALED.finditer(_plain_figures(text)):
        scale = _SCALES.get(fold(match.group(2)).rstrip("s")) or _SCALES.get(fold(match.group(2)))
        if scale:
            found.add(figure_value(float(match.group(1).replace(",", ".")) * scale))
    return found


def scaled_numbers(text: str) -> set[str]:
    """The text's figures that a scale word follows, as written ("29 milliards" gives "29")."""
    found = set()
    for match in _SCALED.finditer(_plain_figures(text)):
        word = fold(match.group(2))
        if _SCALES.get(word.rstrip("s")) or _SCALES.get(word):
            found.add(match.group(1).replace(",", "."))
    return found


def units(text: str) -> set[str]:
    """The units (currencies, percent) the text names anywhere: "$", "dollars" and "USD" are one."""
    return {unit for unit, pattern in _UNIT.items() if pattern.search(text)}


def figure_units(text: str) -> set[str]:
    """The units the text's figures are said in ("14,3 milliards de dollars" is in dollars)."""
    return set().union(*(units(m.group()) for m in _FIGURE_WORDS.finditer(_plain_figures(text))))


def statement_terms(text: str) -> set[str]:
    """The text's content words (folded, stemmed) but for its figures and the words that belong to them: in
    "870 millions de dollars pour 2024", "millions" and "dollars" are the figure's, not words that a sentence
    could support."""
    return set(content_terms(_FIGURE_WORDS.sub(" ", _plain_figures(text))))


def figures_as_written(answer: str, text: str, language: Lang) -> str:
    """The answer with each figure it writes in digits written as ``text`` (in the same ``language``) writes it
    in words: "3 [1]" becomes "trois [1]" when the sentence says "trois chroniques" and never "3"."""
    held_in_digits = {figure_value(n.replace(",", ".")) for n in _NUMBER.findall(_plain_figures(text))}
    in_words: dict[str, str] = {}
    for word in _SPELLED_WORD.findall(text):
        try:
            value = text2num(word, language)
        except ValueError:
            continue
        if value >= _SPELLED_FROM and figure_value(value) not in held_in_digits:
            in_words.setdefault(figure_value(value), word)
    if not in_words:
        return answer

    def written(match: re.Match[str]) -> str:
        word = in_words.get(figure_value(match.group()))
        if word is None:
            return match.group()
        return word[0].upper() + word[1:].lower() if match.start() == 0 else word.lower()

    return _LONE_INTEGER.sub(written, answer)
