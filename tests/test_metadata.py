"""Articles' metadata (date, site, link): kept beside them, carried into the index, passages and citations, and
used to limit a search to a date range or to some sources. Duplicates across forms are told by shared runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.errors import BadInputError
from assistant.ingest.catalog import article_file_name, read_all_metadata, read_metadata, write_metadata
from assistant.ingest.duplicates import find_same_article, same_link, word_runs
from assistant.ingest.index_state import ArticleRecord
from assistant.search.filters import ArticleFilter, parse_day
from assistant.types import Metadata

SCALE = "000_2b36652c92daeb7e.txt"


def test_metadata_is_kept_beside_the_article_and_read_back(tmp_path: Path) -> None:
    meta = Metadata(title="Titre", published="2025-06-12", site="Le Monde", url="https://example.org/a")
    write_metadata(tmp_path, "a.txt", meta)
    assert read_metadata(tmp_path, "a.txt") == meta
    assert read_metadata(tmp_path, "missing.txt") == Metadata()
    assert read_all_metadata(tmp_path) == {"a.txt": meta}
    (tmp_path / ".meta" / "b.txt.json").write_text("{not json", encoding="utf-8")
    assert read_all_metadata(tmp_path) == {"a.txt": meta}  # a broken file is ignored, not fatal


def test_new_file_names_are_safe_dated_and_never_taken() -> None:
    meta = Metadata(title="Meta prend 49 % de Scale AI : l'été des rachats", published="2025-06-12")
    assert article_file_name(meta, set()) == "2025-06-12-meta-prend-49-de-scale-ai-l-ete-des-rachats.txt"
    taken = {"2025-06-12-meta-prend-49-de-scale-ai-l-ete-des-rachats.txt"}
    assert article_file_name(meta, taken).endswith("-rachats-2.txt")
    assert article_file_name(Metadata(), set()) == "article.txt"
    assert article_file_name(meta, set(), "../Notes Été.MD") == "notes-ete.md"


def test_a_summary_and_its_article_are_the_same_article_but_two_reports_are_not(articles_dir: Path) -> None:
    scale = (articles_dir / SCALE).read_text(encoding="utf-8")
    other = next(p for p in articles_dir.iterdir() if p.name != SCALE).read_text(encoding="utf-8")
    paragraphs = [p for p in scale.split("\n") if len(p.split()) > 30]
    summary = paragraphs[0] + "\n" + paragraphs[1]
    known = {SCALE: word_runs(scale), "other.txt": word_runs(other)}
    assert find_same_article(word_runs(summary), known) == SCALE
    # As a PDF gives it: other line breaks, a page number, the same words.
    assert find_same_article(word_runs(" ".join(scale.split()) + "\n\n3\n"), known) == SCALE
    assert find_same_article(word_runs("Un tout autre article. " * 3 + other[:300]), {SCALE: known[SCALE]}) is None


def test_links_are_the_same_page_whatever_the_scheme_www_or_trailing_slash() -> None:
    assert same_link("https://www.example.org/news/a/", "http://example.org/news/a#top")
    assert not same_link("https://example.org/news/a", "https://example.org/news/b")
    assert not same_link("", "")


def test_filter_accepts_by_date_range_and_by_site_or_file_name() -> None:
    june = ArticleRecord("k", "T", 1, published="2025-06-12", site="Le Monde")
    undated = ArticleRecord("k2", "T", 1)
    limit = ArticleFilter(since=date(2025, 6, 1), until=date(2025, 6, 30))
    assert limit.accepts("a.txt", june)
    assert not limit.accepts("b.txt", undated)  # no date: not known to be in the range
    assert not ArticleFilter(since=date(2025, 6, 13)).accepts("a.txt", june)
    assert ArticleFilter(sources=("le monde",)).accepts("a.txt", june)
    assert ArticleFilter(sources=("b.txt",)).accepts("b.txt", undated)
    assert not ArticleFilter(sources=("Libération",)).accepts("a.txt", june)
    assert not ArticleFilter().active


def test_bad_dates_and_an_empty_range_say_how_to_write_them() -> None:
    with pytest.raises(BadInputError, match=r"--since '12/06/2025' is not a date; write it as YYYY-MM-DD"):
        parse_day("12/06/2025", "--since")
    assert parse_day("  ", "--since") is None
    with pytest.raises(BadInputError, match="put the earlier date first"):
        ArticleFilter(since=date(2025, 7, 1), until=date(2025, 6, 1))


def test_metadata_reaches_passages_and_limits_the_search(fake_assistant: Assistant, articles_dir: Path) -> None:
    write_metadata(articles_dir, SCALE, Metadata(published="2025-06-12", site="Le Monde", url="https://lemonde.fr/x"))
    fake_assistant.index()
    passages = fake_assistant.retrieve("Scale AI Meta Alexandr Wang", k=10)
    dated = [p for p in passages if p.source == SCALE]
    assert dated
    assert {(p.published, p.site, p.url) for p in dated} == {("2025-06-12", "Le Monde", "https://lemonde.fr/x")}
    assert all(p.published == "" for p in passages if p.source != SCALE)

    june = ArticleFilter(since=date(2025, 6, 1), until=date(2025, 6, 30))
    assert {p.source for p in fake_assistant.retrieve("Scale AI Meta Alexandr Wang", k=10, limit=june)} == {SCALE}
    by_site = ArticleFilter(sources=("LE MONDE",))
    assert {p.source for p in fake_assistant.retrieve("Google clients", k=10, limit=by_site)} == {SCALE}
    with pytest.raises(BadInputError, match="no article is published 2026-01-01 to …; widen the dates"):
        fake_assistant.retrieve("Scale AI", limit=ArticleFilter(since=date(2026, 1, 1)))


def test_changing_metadata_only_does_not_embed_the_article_again(fake_assistant: Assistant, articles_dir: Path) -> None:
    fake_assistant.index()
    embedder = fake_assistant.embedder
    calls = len(embedder.calls)  # type: ignore[attr-defined]
    write_metadata(articles_dir, SCALE, Metadata(published="2024-01-02", site="Reuters"))
    report = fake_assistant.index()
    assert (report.added, report.updated) == (0, 0)
    assert len(embedder.calls) == calls  # type: ignore[attr-defined]
    record = fake_assistant.retriever.current_state().articles[SCALE]
    assert (record.published, record.site) == ("2024-01-02", "Reuters")
