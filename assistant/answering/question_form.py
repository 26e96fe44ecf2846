"""What kind of answer a question asks for: a yes or a no ("Is this Meta's biggest investment?", "Meta
avait-elle déjà investi ?"), a quantity ("How much…?", "Quelle part…?"), or another fact. A yes or a no
alone says nothing the code can check against a sentence, so such a question is answered with the fact that
decides it, and the leading yes or no is left out of the check; a quantity is answered with a figure."""

from __future__ import annotations

import re

# English asks yes or no with an auxiliary first: "Is…", "Did…", "Have…" ("And is…").
_ENGLISH = re.compile(
    r"^\W*(?:(?:and|so|but)\s+)?(?:is|are|was|were|am|do|does|did|has|have|had|can|could|will|would|shall|"
    r"should|may|might|must)(?:n['’]t)?\b",
    re.IGNORECASE,
)
# French with "est-ce que" first, or with the subject after the verb ("avait-elle", "a-t-il", "a t il") and
# no question word ("Quand Meta a-t-elle…" asks a fact).
_FRENCH_EST_CE = re.compile(r"^\W*(?:et\s+)?est[- ]ce\s+qu", re.IGNORECASE)
_FRENCH_INVERTED = re.compile(
    r"[^\W\d_]-(?:t-)?(?:il|elle|ils|elles|on|je|tu|nous|vous)\b|\bt[- ](?:il|elle|on)\b", re.IGNORECASE
)
_FRENCH_QUESTION_WORD = re.compile(
    r"(?<![\w-])(?:qui|que|qu['’]|quoi|quel(?:le)?s?|lequel|laquelle|lesquel(?:le)?s|quand|où|comment|combien|"
    r"pourquoi)(?![\w-])",
    re.IGNORECASE,
)
# "How much…?", "Combien…?", "Quelle part…?" ("And how many…", "Et combien…").
_QUANTITY = re.compile(
    r"^\W*(?:(?:and|so|et|alors)\s+)?(?:how\s+(?:many|much)|combien|(?:what|which)\s+(?:percentage|share|"
    r"proportion|amount|sum)|quel(?:le)?\s+(?:pourcentage|part|proportion|montant|somme))\b",
    re.IGNORECASE,
)
_YES_OR_NO = re.compile(r"^\W*(?:yes|no|oui|non|si)\b[\s,.;:!—–-]*", re.IGNORECASE)


def asks_yes_or_no(question: str) -> bool:
    """Whether the question is answered by a yes or a no."""
    if _ENGLISH.search(question) or _FRENCH_EST_CE.search(question):
        return True
    return bool(_FRENCH_INVERTED.search(question)) and not _FRENCH_QUESTION_WORD.search(question)


def without_yes_or_no(answer: str) -> str:
    """The answer without its leading yes or no: the fact that the sentences must hold."""
    return _YES_OR_NO.sub("", answer, count=1)


def asks_a_quantity(question: str) -> bool:
    """Whether the question asks how much or how many: its answer is a figure."""
    return bool(_QUANTITY.search(question))
