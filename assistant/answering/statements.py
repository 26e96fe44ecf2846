"""The model's answer cut into statements as it is written, and the check of each statement against the
passages it read.

A statement stands only when a sentence of the passages (or two) holds its figures with their scale, its
names and most of its words (``grounding``), and when that passage is about what the question names; it is
then cited as those sentences, exact spans of their article. The model's own passage numbers only break ties:
they are never trusted.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass

from assistant.answering.excerpts import Excerpts, Quote
from assistant.answering.figures import numbers
from assistant.answering.grounding import Grounding, is_refusal, missing_from_passages, names_missing
from assistant.answering.language import detect_language
from assistant.answering.question_form import asks_a_quantity, asks_yes_or_no, without_yes_or_no
from assistant.ingest.chunking import sentence_spans
from assistant.ingest.embedding import ArticleEmbedder
from assistant.types import Lang, Passage

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+")  # a list's item: "1. ", "- "
_PREFIX = re.compile(r"^\W*(?:answer|réponse|reponse)\s*:\s*", re.IGNORECASE)
# The end of a sentence: its punctuation, closing quotes and passage markers, then a space and more text.
_END = re.compile(r"[.!?…][\"»”’)]*(?:\s*\[[\d,;\s]*\])*(?=\s+[^\s\[])|(?<=\])(?=\s*\n)|\n")
# Not the end of a sentence: an abbreviation ("M. Foote", "Dr. Kim") or the number of a list's item ("1.").
_ABBREVIATION = re.compile(r"(?:^|[\s\"«“'(])(?:[A-Z]|Mr|Mrs|Ms|Dr|St|Mme|Mlle|M|No|Jr|Sr|etc|vs|cf)$|^\W*\d{1,2}$")
_LAST_END = re.compile(r"(?:[.!?…][\"»”’)]*|\])\s*$")
_WORDS_UNENDED = 25
_AROUND = 2  # sentences on either side of a fact's supporting sentence where the question's names may be
WORDS_TO_TELL = 3  # a shorter statement ("Henri Lacoste", "1972") does not show its language

# The names of the checks a statement can fail (Statement.failed).
UNSUPPORTED = "unsupported"  # no sentence holds its figures, names and words
OFF_QUESTION = "question-not-in-passage"  # the supporting passage lacks a figure or name the question asks about
# A fact's supporting sentence and the sentences around it lack a name the question asks about.
OFF_QUOTE = "question-not-near-quote"
NO_FIGURE = "no-figure"  # the question asks how much or how many; the statement holds no figure
REFUSAL = "refusal"  # the statement says that the passages do not answer
QUESTION = "a-question"  # the model asked (often the question again, reworded) instead of stating
UNFINISHED = "unfinished"  # the model stopped (its token or time limit) in the middle of the statement
ANNOUNCEMENT = "announces-what-follows"  # it ends with a colon ("… for several reasons:"): it says nothing alone
# Checked, but not added to the answer:
REPEATED = "repeated"  # the answer says it already (an explanation: its sentences are quoted already)
UNTRANSLATABLE = "untranslatable"  # it is in the other language, and no translation kept its figures


def statements(pieces: Iterator[str]) -> Generator[tuple[str, bool]]:
    """The text written piece by piece, as one statement (a sentence, its passage markers with it) at a time,
    each given as soon as the next one begins; with it, whether it is finished. The last one is unfinished when
    it ends without a full stop or a passage marker after other statements, or after many words: the model was
    cut short (a few words alone, "870 millions de dollars", are a whole answer)."""
    buffer = ""
    given = 0
    try:
        for piece in pieces:
            buffer += piece
            while (cut := _first_end(buffer)) is not None:
                statement, buffer = buffer[:cut], buffer[cut:]
                if statement.strip():
                    given += 1
                    yield statement.strip(), True
    finally:  # closed early (enough statements): the model stops writing, and frees its slot, now
        if isinstance(pieces, Generator):
            pieces.close()
    last = buffer.strip()
    if last:
        ended = bool(_LAST_END.search(last)) or (given == 0 and len(last.split()) <= _WORDS_UNENDED)
        yield last, ended


def _first_end(text: str) -> int | None:
    for match in _END.finditer(text):
        if match.group().startswith(".") and _ABBREVIATION.search(text[: match.start()]):
            continue
        return match.end()
    return None


def clean(statement: str) -> tuple[str, frozenset[int]]:
    """The statement without its passage markers, a leading "Answer:", quotes or emphasis; and the passage
    numbers (0-based) it named."""
    named = frozenset(int(n) - 1 for group in _MARKER.findall(statement) for n in re.split(r"[,;]", group))
    text = _MARKER.sub("", _PREFIX.sub("", _ITEM.sub("", statement))).replace("**", "")
    text = " ".join(text.split()).strip(" \"'«»“”")
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return text, named


@dataclass(frozen=True)
class Checked:
    """A statement as checked: the sentences that support it (empty when none), the checks it failed, and the
    language it is written in."""

    text: str
    quotes: tuple[Quote, ...]
    failed: tuple[str, ...]
    written_in: Lang


class StatementChecker:
    """Checks the statements of one answer to ``question`` against the sentences of the passages read."""

    def __init__(
        self,
        excerpts: Excerpts,
        question: str,
        language: Lang,
        embedder: ArticleEmbedder,
        *,
        earlier: str = "",
        explanation: bool = False,
    ) -> None:
        self.excerpts = excerpts
        self.question = question
        self.language = language
        self.embedder = embedder
        self.earlier = earlier
        self.explanation = explanation
        self.languages: list[Lang] = [detect_language(q.text, fallback=language) for q in excerpts.quotes]
        self.grounding = Grounding(excerpts.quotes, self.languages)

    def check(self, text: str, named: frozenset[int]) -> Checked:
        """Every check ``text`` fails, all computed (so that an evaluation can weigh each one)."""
        if is_refusal(text):
            return Checked(text, (), (REFUSAL,), self.language)
        if text.rstrip().endswith("?"):
            return Checked(text, (), (QUESTION,), self.language)
        if text.rstrip(" .").endswith(":"):
            return Checked(text, (), (ANNOUNCEMENT,), self.language)
        # A yes or a no is not in any sentence: the fact said with it is what a sentence must hold.
        fact = without_yes_or_no(text) if asks_yes_or_no(self.question) else text
        written_in = written_language(fact, self.language)
        failed: list[str] = []
        if asks_a_quantity(self.question) and not numbers(fact):
            failed.append(NO_FIGURE)
        support = (
            self.grounding.support(
                fact,
                self.question,
                written_in,
                self.embedder.embed_query(fact),
                named_blocks=named,
                pairs_in_passage=self.explanation,
            )
            if fact.strip()
            else None
        )
        if support is None:
            return Checked(text, (), (*failed, UNSUPPORTED), written_in)
        quotes = tuple(self.excerpts.quotes[i] for i in support.quotes)
        same_language = self.languages[support.quotes[0]] == self.language
        # What the question names may be anywhere in the article's passages read, or in its title.
        article = " ".join(b.text for b in self.excerpts.blocks if b.source == quotes[0].source)
        if missing_from_passages(f"{self.question} {self.earlier}", f"{quotes[0].title} {article}", same_language):
            failed.append(OFF_QUESTION)
        # A fact is told where its subject is named: a sentence far from the question's names tells of something
        # else ("force", of Newton's second law, for a question on the third). An explanation's reason may be
        # told further on ("… parce qu'il était trop fatigué"), so it is not asked this.
        elif not self.explanation and same_language:
            around = _sentences_around(quotes, self.excerpts.blocks[quotes[0].block])
            if names_missing(self.question, f"{quotes[0].title} {around}"):
                failed.append(OFF_QUOTE)
        return Checked(text, quotes, tuple(failed), written_in)


def _sentences_around(quotes: tuple[Quote, ...], passage: Passage) -> str:
    """The passage's text from ``_AROUND`` sentences before the quotes to ``_AROUND`` sentences after them."""
    spans = sentence_spans(passage.text)
    first, last = quotes[0].start - passage.start, quotes[-1].end - passage.start
    inside = [i for i, (a, b) in enumerate(spans) if b > first and a < last] or [0]
    low, high = max(0, inside[0] - _AROUND), min(len(spans) - 1, inside[-1] + _AROUND)
    return passage.text[spans[low][0] : spans[high][1]] if spans else passage.text


def written_language(text: str, language: Lang) -> Lang:
    """The language the text is written in; ``language`` when it is too short to tell."""
    if len(text.split()) < WORDS_TO_TELL:
        return language
    return detect_language(text, fallback=language)
