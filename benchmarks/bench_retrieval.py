"""Index and retrieval figures on this machine: build, incremental runs, latency, a 100,000-chunk index.

Run with `make bench` (or `.venv/bin/python benchmarks/bench_retrieval.py [--synthetic 100000]`).
It prints its figures; nothing here is a pass/fail test.
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

import numpy as np

from assistant import Assistant, Settings
from assistant.evaluation.retrieval import load_questions
from assistant.ingest.embedding import ArticleEmbedder, E5Embedder
from assistant.ingest.lexical import LexicalIndex, lexical_path
from assistant.ingest.store import ArticleChunks, ArticleRecord, ChromaStore, IndexState, now_iso
from assistant.types import Chunk

ROOT = Path(__file__).resolve().parent.parent
EXTRA_ARTICLE = "Scale AI et le marché de l'annotation\n\n" + " ".join(
    f"Le marché de l'annotation de données progresse de {i} % selon une étude publiée cette semaine." for i in range(12)
)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentiles(samples_s: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples_s)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms ({len(ms)} queries)"


def bench_seed_index(work: Path) -> None:
    seeds = work / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    settings = Settings(seeds_dir=seeds, index_dir=work / "index")
    assistant = Assistant(settings)
    assistant.embedder.embed_query("warm-up")  # model load is not index time

    began = time.perf_counter()
    report = assistant.index(full=True)
    print(f"full build of the seed index: {time.perf_counter() - began:.2f} s ({report.chunks} chunks)")

    runs = []
    for _ in range(5):
        began = time.perf_counter()
        assistant.index()
        runs.append(time.perf_counter() - began)
    print(f"incremental run, nothing changed: median {statistics.median(runs) * 1000:.0f} ms (target < 1 s)")

    (seeds / "002_extra.txt").write_text(EXTRA_ARTICLE, encoding="utf-8")
    began = time.perf_counter()
    report = assistant.index()
    print(f"add one article: {time.perf_counter() - began:.2f} s (added {report.added})")
    (seeds / "002_extra.txt").unlink()
    assistant.index()

    questions = [q.question for q in load_questions()]
    assistant.retrieve(questions[0])
    samples = []
    for question in questions * 3:
        began = time.perf_counter()
        assistant.retrieve(question, k=5)
        samples.append(time.perf_counter() - began)
    print(f"retrieval on the seed index: {_percentiles(samples)} (target p50 < 30 ms)")


class _RandomEmbedder(ArticleEmbedder):
    """Random unit vectors of e5's size: the store and the fusion do the same work as with real ones."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.rng = np.random.default_rng(0)

    @property
    def model_id(self) -> str:
        return "synthetic-384"

    def _unit(self, n: int) -> np.ndarray:
        v = self.rng.standard_normal((n, self.dim)).astype(np.float32)
        unit: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
        return unit

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self._unit(len(texts))]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self._unit(1)[0]]


def bench_synthetic(work: Path, n_chunks: int) -> None:
    settings = Settings(seeds_dir=work, index_dir=work / "big-index")
    store = ChromaStore(settings)
    embedder = _RandomEmbedder()
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
    print(f"synthetic index of {n_chunks} chunks written in {time.perf_counter() - began:.0f} s")

    assistant = Assistant(settings, embedder=embedder, store=store)
    began = time.perf_counter()
    assistant.retrieve("Meta Scale milliards", k=5)
    print(f"first query (opens the index): {time.perf_counter() - began:.1f} s")
    samples = []
    for _ in range(60):
        query = " ".join(rng.choices(vocabulary, k=6))
        began = time.perf_counter()
        assistant.retrieve(query, k=5)
        samples.append(time.perf_counter() - began)
    print(f"retrieval on {n_chunks} chunks: {_percentiles(samples)} (target p50 < 100 ms)")
    print(f"peak memory of this process: {_peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=100_000, help="chunks in the synthetic index (0: skip)")
    args = parser.parse_args()
    E5Embedder().embed_query("load")
    with tempfile.TemporaryDirectory() as tmp:
        bench_seed_index(Path(tmp))
        print(f"peak memory so far: {_peak_rss_mb():.0f} MB")
        if args.synthetic:
            bench_synthetic(Path(tmp), args.synthetic)


if __name__ == "__main__":
    main()
