"""Load check of the web chat: simultaneous conversations through gradio_client, every answer checked.

Run with `make bench-web` (or `.venv/bin/python benchmarks/load_chat.py [--url http://127.0.0.1:7860/]`).
Without --url it starts app.py on a free port with a copy of the seed articles. It prints its figures and
writes them to benchmarks/results/load_chat.json; nothing here is a pass/fail test.

The app answers one question at a time (the language model is single-flight): requests wait in Gradio's
queue, in order, and each one's latency is its wait plus its own answer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gradio_client import Client
from gradio_client.utils import Status
from webapp import ROOT, running_app

# Two turns each (the second with the first as history); questions the pipeline answers reliably.
CONVERSATIONS: list[list[tuple[str, str]]] = [
    [("What stake did Meta take in Scale AI?", "49"), ("Who leads its superintelligence team?", "Wang")],
    [
        ("Quels revenus Scale AI prévoit-elle pour 2024 ?", "870"),
        ("Qui dirige l'équipe de superintelligence de Meta ?", "Wang"),
    ],
    [("Who leads Meta's superintelligence team?", "Wang"), ("What stake did Meta take in Scale AI?", "49")],
    [("How much revenue does Scale AI expect for 2024?", "870"), ("What stake did Meta take in Scale AI?", "49")],
]


@dataclass
class Result:
    conversation: int
    turn: int
    question: str
    latency_s: float  # submit to answer, queue wait included
    answer_s: float  # the answer itself, as the app measured it
    max_rank: int  # the worst place in the queue this request was told
    text: str
    correct: bool
    error: str = ""


def converse(
    url: str,
    index: int,
    turns: list[tuple[str, str]],
    articles: Path | None,
    *,
    start: threading.Barrier,
    results: list[Result],
) -> None:
    client = Client(url, verbose=False)
    history: list[list[str]] = []
    start.wait()
    for turn, (question, fact) in enumerate(turns):
        began = time.perf_counter()
        max_rank = 0
        try:
            job = client.submit(question, history, api_name="/ask")
            while not job.done():
                status = job.status()
                if status.code == Status.IN_QUEUE and status.rank is not None:
                    max_rank = max(max_rank, status.rank)
                time.sleep(0.1)
            answer: dict[str, Any] = job.result()
        except Exception as err:  # a failed request is a result here, not a crash
            results.append(
                Result(index, turn, question, time.perf_counter() - began, 0.0, max_rank, "", False, str(err))
            )
            return
        latency = time.perf_counter() - began
        results.append(
            Result(
                index,
                turn,
                question,
                latency,
                answer["seconds"],
                max_rank,
                answer["text"],
                _correct(answer, fact, articles),
            )
        )
        history.append([question, answer["text"]])


def _correct(answer: dict[str, Any], fact: str, articles: Path | None) -> bool:
    """Answered, the fact in the text, at least one citation, every citation an exact span of its article."""
    if not (answer["answered"] and fact in answer["text"] and answer["citations"]):
        return False
    if articles is None:
        return True
    for c in answer["citations"]:
        text = (articles / c["source"]).read_text(encoding="utf-8")
        if text[c["start"] : c["end"]] != c["quote"]:
            return False
    return True


def run(url: str, articles: Path | None, conversations: int) -> tuple[list[Result], float]:
    """The results of ``conversations`` simultaneous conversations, and the seconds they took (warm-up excluded)."""
    warm = Client(url, verbose=False).predict("What stake did Meta take in Scale AI?", [], api_name="/ask")
    print(f"warm-up answer ({warm['seconds']:.1f} s): {warm['text']}", flush=True)
    results: list[Result] = []
    start = threading.Barrier(conversations)
    threads = [
        threading.Thread(
            target=converse,
            args=(url, i, CONVERSATIONS[i % len(CONVERSATIONS)], articles),
            kwargs={"start": start, "results": results},
        )
        for i in range(conversations)
    ]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - began


def report(results: list[Result], wall_s: float, conversations: int) -> dict[str, Any]:
    for r in sorted(results, key=lambda r: r.latency_s):
        mark = "ok " if r.correct else "BAD"
        print(
            f"{mark} conv {r.conversation} turn {r.turn}: {r.latency_s:5.1f} s (answer {r.answer_s:4.1f} s, "
            f"queue place {r.max_rank}) {r.question!r} -> {r.text or r.error!r}"
        )
    latencies = [r.latency_s for r in results]
    answers = [r.answer_s for r in results if not r.error]
    summary = {
        "conversations": conversations,
        "requests": len(results),
        "expected_requests": sum(len(CONVERSATIONS[i % len(CONVERSATIONS)]) for i in range(conversations)),
        "correct": sum(r.correct for r in results),
        "errors": sum(bool(r.error) for r in results),
        "latency_median_s": round(statistics.median(latencies), 2),
        "latency_worst_s": round(max(latencies), 2),
        "answer_median_s": round(statistics.median(answers), 2) if answers else None,
        "max_queue_place": max(r.max_rank for r in results),
        "wall_s": round(wall_s, 1),
        "results": [asdict(r) for r in results],
    }
    print(
        f"\n{conversations} simultaneous conversations, {summary['requests']}/{summary['expected_requests']} requests, "
        f"{summary['correct']} correct, {summary['errors']} errors, in {wall_s:.0f} s.\n"
        f"latency (queue wait + answer): median {summary['latency_median_s']} s, worst {summary['latency_worst_s']} s; "
        f"one answer alone: median {summary['answer_median_s']} s.\n"
        f"queueing: one answer at a time (concurrency limit 1, the model is single-flight); the deepest place in the "
        f"queue a request was told was {summary['max_queue_place']} (0 = being answered)."
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="a running app (default: start one)")
    parser.add_argument("--conversations", type=int, default=8)
    args = parser.parse_args()
    if args.url:
        summary = report(*run(args.url, None, args.conversations), args.conversations)
    else:
        with tempfile.TemporaryDirectory(prefix="load-chat-") as tmp, running_app(Path(tmp)) as app:
            summary = report(*run(app.url, app.articles, args.conversations), args.conversations)
    out = ROOT / "benchmarks" / "results" / "load_chat.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
