"""The scoring rule of the external benchmark and how it scores one reply, copied from its
``score_reference.py`` so that our figures compare with the reference ones: do not improve it here."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any


def norm(s: str) -> str:
    """Accents, case, punctuation, spaces and thousands separators out; decimal commas to points."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"(?<=\d)[\s\u202f\xa0,.](?=\d{3}\b)", "", s)  # 27 000 / 27,000 -> 27000
    s = re.sub(r"(\d),(\d)", r"\1.\2", s)
    s = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", s)
    s = re.sub(r"[^\w.]+", " ", s)
    return " " + re.sub(r"\s+", " ", s).strip() + " "


_STOP_WORDS = """a au aux avec ce ces d dans de des du elle en et il ils l la le les leur lui ma mais me meme mes
n ne nos notre on ou par pas pour qu que qui s sa se ses son sur t ta te tes ton un une vos votre y afin
an and are as at be by for from has have he her his in is it its of on or she that the their them they this
to was were which with"""
STOP = set(_STOP_WORDS.split())


def content(text: str) -> set[str]:
    """The normalised words of ``text`` that carry meaning (numbers always do)."""
    return {w for w in norm(text).split() if (w not in STOP and len(w) > 1) or w.isdigit()}


def holds(text: str, answers: list[str]) -> bool:
    """The text holds a gold answer: verbatim (normalised), or at least two thirds of its content words."""
    t = norm(text)
    if any(norm(a).strip() and f" {norm(a).strip()} " in t for a in answers):
        return True
    words = content(text)
    for a in answers:
        gold = content(a)
        if gold and len(gold & words) / len(gold) >= 0.66:
            return True
    return False


REFUSAL = re.compile(
    r"don't know|do not know|ne sais pas|je ne sais|articles don't say|ne le disent pas|"
    r"not (?:mentioned|provided|specified)|no information|pas d'information|n'est pas mentionn",
    re.I,
)


@dataclass(frozen=True)
class ExternalQuestion:
    """One line of a question file (an explanatory question's ``answers`` are its key phrases), and the
    question set (``part``: dev, explain, validate) whose file holds it."""

    id: str
    set: str
    lang: str
    question: str
    answers: list[str]
    answerable: bool
    gold_article: str
    part: str = ""
    history: tuple[tuple[str, str], ...] = ()  # the earlier turns of a conversation: (question, answer)


@dataclass(frozen=True)
class Quote:
    """A cited passage: ``article[start:start + len(quote)]`` should be ``quote``."""

    source: str
    quote: str
    start: int


@dataclass(frozen=True)
class Reply:
    """What a system said to one question, and how long it took; this assistant also tells the kind of answer
    it gave, the closest passages it showed when it did not answer, and its statements as checked."""

    text: str
    answered: bool
    citations: list[Quote]
    seconds: float
    first_text_seconds: float
    language: str | None = None
    kind: str | None = None
    closest: list[Quote] | None = None
    statements: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Row:
    """One question scored: the fields of score_reference.py's rows, plus the time to first text, the question
    set, and (this assistant only, None otherwise) the kind of answer, how many closest passages a refusal
    showed and whether all were exact spans, and the statements as checked (``written``, ``shown``, ``failed``).
    """

    id: str
    set: str
    right: bool = False
    error: str | None = None
    secs: float | None = None
    first_text_secs: float | None = None
    answered: bool | None = None
    n_cit: int = 0
    cit_exact: bool | None = None
    quote_chars: list[int] = field(default_factory=list)
    text: str = ""
    language: str | None = None
    cited_gold: bool | None = None
    gold_in_citations: bool | None = None
    part: str = ""
    kind: str | None = None
    closest: int | None = None
    closest_exact: bool | None = None
    statements: list[dict[str, Any]] | None = None


def _exact(quote: Quote, texts: dict[str, str]) -> bool:
    return texts.get(quote.source, "")[quote.start : quote.start + len(quote.quote)] == quote.quote


def score_reply(question: ExternalQuestion, reply: Reply, texts: dict[str, str]) -> Row:
    """Score one reply by the reference rule; ``texts`` are the articles by file name."""
    cits = reply.citations
    exact = [_exact(c, texts) for c in cits]
    closest = reply.closest
    if question.answerable:
        right = reply.answered and holds(reply.text, question.answers)
        cited_gold: bool | None = any(
            c.source == question.gold_article and holds(c.quote, question.answers) for c in cits
        )
        gold_in: bool | None = any(holds(c.quote, question.answers) for c in cits)
    else:
        right, cited_gold, gold_in = not reply.answered, None, None
    return Row(
        id=question.id,
        set=question.set,
        right=right,
        secs=round(reply.seconds, 2),
        first_text_secs=round(reply.first_text_seconds, 2),
        answered=reply.answered,
        n_cit=len(cits),
        cit_exact=all(exact) if cits else None,
        quote_chars=[len(c.quote) for c in cits],
        text=reply.text[:500],
        language=reply.language,
        cited_gold=cited_gold,
        gold_in_citations=gold_in,
        part=question.part,
        kind=reply.kind,
        closest=None if closest is None else len(closest),
        closest_exact=all(_exact(c, texts) for c in closest) if closest else None,
        statements=reply.statements,
    )
