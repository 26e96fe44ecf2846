"""Which language a question (or an answer) is written in: French or English, decided by lingua."""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING

from assistant.ingest.terms import ENGLISH_STOPWORDS, FRENCH_STOPWORDS, fold
from assistant.types import Lang

if TYPE_CHECKING:
    from lingua import LanguageDetector

logger = logging.getLogger(__name__)

SUPPORTED: tuple[Lang, ...] = ("en", "fr")

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_MARKER = re.compile(r"\[\d+\]")
# The short words that join the parts of a name ("Hôtel de la Marine", "Bank of England"), not "et" or "and",
# which join two names.
_NAME_PARTICLES = frozenset({"de", "du", "des", "la", "le", "of", "the", "von", "van", "der", "den", "di", "da", "del"})
# Below this confidence the text is too short or too mixed to tell; the caller's fallback decides.
_SURE = 0.6

# Function words of one language only ("est", "une", "the", "was"): on a few words lingua is unsure ("Manu
# Sharma est le PDG de Labelbox" scores 0.57 French, "Labelbox examine une alternative" 0.69 English), while
# such words tell at once. Left out: single letters (elisions are counted apart) and French stop words that are
# English words too.
_ENGLISH_WORDS_IN_FRENCH_LIST = frozenset({"me", "son", "ton", "pour", "par", "ma", "ta", "te", "es", "eu", "tu"})
# The stop-word lists leave out the words a question is framed with ("who", "did", "pourquoi"), which tell its
# language when the rest is a French term in an English question ("Who is the président du Sénat?").
_FRAME_WORDS: dict[Lang, frozenset[str]] = {
    "fr": frozenset((
        "pourquoi", "quand", "combien", "quel", "quelle", "quels", "quelles", "lequel", "laquelle", "quoi", "cette",
        "cet", "aussi", "selon", "depuis", "lorsque", "parce",
    )),
    "en": frozenset((
        "who", "whom", "whose", "what", "which", "how", "when", "where", "why", "did", "does", "do", "were", "has",
        "have", "had", "been", "from", "about", "would", "could", "should", "can", "his", "her", "its", "he", "she",
        "we", "you", "after", "before", "many", "much",
    )),
}  # fmt: skip
_FUNCTION_WORDS: dict[Lang, frozenset[str]] = {
    "fr": frozenset(
        w for w in FRENCH_STOPWORDS - ENGLISH_STOPWORDS if len(w) > 1 and w not in _ENGLISH_WORDS_IN_FRENCH_LIST
    )
    | _FRAME_WORDS["fr"],
    "en": frozenset(w for w in ENGLISH_STOPWORDS - FRENCH_STOPWORDS if len(w) > 1) | _FRAME_WORDS["en"],
}
_ELISION = re.compile(r"(?<![\w'’])(?:[cdjlmnst]|qu)['’](?=[^\W\d_])", re.IGNORECASE)  # l'armée, qu'il
# How sure one, and two or more, function words of one language make the text, when the other has none or
# a clear minority of them.
_FUNCTION_WORDS_SURE = (0.8, 0.9)
# How many times more function words of one language than of the other make it the text's language, whatever
# its other words: a French term in an English question ("What were the villes de sûreté granted to…?").
_MAJORITY = 2


@functools.cache
def _detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder  # noqa: PLC0415  (loads language models)

    builder = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH)
    return builder.with_preloaded_language_models().build()


# Languages a question is commonly asked in that the assistant does not answer in: it says so, in English.
_OTHER_LANGUAGES = ("GERMAN", "SPANISH", "ITALIAN", "PORTUGUESE", "DUTCH")
_OTHER_SURE = 0.5
_OURS_AT_MOST = 0.25
_OTHER_MIN_WORDS = 3


@functools.cache
def _wide_detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder  # noqa: PLC0415

    languages = [Language.ENGLISH, Language.FRENCH] + [getattr(Language, name) for name in _OTHER_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


def preload() -> None:
    """Load the detectors' language models now (about 1 s), not during the first question."""
    _detector()
    _wide_detector()


def other_language(text: str) -> str | None:
    """The name of the language ``text`` is written in ("German"), when it is clearly neither French nor
    English; None otherwise."""
    content = _content_for_detection(text)
    if len(content.split()) < _OTHER_MIN_WORDS:
        return None
    values = _wide_detector().compute_language_confidence_values(content)
    if not values:
        return None
    top = values[0]
    ours = sum(v.value for v in values if v.language.name in ("ENGLISH", "FRENCH"))
    if top.language.name in _OTHER_LANGUAGES and top.value >= _OTHER_SURE and ours <= _OURS_AT_MOST:
        return top.language.name.capitalize()
    return None


def _content_for_detection(text: str) -> str:
    """The text without citation markers and capitalised names, which belong to no language."""
    words = _WORD.findall(_MARKER.sub(" ", text))
    capitalised = [any(ch.isupper() for ch in w) for w in words]
    if all(capitalised):
        return ""  # names only ("Alexandr Wang", "Meta ?")
    # The first word is capitalised because it starts the sentence; it still carries the language. The particles
    # inside a name are the name's.
    return " ".join(
        w for i, w in enumerate(words) if i == 0 or not (capitalised[i] or _inside_a_name(words, capitalised, i))
    )


def _inside_a_name(words: list[str], capitalised: list[bool], i: int) -> bool:
    """Whether ``words[i]`` joins the parts of a name: a particle after a capitalised word, before one or
    before another particle and one ("de la Marine")."""
    if words[i].lower() not in _NAME_PARTICLES or not capitalised[i - 1]:
        return False
    ahead = words[i + 1 : i + 3]
    return bool(ahead) and (
        capitalised[i + 1] or (len(ahead) > 1 and ahead[0].lower() in _NAME_PARTICLES and capitalised[i + 2])
    )


def language_scores(text: str) -> dict[Lang, float]:
    """Confidence (0–1, summing to 1) that ``text`` is French or English."""
    content = _content_for_detection(text)
    if not content.strip():
        return {"en": 0.5, "fr": 0.5}
    scores: dict[Lang, float] = {"en": 0.0, "fr": 0.0}
    for value in _detector().compute_language_confidence_values(content):
        code = value.language.iso_code_639_1.name.lower()
        if code in scores:
            scores[code] = float(value.value)
    votes = _function_words(content)
    pairs: tuple[tuple[Lang, Lang], ...] = (("fr", "en"), ("en", "fr"))
    for language, other in pairs:
        if votes[language] and votes[language] >= _MAJORITY * votes[other]:
            sure = _FUNCTION_WORDS_SURE[min(votes[language], len(_FUNCTION_WORDS_SURE)) - 1]
            if scores[language] < sure:
                scores[language], scores[other] = sure, 1 - sure
    return scores


def _function_words(content: str) -> dict[Lang, int]:
    """How many function words of each language only the text holds (a French elision counts as one)."""
    words = [fold(w) for w in re.findall(r"[^\W\d_]+", _ELISION.sub(" ", content))]
    counts: dict[Lang, int] = {language: sum(w in found for w in words) for language, found in _FUNCTION_WORDS.items()}
    counts["fr"] += len(_ELISION.findall(content))
    return counts


def detect_language(text: str, fallback: Lang = "en") -> Lang:
    """``"fr"`` or ``"en"``; ``fallback`` when the text does not say (a name alone, "Et Google ?" is French)."""
    scores = language_scores(text)
    best: Lang = max(scores, key=lambda code: scores[code])
    if scores[best] < _SURE:
        # French typography puts a space before ? ! : ; — a hint when the words alone do not tell.
        if re.search(r"\s[?!:;]", text):
            return "fr"
        return fallback
    return best
