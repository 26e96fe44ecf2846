"""Answer a question from the articles: retrieve, let the model read the best passages whole and write the
answer, check each of its statements against the passages, and cite the sentences that support them as exact
spans of their articles, in the question's language. What is checked is shown as it comes: the sources as soon
as they are found, then each statement."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Generator as Steps
from contextlib import closing
from dataclasses import dataclass, field

from assistant.answering.answer_stream import AnswerStream, AnswerUpdate, Clock, relay
from assistant.answering.citing import build_citation, cite, drop_changed_quotes, in_article_words, not_cited_yet
from assistant.answering.closeness import closer_in_meaning
from assistant.answering.disagreement import OtherReport, other_report
from assistant.answering.excerpts import Excerpts, SentenceVectors, as_read, gather_excerpts, rank_quotes
from assistant.answering.figures import figures_as_written, numbers
from assistant.answering.follow_ups import History, earlier_turns, in_context, names_its_own
from assistant.answering.generator import Generator
from assistant.answering.language import detect_language, language_scores, other_language
from assistant.answering.prompts import (
    DONT_KNOW,
    OTHER_LANGUAGE_NOTE,
    answer_messages,
    translate_messages,
)
from assistant.answering.question_form import asks_for_an_explanation, goes_on_from_before
from assistant.answering.statements import (
    REPEATED,
    UNFINISHED,
    UNTRANSLATABLE,
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

Retrieve = Callable[[str, int, ArticleFilter | None], list[Passage]]

_LANGUAGE_SURE = 0.75
_FACT_SENTENCES = 2  # most checked sentences kept in the answer to a question about a fact
_CLOSEST = 3  # sentences shown when the articles do not answer
_TRANSLATION_TOKENS = 120  # most tokens of a statement's translation; more for a longer text


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

    def _run(self, question: str, history: History, limit: ArticleFilter | None) -> Iterator[AnswerUpdate]:
        clock = Clock()
        language = self.language_of(question, history)
        note = ""
        if other := other_language(question):
            language, note = "en", OTHER_LANGUAGE_NOTE.format(language=other) + " "
            logger.info("question in %s: answering in English", other)
        explanation = asks_for_an_explanation(question)
        # In a conversation, a question is read as a follow-up of the turns before it (searched and read with
        # them) first when it opens with "And…" or "Et…", or when the search with them comes closer in meaning
        # than the search for the question alone ("Where did he die?"); otherwise it is read alone first, as a new
        # question. When the first reading keeps nothing, the other one is tried; not alone for "And…", nor for
        # a question that names nothing of its own ("Quel âge avait-elle ?").
        turns = earlier_turns(history, self.settings.history_turns)
        follow_up = in_context(question, turns) if turns else ""
        joined = bool(follow_up) and goes_on_from_before(question)
        at_once = joined or (bool(follow_up) and self._closer_with_turns(question, follow_up, limit))
        alone: _Attempt | None = None
        with_turns: _Attempt | None = None
        if at_once:
            steps = self._attempt(question, follow_up, language, note, explanation, limit=limit, earlier=turns)
            with_turns = yield from relay(steps, clock)
        if with_turns is None or (not with_turns.said and not joined and names_its_own(question)):
            alone = yield from relay(self._attempt(question, question, language, note, explanation, limit=limit), clock)
            alone.statements[:0] = with_turns.statements if with_turns else []
        if with_turns is None and follow_up and alone is not None and not alone.said:
            steps = self._attempt(question, follow_up, language, note, explanation, limit=limit, earlier=turns)
            with_turns = yield from relay(steps, clock)
            with_turns.statements[:0] = alone.statements
        attempt = with_turns if with_turns is not None and (with_turns.said or alone is None or not at_once) else alone
        assert attempt is not None  # read alone, with the turns before, or both
        answered = bool(attempt.said)
        closest: list[Citation] = []
        if answered:
            text = note + attempt.text
        else:
            text = note + DONT_KNOW[language]
            closest = self._closest(question, (alone or attempt).excerpts)
        answer = Answer(
            question=question,
            text=text,
            language=language,
            answered=answered,
            citations=attempt.citations,
            read_as_follow_up=attempt is with_turns,
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
        earlier: History = (),
    ) -> Steps[AnswerUpdate, None, _Attempt]:
        """Retrieve with ``query``, let the model read and answer ``question`` (a follow-up of the ``earlier``
        turns when given), and keep the statements that the passages support; each kept statement is shown at
        once."""
        passages = yield from self._search(query, language, explanation, note, limit)
        gathered = gather_excerpts(passages, self.sentence_vectors, len(passages))
        excerpts = drop_changed_quotes(gathered, self.settings.seeds_dir)
        read = self._to_read(passages, explanation)
        attempt = _Attempt(excerpts, read)
        read_excerpts = Excerpts(excerpts.blocks[: len(read)], [q for q in excerpts.quotes if q.block < len(read)])
        if not read_excerpts.quotes:
            return attempt
        # A follow-up's statement must hold what the last earlier question names too (not its answer's names).
        earlier_question = earlier[-1][0] if earlier else ""
        checker = StatementChecker(
            read_excerpts, question, language, self.embedder, earlier=earlier_question, explanation=explanation
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
        waiting: list[tuple[Checked, str]] = []
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
                shown = self._to_show(checked, explanation, attempt.citations, [c for c, _ in waiting])
                if not shown:
                    attempt.statements.append(Statement(text, failed=(REPEATED,)))
                    continue
                if waiting or not _in_language_already(shown, language):
                    waiting.append((checked, shown))
                elif self._say(attempt, checked, shown, read_excerpts, language):
                    yield AnswerUpdate("writing", tuple(read), note + attempt.text, tuple(attempt.citations))
                if len(attempt.said) + len(waiting) >= most:
                    break
        for checked, shown in waiting:
            translated = self._in_language(shown, language)
            if translated is None and shown != checked.text:
                translated = self._in_language(checked.text, language)
            if self._say(attempt, checked, translated, read_excerpts, language):
                yield AnswerUpdate("writing", tuple(read), note + attempt.text, tuple(attempt.citations))
        return attempt

    def _to_show(
        self, checked: Checked, explanation: bool, citations: Sequence[Citation], waiting: Sequence[Checked]
    ) -> str:
        """What the answer says for a checked statement: the statement; or, for an explanation, the sentences
        that support it, as the article writes them (those not quoted already: none, when all are), so that the
        reason is given as the article gives it, its "serait" and "selon" with it."""
        if not explanation or self.settings.explanation_words == "model":
            return checked.text
        waiting_quotes = [q for c in waiting for q in c.quotes]
        return in_article_words([q for q in not_cited_yet(checked.quotes, citations) if q not in waiting_quotes])

    def _say(self, attempt: _Attempt, checked: Checked, text: str | None, excerpts: Excerpts, language: Lang) -> bool:
        """Add the checked statement (see ``_add``); and when another dated article read reports it with other
        figures, that article's sentence too, quoted: before the statement when that article is newer, after it
        otherwise."""
        report = other_report(checked.text, checked.quotes, excerpts)
        if report is not None and any(
            (c.source, c.start) == (report.quote.source, report.quote.start) for c in attempt.citations
        ):
            report = None  # quoted already
        marks = (len(attempt.said), len(attempt.statements), len(attempt.citations))
        if report is not None and report.newer:
            _add_report(attempt, report, excerpts.blocks, language)
        added = self._add(attempt, checked, text, excerpts.blocks)
        if report is not None and report.newer and not added:  # nothing to put the newer report before
            del attempt.said[marks[0]], attempt.statements[marks[1]], attempt.citations[marks[2] :]
        elif report is not None and added and not report.newer:
            _add_report(attempt, report, excerpts.blocks, language)
        return added

    def _add(self, attempt: _Attempt, checked: Checked, text: str | None, blocks: Sequence[Passage]) -> bool:
        """Add the checked statement, as ``text`` (in the question's language), to the answer: with its figures
        as the sentence writes them and its citations. False when it is not added (no translation, or said
        already)."""
        if text is not None:
            said_in = written_language(text, checked.written_in)
            if detect_language(checked.quotes[0].text, fallback=said_in) == said_in:
                text = figures_as_written(text, " ".join(q.text for q in checked.quotes), said_in)
        if text is None or any(said.startswith(text.rstrip(" .")) for said in attempt.said):
            reason = UNTRANSLATABLE if text is None else REPEATED
            attempt.statements.append(Statement(checked.text, failed=(reason,)))
            return False
        numbers_cited = cite(checked.quotes, blocks, attempt.citations)
        said = f"{text.rstrip(' .')} {''.join(f'[{n}]' for n in numbers_cited)}."
        attempt.said.append(said)
        attempt.statements.append(Statement(checked.text, said, numbers_cited))
        return True

    def _search(
        self, query: str, language: Lang, explanation: bool, note: str, limit: ArticleFilter | None
    ) -> Steps[AnswerUpdate, None, list[Passage]]:
        """The passages to read for ``query``, shown as soon as they are found; those found for it translated
        into the other language instead, when they come closer in meaning (``closeness``)."""
        passages = self.retrieve(query, self.settings.answer_passages, limit)
        yield AnswerUpdate("reading", tuple(self._to_read(passages, explanation)), note)
        if not self.settings.search_both_languages:
            return passages
        translated = self._searched_translated(query, language, limit)
        if not closer_in_meaning(translated, passages):
            return passages
        yield AnswerUpdate("reading", tuple(self._to_read(translated, explanation)), note)
        return translated

    def _closer_with_turns(self, question: str, follow_up: str, limit: ArticleFilter | None) -> bool:
        """Whether the question searched with the turns before it (``follow_up``) finds passages closer in
        meaning than the question alone: it goes on from them."""
        passages = self.settings.answer_passages
        return closer_in_meaning(self.retrieve(follow_up, passages, limit), self.retrieve(question, passages, limit))

    def _searched_translated(self, query: str, language: Lang, limit: ArticleFilter | None) -> list[Passage]:
        """The passages found for ``query`` translated into the other language than ``language``; none when the
        model gives no translation."""
        other: Lang = "fr" if language == "en" else "en"
        tokens = max(_TRANSLATION_TOKENS, len(query) // 3)
        translated, _ = clean(self.generator.complete(translate_messages(query, other), max_tokens=tokens))
        if not translated or translated.casefold() == query.casefold():
            return []
        logger.info("searched again as %r", translated)
        return self.retrieve(translated, self.settings.answer_passages, limit)

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
        tokens = max(_TRANSLATION_TOKENS, len(text) // 3)  # a sentence quoted from an article may be long
        translated, _ = clean(self.generator.complete(translate_messages(text, language), max_tokens=tokens))
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
        return [build_citation(n, q, (q.start, q.end, q.text), excerpts.blocks) for n, q in enumerate(best, start=1)]


def _add_report(attempt: _Attempt, report: OtherReport, blocks: Sequence[Passage], language: Lang) -> None:
    """Add another article's report of a statement, quoted and cited, to the answer."""
    numbers_cited = cite((report.quote,), blocks, attempt.citations)
    said = f"{report.said(language)} {''.join(f'[{n}]' for n in numbers_cited)}."
    attempt.said.append(said)
    attempt.statements.append(Statement(report.quote.text, said, numbers_cited))


def _in_language_already(text: str, language: Lang) -> bool:
    """Whether the text can be said as it is: in ``language``, or not surely in the other one. A few words can
    be sure ("12 blessés", "la Révolution française"); a name alone never is ("Alexandr Wang")."""
    return language_scores(text)[language] >= 1 - _LANGUAGE_SURE
