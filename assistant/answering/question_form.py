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
_PRONOUN_AFTER_VERB = r"(?<=[^\W\d_])-(?:t-)?(?:il|elle|ils|elles|on|je|tu|nous|vous)\b"
_FRENCH_INVERTED = re.compile(rf"{_PRONOUN_AFTER_VERB}|\bt[- ](?:il|elle|on)\b", re.IGNORECASE)
_SUBJECT_AFTER_VERB = re.compile(_PRONOUN_AFTER_VERB, re.IGNORECASE)
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


def in_statement_order(question: str) -> str:
    """The question without the pronoun a French question puts after its verb: "se sont-elles rassemblées"
    as a statement says it, "se sont rassemblées"."""
    return _SUBJECT_AFTER_VERB.sub("", question)


def without_yes_or_no(answer: str) -> str:
    """The answer without its leading yes or no: the fact that the sentences must hold."""
    return _YES_OR_NO.sub("", answer, count=1)


def asks_a_quantity(question: str) -> bool:
    """Whether the question asks how much or how many: its answer is a figure."""
    return bool(_QUANTITY.search(question))


# Why, how (not "how much", "how old"…), what happened, what someone said, the reasons or consequences of
# something: a question answered with one to three sentences rather than one fact.
_EXPLANATION = re.compile(
    r"\bwhy\b|\bhow\b(?!\s+(?:many|much|old|long|far|big|large|wide|tall|high|often|soon|early|late)\b)|"
    r"\bwhat\s+(?:happened|happens|caused|causes|led|explains|made)\b|\bwhat\s+(?:did|does|do|has|have)\b.{1,60}"
    r"\b(?:say|said|announce|announced|claim|claimed|criticize|criticise|blame|reproach|accuse|want|plan|"
    r"propose|decide|explain)\b|\b(?:reasons?|causes?|consequences?|effects?|impact)\b|\bexplain\b|"
    r"\bwhat\s+(?:is|are|was|were)\b.{1,60}\b(?:asking|demanding|hoping|planning)\b|\bshould\b.{1,60}\bdo\b|"
    r"\b(?:under|in)\s+what\s+circumstances\b|\bwhat\s+role\b|"
    r"\bpourquoi\b|\bà\s+quoi\s+serv|\bqu['’]est[- ]il\s+arrivé\b|\bcirconstances\b|\bquel\s+rôle\b|"
    r"\bque\s+(?:réclame|réclament|exige|exigent|craint|craignent|espère|espèrent)\b|\bcomment\b(?!\s+(?:s['’]appel|se\s+nomm|se\s+nomme|nomm))|"
    r"\bque\s+s['’]est[- ]il\s+passé|\bqu['’]est[- ]ce\s+qui\s+(?:s['’]est\s+passé|a\s+(?:causé|provoqué|"
    r"conduit|mené|poussé|entraîné|déclenché))|\b(?:qu['’]a|qu['’]ont|que\s+(?:dit|disent|reproche|reprochent|"
    r"annonce|annoncent|propose|proposent|veut|veulent|demande|demandent|prévoit|prévoient))\b|"
    r"\b(?:raisons?|causes?|conséquences?|effets?|motifs?)\b|\bexpliqu",
    re.IGNORECASE,
)


def asks_for_an_explanation(question: str) -> bool:
    """Whether the question asks why, how, what happened or what someone said, rather than for one fact."""
    return bool(_EXPLANATION.search(question))


# A question that opens with "and", "but" or "also" goes on from the one before it ("And how much of that comes
# from Google?", "Et combien a-t-il payé ?"): it cannot be read alone.
_GOES_ON = re.compile(r"^\W*(?:and|but|also|et|mais|aussi)\b(?![-'’])", re.IGNORECASE)


def goes_on_from_before(question: str) -> bool:
    """Whether the question opens with a word that joins it to the question before ("And…", "Et…", "Mais…")."""
    return bool(_GOES_ON.search(question))
