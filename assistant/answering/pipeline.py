"""Answer a question from the articles: retrieve, let the model read the best passages whole and write the
answer, check each of its statements against the passages, and cite the sentences that support them as exact
spans of their articles, in the question's language. What is checked is shown as it comes: the sources as soon
as they are found, then each statement."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Generator as Steps
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assistant.answering.excerpts import Excerpts, Quote, SentenceVectors, as_read, gather_excerpts, rank_quotes
from assistant.answering.figures import figures_as_written, numbers
from assistant.answering.generator import Generator
from assistant.answering.language import detect_language, language_scores, other_language
from assistant.answering.prompts import (
    DONT_KNOW,
    OTHER_LANGUAGE_NOTE,
    answer_messages,
    rewrite_messages,
    translate_messages,
)
from assistant.answering.question_form import asks_for_an_explanation
from assistant.answering.statements import (
    UNFINISHED,
    WORDS_TO_TELL,
    Checked,
    StatementChecker,
    clean,
    statements,
    written_language,
)
from assistant.config import Settings
from assistant.ingest.embedding import ArticleEmbedder
from assistant.search.filters import ArticleFilter
from assistant.types import Answer, Citation, Lang, Passage, Statement

logger = logging.getLogger(__name__)

History = Sequence[tuple[str, str]]
Retrieve = Callable[[str, int, ArticleFilter | None], list[Passage]]

_LANGUAGE_SURE = 0.75
_FACT_SENTENCES = 2  # most checked sentences kept in the answer to a question about a fact
_CLOSEST = 3  # sentences shown when the articles do not answer

Stage = Literal["reading", "writing", "done"]


@dataclass(frozen=True)
class AnswerUpdate:
    """What can be shown so far: the passages being read, then the checked answer as it grows.

    ``stage`` is "reading" (the model reads ``sources``), "writing" (``text`` holds the statements checked so
    far) or "done" (``answer`` is the final Answer)."""

    stage: Stage
    sources: tuple[Passage, ...] = ()
    text: str = ""
    citations: tuple[Citation, ...] = ()
    answer: Answer | None = None


class AnswerStream:
    """The answer as it comes. Iterate for its text, piece by piece (each checked statement as soon as it is
    checked); or over ``updates()`` for what the web chat shows. ``answer`` holds the full Answer afterwards."""

    def __init__(self, updates: Iterator[AnswerUpdate]) -> None:
        self._updates = updates
        self._answer: Answer | None = None

    def updates(self) -> Iterator[AnswerUpdate]:
        for update in self._updates:
            if update.answer is not None:
                self._answer = update.answer
            yield update

    def __iter__(self) -> Iterator[str]:
        said = ""
        for update in self.updates():
            if update.text.startswith(said) and len(update.text) > len(said):
                yield update.text[len(said) :]
                said = update.text

    @property
    def answer(self) -> Answer:
        """The final answer; reading it consumes whatever of the stream is left."""
        for _ in self.updates():
            pass
        assert self._answer is not None
        return self._answer


@dataclass
class _Attempt:
    """One reading of the passages a query retrieves: what was read, what the model wrote, what was kept."""

    excerpts: Excerpts
    read: list[Passage]
    statements: list[Statement] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    said: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.said)


class Answerer:
    """The question-answering pipeline, built on a retriever, an embedder and a generator."""

    def __init__(self, settings: Settings, retrieve: Retrieve, embedder: ArticleEmbedder, generator: Generator) -> None:
        self.settings = settings
        self.retrieve = retrieve
        self.embedder = embedder
        self.generator = generator
        self.sentence_vectors = SentenceVectors(embedder)

    def stream(self, question: str, history: History | None = None, limit: ArticleFilter | None = None) -> AnswerStream:
        return AnswerStream(self._run(question, list(history or []), limit))

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

    def _run(self, question: str, history: History, limit: ArticleFilter | None) -> Iterator[AnswerUpdate]:
        clock = _Clock()
        language = self.language_of(question, history)
        note = ""
        if other := other_language(question):
            language, note = "en", OTHER_LANGUAGE_NOTE.format(language=other) + " "
            logger.info("question in %s: answering in English", other)
        explanation = asks_for_an_explanation(question)
        # A question is first taken as it is asked: in a conversation it may well be a new one. Only when the
        # articles do not answer it alone is it read as a follow-up: rewritten to stand alone, searched with
        # the earlier question, and read knowing it. (Rewriting every question first was measured on the seeds'
        # follow-up and new-topic questions: 3 of 11 right instead of 8, as the 1.5B model's rewrites often
        # leave the pronoun or change the question.)
        standalone = question
        steps = self._attempt(question, question, language, note, explanation, limit=limit)
        attempt = yield from _relay(steps, clock)
        first = attempt
        if not attempt.said and history and self.settings.history_turns:
            standalone = self.standalone(question, history)
            earlier = history[-1][0]
            explanation = explanation or asks_for_an_explanation(standalone)
            query = f"{standalone} {earlier}"
            steps = self._attempt(standalone, query, language, note, explanation, limit=limit, earlier=earlier)
            attempt = yield from _relay(steps, clock)
            attempt.statements[:0] = first.statements
        answered = bool(attempt.said)
        closest: list[Citation] = []
        if answered:
            text = note + attempt.text
        else:
            text = note + DONT_KNOW[language]
            closest = self._closest(question, first.excerpts)
        answer = Answer(
            question=question,
            text=text,
            language=language,
            answered=answered,
            citations=attempt.citations,
            standalone_question=standalone,
            seconds=clock.seconds(),
            first_piece_seconds=clock.first or clock.seconds(),
            closest=closest,
            statements=attempt.statements,
            kind="explanation" if explanation else "fact",
        )
        yield AnswerUpdate("done", tuple(attempt.read), text, tuple(answer.citations), answer)

    def _attempt(
        self,
        question: str,
        query: str,
        language: Lang,
        note: str,
        explanation: bool,
        *,
        limit: ArticleFilter | None,
        earlier: str = "",
    ) -> Steps[AnswerUpdate, None, _Attempt]:
        """Retrieve with ``query``, let the model read and answer ``question`` (a follow-up of ``earlier`` when
        given), and keep the statements that the passages support; each kept statement is shown at once."""
        passages = self.retrieve(query, self.settings.answer_passages, limit)
        gathered = gather_excerpts(passages, self.sentence_vectors, len(passages))
        excerpts = _still_in_articles(gathered, self.settings.seeds_dir)
        read = self._to_read(passages, explanation)
        attempt = _Attempt(excerpts, read)
        yield AnswerUpdate("reading", tuple(read), note)
        read_excerpts = Excerpts(excerpts.blocks[: len(read)], [q for q in excerpts.quotes if q.block < len(read)])
        if not read_excerpts.quotes:
            return attempt
        checker = StatementChecker(
            read_excerpts, question, language, self.embedder, earlier=earlier, explanation=explanation
        )
        most = self.settings.answer_sentences if explanation else _FACT_SENTENCES
        tokens = self.settings.max_answer_tokens if explanation else self.settings.fact_answer_tokens
        # The best passage in the other language: the model answers in its language, so that each statement is
        # checked word for word against the passages; it is then translated into the question's (_in_language).
        writing = detect_language(read[0].text, fallback=language)
        kind = "explanation" if explanation else "fact"
        messages = answer_messages([as_read(p) for p in read], question, writing, earlier, kind=kind)
        written = self.generator.stream(messages, max_tokens=tokens)
        # The embedded model writes one reply at a time: a statement to translate waits until the answer is
        # written, and those after it too, so that the statements keep their order.
        waiting: list[Checked] = []
        with closing(statements(written)) as written_statements:
            for raw, finished in written_statements:
                text, named = clean(raw)
                if not text:
                    continue
                if not finished:
                    logger.info("dropped %r: the model stopped in the middle of it", text)
                    attempt.statements.append(Statement(text, failed=(UNFINISHED,)))
                    continue
                checked = checker.check(text, named)
                if checked.failed:
                    logger.info("dropped %r: %s", text, ", ".join(checked.failed))
                    attempt.statements.append(Statement(text, failed=checked.failed))
                    continue
                if waiting or not _in_language_already(text, language):
                    waiting.append(checked)
                elif self._add(attempt, checked, text, read_excerpts.blocks):
                    yield AnswerUpdate("writing", tuple(read), note + attempt.text, tuple(attempt.citations))
                if len(attempt.said) + len(waiting) >= most:
                    break
        for checked in waiting:
            if self._add(attempt, checked, self._in_language(checked.text, language), read_excerpts.blocks):
                yield AnswerUpdate("writing", tuple(read), note + attempt.text, tuple(attempt.citations))
        return attempt

    def _add(self, attempt: _Attempt, checked: Checked, text: str | None, blocks: Sequence[Passage]) -> bool:
        """Add the checked statement, as ``text`` (in the question's language), to the answer: with its figures
        as the sentence writes them and its citations. False when it is not added (no translation, or said
        already)."""
        if text is not None:
            said_in = written_language(text, checked.written_in)
            if detect_language(checked.quotes[0].text, fallback=said_in) == said_in:
                text = figures_as_written(text, " ".join(q.text for q in checked.quotes), said_in)
        if text is None or any(said.startswith(text.rstrip(" .")) for said in attempt.said):
            reason = "untranslatable" if text is None else "repeated"
            attempt.statements.append(Statement(checked.text, failed=(reason,)))
            return False
        numbers_cited = _cite(checked.quotes, blocks, attempt.citations)
        said = f"{text.rstrip(' .')} {''.join(f'[{n}]' for n in numbers_cited)}."
        attempt.said.append(said)
        attempt.statements.append(Statement(checked.text, said, numbers_cited))
        return True

    def _to_read(self, passages: Sequence[Passage], explanation: bool) -> list[Passage]:
        """The best passages, in their order, while they fit in the reading budget (the first always)."""
        budget = self.settings.explanation_reading_chars if explanation else self.settings.reading_chars
        read: list[Passage] = []
        used = 0
        for passage in passages:
            if read and used + len(passage.text) > budget:
                break
            read.append(passage)
            used += len(passage.text)
        return read

    def _in_language(self, text: str, language: Lang) -> str | None:
        """The text in the question's language: as the model wrote it, or translated when it is clearly in
        the other language; a translation that changes a figure is not kept."""
        if _in_language_already(text, language):
            return text
        translated, _ = clean(self.generator.complete(translate_messages(text, language), max_tokens=120))
        if not translated or numbers(translated) != numbers(text):
            logger.warning("could not translate %r into %s: %r", text, language, translated)
            return None
        return translated

    def _closest(self, question: str, excerpts: Excerpts) -> list[Citation]:
        """The sentences of the retrieved passages closest to the question: where to look when the articles do
        not answer it."""
        if not excerpts.quotes:
            return []
        best = rank_quotes(question, self.embedder.embed_query(question), excerpts.quotes, _CLOSEST)
        return [_citation(n, q, (q.start, q.end, q.text), excerpts.blocks) for n, q in enumerate(best, start=1)]


def _in_language_already(text: str, language: Lang) -> bool:
    """Whether the text can be said as it is: in ``language``, or too short to tell."""
    return len(text.split()) < WORDS_TO_TELL or language_scores(text)[language] >= 1 - _LANGUAGE_SURE


class _Clock:
    """Seconds since the question came, and when something was first shown."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.first: float | None = None

    def seconds(self) -> float:
        return time.perf_counter() - self.began

    def mark(self) -> None:
        if self.first is None:
            self.first = self.seconds()


def _relay(steps: Steps[AnswerUpdate, None, _Attempt], clock: _Clock) -> Steps[AnswerUpdate, None, _Attempt]:
    """``steps`` passed on, the time of the first update noted: the time to the first visible content."""
    while True:
        try:
            update = next(steps)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        clock.mark()
        yield update


def _cite(quotes: Sequence[Quote], blocks: Sequence[Passage], citations: list[Citation]) -> tuple[int, ...]:
    """The numbers of the citations of ``quotes`` (two neighbouring sentences make one quote), added to
    ``citations`` when they are new."""
    spans: list[tuple[Quote, int, int, str]] = []
    if len(quotes) == 2 and quotes[0].block == quotes[1].block and 0 <= quotes[1].start - quotes[0].end <= 3:
        block = blocks[quotes[0].block]
        start, end = quotes[0].start, quotes[1].end
        spans.append((quotes[0], start, end, block.text[start - block.start : end - block.start]))
    else:
        spans += [(q, q.start, q.end, q.text) for q in quotes]
    cited = []
    for quote, start, end, text in spans:
        known = next((c for c in citations if (c.source, c.start, c.end) == (quote.source, start, end)), None)
        if known is None:
            known = _citation(len(citations) + 1, quote, (start, end, text), blocks)
            citations.append(known)
        cited.append(known.number)
    return tuple(cited)


def _citation(number: int, quote: Quote, span: tuple[int, int, str], blocks: Sequence[Passage]) -> Citation:
    """A citation of ``span`` (start, end, text of the quote's article), with its article's date, site and link."""
    block = blocks[quote.block] if quote.block < len(blocks) else None
    described = (block.published, block.site, block.url) if block else ("", "", "")
    return Citation(number, quote.source, span[2], span[0], span[1], quote.title, *described)


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
