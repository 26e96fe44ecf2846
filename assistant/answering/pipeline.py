"""Answer a question from the articles: understand it in context, retrieve, let the model read the closest
sentences and answer in a few words, keep the answer only if a shown sentence supports it, and cite that
sentence as an exact span of its article, in the question's language."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from langchain_core.messages import BaseMessage

from assistant.answering.excerpts import (
    Excerpts,
    Quote,
    SentenceVectors,
    gather_excerpts,
    reading_list,
    whole_passages,
)
from assistant.answering.generator import Completion, Generator
from assistant.answering.grounding import (
    Grounding,
    figures_as_written,
    is_refusal,
    missing_from_passages,
    numbers,
    unmet_negation,
)
from assistant.answering.language import detect_language, language_scores, other_language
from assistant.answering.prompts import (
    DONT_KNOW,
    OTHER_LANGUAGE_NOTE,
    judge_messages,
    read_messages,
    rewrite_messages,
    translate_messages,
)
from assistant.answering.question_form import asks_a_quantity, asks_yes_or_no, without_yes_or_no
from assistant.config import Settings
from assistant.ingest.embedding import ArticleEmbedder
from assistant.types import Answer, Citation, Lang, Passage

logger = logging.getLogger(__name__)

History = Sequence[tuple[str, str]]
Retrieve = Callable[[str, int], list[Passage]]

_LANGUAGE_SURE = 0.75
_WORDS_TO_TELL = 3  # a shorter reply ("Henri Lacoste", "1972") does not show its language
_PREFIX = re.compile(r"^\W*(?:answer|réponse|reponse)\s*:\s*", re.IGNORECASE)
_MARKERS = re.compile(r"\s*\[[\d,;\s]*\]")
_ALSO_CLOSEST = 2  # sentences of the other passages read with the best passages whole


class AnswerStream:
    """The answer's text, piece by piece as it is written; ``answer`` holds the full Answer afterwards."""

    def __init__(self, pieces: Iterator[str], holder: _Result) -> None:
        self._pieces = pieces
        self._holder = holder

    def __iter__(self) -> Iterator[str]:
        return self._pieces

    @property
    def answer(self) -> Answer:
        """The final answer; reading it consumes whatever of the stream is left."""
        for _ in self._pieces:
            pass
        assert self._holder.answer is not None
        return self._holder.answer


@dataclass
class _Result:
    answer: Answer | None = None


@dataclass(frozen=True)
class Found:
    """A checked answer: the model's few words, in the question's language, and the sentences behind it."""

    text: str
    citations: list[Citation]


class Answerer:
    """The question-answering pipeline, built on a retriever, an embedder and a generator."""

    def __init__(self, settings: Settings, retrieve: Retrieve, embedder: ArticleEmbedder, generator: Generator) -> None:
        self.settings = settings
        self.retrieve = retrieve
        self.embedder = embedder
        self.generator = generator
        self.sentence_vectors = SentenceVectors(embedder)

    def stream(self, question: str, history: History | None = None) -> AnswerStream:
        holder = _Result()
        return AnswerStream(self._run(question, list(history or []), holder), holder)

    def language_of(self, question: str, history: History) -> Lang:
        fallback: Lang = detect_language(history[-1][0]) if history else "en"
        return detect_language(question, fallback=fallback)

    def standalone(self, question: str, history: History) -> str:
        """The question rewritten to be understood without the conversation (itself when there is none)."""
        turns = history[-self.settings.history_turns :] if self.settings.history_turns else []
        if not turns:
            return question
        rewritten = self.generator.complete(rewrite_messages(turns, question), max_tokens=80).strip()
        rewritten = rewritten.splitlines()[0].strip().strip('"«» ') if rewritten else ""
        if not re.search(r"[^\W\d_]", rewritten) or len(rewritten) > 4 * len(question) + 200:
            logger.warning("could not rewrite the follow-up %r; retrieving with the conversation", question)
            return f"{turns[-1][0]} {question}"
        logger.info("follow-up %r understood as %r", question, rewritten)
        return rewritten

    def _run(self, question: str, history: History, holder: _Result) -> Iterator[str]:
        began = time.perf_counter()
        language = self.language_of(question, history)
        note = ""
        if other := other_language(question):
            language, note = "en", OTHER_LANGUAGE_NOTE.format(language=other) + " "
            logger.info("question in %s: answering in English", other)
            yield note
        # A question is first taken as it is asked: in a conversation it may well be a new one. Only when the
        # articles do not answer it alone is it read as a follow-up: rewritten to stand alone, searched with
        # the earlier question, and read knowing it. (Rewriting every question first was measured on the seeds'
        # follow-up and new-topic questions: 3 of 11 right instead of 8, as the 1.5B model's rewrites often
        # leave the pronoun or change the question.)
        standalone = question
        found = self.find_answer(question, question, language)
        if found is None and history and self.settings.history_turns:
            standalone = self.standalone(question, history)
            earlier = history[-1][0]
            found = self.find_answer(standalone, f"{standalone} {earlier}", language, earlier)
        if found is not None:
            citations = found.citations
            body = found.text.rstrip(" .")
            said = f"{body} {''.join(f'[{c.number}]' for c in citations)}."
        else:
            citations, said = [], DONT_KNOW[language]
        first_piece = time.perf_counter() - began
        yield said
        holder.answer = Answer(
            question=question,
            text=note + said,
            language=language,
            answered=found is not None,
            citations=citations,
            standalone_question=standalone,
            seconds=time.perf_counter() - began,
            first_piece_seconds=first_piece,
        )

    def find_answer(self, question: str, query: str, language: Lang, earlier: str = "") -> Found | None:
        """The checked answer to ``question`` (a follow-up of ``earlier`` when given) from the passages that
        ``query`` retrieves; None when the passages do not support one."""
        passages = self.retrieve(query, self.settings.answer_passages)
        excerpts = _still_in_articles(
            gather_excerpts(passages, self.sentence_vectors, self.settings.answer_passages), self.settings.seeds_dir
        )
        if not excerpts.quotes:
            return None
        # Sentences are ranked partly by the question's words, which a passage in the other language does not
        # share: there the model reads the best passages whole (Settings.reading_passages), with the 2 closest
        # sentences of the others, since the best passages do not always hold the answer. Not for a follow-up:
        # its passages were found with the earlier question too; the sentences closest to it are more focused.
        whole = 0 if earlier else self.settings.reading_passages
        vector = self.embedder.embed_query(question)
        chars = self.settings.reading_chars
        if whole and all(detect_language(b.text, fallback=language) != language for b in excerpts.blocks[:whole]):
            shown = whole_passages(question, vector, excerpts.quotes, whole, also=_ALSO_CLOSEST, chars=chars)
        else:
            shown = reading_list(question, vector, excerpts.quotes, self.settings.reading_sentences, chars)
        return self._read(shown, excerpts, question, language, earlier)

    def _read(
        self, shown: Sequence[Quote], excerpts: Excerpts, question: str, language: Lang, earlier: str
    ) -> Found | None:
        """The model reads ``shown`` and answers; its answer is kept only if a shown sentence supports it."""
        reply = self._reply(read_messages(shown, question, language, earlier), question)
        if reply is None:
            return None
        languages = [detect_language(q.text, fallback=language) for q in shown]
        grounding = Grounding(shown, languages)
        # A yes or a no is not in any sentence: the fact said with it is what a sentence must hold.
        fact = without_yes_or_no(reply) if asks_yes_or_no(question) else reply
        # The model sometimes answers in the other language: its words are compared as written.
        written_in = _language_of_reply(fact, language)
        support = grounding.support(fact, question, written_in, self.embedder.embed_query(fact))
        if support is None:
            logger.info("dropped an answer no shown sentence supports: %r", reply)
            return None
        quotes = tuple(shown[i] for i in support.quotes)
        same_language = languages[support.quotes[0]] == language
        context = _article_context(quotes[0], excerpts)
        if missing := missing_from_passages(question + " " + earlier, context, same_language):
            logger.info("the passage of %r does not name %s: not an answer", reply, missing)
            return None
        quoted = " ".join(q.text for q in quotes)
        if unmet_negation(question, quoted):
            logger.info("%r asks what did not happen; %r states no negation: not an answer", question, quoted[:60])
            return None
        if self.settings.answer_check_threshold > 0:
            p = self.generator.yes_probability(judge_messages(question, quoted, earlier))
            if p < self.settings.answer_check_threshold:
                logger.info("the model doubts that %r answers %r (p=%.2f)", quoted[:60], question, p)
                return None
        if languages[support.quotes[0]] == written_in:
            reply = figures_as_written(reply, quoted, written_in)
        said = self._in_language(reply, language)
        return Found(said, _citations(quotes, excerpts.blocks)) if said else None

    def _reply(self, messages: list[BaseMessage], question: str) -> str | None:
        """The model's answer on one line; None when it finds none or hesitated over it."""
        completion = self.generator.complete_with_probabilities(messages, max_tokens=48)
        reply = _clean_reply(completion.text)
        if not reply or is_refusal(reply):
            logger.info("the model found no answer to %r", question)
            return None
        if asks_yes_or_no(question) and not without_yes_or_no(reply):
            logger.info("the model said only %r: a bare yes or no cannot be checked", reply)
            return None
        if asks_a_quantity(question) and not numbers(reply):
            logger.info("%r asks how much or how many; %r holds no figure: not an answer", question, reply)
            return None
        return None if self._hesitated(completion, reply) else reply

    def _hesitated(self, completion: Completion, reply: str) -> bool:
        """Whether the model chose a word of its reply with less than ``answer_confidence_min`` probability:
        on the dev questions, such answers were wrong twice as often as right."""
        confidence = answer_confidence(completion)
        if confidence is None:
            return False
        logger.info("the model wrote %r, each word with probability %.2f or more", reply, confidence)
        if confidence >= self.settings.answer_confidence_min:
            return False
        logger.info("the model hesitated over %r: not an answer", reply)
        return True

    def _in_language(self, text: str, language: Lang) -> str | None:
        """The answer in the question's language: as the model wrote it, or translated when it is clearly in
        the other language; a translation that changes a figure is not kept."""
        if len(text.split()) < _WORDS_TO_TELL or language_scores(text)[language] >= 1 - _LANGUAGE_SURE:
            return text
        translated = " ".join(self.generator.complete(translate_messages(text, language), max_tokens=60).split())
        if not translated or numbers(translated) != numbers(text):
            logger.warning("could not translate %r into %s: %r", text, language, translated)
            return None
        return translated


def answer_confidence(completion: Completion) -> float | None:
    """The lowest probability among the tokens of the reply's first line that hold a letter or a digit: how
    sure the model was of the least sure word it wrote. None when the model gave no probabilities."""
    lowest: float | None = None
    written = ""
    for piece, p in completion.tokens:
        if "\n" in piece and written.strip():
            break
        written += piece
        if any(c.isalnum() for c in piece):
            lowest = p if lowest is None else min(lowest, p)
    return lowest


def _language_of_reply(reply: str, language: Lang) -> Lang:
    """The language the reply is written in; the question's when the reply is too short to tell."""
    if len(reply.split()) < _WORDS_TO_TELL:
        return language
    return detect_language(reply, fallback=language)


def _article_context(quote: Quote, excerpts: Excerpts) -> str:
    """The quoted passage with its article's title: a name the question asks about may be in the title
    ("Patrick Kane") rather than in the passage ("Kane")."""
    return " ".join([quote.title, excerpts.blocks[quote.block].text])


def _clean_reply(reply: str) -> str:
    """The model's answer on one line, without a leading "Answer:", quotes or emphasis."""
    lines = [line for line in reply.strip().splitlines() if line.strip()]
    first = _PREFIX.sub("", lines[0]) if lines else ""
    first = _MARKERS.sub("", first).replace("**", "")
    return " ".join(first.strip(" \"'«»“”").split())


def _citations(quotes: Sequence[Quote], blocks: Sequence[Passage]) -> list[Citation]:
    """One citation per supporting sentence; two neighbouring sentences read together make one quote."""
    first = quotes[0]
    if len(quotes) == 2 and quotes[1].block == first.block:
        block = blocks[first.block]
        start, end = first.start, quotes[1].end
        return [Citation(1, first.source, block.text[start - block.start : end - block.start], start, end, first.title)]
    return [Citation(n, q.source, q.text, q.start, q.end, q.title) for n, q in enumerate(quotes, start=1)]


def _still_in_articles(excerpts: Excerpts, seeds_dir: Path) -> Excerpts:
    """The excerpts without the quotes whose text is no longer their article's at their offsets.

    An article edited since it was indexed would make the offsets wrong: its sentences cannot be quoted
    until 'assistant index' runs. An article that is not in the folder (an index shared through a Chroma
    server) is trusted as indexed.
    """
    texts: dict[str, str | None] = {}
    kept = []
    for q in excerpts.quotes:
        if q.source not in texts:
            path = seeds_dir / q.source
            texts[q.source] = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        article = texts[q.source]
        if article is not None and article[q.start : q.end] != q.text:
            logger.warning("%s changed since it was indexed; run 'assistant index'", q.source)
            continue
        kept.append(q)
    return Excerpts(excerpts.blocks, kept)
