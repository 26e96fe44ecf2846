"""A fact's second reading: the model reads only the sentences that support a statement and answers the question
again from them. The statement stands when both readings say the same thing.

The first reading sees whole passages, where a neighbouring fact can pass for the answer and a question that
the articles nearly answer ("Who predicted the existence of many other planets?", of a sentence on astrophysicists
that goes on to name Einstein) gets a plausible answer. Read alone, the sentence gives another answer, or none.
The code compares the two: what each says beyond the question's words must meet (a word, a name or a figure).
"""

from __future__ import annotations

from assistant.answering.excerpts import Quote
from assistant.answering.figures import numbers, statement_terms
from assistant.answering.generator import Generator
from assistant.answering.grounding import is_refusal
from assistant.answering.prompts import second_reading_messages
from assistant.ingest.terms import content_terms

_REPLY_TOKENS = 40  # a few words


def read_again(generator: Generator, quotes: tuple[Quote, ...], question: str) -> str:
    """The model's answer to ``question`` from the sentences ``quotes`` alone."""
    sentences = " ".join(q.text for q in quotes)
    messages = second_reading_messages(quotes[0].title, sentences, question)
    return generator.complete(messages, max_tokens=_REPLY_TOKENS).strip()


def readings_agree(statement: str, reply: str, question: str) -> bool:
    """Whether the second reading's ``reply`` says what ``statement`` says: it is no refusal, and beyond the
    question's words the two share a word, a name or a figure ("Trani" and "Pierre reçoit Trani en 1043", "8 May
    1794" and "guillotiné le 8 mai 1794"; not "Monarch" and "the Presiding Officer")."""
    if is_refusal(reply):
        return False
    asked = set(content_terms(question))
    said = (statement_terms(statement) | numbers(statement)) - asked
    again = (set(content_terms(reply)) | numbers(reply)) - asked
    return bool(said & again)
