"""Index and retrieval figures on this machine: build, incremental runs, latency, a 100,000-chunk index.

Run with `make bench` (or `.venv/bin/python benchmarks/bench_retrieval.py [--synthetic 100000]`). It prints its
figures and saves them to benchmarks/results/bench_retrieval.json; nothing here is a pass/fail test. In the synthetic
index the stored chunks have stand-in vectors (random, of e5's size), but every search embeds its question with the
real embedder, so the first search and the latencies include that.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from results import save_result

from assistant import Assistant, Settings
from assistant.evaluation.retrieval import load_questions
from assistant.ingest.embedding import ArticleEmbedder, E5Embedder
from assistant.ingest.index_state import ArticleRecord, IndexState, now_iso
from assistant.ingest.lexical import LexicalIndex, lexical_path
from assistant.ingest.store import ArticleChunks, ChromaStore
from assistant.types import Chunk

ROOT = Path(__file__).resolve().parent.parent
EXTRA_ARTICLE = "Scale AI et le marché de l'annotation\n\n" + " ".join(
    f"Le marché de l'annotation de données progresse de {i} % selon une étude publiée cette semaine." for i in range(12)
)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentiles_ms(samples_s: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples_s)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(p95, 1), "queries": len(ms)}


def bench_seed_index(work: Path, embedder: E5Embedder) -> dict[str, Any]:
    seeds = work / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    settings = Settings(seeds_dir=seeds, index_dir=work / "index")
    assistant = Assistant(settings, embedder=embedder)  # loaded beforehand: model load is not index time
    figures: dict[str, Any] = {}

    began = time.perf_counter()
    report = assistant.index(full=True)
    figures["full_build_s"] = round(time.perf_counter() - began, 2)
    figures["chunks"] = report.chunks
    print(f"full build of the seed index: {figures['full_build_s']:.2f} s ({report.chunks} chunks)")

    runs = []
    for _ in range(5):
        began = time.perf_counter()
        assistant.index()
        runs.append(time.perf_counter() - began)
    figures["unchanged_update_median_ms"] = round(statistics.median(runs) * 1000)
    print(f"incremental run, nothing changed: median {figures['unchanged_update_median_ms']} ms (target < 1 s)")

    (seeds / "002_extra.txt").write_text(EXTRA_ARTICLE, encoding="utf-8")
    began = time.perf_counter()
    report = assistant.index()
    figures["add_one_article_s"] = round(time.perf_counter() - began, 2)
    print(f"add one article: {figures['add_one_article_s']:.2f} s (added {report.added})")
    (seeds / "002_extra.txt").unlink()
    assistant.index()

    questions = [q.question for q in load_questions()]
    assistant.retrieve(questions[0])
    samples = []
    for question in questions * 3:
        began = time.perf_counter()
        assistant.retrieve(question, k=5)
        samples.append(time.perf_counter() - began)
    figures["search"] = _percentiles_ms(samples)
    print(f"search on the seed index, question embedded: {figures['search']} (target p50 < 30 ms)")
    return figures


class _StandInChunksEmbedder(ArticleEmbedder):
    """Random unit vectors of e5's size for the stored chunks (the store and the fusion do the same work as with
    real ones, without hours of embedding); questions are embedded by the real model, so a search's time includes
    it."""

    def __init__(self, questions: E5Embedder, dim: int = 384) -> None:
        self.questions = questions
        self.dim = dim
        self.rng = np.random.default_rng(0)

    @property
    def model_id(self) -> str:
        return "stand-in-chunks-384"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        v = self.rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        unit = v / np.linalg.norm(v, axis=1, keepdims=True)
        return [[float(x) for x in row] for row in unit]

    def embed_query(self, text: str) -> list[float]:
        return self.questions.embed_query(text)


def bench_synthetic(work: Path, n_chunks: int, questions: E5Embedder) -> dict[str, Any]:
    settings = Settings(seeds_dir=work, index_dir=work / "big-index")
    store = ChromaStore(settings)
    embedder = _StandInChunksEmbedder(questions)
    rng = random.Random(0)
    vocabulary = [f"mot{i}" for i in range(20000)] + ["Meta", "Scale", "Google", "milliards", "dollars"]
    per_article = 20
    began = time.perf_counter()
    collection = store.new_collection()
    lexical = LexicalIndex(lexical_path(settings))
    articles = {}
    batch: list[ArticleChunks] = []
    for a in range(n_chunks // per_article):
        source = f"synthetic-{a:06d}.txt"
        chunks = []
        cursor = 0
        for _ in range(per_article):
            text = " ".join(rng.choices(vocabulary, k=60))
            chunks.append(Chunk(source, cursor, cursor + len(text), text))
            cursor += len(text) + 2
        key = f"k{a:023d}"
        batch.append(ArticleChunks(key, f"Article {a}", chunks, embedder.embed_documents([""] * len(chunks))))
        articles[source] = ArticleRecord(key=key, title=f"Article {a}", chunks=len(chunks))
        if len(batch) == 50 or a == n_chunks // per_article - 1:
            store.add_articles(collection, batch)
            lexical.add_articles(collection, batch)
            batch = []
    store.write_state(IndexState(collection, embedder.model_id, articles, now_iso()))
    figures: dict[str, Any] = {"chunks": n_chunks, "write_s": round(time.perf_counter() - began)}
    print(f"synthetic index of {n_chunks} chunks written in {figures['write_s']} s")

    assistant = Assistant(settings, embedder=embedder, store=store)
    began = time.perf_counter()
    assistant.retrieve("Meta Scale milliards", k=5)
    figures["first_search_ms"] = round(1000 * (time.perf_counter() - began), 1)
    print(f"first search (opens the index, question embedded): {figures['first_search_ms']:.1f} ms")
    samples = []
    for _ in range(60):
        query = " ".join(rng.choices(vocabulary, k=6))
        began = time.perf_counter()
        assistant.retrieve(query, k=5)
        samples.append(time.perf_counter() - began)
    figures["search"] = _percentiles_ms(samples)
    print(f"search on {n_chunks} chunks, question embedded: {figures['search']} (target p50 < 100 ms)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=100_000, help="chunks in the synthetic index (0: skip)")
    args = parser.parse_args()
    embedder = E5Embedder()
    embedder.embed_query("load")
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        figures["seed_index"] = bench_seed_index(Path(tmp), embedder)
        figures["seed_index"]["peak_rss_mb"] = round(_peak_rss_mb())
        print(f"peak memory so far: {figures['seed_index']['peak_rss_mb']} MB")
        if args.synthetic:
            figures["synthetic"] = bench_synthetic(Path(tmp), args.synthetic, embedder)
            figures["synthetic"]["peak_rss_mb"] = round(_peak_rss_mb())
            print(f"peak memory of this process: {figures['synthetic']['peak_rss_mb']} MB")
    save_result(
        "bench_retrieval", figures, settings={"synthetic_chunks": args.synthetic, "embedder": embedder.model_id}
    )


if __name__ == "__main__":
    main()
