"""A web page's article (assistant/ingest/formats/html.py) and the extraction benchmark's scorer (its metric)."""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import lxml.html  # type: ignore[import-untyped]
import pytest

from assistant.errors import BadInputError
from assistant.ingest.formats.html import (
    MIN_CONFIRMING_WORDS,
    Block,
    confirmed,
    declared_charset,
    decode_page,
    extract_html,
    without_leading_headings,
    without_site_name,
    without_title,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))  # a script's folder, as it runs
from extraction_bench import (
    body_of,
    bootstrap_std,
    corpus_scores,
    exact_match_rate,
    load_bodies,
    precision_score,
    recall_score,
    score,
    shingle_match,
    shingles,
    tokenize,
)

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = ROOT / "benchmarks" / "data" / "article-extraction-benchmark"
NO_TEXT = "no article text found on this page (only menus or scripts?); save the article's text as a .txt file instead"

# Benchmark pages: id prefix, expected title, publication date and canonical URL's start.
PAGES = [
    (
        "04a6711caa",
        "Opinion | Republicans Are Following Trump to Nowhere",
        "2019-11-19",
        "https://www.nytimes.com/2019/11/19/opinion/",
    ),
    (
        "042bb7b5fe",
        "Google Stadia, Microsoft xCloud, Apple Arcade: So Many Ways to Play…and Pay",
        "2019-11-19",
        "https://www.wsj.com/articles/",
    ),
    (
        "35b158918c",
        "Doobie Brothers to reunite with Michael McDonald for Blossom show",
        "2019-11-19",
        "https://www.cleveland.com/entertainment/2019/11/",
    ),
]


@cache
def _truth() -> dict[str, str]:
    return load_bodies(BENCHMARK / "ground-truth.json")


def _page(prefix: str) -> tuple[str, bytes]:
    path = next((BENCHMARK / "html").glob(f"{prefix}*.html.gz"))
    return path.name.split(".")[0], gzip.decompress(path.read_bytes())


def _menu_links(data: bytes, article: str) -> list[str]:
    """The texts of the page's <nav> links (two words or more) that are not in the article."""
    tree = lxml.html.fromstring(data)
    links = (" ".join(a.text_content().split()) for nav in tree.iter("nav") for a in nav.iter("a"))
    return [text for text in links if len(text.split()) >= 2 and text not in article]


@pytest.mark.parametrize(("prefix", "title", "published", "url"), PAGES)
def test_a_benchmark_page_gives_its_article_and_metadata(prefix: str, title: str, published: str, url: str) -> None:
    page_id, data = _page(prefix)
    document = extract_html(data, f"{page_id}.html")
    truth = _truth()[page_id]
    meta = document.meta
    assert (meta.title, meta.published, meta.format, meta.origin) == (title, published, "html", f"{page_id}.html")
    assert meta.url.startswith(url)
    assert document.text.startswith(title + "\n\n")
    body = body_of(document.text)
    first_sentence = re.split(r"(?<=[.!?])\s", truth.strip())[0]
    assert body.startswith(first_sentence)
    assert "\n\n\n" not in body
    menus = _menu_links(data, truth)
    assert menus, "the page should have a menu to leave out"
    assert [text for text in menus if text in body] == []


def test_the_given_url_wins_over_the_canonical_one() -> None:
    _, data = _page("04a6711caa")
    assert extract_html(data, "saved.html", url="https://example.org/a").meta.url == "https://example.org/a"


BOILERPLATE = b"""<!DOCTYPE html><html><head><title>Le Journal</title></head><body>
<div class="cookie-banner">Nous utilisons des cookies. Accepter Refuser</div>
<nav><ul><li><a href="/">Accueil</a></li><li><a href="/politique">Politique</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<form><input name="login"><button>Se connecter</button></form>
<footer>Mentions legales. Contact. Abonnez-vous.</footer></body></html>"""


@pytest.mark.parametrize(
    "data",
    [
        BOILERPLATE,
        b"<html><body><div id='app'></div><script>render()</script></body></html>",
        b"<html><body><article><p>Too short to be an article.</p></article></body></html>",
        b"",
    ],
)
def test_a_page_without_article_text_is_refused_with_what_to_do(data: bytes) -> None:
    with pytest.raises(BadInputError) as caught:
        extract_html(data, "page.html")
    assert str(caught.value) == f"page.html: {NO_TEXT}"


LATIN = (
    "Les élèves de l'école Sainte-Thérèse ont découvert mardi un théâtre antique sous la cour de récréation. "
    "Selon l'archéologue chargée des fouilles, les gradins dégagés datent du IIe siècle et pourraient accueillir "
    "près de deux mille spectateurs ; la mairie étudie déjà un accès pour le public."
)


def test_a_latin_1_page_is_read_with_the_charset_of_its_meta_tag() -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        "<title>Un théâtre sous l'école</title></head><body><nav><a href='/'>Accueil</a></nav>"
        f"<article><h1>Un théâtre sous l'école</h1><p>{LATIN}</p><p>{LATIN}</p></article></body></html>"
    ).encode("iso-8859-1")
    with pytest.raises(UnicodeDecodeError):
        page.decode("utf-8")
    document = extract_html(page, "ecole.html")
    assert document.meta.title == "Un théâtre sous l'école"
    assert LATIN in document.text
    assert document.notes == ()


def test_decoding_prefers_a_bom_then_utf8_then_the_declared_charsets() -> None:
    assert decode_page(b"\xef\xbb\xbf<p>\xc3\xa9t\xc3\xa9</p>") == ("<p>été</p>", False)
    utf8_with_old_tag = '<meta charset="iso-8859-1"><p>été</p>'.encode()
    assert decode_page(utf8_with_old_tag)[0] == '<meta charset="iso-8859-1"><p>été</p>'
    assert decode_page("<p>€ été</p>".encode("cp1252"), charset="windows-1252") == ("<p>€ été</p>", False)
    assert decode_page("<p>Ж</p>".encode("koi8-r"), charset="koi8-r") == ("<p>Ж</p>", False)
    assert decode_page("<p>x</p>".encode("utf-16-le"), charset="utf-16-le") == ("<p>x</p>", False)
    assert decode_page(b"<p>\x81</p>", charset="no-such-charset") == ("<p>\ufffd</p>", True)
    assert declared_charset(b'<meta charset="windows-1251">') == "windows-1251"
    assert declared_charset(b"<p>no tag</p>") == ""


def test_the_title_rules() -> None:
    blocks: list[Block] = [("head", "Kicker"), ("p", "Le titre"), ("p", "Premier paragraphe.")]
    assert without_title([("p", "Le titre"), ("p", "Texte.")], "Le titre - Le Journal") == [("p", "Texte.")]
    assert without_title([("p", "Autre chose"), ("p", "Texte.")], "Le titre") == [("p", "Autre chose"), ("p", "Texte.")]
    assert without_title(blocks, "") == blocks
    assert without_leading_headings(blocks) == blocks[1:]
    assert without_leading_headings([("head", "A"), ("head", "B")]) == []
    assert without_site_name("Le titre | Le Journal", "Le Journal") == "Le titre"
    assert without_site_name("Le Journal", "Le Journal") == "Le Journal"


def _opinion(text: str, calls: list[str]) -> Callable[[], str]:
    def read() -> str:
        calls.append(text)
        return text

    return read


ARTICLE = " ".join(f"mot{i}" for i in range(MIN_CONFIRMING_WORDS)) + " Lire la suite du texte"


def test_a_short_block_stays_only_when_another_extractor_found_it() -> None:
    long = ("p", "un paragraphe " * 15)
    blocks: list[Block] = [("p", "Lire la suite"), long, ("item", "Suivez-nous sur Twitter")]
    calls: list[str] = []
    kept = confirmed(blocks, [_opinion(ARTICLE, calls), _opinion("rien", calls)], below_words=20)
    assert kept == [("p", "Lire la suite"), long]
    assert calls == [ARTICLE, "rien"]


def test_the_second_opinion_is_not_asked_when_the_first_confirms_everything() -> None:
    calls: list[str] = []
    blocks: list[Block] = [("p", "Lire la suite")]
    assert confirmed(blocks, [_opinion(ARTICLE, calls), _opinion("jamais", calls)]) == blocks
    assert calls == [ARTICLE]


def test_nothing_is_dropped_when_the_other_extractors_found_almost_nothing() -> None:
    blocks: list[Block] = [("p", "Suivez-nous sur Twitter"), ("p", "Un autre bloc court")]
    assert confirmed(blocks, [lambda: "", lambda: "deux mots"]) == blocks


# The benchmark's metric, on examples small enough to count by hand.


def test_tokens_are_runs_of_word_characters_with_case_kept() -> None:
    assert tokenize("L'été, 2019 — Ça va?") == ["L", "été", "2019", "Ça", "va"]


def test_shingles_are_four_token_windows_and_a_short_text_is_one_shingle() -> None:
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("a b") == {("a", "b"): 1}
    assert shingles("a b c d a b c d") == {
        ("a", "b", "c", "d"): 2,
        ("b", "c", "d", "a"): 1,
        ("c", "d", "a", "b"): 1,
        ("d", "a", "b", "c"): 1,
    }
    assert shingles("") == {}


def test_a_page_counts_shared_extra_and_missing_shingles_normalised() -> None:
    # true: abcd bcde cdef (3); predicted: abcd bcde cdex dexy (4); shared 2, extra 2, missing 1.
    assert shingle_match("a b c d e f", "a b c d e x y") == pytest.approx((2 / 5, 2 / 5, 1 / 5))
    assert shingle_match("a b c d", "a b c d") == (1.0, 0.0, 0.0)
    assert shingle_match("a b c d", "") == (0.0, 0.0, 1.0)
    assert shingle_match("", "") == (0.0, 0.0, 0.0)
    # Counts matter: the truth has one "a b c d", the prediction two (and 3 other shingles).
    assert shingle_match("a b c d", "a b c d a b c d") == pytest.approx((1 / 5, 4 / 5, 0.0))


def test_page_precision_and_recall_with_the_benchmarks_edge_cases() -> None:
    assert precision_score(0.5, 0.25, 0.25) == pytest.approx(2 / 3)
    assert recall_score(0.5, 0.25, 0.25) == pytest.approx(2 / 3)
    assert precision_score(0.0, 0.0, 0.0) == recall_score(0.0, 0.0, 0.0) == 1.0  # both texts empty
    assert precision_score(0.0, 0.0, 1.0) == 0.0  # nothing predicted
    assert recall_score(0.0, 1.0, 0.0) == 0.0  # nothing true


def test_corpus_figures_average_pages_then_take_f1_of_the_averages() -> None:
    pages = [(0.5, 0.5, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)]
    figures = corpus_scores(pages)
    # precision: pages 1 and 2 only (page 3 predicted nothing); recall: all three pages.
    assert figures["precision"] == pytest.approx((0.5 + 1.0) / 2)
    assert figures["recall"] == pytest.approx((1.0 + 1.0 + 0.0) / 3)
    assert figures["f1"] == pytest.approx(2 * 0.75 * (2 / 3) / (0.75 + 2 / 3))


def test_the_bootstrap_spread_is_zero_for_identical_pages_and_positive_otherwise() -> None:
    assert bootstrap_std([(0.5, 0.5, 0.0)] * 10, samples=50)["f1"] == 0.0
    assert bootstrap_std([(0.5, 0.5, 0.0), (1.0, 0.0, 0.0)] * 5, samples=50)["precision"] > 0.0


def test_scoring_files_checks_the_pages_and_reads_wrapped_output(tmp_path: Path) -> None:
    truth = {"p1": "a b c d e f", "p2": "g h i j"}
    assert exact_match_rate(["a b", "c"], ["a, b", "d"]) == 0.5
    figures = score(truth, {"p1": "a b c d e f", "p2": "g h i j"})
    assert (figures["f1"], figures["accuracy"], figures["f1_std"]) == (1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="differ"):
        score(truth, {"p1": "a b c d e f"})
    wrapped = tmp_path / "out.json"
    wrapped.write_text(json.dumps({"version": "1", "output": {"p1": {"articleBody": "x"}, "p2": {}}}))
    assert load_bodies(wrapped) == {"p1": "x", "p2": ""}


def test_our_scorer_gives_the_published_figure_for_trafilatura_2_0_0s_shipped_output() -> None:
    figures = score(_truth(), load_bodies(BENCHMARK / "output" / "trafilatura.json"))
    # README.rst: trafilatura 2.0.0  0.958 ± 0.006  0.938 ± 0.009  0.978 ± 0.006
    assert [round(figures[k], 3) for k in ("f1", "precision", "recall")] == [0.958, 0.938, 0.978]
    assert figures["f1_std"] == pytest.approx(0.006, abs=0.0015)
