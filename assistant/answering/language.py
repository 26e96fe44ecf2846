"""Which language a question (or an answer) is written in: French or English, decided by lingua."""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING

from assistant.types import Lang

if TYPE_CHECKING:
    from lingua import LanguageDetector

logger = logging.getLogger(__name__)

SUPPORTED: tuple[Lang, ...] = ("en", "fr")

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_MARKER = re.compile(r"\[\d+\]")
# Below this confidence the text is too short or too mixed to tell; the caller's fallback decides.
_SURE = 0.6


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
    # The first word is capitalised because it starts the sentence; it still carries the language.
    return " ".join(w for i, w in enumerate(words) if i == 0 or not capitalised[i])


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
    return scores


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
