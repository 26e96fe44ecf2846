"""Every prompt the assistant sends, and the fixed replies it gives. The fixed parts come first so that
the model's prompt cache can reuse them from one question to the next."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate

from assistant.types import Lang, Passage

NO_ANSWER = "NONE"

DONT_KNOW: dict[Lang, str] = {
    "en": "Sorry, the articles don't say. Try rephrasing your question, or ask about something they cover.",
    "fr": "Désolé, les articles ne le disent pas. Reformulez votre question, ou posez-en une sur ce qu'ils couvrent.",
}

# Said before the answer to a question in a language the assistant does not answer in.
OTHER_LANGUAGE_NOTE = (
    "(Your question seems to be in {language}: I answer in English, or in French if you ask in French.)"
)

LANGUAGE_NAMES: dict[Lang, str] = {"en": "English", "fr": "French"}

# The fixed instructions come first (the system message) so that the model's prompt cache reuses them; what
# changes (the passages, the question, the length asked for) comes after. Which passage each sentence comes
# from is not asked: the code finds it (each sentence is checked against every passage read, statements.py).
_ANSWER_SYSTEM = f"""You answer questions about news articles from the numbered passages given with the \
question, and from nothing else. Copy the words of the passages where you can; keep names, dates and figures as \
they are written. Write plain sentences, without lists or headings. If the passages do not answer the \
question, reply only: {NO_ANSWER}"""

_ANSWER_USER = "Passages:\n{passages}\n\n{context}Question: {question}\nAnswer in {language}, {length}:"

# What the last line asks for, by kind of question: the answer's length.
LENGTHS = {
    "fact": "in one short sentence",
    "explanation": "in one to three sentences taken from the passages",
}


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


ANSWER_PROMPT = ChatPromptTemplate.from_messages([("system", _escape(_ANSWER_SYSTEM)), ("human", _ANSWER_USER)])

_TRANSLATE_SYSTEM = """You translate one sentence into the language asked. Keep names, numbers and the [n] \
markers exactly as they are. Amounts keep their scale: French « millions » are millions, « milliards » are \
billions. Reply with the translation only."""

TRANSLATE_PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", _escape(_TRANSLATE_SYSTEM)),
        ("human", "Translate into French: Acme paid 2 billion euros for Globex [1]."),
        ("ai", "Acme a payé 2 milliards d'euros pour Globex [1]."),
        (
            "human",
            "Translate into English: Globex prévoit environ 300 millions de dollars de revenus, "
            "dont 40 millions venant d'Acme.",
        ),
        ("ai", "Globex expects about 300 million dollars of revenue, 40 million of which come from Acme."),
        ("human", "Translate into {language}: {text}"),
    ]
)


def _passages(passages: Sequence[Passage]) -> str:
    """The passages as the model reads them: numbered, each under its article's title, with its site and date
    when they are known (a question about last week, or two reports that disagree, need them)."""
    return "\n\n".join(
        f"[{n}] {' '.join(p.title.split())}{_source_line(p)}\n{' '.join(p.text.split())}"
        for n, p in enumerate(passages, start=1)
    )


def _source_line(p: Passage) -> str:
    known = [x for x in (p.site, p.published) if x]
    return f" ({', '.join(known)})" if known else ""


def answer_messages(
    passages: Sequence[Passage],
    question: str,
    language: Lang,
    earlier: Sequence[tuple[str, str]] = (),
    *,
    kind: str = "fact",
) -> list[BaseMessage]:
    """The prompt in which the model reads the passages and answers a question of ``kind`` (see ``LENGTHS``;
    a follow-up of the ``earlier`` turns, questions and answers, when there are some)."""
    context = "".join(
        f"Earlier question: {' '.join(q.split())}\n" + (f"Earlier answer: {' '.join(a.split())}\n" if a else "")
        for q, a in earlier
    )
    return ANSWER_PROMPT.format_messages(
        passages=_passages(passages),
        context=context,
        question=question,
        language=LANGUAGE_NAMES[language],
        length=LENGTHS[kind],
    )


def translate_messages(text: str, language: Lang) -> list[BaseMessage]:
    """The prompt that translates one statement into the answer's language."""
    return TRANSLATE_PROMPT.format_messages(text=text, language=LANGUAGE_NAMES[language])
