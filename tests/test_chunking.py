from __future__ import annotations

import itertools
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.chunking import chunk_article, chunk_spans, count_words
from assistant.ingest.loader import load_articles
from assistant.types import Article
from tests.conftest import SEEDS

# Words, numbers in French and English formats, French punctuation with (non-breaking) spaces.
_WORDS = st.sampled_from(
    [
        "Meta",
        "Scale",
        "AI",
        "l’accord",
        "d'IA",
        "données",
        "14,3",
        "milliards",
        "49",
        "%",
        "2 000",
        "3.5",
        "M.",
        "U.S.",
        "«",
        "»",
        "–",
        "(environ",
        "dollars)",
        "GPT-4o",
        "é",
        "Ça",
        "xAI",
    ]
)
_SPACE = st.sampled_from([" ", " ", "\u00a0", "\u202f", "  "])
_END = st.sampled_from([".", " !", "\u00a0?", "…", ".»", " :", ""])


@st.composite
def _sentence(draw: st.DrawFn) -> str:
    words = draw(st.lists(_WORDS, min_size=1, max_size=40))
    text = words[0]
    for word in words[1:]:
        text += draw(_SPACE) + word
    return text + draw(_END)


@st.composite
def _article_text(draw: st.DrawFn) -> str:
    paragraphs = draw(st.lists(st.lists(_sentence(), min_size=1, max_size=8), min_size=1, max_size=6))
    seps = st.sampled_from(["\n\n", "\n \n", "\r\n\r\n", "\n\n\n"])
    text = ""
    for i, para in enumerate(paragraphs):
        if i:
            text += draw(seps)
        text += " ".join(para)
    return draw(st.sampled_from(["", "\n", "  "])) + text + draw(st.sampled_from(["", "\n"]))


@settings(max_examples=300, deadline=None)
@given(_article_text(), st.integers(min_value=5, max_value=40), st.integers(min_value=10, max_value=80))
def test_every_chunk_is_an_exact_span_and_all_text_is_covered(text: str, low: int, span: int) -> None:
    spans = chunk_spans(text, min_words=low, max_words=low + span)
    assert spans, "a non-empty article has at least one chunk"
    covered = [False] * len(text)
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip(), "chunks start and end on a character, not on white space"
        for i in range(start, end):
            covered[i] = True
    uncovered = "".join(ch for ch, c in zip(text, covered, strict=True) if not c)
    assert not uncovered.strip(), f"text left out of every chunk: {uncovered!r}"
    starts = [s for s, _ in spans]
    assert starts == sorted(starts)


@settings(max_examples=200, deadline=None)
@given(_article_text())
def test_chunk_article_keeps_text_equal_to_its_span(text: str) -> None:
    article = Article(source="a.txt", title="t", text=text)
    for chunk in chunk_article(article):
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.source == "a.txt"


def _seed_articles() -> list[Article]:
    return load_articles(SEEDS).articles


def test_seed_chunks_are_citable_sized_and_exact() -> None:
    for article in _seed_articles():
        chunks = chunk_article(article)
        assert len(chunks) >= 5
        for chunk in chunks:
            assert article.text[chunk.start : chunk.end] == chunk.text
            assert count_words(chunk.text) <= 120
        # Only the opening of an article (title lines) may be shorter than the minimum.
        assert all(count_words(c.text) >= 40 for c in chunks[1:])


def test_no_chunk_boundary_splits_a_number_or_a_sentence() -> None:
    for article in _seed_articles():
        for chunk in chunk_article(article):
            assert re.search(r"[.!?…»)\w]$", chunk.text), f"ends mid-sentence: {chunk.text[-40:]!r}"
            before = article.text[: chunk.start].rstrip(" \u00a0")
            assert not re.search(r"\d[,.]?$", before) or before.endswith("."), "starts inside a number"
            assert "14,3 milliards" in chunk.text or "14,3" not in chunk.text


def test_long_sentence_is_cut_at_clauses_without_separating_a_number_from_its_unit() -> None:
    sentence = ", ".join(f"la part {i} vaut 14,3 milliards de dollars" for i in range(30)) + "."
    spans = chunk_spans(sentence, min_words=10, max_words=40)
    assert len(spans) > 1
    for start, end in spans:
        assert count_words(sentence[start:end]) <= 40
        assert not sentence[start:end].startswith("milliards")
        assert not sentence[start:end].endswith("14,3")


def test_paragraph_boundaries_are_preferred(tmp_path: Path) -> None:
    para = " ".join(["Une phrase de huit mots pour le test."] * 6)
    text = "\n\n".join([para, para, para])
    spans = chunk_spans(text, min_words=40, max_words=120)
    assert len(spans) == 3
    assert [text[s:e] for s, e in spans] == [para, para, para]


def test_overlap_when_a_paragraph_is_cut() -> None:
    para = " ".join(f"Phrase numéro {i} avec quelques mots de plus." for i in range(40))
    spans = chunk_spans(para, min_words=40, max_words=60)
    assert len(spans) > 2
    for (_, end_a), (start_b, _) in itertools.pairwise(spans):
        assert start_b < end_a, "consecutive chunks of one paragraph share a sentence"
