"""Adding articles, timed with the real embedding model: a 20-page PDF until it is searchable (by its words, then
by its meaning too, once its vectors are written), one link fetched
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
from assistant.ingest.embedding import ArticleEmbedder, make_embedder
from assistant.ingest.formats.pdf import extract_pdf
from assistant.search.filters import ArticleFilter
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


def _pdf_case(assistant: Assistant, embedder: ArticleEmbedder) -> dict[str, float]:
    """The 20-page PDF added: seconds until a question limited to it finds it (served by its words), until its
    vectors are written too; its text extraction alone and its chunks' embedding alone."""
    times: dict[str, float] = {}

    def found_by_words() -> None:
        # Called by the update once the PDF is served by its words: from then on a question finds it.
        state = assistant.retriever.current_state()
        # (The PDF holds a seed article and more: it replaces that article's shorter version.)
        (added,) = [source for source, record in state.articles.items() if not record.embedded]
        hits = assistant.retrieve("Alexandr Wang rejoint Meta", k=3, limit=ArticleFilter(sources=(added,)))
        assert hits and hits[0].source == added, hits
        times["pdf_20_pages_added_and_searchable_by_words_s"] = time.perf_counter() - started

    started = time.perf_counter()
    report, indexed = assistant.add([str(PDF)], searchable=found_by_words)
    assert report.added and indexed is not None, report.lines()
    assistant.retrieve("Scale AI Meta Alexandr Wang", k=3)
    times["pdf_20_pages_added_and_searchable_by_meaning_too_s"] = time.perf_counter() - started
    name = report.added[0].name
    assert any(p.source == name for p in assistant.retrieve("Scale AI", k=50))
    times["chunks"] = assistant.retriever.current_state().articles[name].chunks

    started = time.perf_counter()
    extract_pdf(PDF.read_bytes(), PDF.name)
    times["pdf_text_extraction_s"] = time.perf_counter() - started
    text = assistant.settings.seeds_dir.joinpath(name).read_text(encoding="utf-8")
    s = assistant.settings
    texts = [c.text for c in chunk_article(Article("pdf", "", text), s.chunk_min_words, s.chunk_max_words)]
    started = time.perf_counter()
    embedder.embed_documents(texts)
    times["pdf_chunks_embedding_alone_s"] = time.perf_counter() - started
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each case (default: 3); the median is kept")
    args = parser.parse_args()
    embedder = make_embedder(Settings())
    embedder.embed_query("warm-up")
    figures: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as tmp, local_site() as site:
        work = Path(tmp)
        link_runs, link_index_runs, feed_runs = [], [], []
        pdf_runs: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            pdf = _pdf_case(_fresh(work, embedder), embedder)
            figures["pdf_chunks"] = pdf.pop("chunks")
            for name, value in pdf.items():
                pdf_runs.setdefault(name, []).append(value)

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
        **{name: round(statistics.median(runs), 2) for name, runs in pdf_runs.items()},
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
