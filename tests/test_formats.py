"""The readers of PDF, .docx and feeds, and format detection, on real files (tests/data/formats/README.md)."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import datetime
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from assistant.errors import BadInputError
from assistant.ingest.documents import Document
from assistant.ingest.formats.detect import document_format
from assistant.ingest.formats.docx import extract_docx
from assistant.ingest.formats.feed import html_to_paragraphs, looks_like_feed, parse_feed
from assistant.ingest.formats.pdf import extract_pdf
from assistant.ingest.formats.pdf_text import paragraphs_from_pages
from tests.conftest import SEEDS

DATA = Path(__file__).resolve().parent / "data" / "formats"
SEED_FILES = {"seed-000": SEEDS / "000_2b36652c92daeb7e.txt", "seed-001": SEEDS / "001_2e5ae490be6e9ced.txt"}
MIME_SPEC = "shared-mime-info-spec.pdf"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _seed_paragraphs(stem: str) -> list[str]:
    return [_flat(line) for line in SEED_FILES[stem].read_text(encoding="utf-8").splitlines() if line.strip()]


def _assert_article(document: Document) -> None:
    """The stored shape: the title on the first line, a blank line, then one trimmed paragraph a line."""
    assert isinstance(document.text, str)
    title, _, body = document.text.partition("\n\n")
    assert title == document.meta.title
    assert title and "\n" not in title
    for paragraph in body.split("\n\n") if body else []:
        assert paragraph and paragraph == paragraph.strip() and "\n" not in paragraph


def _pdf_bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _seed_pdf_writer() -> PdfWriter:
    return PdfWriter(clone_from=io.BytesIO((DATA / "seed-000.pdf").read_bytes()))


def _bad(call: object, *args: object, **kwargs: object) -> str:
    assert callable(call)
    with pytest.raises(BadInputError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# PDF


@pytest.mark.parametrize("stem", sorted(SEED_FILES))
def test_pdf_of_a_seed_article_gives_its_title_and_every_sentence(stem: str) -> None:
    document = extract_pdf((DATA / f"{stem}.pdf").read_bytes(), f"{stem}.pdf")
    _assert_article(document)
    seed = _seed_paragraphs(stem)
    assert document.meta.title == seed[0]
    assert (document.meta.format, document.meta.origin) == ("pdf", f"{stem}.pdf")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", document.meta.published)
    flat = _flat(document.text)
    for paragraph in seed:
        assert paragraph in flat
    # Most paragraphs come back whole, joined from their lines. Not all: a full line ending a sentence starts
    # a paragraph, and a long heading without a full stop runs into the paragraph after it.
    found = {_flat(paragraph) for paragraph in document.text.split("\n\n")}
    assert sum(paragraph in found for paragraph in seed) >= 0.7 * len(seed)


def test_pdf_made_by_other_tools_gives_title_and_text_without_page_furniture() -> None:
    document = extract_pdf((DATA / MIME_SPEC).read_bytes(), MIME_SPEC)
    _assert_article(document)
    assert document.meta.title == "Shared MIME-info Database"
    assert document.meta.published == "2022-04-29"
    assert len(document.text) > 5000
    # The running header of its 17 pages and their numbers are gone; the text reads on across pages.
    assert document.text.count("Shared MIME-info Database") < 5
    assert not [p for p in document.text.split("\n\n") if p.isdigit()]
    assert "This is version 0.21 of the Shared MIME-info Database specification" in document.text


def test_pdf_of_twenty_pages_reads_quickly() -> None:
    data = (DATA / "long-20-pages.pdf").read_bytes()
    assert 18 <= len(PdfReader(io.BytesIO(data)).pages) <= 22
    started = time.perf_counter()
    document = extract_pdf(data, "long-20-pages.pdf")
    elapsed = time.perf_counter() - started
    assert _flat(document.text).count(_seed_paragraphs("seed-000")[5]) == 10
    assert elapsed < 15, f"{elapsed:.1f} s for 20 pages"


def test_pdf_title_date_and_author_come_from_its_information() -> None:
    writer = _seed_pdf_writer()
    writer.add_metadata({"/Title": "Mon titre", "/Author": "Jeanne Dupont", "/CreationDate": "D:20240312101500+01'00'"})
    document = extract_pdf(_pdf_bytes(writer), "meta.pdf")
    _assert_article(document)
    assert document.text.startswith("Mon titre\n\nGoogle rompt avec Scale AI")
    assert (document.meta.published, document.meta.author) == ("2024-03-12", "Jeanne Dupont")


def test_pdf_placeholder_title_gives_way_to_the_first_line() -> None:
    writer = _seed_pdf_writer()
    writer.add_metadata({"/Title": "Microsoft Word - article.docx"})
    document = extract_pdf(_pdf_bytes(writer), "placeholder.pdf")
    assert document.meta.title == _seed_paragraphs("seed-000")[0]


def test_pdf_encrypted_without_a_user_password_is_read() -> None:
    writer = _seed_pdf_writer()
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    document = extract_pdf(_pdf_bytes(writer), "locked-for-editing.pdf")
    assert document.meta.title == _seed_paragraphs("seed-000")[0]


def test_pdf_encrypted_with_a_password_is_refused() -> None:
    writer = _seed_pdf_writer()
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    message = _bad(extract_pdf, _pdf_bytes(writer), "secret.pdf")
    assert message.startswith("secret.pdf: ")
    assert "encrypted with a password" in message and "save an unencrypted copy" in message


def test_pdf_without_text_layer_is_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    message = _bad(extract_pdf, _pdf_bytes(writer), "scan.pdf")
    assert message == ("scan.pdf: this PDF has no text layer (a scan?); run OCR on it or add the text as a .txt file")


def test_pdf_with_some_pages_without_text_says_so_in_a_note() -> None:
    writer = _seed_pdf_writer()
    writer.add_blank_page(width=595, height=842)
    document = extract_pdf(_pdf_bytes(writer), "half-scanned.pdf")
    assert document.notes == ("half-scanned.pdf: no text on page 2 (scanned images?); run OCR to include them",)


@pytest.mark.parametrize("cut", [100, 2000, 8000, -200])
def test_truncated_pdf_is_refused_as_damaged(cut: int) -> None:
    data = (DATA / "seed-000.pdf").read_bytes()[:cut]
    message = _bad(extract_pdf, data, "cut.pdf")
    assert message.startswith("cut.pdf: this PDF is damaged and cannot be read")
    assert "save or print it to a new PDF" in message


def test_not_a_pdf_is_refused() -> None:
    message = _bad(extract_pdf, b"<html><body>Hello</body></html>", "page.pdf")
    assert message.startswith("page.pdf: this is not a PDF file")
    assert "check that it is the right file" in message


def test_pdf_with_too_many_pages_is_refused() -> None:
    message = _bad(extract_pdf, (DATA / "long-20-pages.pdf").read_bytes(), "long.pdf", max_pages=5)
    assert message.startswith("long.pdf: this PDF has 19 pages, more than the limit of 5; split it")


def test_lines_are_joined_into_paragraphs_without_page_furniture() -> None:
    full = "A line of text that runs the full width of the page, as lines in a paragraph do"
    pages = [
        "\n".join(
            [
                "Le Journal",
                f"{full} exam-",
                "ple of a hyphenated word, and this line too runs the full width of the page. It",
                "ends. Short last line.",
                "Next paragraph starts here and runs the full width of the page once again and",
                "1",
            ]
        ),
        "Le Journal\nthen continues on the next page, after the running header and the page number.\n- 2 -",
        "Le Journal\n« Quoted paragraph » that runs the full width of the page as the others, and\n"
        f"{full}\n\nAfter a blank line.\nPage 3 of 3",
    ]
    assert paragraphs_from_pages(pages) == [
        "Le Journal",
        f"{full} example of a hyphenated word, and this line too runs the full width of the page. It ends. "
        "Short last line.",
        "Next paragraph starts here and runs the full width of the page once again and then continues on the "
        "next page, after the running header and the page number.",
        f"« Quoted paragraph » that runs the full width of the page as the others, and {full}",
        "After a blank line.",
    ]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab- .\n1AÉ«»-", max_size=300), max_size=5))
def test_rebuilt_paragraphs_are_trimmed_single_lines(pages: list[str]) -> None:
    for paragraph in paragraphs_from_pages(pages):
        assert paragraph and paragraph == paragraph.strip() and "\n" not in paragraph


# .docx


@pytest.mark.parametrize("stem", sorted(SEED_FILES))
def test_docx_of_a_seed_article_gives_its_paragraphs_exactly(stem: str) -> None:
    document = extract_docx((DATA / f"{stem}.docx").read_bytes(), f"{stem}.docx")
    _assert_article(document)
    assert document.text == "\n\n".join(_seed_paragraphs(stem))
    assert (document.meta.format, document.meta.origin) == ("docx", f"{stem}.docx")


def _word_document(created: datetime | None = datetime(2025, 6, 12, 9, 30)) -> bytes:
    word = docx.Document()
    if created is not None:
        word.core_properties.created = created
    word.core_properties.author = "Jeanne Dupont"
    word.core_properties.title = ""
    word.add_paragraph("Économie")
    word.add_heading("Le titre de l'article", level=0)
    word.add_paragraph("Premier paragraphe.")
    word.add_heading("Un intertitre", level=1)
    table = word.add_table(rows=2, cols=3)
    for row, values in zip(table.rows, [("Année", "Revenu", ""), ("2024", "870 M$", "estimé")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    table.cell(0, 1).merge(table.cell(0, 2))
    word.add_paragraph("Dernier paragraphe,\navec un saut de ligne.")
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def test_docx_keeps_headings_tables_and_order_and_reads_its_properties() -> None:
    document = extract_docx(_word_document(), "article.docx")
    _assert_article(document)
    assert document.text.split("\n\n") == [
        "Le titre de l'article",
        "Économie",
        "Premier paragraphe.",
        "Un intertitre",
        "Année | Revenu",
        "2024 | 870 M$ | estimé",
        "Dernier paragraphe,",
        "avec un saut de ligne.",
    ]
    assert document.meta.author == "Jeanne Dupont"
    assert document.meta.published == "2025-06-12"


def test_docx_without_a_date_of_its_own_has_none() -> None:
    # python-docx's template says it was created on 2013-12-23: that is not the document's date.
    assert extract_docx(_word_document(created=None), "article.docx").meta.published == ""


def test_old_word_doc_is_refused() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000)
    assert _bad(extract_docx, data, "old.doc") == "old.doc: this is an old Word .doc file; save it as .docx or PDF"


def test_not_a_docx_is_refused() -> None:
    message = _bad(extract_docx, b"Just some text", "notes.docx")
    assert message.startswith("notes.docx: this is not a Word .docx file") and "save it as .docx" in message


def test_zip_without_a_word_document_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8")
    message = _bad(extract_docx, out.getvalue(), "photos.docx")
    assert message.startswith("photos.docx: this is a zip archive but not a Word document")


@pytest.mark.parametrize("damage", ["truncated", "bad xml"])
def test_damaged_docx_is_refused(damage: str) -> None:
    data = (DATA / "seed-000.docx").read_bytes()
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
            for entry in source.infolist():
                content = source.read(entry) if entry.filename != "word/document.xml" else b"<w:document><oops"
                target.writestr(entry, content)
        data = out.getvalue()
    message = _bad(extract_docx, data, "broken.docx")
    assert message.startswith("broken.docx: this Word document is damaged")
    assert "save it again as .docx" in message


def _zip_bomb(size: int) -> bytes:
    """A .docx-shaped zip whose document.xml unpacks to ``size`` bytes of zeros, written a chunk at a time."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            chunk = bytes(1 << 20)
            for _ in range(size // len(chunk)):
                entry.write(chunk)
    return out.getvalue()


def test_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    data = _zip_bomb(200 << 20)
    assert len(data) < 2_000_000
    message = _bad(extract_docx, data, "bomb.docx")
    assert message == (
        "bomb.docx: unpacks to 210 MB, over the limit of 50 MB; this is not an ordinary Word document, "
        "check where it comes from"
    )


def test_docx_entry_packed_far_beyond_real_content_is_refused() -> None:
    message = _bad(extract_docx, _zip_bomb(4 << 20), "packed.docx")
    assert message.startswith("packed.docx: word/document.xml unpacks to 4.2 MB from ")
    assert message.endswith("this is not an ordinary Word document, check where it comes from")


# Feeds

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Le Journal</title>
  <link>https://journal.example/</link>
  <description>Les nouvelles</description>
  <item>
    <title>Meta prend 49 % de Scale AI</title>
    <link>https://journal.example/meta-scale</link>
    <guid isPermaLink="false">journal-1</guid>
    <pubDate>Tue, 12 Mar 2024 10:00:00 +0100</pubDate>
    <dc:creator>Jeanne Dupont</dc:creator>
    <description>Un court résumé.</description>
    <content:encoded><![CDATA[<p>Meta acquiert 49 % de Scale AI.</p>
      <script>track()</script><style>p { color: red }</style>
      <p>Google   se <em>retire</em>.<br>Microsoft aussi.</p>]]></content:encoded>
  </item>
  <item>
    <title>Scale AI loses customers</title>
    <link>/scale-customers</link>
    <description>&lt;p&gt;Google ends its contract.&lt;/p&gt;&lt;div&gt;Others may follow.&lt;/div&gt;</description>
    <author>bob@example.com (Bob Smith)</author>
    <pubDate>Wed, 13 Mar 2024 23:30:00 GMT</pubDate>
  </item>
  <item>
    <title>Titre seul</title>
    <pubDate>Thu, 14 Mar 2024 08:00:00 GMT</pubDate>
  </item>
</channel>
</rss>
""".encode()

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title type="html">Tech &amp;amp; Data</title>
  <link href="https://tech.example/"/>
  <id>urn:uuid:feed</id>
  <updated>2024-03-15T12:00:00Z</updated>
  <entry>
    <title>Data labelling after the deal</title>
    <link href="https://tech.example/labelling"/>
    <id>urn:uuid:entry-1</id>
    <updated>2024-03-15T12:00:00Z</updated>
    <author><name>Ann Lee</name></author>
    <summary>A summary only.</summary>
    <content type="html">&lt;h2&gt;Labs build teams&lt;/h2&gt;
      &lt;p&gt;Labs hire their own labellers.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Résumé seulement</title>
    <link href="https://tech.example/resume"/>
    <id>urn:uuid:entry-2</id>
    <updated>2024-03-16T09:00:00+02:00</updated>
    <summary type="text">Première ligne.
Deuxième ligne.</summary>
  </entry>
</feed>
""".encode()


def test_rss_entries_with_content_description_or_nothing() -> None:
    feed = parse_feed(RSS, "https://journal.example/feed")
    assert (feed.title, feed.site, feed.skipped) == ("Le Journal", "https://journal.example/", 0)
    first, second, third = feed.entries
    assert (
        first.document.text
        == "Meta prend 49 % de Scale AI\n\nMeta acquiert 49 % de Scale AI.\n\nGoogle se retire.\n\nMicrosoft aussi."
    )
    meta = first.document.meta
    assert (meta.entry_id, meta.published, meta.author, meta.site) == (
        "journal-1",
        "2024-03-12",
        "Jeanne Dupont",
        "Le Journal",
    )
    assert (meta.url, meta.origin, meta.format) == (
        "https://journal.example/meta-scale",
        "https://journal.example/feed",
        "feed",
    )
    assert first.has_body
    assert second.document.text == "Scale AI loses customers\n\nGoogle ends its contract.\n\nOthers may follow."
    assert second.link == "https://journal.example/scale-customers"
    assert (second.entry_id, second.document.meta.author) == (second.link, "Bob Smith")
    assert third.document.text == "Titre seul" and not third.has_body
    assert re.fullmatch(r"[0-9a-f]{32}", third.entry_id)
    for entry in feed.entries:
        _assert_article(entry.document)


def test_atom_entries_prefer_content_to_summary() -> None:
    feed = parse_feed(ATOM, "https://tech.example/atom.xml")
    assert (feed.title, feed.site) == ("Tech & Data", "https://tech.example/")
    first, second = feed.entries
    assert first.document.text == "Data labelling after the deal\n\nLabs build teams\n\nLabs hire their own labellers."
    assert (first.entry_id, first.document.meta.author, first.document.meta.published) == (
        "urn:uuid:entry-1",
        "Ann Lee",
        "2024-03-15",
    )
    assert second.document.text == "Résumé seulement\n\nPremière ligne.\n\nDeuxième ligne."
    assert second.document.meta.published == "2024-03-16"


def test_feed_entries_past_the_limit_are_counted() -> None:
    feed = parse_feed(RSS, "https://journal.example/feed", max_entries=1)
    assert len(feed.entries) == 1 and feed.skipped == 2


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><head><title>Page</title></head><body><p>Hello</p></body></html>",
        b"Just some words",
        b"",
        b"<?xml version='1.0'?><note><to>Tove</to></note>",
        b"/etc/passwd",
    ],
)
def test_not_a_feed_is_refused(data: bytes) -> None:
    message = _bad(parse_feed, data, "https://site.example/page")
    assert message.startswith("https://site.example/page: not an RSS or Atom feed")
    assert "feed" in message.split(";", 1)[1]


def test_feeds_are_told_by_their_first_element() -> None:
    assert looks_like_feed(RSS) and looks_like_feed(ATOM)
    assert looks_like_feed(b'<?xml version="1.0"?>\n<!-- c --><rdf:RDF xmlns:rdf="x"><channel/></rdf:RDF>')
    assert looks_like_feed("<rss version='2.0'><channel/></rss>".encode("utf-16"))
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed"></head><rss></html>'
    assert not looks_like_feed(page)
    assert not looks_like_feed(b"<feed><entry/></feed>")  # no Atom namespace


def test_html_becomes_paragraphs_without_scripts() -> None:
    html = (
        "<div>Intro <b>gras</b><script>var x = 1;</script></div>tail<br>after break"
        "<table><tr><td>1</td><td>2</td></tr></table><!-- comment --><ul><li>un</li><li>deux&nbsp;</li></ul>"
    )
    assert html_to_paragraphs(html) == ["Intro gras", "tail", "after break", "1 2", "un", "deux"]
    assert html_to_paragraphs("  ") == []


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="<>/pdivbrscript é\n&;", max_size=200))
def test_html_paragraphs_are_trimmed_single_lines(html: str) -> None:
    for paragraph in html_to_paragraphs(html):
        assert paragraph and paragraph == paragraph.strip() and "\n" not in paragraph


# Detection


@pytest.mark.parametrize(
    ("name", "content_type", "data", "expected"),
    [
        ("article.txt", "", (DATA / "seed-000.pdf").read_bytes()[:2000], "pdf"),
        ("upload", "", (DATA / "seed-000.docx").read_bytes(), "docx"),
        ("old.doc", "", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "doc"),
        ("news.txt", "text/plain", RSS, "feed"),
        ("https://site.example/", "text/html; charset=utf-8", b"<p>Hello</p>", "html"),
        ("notes.md", "", b"# Titre\n\nTexte", "text"),
        ("page.HTM", "", b"Hello", "html"),
        ("https://site.example/feed.xml?x=1", "", b"<?xml version='1.0'?><note/>", "feed"),
        ("", "", b"\n<!doctype html><title>x</title>", "html"),
        ("scan.pdf", "", b"not really a pdf", "pdf"),
    ],
)
def test_format_is_told_by_bytes_then_type_then_name(name: str, content_type: str, data: bytes, expected: str) -> None:
    assert document_format(name, content_type, data) == expected


def test_unknown_format_is_refused_with_the_accepted_ones() -> None:
    message = _bad(document_format, "photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0")
    assert message == (
        "photo.jpg: this is not a format the assistant reads; add .txt, .md, .html, .pdf, .docx, "
        "RSS/Atom feeds or an http(s) link"
    )
