"""Load check of the web chat: simultaneous conversations through gradio_client, every answer checked and timed
as a user sees it stream in.

Run with `make bench-web` (or `.venv/bin/python benchmarks/load_chat.py [--mode embedded|server|both]
[--url http://127.0.0.1:7860/]`). Without --url it starts app.py on a free port with a copy of the seed
articles, in each mode:

- embedded: the app's own llama.cpp model, one answer at a time (the model is single-flight);
- server: the same model behind llama.cpp's llama-server with --parallel slots on 127.0.0.1 (built once and
  cached, see webapp.llama_server_binary), the app answering as many questions at once
  (ASSISTANT_LLM_URL, ASSISTANT_LLM_CONCURRENCY).

Each question goes through the chat's own streaming endpoint (``/chat``, what the page calls; the conversation
is the session's state, kept by each conversation's client). Per answer it records the time from the question to
the first visible content (the first update that shows more than the question and a placeholder: the passages
being read) and to the whole answer; both with the queue wait (what a user sees) and from the moment the app took
the question up (the answer's own time). Requests wait in Gradio's queue, in order. It prints its figures, with
the median (p50) and 95th percentile (p95) of those times, and saves them to benchmarks/results/load_chat.json;
nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import html
import math
import re
import tempfile
import threading
import time
from collections.abc import Sequence
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


# What the chat shows, as the web chat renders it (assistant/web/render.py): the answer, and its sources or, for
# a refusal, the closest passages (class "sources closest"), each quote in « ».
_TAG = re.compile(r"<[^>]+>")
_ANSWER = re.compile(r'<div class="answer[^"]*"[^>]*>(.*?)</div>', re.DOTALL)
_SOURCES = re.compile(r'<div class="sources">(.*?)</ol></div>', re.DOTALL)
_QUOTE = re.compile(r'<span class="source-quote">« (.*?) »</span>', re.DOTALL)
_POLL_S = 0.02  # how often a request's outputs and status are looked at: the times' resolution


@dataclass
class Result:
    conversation: int
    turn: int
    question: str
    latency_s: float  # submit to the whole answer, queue wait included
    first_visible_s: float | None  # submit to the first visible content (what is being read), queue wait included
    queued_s: float  # submit to the moment the app took the question up
    max_rank: int  # the worst place in the queue this request was told
    text: str
    correct: bool
    error: str = ""

    @property
    def answer_s(self) -> float:
        """The whole answer from the moment the app took the question up: the answer's own time."""
        return self.latency_s - self.queued_s

    @property
    def own_first_visible_s(self) -> float | None:
        """The first visible content from the moment the app took the question up."""
        return None if self.first_visible_s is None else self.first_visible_s - self.queued_s


def message_html(message: dict[str, Any]) -> str:
    """A chat message's HTML (its content is a string, or a list of text parts)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(str(part.get("text", "")) for part in content or [] if isinstance(part, dict))


def shows_something(answer_html: str) -> bool:
    """Whether the assistant's message shows more than the placeholder ("…") put up with the question."""
    return html.unescape(_TAG.sub("", answer_html)).strip() not in ("", "…")


def ask_in_chat(client: Client, question: str) -> tuple[str, float | None, float, float, int]:
    """Ask ``question`` in the chat session of ``client``: (the final answer's HTML, then, in seconds from the
    submit: the first visible content (None if nothing showed), the app taking it up, the whole answer; and the
    worst place in the queue told)."""
    began = time.perf_counter()
    first_visible: float | None = None
    taken_up: float | None = None
    max_rank = 0
    seen = 0
    job = client.submit(question, api_name="/chat")
    while True:
        done = job.done()  # read first: the outputs looked at below then include the last one
        now = time.perf_counter() - began
        status = job.status()
        if status.code == Status.IN_QUEUE and status.rank is not None:
            max_rank = max(max_rank, status.rank)
        elif taken_up is None and status.code in (Status.PROCESSING, Status.ITERATING, Status.PROGRESS):
            taken_up = now
        outputs = job.outputs()
        for output in outputs[seen:]:
            if taken_up is None:
                taken_up = now
            if first_visible is None and output and output[0] and shows_something(message_html(output[0][-1])):
                first_visible = now
        seen = len(outputs)
        if done:
            break
        time.sleep(_POLL_S)
    final = job.result()  # raises what the request raised
    whole = time.perf_counter() - began
    return message_html(final[0][-1]), first_visible, taken_up if taken_up is not None else whole, whole, max_rank


def converse(
    url: str,
    index: int,
    turns: list[tuple[str, str]],
    articles: Path | None,
    *,
    start: threading.Barrier,
    results: list[Result],
) -> None:
    client = Client(url, verbose=False)  # one session: the chat keeps the conversation as the session's state
    start.wait()
    for turn, (question, fact) in enumerate(turns):
        began = time.perf_counter()
        try:
            shown, first_visible, queued, latency, max_rank = ask_in_chat(client, question)
        except Exception as err:  # a failed request is a result here, not a crash
            failed = time.perf_counter() - began
            results.append(Result(index, turn, question, failed, None, failed, 0, "", False, str(err)))
            return
        text = _answer_text(shown)
        correct = _correct(shown, text, fact, articles)
        results.append(Result(index, turn, question, latency, first_visible, queued, max_rank, text, correct))


def _answer_text(shown: str) -> str:
    found = _ANSWER.search(shown)
    return html.unescape(_TAG.sub("", found.group(1))) if found else ""


def _correct(shown: str, text: str, fact: str, articles: Path | None) -> bool:
    """Answered (sources, no closest passages), the fact in the text, every quote shown in one of the articles
    (the chat shows quotes, not their offsets)."""
    sources = _SOURCES.search(shown)
    if 'class="sources closest"' in shown or sources is None or fact not in text:
        return False
    quotes = [html.unescape(q) for q in _QUOTE.findall(sources.group(1))]
    if not quotes:
        return False
    if articles is None:
        return True
    texts = [path.read_text(encoding="utf-8") for path in sorted(articles.iterdir()) if path.is_file()]
    return all(any(q in t for t in texts) for q in quotes)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of ``values``, interpolated between the nearest ranks; None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _p50_p95(name: str, values: Sequence[float]) -> dict[str, float | None]:
    return {f"{name}_{p}_s": _rounded(percentile(values, q)) for p, q in (("p50", 50), ("p95", 95))}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def run(url: str, articles: Path | None, conversations: int) -> tuple[list[Result], float]:
    """The results of ``conversations`` simultaneous conversations, and the seconds they took (warm-up excluded)."""
    shown, _, _, seconds, _ = ask_in_chat(Client(url, verbose=False), "What stake did Meta take in Scale AI?")
    print(f"warm-up answer ({seconds:.1f} s): {_answer_text(shown)}", flush=True)
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
        first = "-" if r.first_visible_s is None else f"{r.first_visible_s:4.1f} s"
        print(
            f"{mark} conv {r.conversation} turn {r.turn}: first shown {first}, whole {r.latency_s:5.1f} s "
            f"(answer {r.answer_s:4.1f} s, queue place {r.max_rank}) {r.question!r} -> {r.text or r.error!r}"
        )
    answered = [r for r in results if not r.error]
    first_visible = [r.first_visible_s for r in answered if r.first_visible_s is not None]
    own_first_visible = [r.own_first_visible_s for r in answered if r.own_first_visible_s is not None]
    summary = {
        "mode": mode,
        "answers_at_once": at_once,
        "conversations": conversations,
        "requests": len(results),
        "expected_requests": sum(len(CONVERSATIONS[i % len(CONVERSATIONS)]) for i in range(conversations)),
        "correct": sum(r.correct for r in results),
        "errors": sum(bool(r.error) for r in results),
        "nothing_shown_before_the_end": sum(r.first_visible_s is None for r in answered),
        # From the question to what the user sees, the wait in the queue included.
        **_p50_p95("first_visible", first_visible),
        **_p50_p95("whole_answer", [r.latency_s for r in answered]),
        "whole_answer_worst_s": _rounded(max((r.latency_s for r in answered), default=None)),
        # From the moment the app took the question up: the answer's own times.
        **_p50_p95("own_first_visible", own_first_visible),
        **_p50_p95("own_whole_answer", [r.answer_s for r in answered]),
        "max_queue_place": max((r.max_rank for r in results), default=0),
        "wall_s": round(wall_s, 1),
        "results": [
            {**asdict(r), "answer_s": r.answer_s, "own_first_visible_s": r.own_first_visible_s} for r in results
        ],
    }
    print(
        f"\n{conversations} simultaneous conversations, {summary['requests']}/{summary['expected_requests']} requests, "
        f"{summary['correct']} correct, {summary['errors']} errors, in {wall_s:.0f} s.\n"
        f"first visible content (what is being read), queue wait included: p50 {summary['first_visible_p50_s']} s, "
        f"p95 {summary['first_visible_p95_s']} s; whole answer: p50 {summary['whole_answer_p50_s']} s, "
        f"p95 {summary['whole_answer_p95_s']} s, worst {summary['whole_answer_worst_s']} s.\n"
        f"from the moment the app took the question up: first visible p50 {summary['own_first_visible_p50_s']} s, "
        f"p95 {summary['own_first_visible_p95_s']} s; whole answer p50 {summary['own_whole_answer_p50_s']} s, "
        f"p95 {summary['own_whole_answer_p95_s']} s.\n"
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
    """One line per mode, side by side: p50 / p95 in seconds, queue wait included."""
    print("\nmode      at once  correct  first visible p50 / p95 (s)  whole answer p50 / p95 (s)  all answers (s)")
    for mode, s in summaries.items():
        print(
            f"{mode:<9} {s['answers_at_once']:>7}  {s['correct']:>3}/{s['expected_requests']:<3}  "
            f"{s['first_visible_p50_s']!s:>13} / {s['first_visible_p95_s']!s:<13} "
            f"{s['whole_answer_p50_s']!s:>12} / {s['whole_answer_p95_s']!s:<12} {s['wall_s']:>15}"
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
