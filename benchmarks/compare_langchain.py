"""The assistant against the standard LangChain RAG recipe, on the same questions and the same models.

The recipe: RecursiveCharacterTextSplitter(1000, 200) over the seed articles, a Chroma store embedded with
the project's E5 model, the top 4 chunks by similarity, the classic "Use the following pieces of context"
prompt, and the same Qwen2.5-Coder GGUF through ChatLlamaCpp. Both are scored with the rules of
``assistant.evaluation.answers`` and both are streamed, so latency and time to first token compare.

Run with `.venv/bin/python benchmarks/compare_langchain.py [--limit N] [--only ours|recipe]`.
It prints its figures and saves them to benchmarks/results/compare_langchain.json; nothing here is a pass/fail
test. A full run takes about 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_chroma import Chroma
from langchain_community.chat_models import ChatLlamaCpp
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import Runnable, RunnablePassthrough
from langchain_recipe import RECIPE_PROMPT, RECIPE_TOP_K
from langchain_text_splitters import RecursiveCharacterTextSplitter
from results import save_result

from assistant import Assistant, Settings
from assistant.answering.grounding import is_refusal
from assistant.answering.language import detect_language
from assistant.evaluation.answers import (
    AnswerQuestion,
    AnswerResult,
    AnswerScores,
    load_answer_questions,
    score_answers,
)
from assistant.ingest.embedding import E5Embedder
from assistant.ingest.loader import load_articles
from assistant.ingest.terms import fold
from assistant.model_files import ensure_default_model
from assistant.types import Answer

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# Asked once, untimed, before each system's run: the first generation pays for page faults and warm-up.
WARM_UP_QUESTION = "What are the articles about?"

# Ways the recipe says "I don't know" that the assistant's own refusal pattern does not list.
_MORE_REFUSALS = re.compile(
    r"\b(?:don['’]t|do not|does not|doesn['’]t) know\b|\bcannot (?:answer|determine|find|be determined)\b|"
    r"\bunable to (?:answer|determine|find)\b|\bnot (?:possible|able) to (?:answer|determine)\b|"
    r"\bunknown\b|\bne (?:peux|puis|pouvons) pas (?:répondre|déterminer|savoir)\b|\bpas mentionnée?s?\b|"
    r"\bnon (?:mentionnée?s?|précisée?s?)\b|\bje ne le sais pas\b|"
    r"\b(?:don['’]t|do not) have (?:the |any |specific |enough |that )*(?:information|data|details)\b|"
    r"\bn['’]ai pas (?:d['’]|les? |la |assez d['’])?(?:informations?|données|détails)\b",
    re.IGNORECASE,
)


def recipe_refuses(text: str) -> bool:
    """True when the recipe's answer says that it does not know."""
    return is_refusal(text) or bool(_MORE_REFUSALS.search(text))


def _rss_mb() -> float:
    """The process's resident memory now (not its peak), in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def _quantile(values: Sequence[float], q: float) -> float:
    """The same nearest-rank quantile as ``AnswerScores.summary``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _has_all_facts(text: str, question: AnswerQuestion) -> bool:
    folded = fold(text)
    return all(any(fold(alt) in folded for alt in group) for group in question.facts)


@dataclass(frozen=True)
class SystemRun:
    """One system's scored answers, and what it cost to get ready (index, model load, warm-up)."""

    name: str
    scores: AnswerScores
    setup_seconds: float


def _report(result: AnswerResult) -> None:
    verdict = "ok" if result.correct else ("ANSWERED" if not result.question.answerable else "wrong")
    print(
        f"  {result.question.id:<36} {verdict:<8} lang {'ok' if result.language_ok else 'WRONG':<5} "
        f"first {result.first_piece:5.1f} s  total {result.seconds:5.1f} s",
        file=sys.stderr,
        flush=True,
    )


def format_docs(docs: Sequence[Document]) -> str:
    return "\n\n".join(doc.page_content for doc in docs)


def build_recipe(work: Path, n_batch: int | None) -> tuple[Runnable[str, str], ChatLlamaCpp, Chroma]:
    """The recipe's chain, and the model and store it holds (so that the caller can release them)."""
    articles = load_articles(SEEDS).articles
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = splitter.create_documents([a.text for a in articles], metadatas=[{"source": a.source} for a in articles])
    store = Chroma.from_documents(
        docs, E5Embedder().as_langchain(), collection_name="recipe", persist_directory=str(work / "recipe-chroma")
    )
    retriever = store.as_retriever(search_kwargs={"k": RECIPE_TOP_K})
    # n_batch is left at LangChain's default unless asked for: that is what the recipe gets.
    extra: dict[str, Any] = {"n_batch": n_batch} if n_batch else {}
    llm = ChatLlamaCpp(
        model_path=str(ensure_default_model()),
        n_ctx=4096,
        n_threads=os.cpu_count(),
        temperature=0,
        max_tokens=200,
        verbose=False,
        **extra,
    )
    chain: Runnable[str, str] = (
        {"context": retriever | format_docs, "question": RunnablePassthrough()}
        | PromptTemplate.from_template(RECIPE_PROMPT)
        | llm
        | StrOutputParser()
    )
    print(f"recipe: {len(docs)} chunks from {len(articles)} articles", file=sys.stderr)
    return chain, llm, store


def ask_recipe(chain: Runnable[str, str], question: AnswerQuestion) -> AnswerResult:
    """Stream the recipe's answer to the question alone (the recipe has no use for the conversation)."""
    began = time.perf_counter()
    first: float | None = None
    pieces = []
    for piece in chain.stream(question.question):
        if piece and first is None:
            first = time.perf_counter() - began
        pieces.append(piece)
    seconds = time.perf_counter() - began
    text = "".join(pieces).strip()
    answer = Answer(
        question=question.question,
        text=text,
        # A name alone ("Alexandr Wang.") belongs to no language: it counts as the question's.
        language=detect_language(text, fallback="fr" if question.language == "fr" else "en"),
        answered=bool(text) and not recipe_refuses(text),
        citations=[],
        seconds=seconds,
        first_piece_seconds=first or seconds,
    )
    return AnswerResult(question, answer, first or seconds, seconds)


def run_recipe(
    questions: Sequence[AnswerQuestion], texts: dict[str, str], work: Path, n_batch: int | None
) -> SystemRun:
    began = time.perf_counter()
    chain, llm, store = build_recipe(work, n_batch)
    chain.invoke(WARM_UP_QUESTION)
    setup = time.perf_counter() - began
    print(f"recipe ready in {setup:.1f} s; memory {_rss_mb():.0f} MB", file=sys.stderr)
    results = []
    for question in questions:
        results.append(ask_recipe(chain, question))
        _report(results[-1])
    # Only one copy of the 1.9 GB model at a time: this one goes before the assistant loads its own.
    del chain, llm, store
    gc.collect()
    print(f"recipe released; memory {_rss_mb():.0f} MB", file=sys.stderr)
    return SystemRun("recipe", AnswerScores(tuple(results), texts), setup)


def run_ours(questions: Sequence[AnswerQuestion], texts: dict[str, str], work: Path) -> SystemRun:
    began = time.perf_counter()
    assistant = Assistant(Settings(seeds_dir=SEEDS, index_dir=work / "index", llm_url=None))
    assistant.index()
    assistant.ask(WARM_UP_QUESTION)
    setup = time.perf_counter() - began
    print(f"assistant ready in {setup:.1f} s; memory {_rss_mb():.0f} MB", file=sys.stderr)
    scores = score_answers(assistant.stream, questions, texts, on_result=_report)
    # What is kept between questions (prompt states, sentence vectors) grows with use: the memory after counts too.
    print(f"assistant after {len(questions)} questions; memory {_rss_mb():.0f} MB", file=sys.stderr)
    return SystemRun("ours", scores, setup)


def _row(results: Sequence[AnswerResult], test: Callable[[AnswerResult], bool]) -> str:
    part = sum(test(r) for r in results)
    return f"{part}/{len(results)} ({part / len(results):.0%})" if results else "-"


def comparison(runs: Sequence[SystemRun]) -> dict[str, dict[str, str]]:
    """Each metric's value for each system, as printed: {metric: {system: value}}."""

    def subset(run: SystemRun, keep: Callable[[AnswerResult], bool]) -> list[AnswerResult]:
        return [r for r in run.scores.results if keep(r)]

    def timing(run: SystemRun, of: Callable[[AnswerResult], float]) -> str:
        values = [of(r) for r in run.scores.results]
        return f"{statistics.median(values):.2f} / {_quantile(values, 0.95):.2f} s"

    def answerable(r: AnswerResult) -> bool:
        return r.question.answerable

    metrics: list[tuple[str, Callable[[SystemRun], str]]] = [
        ("all handled right", lambda s: _row(s.scores.results, lambda r: r.correct)),
        ("answers correct", lambda s: _row(subset(s, answerable), lambda r: r.correct)),
        (
            "  holding the facts, refusal or not",
            lambda s: _row(subset(s, answerable), lambda r: _has_all_facts(r.answer.text, r.question)),
        ),
        (
            "  follow-ups correct",
            lambda s: _row(subset(s, lambda r: r.question.kind == "follow-up"), lambda r: r.correct),
        ),
        (
            "  new topics in a conversation",
            lambda s: _row(subset(s, lambda r: r.question.kind == "new-topic"), lambda r: r.correct),
        ),
        ("unanswerable refused", lambda s: _row(subset(s, lambda r: not answerable(r)), lambda r: r.correct)),
        ("right language", lambda s: _row(s.scores.results, lambda r: r.language_ok)),
        ("latency p50 / p95", lambda s: timing(s, lambda r: r.seconds)),
        ("first token p50 / p95", lambda s: timing(s, lambda r: r.first_piece)),
        ("setup (index, model, warm-up)", lambda s: f"{s.setup_seconds:.1f} s"),
    ]
    return {name.strip(): {run.name: value(run) for run in runs} for name, value in metrics}


def comparison_table(table: dict[str, dict[str, str]]) -> str:
    """The systems side by side, one metric a line."""
    systems = list(next(iter(table.values()), {}))
    width = max(len(name) for name in table) + 2
    col = max(20, *(len(c) for row in table.values() for c in row.values())) + 2
    lines = [f"{'':<{width}}" + "".join(f"{system:<{col}}" for system in systems)]
    for name, row in table.items():
        lines.append(f"{name:<{width}}" + "".join(f"{row[system]:<{col}}" for system in systems))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--only", choices=("ours", "recipe"), default=None, help="run one system only")
    parser.add_argument(
        "--recipe-n-batch",
        type=int,
        default=None,
        help="ChatLlamaCpp's n_batch for the recipe (default: LangChain's, 8; the assistant uses 512)",
    )
    parser.add_argument("--details", action="store_true", help="also print each system's full summary")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error(f"--limit must be at least 1, got {args.limit}")

    questions = load_answer_questions()[: args.limit]
    texts = {a.source: a.text for a in load_articles(SEEDS).articles}
    runs = []
    with tempfile.TemporaryDirectory(prefix="compare-langchain-") as tmp:
        work = Path(tmp)
        # The recipe first: its model is released before the assistant loads its own copy.
        if args.only in (None, "recipe"):
            runs.append(run_recipe(questions, texts, work, args.recipe_n_batch))
        if args.only in (None, "ours"):
            runs.append(run_ours(questions, texts, work))

    print(f"\n{len(questions)} questions ({sum(q.answerable for q in questions)} answerable)")
    load, cores = os.getloadavg()[1], os.cpu_count() or 1
    # This run alone keeps every core busy; more than that means other processes shared the CPU.
    if load > cores + 0.5:
        print(f"warning: load average {load:.1f} on {cores} cores: other processes ran too; timings are inflated")
    table = comparison(runs)
    print(comparison_table(table))
    settings = {"limit": args.limit, "only": args.only, "recipe_n_batch": args.recipe_n_batch}
    save_result("compare_langchain", {"questions": len(questions), "table": table}, settings=settings)
    if args.details:
        for run in runs:
            print(f"\n{run.name}: {run.scores.summary()}")


if __name__ == "__main__":
    main()
