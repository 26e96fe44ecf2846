"""Every prompt the assistant sends, and the fixed replies it gives. The fixed parts come first so that
the model's prompt cache can reuse them from one question to the next."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate

from assistant.answering.excerpts import Quote
from assistant.types import Lang

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

_JUDGE_SYSTEM = """You check whether a sentence from a news article answers a question. Reply yes if the \
sentence states the answer to the question, no otherwise."""

# The question comes before the sentence so that consecutive checks of one question share a prompt prefix;
# a follow-up's earlier question ({context}) comes first. Two shorter variants were measured on the
# evaluation: asking "Does the sentence state…?" before the sentence makes the model say yes to almost every
# sentence; dropping the last line (15 tokens less a check) shifts the probabilities up, so that no threshold
# is as good on both answered and refused questions, and through llama.cpp's server fewer answers pass.
_JUDGE_USER = (
    "{context}Question: {question}\nSentence: {sentence}\n"
    "Does the sentence state the answer to the question? Reply yes or no."
)

# Measured on the benchmark's dev questions (benchmarks/external_eval.py): a few words, not a sentence,
# costs a third of the generated tokens and holds the answer as often; answering with the number of the
# sentence first made the model stop after the number.
_READ_SYSTEM = f"""You answer a question about articles from the sentences given, and from nothing else. \
Answer in a few words, in the language asked, keeping names, dates and figures as the sentences write them. \
If the sentences do not state the answer, reply {NO_ANSWER}."""

_READ_USER = "Sentences:\n{sentences}\n\n{context}Question: {question}\nAnswer in {language}:"


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


JUDGE_PROMPT = ChatPromptTemplate.from_messages([("system", _escape(_JUDGE_SYSTEM)), ("human", _JUDGE_USER)])
READ_PROMPT = ChatPromptTemplate.from_messages([("system", _escape(_READ_SYSTEM)), ("human", _READ_USER)])

_REWRITE_SYSTEM = """You rewrite the last question of a conversation so that it can be understood alone.
Replace pronouns and vague words ("it", "that", "he", "il", "cela", "celui-ci") by what they refer to in the \
conversation. Keep the language of the last question. Do not answer it. Reply with the rewritten question only."""

_REWRITE_USER = "Conversation:\n{conversation}\n\nLast question: {question}\nRewritten question:"

_REWRITE_EXAMPLES: list[tuple[str, str]] = [
    (
        _REWRITE_USER.format(
            conversation="User: Combien Acme a-t-elle payé pour Globex ?\n"
            "Assistant: Acme a payé 2 milliards d'euros pour 30 % de Globex [1].",
            question="Et quand l'a-t-elle fait ?",
        ),
        "Quand Acme a-t-elle payé 2 milliards d'euros pour 30 % de Globex ?",
    ),
    (
        _REWRITE_USER.format(
            conversation="User: Who runs Globex?\nAssistant: Jean Dupont runs Globex until June [2].",
            question="Why is he leaving?",
        ),
        "Why is Jean Dupont leaving Globex?",
    ),
]

REWRITE_PROMPT = ChatPromptTemplate.from_messages(
    [("system", _escape(_REWRITE_SYSTEM))]
    + [m for user, ai in _REWRITE_EXAMPLES for m in (("human", _escape(user)), ("ai", _escape(ai)))]
    + [("human", _REWRITE_USER)]
)

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


def _sentences(quotes: Sequence[Quote]) -> str:
    """The sentences as the model reads them: under the title of their article, in the article's order."""
    lines: list[str] = []
    last = None
    for quote in quotes:
        if quote.source != last:
            lines.append(f"Article: {' '.join(quote.title.split())}")
            last = quote.source
        lines.append(f"- {' '.join(quote.text.split())}")
    return "\n".join(lines)


def judge_messages(question: str, sentence: str, earlier_question: str = "") -> list[BaseMessage]:
    """The yes/no prompt that asks whether one sentence answers the question (a follow-up of
    ``earlier_question`` when there is one)."""
    context = f"Earlier question: {' '.join(earlier_question.split())}\n" if earlier_question else ""
    return JUDGE_PROMPT.format_messages(context=context, question=question, sentence=" ".join(sentence.split()))


def read_messages(
    quotes: Sequence[Quote], question: str, language: Lang, earlier_question: str = ""
) -> list[BaseMessage]:
    """The prompt in which the model reads the sentences and answers in a few words (a follow-up of
    ``earlier_question`` when there is one)."""
    context = f"Earlier question: {' '.join(earlier_question.split())}\n" if earlier_question else ""
    return READ_PROMPT.format_messages(
        sentences=_sentences(quotes), context=context, question=question, language=LANGUAGE_NAMES[language]
    )


def rewrite_messages(history: Sequence[tuple[str, str]], question: str) -> list[BaseMessage]:
    """The prompt that turns a follow-up question into a standalone one."""
    conversation = "\n".join(f"User: {' '.join(q.split())}\nAssistant: {' '.join(a.split())}" for q, a in history)
    return REWRITE_PROMPT.format_messages(conversation=conversation, question=question)


def translate_messages(text: str, language: Lang) -> list[BaseMessage]:
    """The prompt that translates one statement into the answer's language."""
    return TRANSLATE_PROMPT.format_messages(text=text, language=LANGUAGE_NAMES[language])
