"""Check and clean a question before it reaches retrieval or a model: length, invisible characters, words."""

from __future__ import annotations

import logging
import re
import unicodedata

from assistant.errors import BadInputError

logger = logging.getLogger(__name__)

DEFAULT_MAX_QUESTION_CHARS = 2000

# Categories removed outright: format characters (zero-width, bidi overrides that reorder what is shown),
# lone surrogates (not encodable as UTF-8), private use and unassigned code points.
_DROPPED_CATEGORIES = frozenset({"Cf", "Cs", "Co", "Cn"})
_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """``text`` without invisible or unencodable characters, control characters (but newlines and tabs) as
    spaces, in NFC form.

    Used for questions and for conversation history: whatever comes out encodes as UTF-8 and shows what it is.
    """
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            kept.append(ch if ch in "\n\t" else " ")
        elif category not in _DROPPED_CATEGORIES:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def clean_question(question: object, max_chars: int = DEFAULT_MAX_QUESTION_CHARS) -> str:
    """The question as the assistant will use it: cleaned (see ``clean_text``), spaces collapsed.

    Args:
        question: what the user typed.
        max_chars: the longest question accepted (``ASSISTANT_MAX_QUESTION_CHARS``).

    Returns:
        The cleaned question, on one line.

    Raises:
        BadInputError: the question is not text, is empty, too long, or has no letter or digit.
    """
    if not isinstance(question, str):
        raise BadInputError(f"the question must be text, not {type(question).__name__}")
    # Checked before cleaning, so that a huge paste costs nothing.
    if len(question) > max_chars:
        raise BadInputError(
            f"the question is {len(question):,} characters long; the limit is {max_chars:,} "
            "(ASSISTANT_MAX_QUESTION_CHARS): ask it in fewer words"
        )
    cleaned = _SPACES.sub(" ", clean_text(question)).strip()
    if not cleaned:
        raise BadInputError("the question is empty; type a question about the articles")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in cleaned):
        raise BadInputError("the question has no words (only punctuation or symbols); type a question in words")
    if cleaned != question.strip():
        logger.info("question cleaned: %d characters removed or replaced", len(question) - len(cleaned))
    return cleaned
