"""Scale figures: 20,000 articles recombined from the external benchmark's, in the embedded store and a Chroma server.

Run with `make bench-scale` (or `.venv/bin/python benchmarks/bench_scale.py [--articles 300] [--no-answer]`).
The articles (scale_articles.py: about 175,000 chunks, 90 MB) and the indexes are made once and cached (default
~/.cache/article-assistant/scale); the stored chunks' vectors are stand-ins of e5's size (a hashed bag of words),
since the real embedder would need hours and its speed is measured on its own, but every search and the first answer
embed their question with the real model, so their times include that. A first run builds both indexes, at about
100 ms an article on 2 busy cores: over an hour; later runs take minutes. Every figure comes from its own fresh
process; a Chroma server is restarted before the searches, so the first one also waits for the server to load.
It prints its figures and saves them to benchmarks/results/bench_scale.json; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from results import save_result
from scale_articles import (
    EXTERNAL,
    EXTRA,
    GENERATOR,
    ArticleMaker,
    RealQuestionEmbedder,
    StandInEmbedder,
    ensure_collection,
)

from assistant import Assistant, Settings
from assistant.ingest.indexing import update_index
from assistant.ingest.store import ChromaStore

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = 100
FIRST_SEARCH_RUNS = 3  # fresh processes timed for the first search (embedded store; a server is cold only once)


# The measurements, each run by a fresh process: `bench_scale.py --child '{"task": ..., ...}'`.
def peak_mb(pid: int | str = "self") -> float:
    """VmHWM: the most resident memory the process ever had."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def questions() -> list[dict[str, Any]]:
    """The benchmark's questions (and its cross-lingual ones), a seeded sample of ``QUESTIONS``."""
    files = [EXTERNAL / "questions.jsonl", EXTERNAL / "xling.jsonl"]
    records = [json.loads(ln) for f in files for ln in f.read_text("utf-8").splitlines() if ln.strip()]
    return random.Random(0).sample(records, QUESTIONS)


def _timed_update(settings: Settings, store: ChromaStore) -> tuple[float, dict[str, Any]]:
    began = time.monotonic()

    def progress(done: int, total: int, _source: str) -> None:
        if total > 50 and done % 1000 == 0:
            print(f"  {done}/{total} articles indexed, {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)

    report = update_index(settings, store, StandInEmbedder(), progress=progress)
    return time.monotonic() - began, asdict(report)


def _build(settings: Settings, cfg: dict[str, Any]) -> dict[str, Any]:
    seconds, report = _timed_update(settings, ChromaStore(settings))
    return {"seconds": seconds, "report": report}


def _updates(settings: Settings, cfg: dict[str, Any]) -> dict[str, Any]:
    store = ChromaStore(settings)
    noop = [_timed_update(settings, store)[0] for _ in range(3)]
    extra = settings.seeds_dir / EXTRA
    extra.write_text(ArticleMaker().article(cfg["articles"]), encoding="utf-8")
    try:
        add_s, add_report = _timed_update(settings, store)
    finally:
        extra.unlink()
    return {"noop_s": noop, "add_s": add_s, "add_report": add_report, "remove_s": _timed_update(settings, store)[0]}


def _searches(settings: Settings, cfg: dict[str, Any]) -> dict[str, Any]:
    asked = [q["question"] for q in questions()]
    assistant = Assistant(settings, embedder=RealQuestionEmbedder())
    began = time.monotonic()
    assistant.retrieve(asked[0], k=5)
    out: dict[str, Any] = {"first_call_s": time.monotonic() - began, "first_s": time.monotonic() - cfg["launched"]}
    samples = []
    for question in asked[1:]:
        began = time.monotonic()
        assistant.retrieve(question, k=5)
        samples.append(time.monotonic() - began)
    return {**out, "search_ms": sorted(1000 * s for s in samples)}


def _first_answer(settings: Settings, cfg: dict[str, Any]) -> dict[str, Any]:
    question = next(q["question"] for q in questions() if q["answerable"])
    assistant = Assistant(settings, embedder=RealQuestionEmbedder())
    assistant.warm_up()
    ready_s, began = time.monotonic() - cfg["launched"], time.monotonic()
    answer = assistant.ask(question)
    return {
        "ready_s": ready_s,
        "ask_s": time.monotonic() - began,
        "answer_s": time.monotonic() - cfg["launched"],
        "answer": {"question": question, "text": answer.text, "answered": answer.answered},
    }


TASKS: dict[str, Callable[[Settings, dict[str, Any]], dict[str, Any]]] = {
    "build": _build,
    "update": _updates,
    "search": _searches,
    "answer": _first_answer,
}


def run_task(cfg: dict[str, Any]) -> dict[str, Any]:
    """One measurement, in this (fresh) process, with its peak memory."""
    settings = Settings(seeds_dir=cfg["seeds"], index_dir=cfg["index"], chroma_url=cfg["url"])
    return {**TASKS[cfg["task"]](settings, cfg), "peak_mb": peak_mb()}


def child(task: str, cfg: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh Python process; its log goes to our stderr."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--child"]
    done = subprocess.run(
        [*argv, json.dumps({**cfg, "task": task, "launched": time.monotonic()})],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def chroma_server(data: Path | None) -> Iterator[Server | None]:
    """`chroma run` on a free local port serving ``data``, until the block ends (None: no server)."""
    if data is None:
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data.mkdir(parents=True, exist_ok=True)
    chroma = str(Path(sys.executable).parent / "chroma")
    with (data.parent / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chroma run did not start; see {data.parent / 'server.log'}") from None
                time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def bench_store(store: str, seeds: Path, cache: Path, n: int, answer: bool) -> dict[str, Any]:
    """Every figure of one store; a server store gets two `chroma run` sessions, so that searching starts cold."""
    home = cache / f"{store}-{n}-{GENERATOR}"
    data = home / "chroma-server" if store == "server" else None
    cfg: dict[str, Any] = {"seeds": str(seeds), "index": str(home / "index"), "url": None, "articles": n}
    out: dict[str, Any] = {}
    with chroma_server(data) as server:
        cfg["url"] = server.url if server else None
        print(f"[{store}] building the index, or checking the cached one", flush=True)
        build = child("build", cfg)
        out["chunks"], out["build"] = build["report"]["chunks"], _build_figures(home / "build.json", build)
        print(f"[{store}] {out['chunks']:,} chunks; timing updates", flush=True)
        out["update"] = child("update", cfg)
        if server:
            out["server_update_peak_mb"] = peak_mb(server.process.pid)
    with chroma_server(data) as server:
        cfg["url"] = server.url if server else None
        print(f"[{store}] timing searches", flush=True)
        out["search"] = child("search", cfg)
        if server:
            out["server_search_peak_mb"] = peak_mb(server.process.pid)
        else:
            # One fresh process varies by a tenth of a second (imports): the first search is timed in three.
            again = [child("search", cfg) for _ in range(FIRST_SEARCH_RUNS - 1)]
            out["search"]["first_runs_s"] = [out["search"]["first_s"], *(r["first_s"] for r in again)]
        if answer:
            print(f"[{store}] timing a first answer", flush=True)
            out["answer"] = child("answer", cfg)
    out["disk_mb"] = disk_mb(home)
    return out


def _build_figures(record: Path, build: dict[str, Any]) -> dict[str, Any]:
    """This run's build, kept in ``record``; or the recorded one when this run found the index built."""
    if build["report"]["added"] + build["report"]["updated"] == 0:
        return {**json.loads(record.read_text()), "cached": True} if record.exists() else {"cached": True}
    built = {**build, "chunks_per_s": build["report"]["chunks"] / build["seconds"], "when": time.ctime()}
    record.write_text(json.dumps(built))
    return {**built, "cached": False}


def _p(ms: list[float], q: float) -> str:
    return f"{ms[min(len(ms) - 1, int(q * len(ms)))]:.1f}"


def _first_search(search: dict[str, Any]) -> str:
    """The first search's time: the median of the fresh processes timed, and their range."""
    runs = search.get("first_runs_s", [search["first_s"]])
    if len(runs) == 1:
        return f"{runs[0]:.2f}"
    return f"{statistics.median(runs):.2f} ({min(runs):.2f}–{max(runs):.2f})"


def _built(key: str, fmt: str) -> Callable[[dict[str, Any]], str]:
    return lambda r: format(r["build"][key], fmt) + " (cached)" * r["build"]["cached"]


ROWS: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
    ("chunks", "≥ 100,000", lambda r: f"{r['chunks']:,}"),
    ("build time, stand-in vectors (s)", "", _built("seconds", ".0f")),
    ("build chunks/s", "", _built("chunks_per_s", ".0f")),
    ("no-op update, first in a process (s)", "", lambda r: f"{r['update']['noop_s'][0]:.2f}"),
    ("no-op update, again (median of 2) (s)", "", lambda r: f"{statistics.median(r['update']['noop_s'][1:]):.2f}"),
    ("adding one article (s)", "≤ 5", lambda r: f"{r['update']['add_s']:.2f}"),
    ("removing it again (s)", "", lambda r: f"{r['update']['remove_s']:.2f}"),
    ("first search, fresh process: start→result (s)", "≤ 2", lambda r: _first_search(r["search"])),
    ("  of which the first retrieve() call (s)", "", lambda r: f"{r['search']['first_call_s']:.2f}"),
    ("search p50, warm process (ms)", "≤ 50 / ≤ 100", lambda r: _p(r["search"]["search_ms"], 0.5)),
    ("search p95, warm process (ms)", "", lambda r: _p(r["search"]["search_ms"], 0.95)),
    ("first answer, fresh process: start→answer (s)", "", lambda r: f"{r['answer']['answer_s']:.1f}"),
    ("  of which start→warmed up (s)", "", lambda r: f"{r['answer']['ready_s']:.1f}"),
    ("peak memory: build process (MB)", "", _built("peak_mb", ".0f")),
    ("peak memory: update process (MB)", "", lambda r: f"{r['update']['peak_mb']:.0f}"),
    ("peak memory: search process, no LLM (MB)", "≤ 1,500", lambda r: f"{r['search']['peak_mb']:.0f}"),
    ("peak memory: answer process (MB)", "", lambda r: f"{r['answer']['peak_mb']:.0f}"),
    ("peak memory: Chroma server, build+updates (MB)", "", lambda r: f"{r['server_update_peak_mb']:.0f}"),
    ("peak memory: Chroma server, searching (MB)", "", lambda r: f"{r['server_search_peak_mb']:.0f}"),
    ("index on disk, with the lexical index (MB)", "", lambda r: f"{r['disk_mb']:.0f}"),
]


def print_table(results: dict[str, dict[str, Any]]) -> None:
    stores = list(results)
    print(f"\n{'':48} {'target':>12}" + "".join(f" {s:>16}" for s in stores))
    for label, target, cell in ROWS:
        cells = []
        for store in stores:
            try:
                cells.append(cell(results[store]))
            except (KeyError, TypeError):
                cells.append("—")
        print(f"{label:48} {target:>12}" + "".join(f" {c:>16}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20_000, help="generated articles (default 20,000)")
    parser.add_argument("--stores", nargs="+", choices=["embedded", "server"], default=["embedded", "server"])
    parser.add_argument("--no-answer", action="store_true", help="skip the first answer (loads the real LLM)")
    parser.add_argument("--json", type=Path, help="another file for the figures (default: benchmarks/results/)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "article-assistant" / "scale")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_task(json.loads(args.child))))
        return
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False")):
        os.environ.setdefault(name, value)
    seeds, collection = ensure_collection(args.cache, args.articles)
    print(
        f"{args.articles:,} articles ({collection['mb']:.0f} MB) in {seeds}: "
        + ("cached" if collection["cached"] else "generated")
        + f" ({collection['seconds']:.0f} s to generate)",
        flush=True,
    )
    results = {store: bench_store(store, seeds, args.cache, args.articles, not args.no_answer) for store in args.stores}
    print_table(results)
    for store, result in results.items():
        if "answer" in result:
            print(f"{store}, first answer: {result['answer']['answer']}")
    load = os.getloadavg()
    print(
        f"load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on {os.cpu_count()} CPUs"
    )
    settings = {"articles": args.articles, "stores": args.stores, "answer": not args.no_answer}
    save_result(
        "bench_scale",
        {"collection": collection, "load_average": load, "stores": results},
        settings=settings,
        out=args.json,
    )


if __name__ == "__main__":
    main()
