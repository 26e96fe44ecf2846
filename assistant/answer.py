"""Answer a question from the articles: understand it in context, retrieve, let the model pick the
sentences that answer and phrase the answer from them, and keep only what those sentences support, in the
question's language, streaming statement by statement."""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.citations import Claim, ClaimChecker, is_refusal, numbers, split_claims, word_set
from assistant.config import Settings
from assistant.embedding import ArticleEmbedder
from assistant.excerpts import Excerpts, Quote, SentenceVectors, gather_excerpts, rank_quotes
from assistant.language import detect_language, language_scores, other_language
from assistant.llm import Generator
from assistant.prompts import (
    DONT_KNOW,
    OTHER_LANGUAGE_NOTE,
    answer_messages,
    judge_messages,
    rewrite_messages,
    translate_messages,
)
from assistant.retrieval import content_terms
from assistant.types import Answer, Citation, Lang, Passage

logger = logging.getLogger(__name__)

History = Sequence[tuple[str, str]]
Retrieve = Callable[[str, int], list[Passage]]

# A statement is complete once its end punctuation (and any markers) is followed by more text.
_STATEMENT_END = re.compile(r"[.!?…](?:\s*\[[\d,;\s]+\])*\s+(?=[^\s\[])")
_LANGUAGE_SURE = 0.75


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


@dataclass
class _Draft:
    """What has been said so far: accepted statements and the citations they use, numbered in order."""

    quotes: list[Quote]
    statements: list[str] = field(default_factory=list)
    numbers: dict[int, int] = field(default_factory=dict)  # quote index -> citation number

    def add(self, claim_text: str, support: list[int]) -> str:
        refs = [self.numbers.setdefault(index, len(self.numbers) + 1) for index in support]
        body = claim_text.rstrip()
        end = body[-1] if body[-1] in ".!?…" else "."
        body = body.rstrip(".!?… ")
        statement = f"{body} {''.join(f'[{n}]' for n in refs)}{end}"
        self.statements.append(statement)
        return statement

    def citations(self) -> list[Citation]:
        out = []
        for index, number in sorted(self.numbers.items(), key=lambda kv: kv[1]):
            q = self.quotes[index]
            out.append(Citation(number, q.source, q.text, q.start, q.end, q.title))
        return out


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
        # A question is first taken as it is asked: in a conversation it may well be a new one, and reading it
        # as a follow-up of the previous would search and judge it for the wrong thing. Only when nothing
        # answers it alone is it understood as a follow-up: rewritten to stand alone, searched with the earlier
        # question, and judged knowing it.
        standalone, shown, found = question, *self._search(question, question)
        first = next(found, None)
        if first is None and history and self.settings.history_turns:
            standalone = self.standalone(question, history)
            # A rewritten follow-up may still say "he" or "there": the earlier question names what it refers to.
            earlier = history[-1][0]
            shown, found = self._search(standalone, f"{standalone} {earlier}", earlier)
            first = next(found, None)
        found = itertools.chain([first], found) if first is not None else iter(())
        draft = _Draft([])
        first_piece: float | None = None
        if self.settings.answer_style == "written":
            chosen = list(found)
            written = _Draft(chosen)
            for statement in self._statements(chosen, standalone, language, ClaimChecker(chosen, shown), written):
                if first_piece is None:
                    first_piece = time.perf_counter() - began
                yield statement if statement is written.statements[0] else " " + statement
            draft, found = (written, iter(())) if written.statements else (draft, iter(chosen))
        # Quoting: each sentence found to answer is said as soon as it is found (the fallback of a written
        # answer that failed its checks).
        for quote in found:
            draft.quotes.append(quote)
            if quoted := self._quote_as_answer(len(draft.quotes) - 1, quote, language, draft):
                if first_piece is None:
                    first_piece = time.perf_counter() - began
                yield quoted if quoted is draft.statements[0] else " " + quoted
        answered = bool(draft.statements)
        if answered:
            text = note + " ".join(draft.statements)
        else:
            text = note + DONT_KNOW[language]
            first_piece = time.perf_counter() - began
            yield DONT_KNOW[language]
        holder.answer = Answer(
            question=question,
            text=text,
            language=language,
            answered=answered,
            citations=draft.citations() if answered else [],
            standalone_question=standalone,
            seconds=time.perf_counter() - began,
            first_piece_seconds=first_piece or 0.0,
        )

    def _search(self, question: str, query: str, earlier: str = "") -> tuple[str, Iterator[Quote]]:
        """The text of the passages ``query`` retrieves, and the sentences of theirs that answer ``question``."""
        passages = self.retrieve(query, self.settings.answer_passages)
        excerpts = _still_in_articles(
            gather_excerpts(passages, self.sentence_vectors, self.settings.answer_passages), self.settings.seeds_dir
        )
        shown = " ".join(p.text for p in excerpts.blocks)
        checker = ClaimChecker(excerpts.quotes, shown)
        if not excerpts.quotes or checker.unsupported_names(question):
            return shown, iter(())
        return shown, self.answering_sentences(question, checker, earlier)

    def answering_sentences(self, question: str, shown: ClaimChecker, earlier: str = "") -> Iterator[Quote]:
        """The sentences that answer the question (a follow-up of ``earlier`` when given), each as soon as it
        is found; none when none does.

        ``shown`` holds the sentences that may answer. The closest are put to the model one by one, closest
        first, as a yes/no question ("does this sentence state the answer?"); a sentence it finds likely
        enough answers, and the search stops once ``answer_sentences`` do. A question about a name that only
        some sentences mention (a company, a person) is only answered by one of those: what is said of the
        others is not about it.
        """
        required = set(shown.distinctive_names(question))
        pool = [q for q in shown.quotes if required & word_set(q.text)] if required else shown.quotes
        candidates = rank_quotes(question, self.embedder.embed_query(question), pool, self.settings.answer_candidates)
        found = 0
        for quote in candidates:
            p = self.generator.yes_probability(judge_messages(question, quote.text, earlier))
            logger.debug("judged %.2f%s: %s", p, " (follow-up)" if earlier else "", quote.text[:60])
            if p >= self.settings.answer_threshold:
                yield quote
                found += 1
                if found == self.settings.answer_sentences:
                    return

    def _statements(
        self, chosen: list[Quote], question: str, language: Lang, checker: ClaimChecker, draft: _Draft
    ) -> Iterator[str]:
        """Accepted statements, each as soon as the model has finished writing it."""
        messages = answer_messages([q.text for q in chosen], question, language)
        buffer = raw = ""
        for piece in self.generator.stream(messages, max_tokens=self.settings.max_answer_tokens):
            buffer += piece
            raw += piece
            if not draft.statements and is_refusal(buffer):
                logger.debug("model refused: %r", raw)
                return
            while match := _STATEMENT_END.search(buffer):
                done, buffer = buffer[: match.end()], buffer[match.end() :]
                yield from self._accept(done, question, language, checker, draft)
        logger.debug("model wrote: %r", raw)
        yield from self._accept(buffer, question, language, checker, draft)

    def _quote_as_answer(self, index: int, quote: Quote, language: Lang, draft: _Draft) -> str | None:
        """Chosen sentence ``index`` as a statement of the answer, translated by the model when it is in the
        other language; the translation is kept only if it carries the sentence's figures and names."""
        text = " ".join(quote.text.split())
        if language_scores(text)[language] < 1 - _LANGUAGE_SURE:
            translated = " ".join(
                self.generator.complete(translate_messages(text, language), max_tokens=self.settings.max_answer_tokens)
                .strip()
                .split()
            )
            vector = self.embedder.embed_documents([translated])[0] if translated else []
            if (
                not translated
                or is_refusal(translated)
                or not ClaimChecker([quote]).faithful(Claim(translated, ()), vector, 0)
            ):
                logger.warning("could not translate %r into %s: %r", text, language, translated)
                return None
            text = translated
        return draft.add(text, [index])

    def _accept(self, text: str, question: str, language: Lang, checker: ClaimChecker, draft: _Draft) -> Iterator[str]:
        for claim in split_claims(text):
            if is_refusal(claim.text) or claim.text.endswith("?") or _restates(claim.text, question):
                continue
            support = checker.support(claim, self.embedder.embed_query(claim.text))
            if not support:
                logger.info("dropped an unsupported statement: %r", claim.text)
                continue
            yield draft.add(self._in_language(claim, language).text, support)

    def _in_language(self, claim: Claim, language: Lang) -> Claim:
        """The claim, translated by the model when it is in the other language.

        The translation is kept only if it carries the same figures as the checked original.
        """
        if language_scores(claim.text)[language] >= 1 - _LANGUAGE_SURE:
            return claim
        translated = self.generator.complete(translate_messages(claim.text, language), max_tokens=160)
        fixed = split_claims(translated)
        if len(fixed) != 1 or numbers(fixed[0].text) != numbers(claim.text):
            logger.warning("could not translate %r into %s; kept as written", claim.text, language)
            return claim
        logger.info("statement translated into %s: %r -> %r", language, claim.text, fixed[0].text)
        return Claim(fixed[0].text, claim.markers)


def _restates(claim: str, question: str) -> bool:
    """True when the claim only repeats the question: no word or figure of it is new."""
    new_terms = set(content_terms(claim)) - set(content_terms(question))
    return not new_terms and numbers(claim) <= numbers(question)


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
