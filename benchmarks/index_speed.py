"""Indexing speed against the embedding model's own speed, on real articles of the external benchmark.

Run with `.venv/bin/python benchmarks/index_speed.py [--articles 40]`. It embeds the chunks of the first N
articles with the model alone, then builds an index of the same articles (chunking, embedding, the vector store
and the lexical index), and prints both speeds and their ratio. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from results import save_result

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "benchmarks" / "data" / "external" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=40)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from assistant import Assistant, Settings  # noqa: PLC0415
    from assistant.ingest.chunking import chunk_article  # noqa: PLC0415
    from assistant.ingest.loader import load_articles  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="index-speed-") as tmp:
        folder = Path(tmp) / "articles"
        folder.mkdir()
        for path in sorted(CORPUS.glob("*.txt"))[: args.articles]:
            shutil.copy(path, folder / path.name)
        settings = Settings(seeds_dir=folder, index_dir=Path(tmp) / "index")
        assistant = Assistant(settings)
        assistant.embedder.embed_query("load the model")  # loading is not indexing
        chunks = [
            c.text
            for a in load_articles(folder).articles
            for c in chunk_article(a, settings.chunk_min_words, settings.chunk_max_words)
        ]
        began = time.perf_counter()
        for article_chunks in (chunks[i : i + 8] for i in range(0, len(chunks), 8)):
            assistant.embedder.embed_documents(article_chunks)
        model_rate = len(chunks) / (time.perf_counter() - began)
        began = time.perf_counter()
        report = assistant.index()
        index_rate = report.chunks / (time.perf_counter() - began)
    print(f"{args.articles} articles, {len(chunks)} chunks")
    print(f"the embedding model alone: {model_rate:.2f} chunks/s")
    print(f"indexing (chunking, embedding, store, lexical index): {index_rate:.2f} chunks/s")
    ratio = round(100 * index_rate / model_rate)
    print(f"indexing speed / the model's own speed: {ratio} % (target ≥ 85 %)")
    figures = {
        "articles": args.articles,
        "chunks": len(chunks),
        "model_chunks_per_s": round(model_rate, 2),
        "index_chunks_per_s": round(index_rate, 2),
        "index_to_model_percent": ratio,
    }
    save_result("index_speed", figures, settings={"articles": args.articles, "embedder": settings.embedding_backend})


if __name__ == "__main__":
    main()
