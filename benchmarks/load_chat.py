"""Load check of the web chat: simultaneous conversations through gradio_client, every answer checked.

Run with `make bench-web` (or `.venv/bin/python benchmarks/load_chat.py [--mode embedded|server|both]
[--url http://127.0.0.1:7860/]`). Without --url it starts app.py on a free port with a copy of the seed
articles, in each mode:

- embedded: the app's own llama.cpp model, one answer at a time (the model is single-flight);
- server: the same model behind llama.cpp's llama-server with --parallel slots on 127.0.0.1 (built once and
  cached, see webapp.llama_server_binary), the app answering as many questions at once
  (ASSISTANT_LLM_URL, ASSISTANT_LLM_CONCURRENCY).

Requests wait in Gradio's queue, in order; each one's latency is its wait plus its own answer. It prints its
figures and saves them to benchmarks/results/load_chat.json; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gradio_client import Client
from gradio_client.utils import Status
from results import save_result
from webapp import running_app, running_llama_server

from assistant.model_files import ensure_default_model

MODES = ("embedded", "server")

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


def report(results: list[Result], wall_s: float, conversations: int, mode: str, at_once: int) -> dict[str, Any]:
    print(f"\n== {mode}: {at_once} answer(s) at a time ==")
    for r in sorted(results, key=lambda r: r.latency_s):
        mark = "ok " if r.correct else "BAD"
        print(
            f"{mark} conv {r.conversation} turn {r.turn}: {r.latency_s:5.1f} s (answer {r.answer_s:4.1f} s, "
            f"queue place {r.max_rank}) {r.question!r} -> {r.text or r.error!r}"
        )
    latencies = [r.latency_s for r in results]
    answers = [r.answer_s for r in results if not r.error]
    summary = {
        "mode": mode,
        "answers_at_once": at_once,
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
        f"queueing: {at_once} answer(s) at a time (the concurrency limit of the answering events); the deepest "
        f"place in the queue a request was told was {summary['max_queue_place']} (0 = being answered)."
    )
    return summary


def run_mode(mode: str, conversations: int, slots: int) -> dict[str, Any]:
    """Start app.py (and, for the server mode, llama-server) in a fresh folder; the mode's figures."""
    with tempfile.TemporaryDirectory(prefix=f"load-chat-{mode}-") as tmp:
        workdir = Path(tmp)
        if mode == "embedded":
            with running_app(workdir) as app:
                return report(*run(app.url, app.articles, conversations), conversations, mode, 1)
        with running_llama_server(ensure_default_model(), workdir, slots=slots) as server:
            env = {"ASSISTANT_LLM_URL": server.url, "ASSISTANT_LLM_CONCURRENCY": str(slots)}
            with running_app(workdir, env=env) as app:
                return report(*run(app.url, app.articles, conversations), conversations, mode, slots)


def compare(summaries: dict[str, dict[str, Any]]) -> None:
    """One line per mode, side by side."""
    print("\nmode      at once  correct  latency median / worst (s)  one answer median (s)  all answers (s)")
    for mode, s in summaries.items():
        print(
            f"{mode:<9} {s['answers_at_once']:>7}  {s['correct']:>3}/{s['expected_requests']:<3}  "
            f"{s['latency_median_s']:>10} / {s['latency_worst_s']:<14} {s['answer_median_s']!s:>21}  {s['wall_s']:>15}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="a running app (default: start one)")
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both", help="which model the app answers with")
    parser.add_argument("--slots", type=int, default=4, help="llama-server's parallel slots (server mode)")
    parser.add_argument("--answers-at-once", type=int, default=1, help="the --url app's limit, for the report")
    args = parser.parse_args()
    if args.url:
        results = run(args.url, None, args.conversations)
        summaries = {"url": report(*results, args.conversations, args.url, args.answers_at_once)}
    else:
        modes = MODES if args.mode == "both" else (args.mode,)
        summaries = {mode: run_mode(mode, args.conversations, args.slots) for mode in modes}
    compare(summaries)
    settings = {"conversations": args.conversations, "mode": args.mode, "slots": args.slots, "url": args.url}
    save_result("load_chat", summaries, settings=settings)


if __name__ == "__main__":
    main()
