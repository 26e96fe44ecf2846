"""Adding articles, timed with the real embedding model: a 20-page PDF until it is searchable, one link fetched
from a local server until it is searchable (and the same without the embedding), and a 50-entry feed refreshed
with nothing new.

Run with `.venv/bin/python benchmarks/bench_add.py`; it prints its figures and saves them to
benchmarks/results/bench_add.json. Each case starts from an empty articles folder and index, with the seeds added
first so that the index is not trivially small; the model is loaded before the clock starts.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from results import save_result

from assistant import Assistant, Settings
from assistant.ingest.chunking import chunk_article
from assistant.ingest.embedding import make_embedder
from assistant.ingest.formats.pdf import extract_pdf
from assistant.types import Article

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.local_server import local_site  # noqa: E402
from tests.test_adding import BODY, news_page, rss, varied_body  # noqa: E402

PDF = ROOT / "tests" / "data" / "formats" / "long-20-pages.pdf"


def _fresh(work: Path, embedder: object) -> Assistant:
    # A new folder and index each time: Chroma keeps a client per path for the life of the process.
    run = len(list(work.iterdir()))
    folder = work / f"run-{run}" / "articles"
    shutil.copytree(ROOT / "seeds", folder)
    settings = Settings(seeds_dir=folder, index_dir=work / f"run-{run}" / "index")
    assistant = Assistant(settings, embedder=embedder)  # type: ignore[arg-type]
    assistant.index()
    return assistant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each case (default: 3); the median is kept")
    args = parser.parse_args()
    embedder = make_embedder(Settings())
    embedder.embed_query("warm-up")
    figures: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as tmp, local_site() as site:
        work = Path(tmp)
        pdf_runs, link_runs, link_index_runs, feed_runs = [], [], [], []
        pdf_extract_runs: list[float] = []
        pdf_embed_runs: list[float] = []
        for _ in range(args.repeat):
            assistant = _fresh(work, embedder)
            started = time.perf_counter()
            report, indexed = assistant.add([str(PDF)])
            assert report.added and indexed is not None, report.lines()
            found = assistant.retrieve("Scale AI Meta Alexandr Wang", k=3)
            pdf_runs.append(time.perf_counter() - started)
            assert any(p.source == report.added[0].name for p in assistant.retrieve("Scale AI", k=50))
            figures["pdf_chunks"] = assistant.retriever.current_state().articles[report.added[0].name].chunks
            started = time.perf_counter()
            extract_pdf(PDF.read_bytes(), PDF.name)
            pdf_extract_runs.append(time.perf_counter() - started)
            texts = [
                c.text
                for c in chunk_article(
                    Article(
                        "pdf",
                        "",
                        assistant.settings.seeds_dir.joinpath(report.added[0].name).read_text(encoding="utf-8"),
                    ),
                    40,
                    120,
                )
            ]
            started = time.perf_counter()
            embedder.embed_documents(texts)
            pdf_embed_runs.append(time.perf_counter() - started)
            del found

            assistant = _fresh(work, embedder)
            url = site.put("/page.html", news_page("Bruxelles veut relancer les puces", BODY))
            started = time.perf_counter()
            report, indexed = assistant.add([url])
            assert report.added and indexed is not None, report.lines()
            assistant.retrieve("plan de 40 milliards pour les puces", k=3)
            link_runs.append(time.perf_counter() - started)
            link_index_runs.append(indexed.seconds)

            assistant = _fresh(work, embedder)
            pages = [
                (f"Dépêche {n}", site.put(f"/d{n}.html", news_page(f"Dépêche {n}", varied_body(n)))) for n in range(50)
            ]
            feed = site.put("/feed.xml", rss([(t, u, "Résumé.") for t, u in pages]), "application/rss+xml")
            report, _ = assistant.add([feed])
            assert len(report.added) == 50, report.lines()
            calls = len(site.requests)
            started = time.perf_counter()
            report, indexed = assistant.refresh_feeds()
            feed_runs.append(time.perf_counter() - started)
            assert not report.added and indexed is None and len(site.requests) == calls + 1
    figures |= {
        "pdf_20_pages_added_and_searchable_s": round(statistics.median(pdf_runs), 2),
        "pdf_text_extraction_s": round(statistics.median(pdf_extract_runs), 2),
        "pdf_chunks_embedding_alone_s": round(statistics.median(pdf_embed_runs), 2),
        "link_fetched_extracted_indexed_s": round(statistics.median(link_runs), 2),
        "link_index_update_s": round(statistics.median(link_index_runs), 2),
        "link_beyond_index_update_s": round(statistics.median(link_runs) - statistics.median(link_index_runs), 2),
        "feed_50_entries_none_new_s": round(statistics.median(feed_runs), 3),
    }
    for name, value in figures.items():
        print(f"{name}: {value}")
    save_result("bench_add", figures, settings={"repeat": args.repeat, "embedder": embedder.model_id, "pdf": PDF.name})


if __name__ == "__main__":
    main()
