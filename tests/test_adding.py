"""`Assistant.add`: web pages, links, feeds, PDFs and Word files become articles with their metadata, each once;
bad input is reported and loses nothing. Real parsers, a real HTTP server on 127.0.0.1, the fake embedder."""

from __future__ import annotations

import io
import random
import shutil
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from assistant import Assistant, Settings
from assistant.ingest.catalog import FEEDS_FILE, original_of, read_metadata
from tests.fakes import HashEmbedder
from tests.local_server import Site, local_site

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ROOT / "tests" / "data" / "formats"

BODY = [
    "La Commission européenne a présenté mardi un plan de 40 milliards d'euros pour relancer la production "
    "de puces électroniques en Europe, afin de réduire la dépendance du continent envers l'Asie.",
    "Selon le commissaire Thierry Breton, l'objectif est de doubler la part européenne de la production "
    "mondiale de semi-conducteurs d'ici à 2030, pour la porter à 20 %.",
    "Les industriels saluent l'initiative mais jugent l'enveloppe insuffisante face aux subventions "
    "américaines et chinoises, qui se comptent en centaines de milliards.",
    "Le texte doit encore être approuvé par le Parlement européen et par les États membres avant d'entrer "
    "en vigueur, ce qui pourrait prendre plus d'un an.",
]


_WORDS = (  # noqa: SIM905  (a vocabulary reads better as prose)
    "gouvernement ministre entreprise marché prix énergie région ville salariés usine projet budget accord "
    "syndicats élus habitants rapport étude chercheurs hôpital école université tribunal enquête police "
    "conseil maire député président commission société banque croissance emploi chômage inflation export "
    "agriculteurs récolte climat sécheresse pluie transport train autoroute port aéroport vols touristes "
    "saison musée festival théâtre film livre auteur équipe match victoire défaite championnat joueurs "
    "annonce lundi mardi mercredi jeudi vendredi semaine mois année hausse baisse plan réforme loi vote "
    "décision contrat investissement millions milliards euros clients produits ventes usagers réseau internet"
).split()
_GLUE = "le la les un une des du de dans pour avec sur selon après avant contre entre et mais donc aussi".split()  # noqa: SIM905


def varied_body(seed: int, paragraphs: int = 4) -> list[str]:
    """French news paragraphs of their own: two bodies of different seeds share no run of six words."""
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(3):
            words = [rng.choice(_WORDS if i % 2 == 0 else _GLUE) for i in range(14)]
            sentences.append(" ".join(words).capitalize() + ".")
        out.append(" ".join(sentences))
    return out


def news_page(title: str, body: list[str], published: str = "2022-02-08", site: str = "Le Journal") -> str:
    """A news page as sites serve them: menus, a cookie banner, related links and a footer around the article."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in body)
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta property="og:site_name" content="{site}"><meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}T09:30:00+01:00">
<meta name="author" content="Claire Dupont"></head><body>
<div class="cookie-banner">Nous utilisons des cookies pour améliorer votre expérience. Accepter Refuser</div>
<nav><ul><li><a href="/">Accueil</a></li><li><a href="/politique">Politique</a></li>
<li><a href="/economie">Économie</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<main><article><h1>{title}</h1><p class="byline">Par Claire Dupont, publié le {published}</p>
{paragraphs}</article>
<aside><h2>À lire aussi</h2><ul><li><a href="/a">Les marchés en baisse</a></li>
<li><a href="/b">Le prix de l'essence</a></li></ul></aside></main>
<footer>© {site} 2022. Mentions légales. Contact. Abonnez-vous à notre newsletter.</footer></body></html>"""


def rss(entries: list[tuple[str, str, str]], title: str = "Le Journal — Économie") -> str:
    items = "\n".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Tue, 08 Feb 2022 09:30:00 +0100</pubDate><description><![CDATA[{d}]]></description></item>"
        for t, link, d in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.org/</link><description>Le fil</description>{items}"
        "</channel></rss>"
    )


@pytest.fixture
def site() -> object:
    with local_site() as served:
        yield served


@pytest.fixture
def empty_assistant(tmp_path: Path) -> Assistant:
    settings = Settings(seeds_dir=tmp_path / "articles", index_dir=tmp_path / "index")
    return Assistant(settings, embedder=HashEmbedder())


def _article(assistant: Assistant, name: str) -> str:
    return (assistant.settings.seeds_dir / name).read_text(encoding="utf-8")


def test_a_link_becomes_one_clean_article_with_its_metadata_and_exact_citations(
    empty_assistant: Assistant, site: Site
) -> None:
    url = site.put("/economie/puces.html", news_page("Bruxelles veut relancer les puces", BODY))
    report, indexed = empty_assistant.add([url])
    assert not report.problems, report.problems
    assert [a.title for a in report.added] == ["Bruxelles veut relancer les puces"]
    added = report.added[0]
    assert added.name == "2022-02-08-bruxelles-veut-relancer-les-puces.txt"
    assert indexed is not None and indexed.added == 1
    text = _article(empty_assistant, added.name)
    assert text.startswith("Bruxelles veut relancer les puces\n")
    assert all(p in text for p in BODY)
    for boilerplate in ("cookies", "Accueil", "À lire aussi", "Mentions légales"):
        assert boilerplate not in text
    meta = read_metadata(empty_assistant.settings.seeds_dir, added.name)
    assert (meta.published, meta.site, meta.url, meta.format) == ("2022-02-08", "Le Journal", url, "html")
    assert meta.author == "Claire Dupont"
    for passage in empty_assistant.retrieve("plan de 40 milliards pour les puces", k=3):
        assert text[passage.start : passage.end] == passage.text
        assert (passage.published, passage.site, passage.url) == ("2022-02-08", "Le Journal", url)


def test_links_to_local_addresses_are_refused_unless_allowed(empty_assistant: Assistant, site: Site) -> None:
    url = site.put("/a.html", news_page("Titre", BODY))
    report, indexed = empty_assistant.add([url], allow_private=False)
    assert indexed is None and not report.added
    assert "ASSISTANT_FETCH_PRIVATE" in report.problems[0]
    assert site.requests == []  # refused before any connection
    report, _ = empty_assistant.add(["file:///etc/passwd"], allow_private=True)
    assert "not an http(s) link" in report.problems[0] or "/etc/passwd" in report.problems[0]


def test_a_feed_adds_each_entry_once_and_only_new_ones_when_added_again(empty_assistant: Assistant, site: Site) -> None:
    pages = []
    for n, subject in enumerate(["les puces", "l'énergie", "le rail"]):
        body = [f"Article {n} sur {subject}.", *varied_body(n)]
        pages.append((f"Bruxelles et {subject}", site.put(f"/e{n}.html", news_page(f"Bruxelles et {subject}", body))))
    feed = site.put("/rss.xml", rss([(t, u, "Résumé court.") for t, u in pages]), "application/rss+xml")
    report, indexed = empty_assistant.add([feed])
    assert sorted(a.title for a in report.added) == sorted(t for t, _ in pages)
    assert indexed is not None and indexed.added == 3
    # Each summary entry was completed by its page.
    first = next(a for a in report.added if a.title == "Bruxelles et les puces")
    assert varied_body(0)[3] in _article(empty_assistant, first.name)
    meta = read_metadata(empty_assistant.settings.seeds_dir, first.name)
    assert meta.origin == feed and meta.site == "Le Journal — Économie" and meta.entry_id

    fetched_pages = len(site.requests)
    report, indexed = empty_assistant.refresh_feeds()
    assert report.added == [] and indexed is None
    assert any("no new entry" in n for n in report.notes)
    assert len(site.requests) == fetched_pages + 1  # the feed only: no page fetched again, nothing embedded

    body = ["Article 4 sur le vin.", *varied_body(4)]
    new = site.put("/e4.html", news_page("Bruxelles et le vin", body))
    site.put("/rss.xml", rss([("Bruxelles et le vin", new, "Résumé."), *((t, u, "Résumé court.") for t, u in pages)]))
    report, indexed = empty_assistant.add([feed])
    assert [a.title for a in report.added] == ["Bruxelles et le vin"]
    assert indexed is not None and (indexed.added, indexed.unchanged) == (1, 3)
    assert (empty_assistant.settings.seeds_dir / FEEDS_FILE).is_file()


def test_a_huge_feed_is_read_a_slice_at_a_time(tmp_path: Path, site: Site) -> None:
    settings = Settings(seeds_dir=tmp_path / "articles", index_dir=tmp_path / "index", feed_max_entries=5)
    assistant = Assistant(settings, embedder=HashEmbedder())
    entries = [(f"Dépêche {n}", f"http://example.invalid/{n}", " ".join(varied_body(n, 2))) for n in range(5000)]
    feed = site.put("/big.xml", rss(entries), "application/rss+xml")
    report, _ = assistant.add([feed])
    assert len(report.added) == 5
    assert any("5000 entries" in n and "ASSISTANT_FEED_MAX_ENTRIES" in n for n in report.notes)
    report, _ = assistant.add([feed])
    assert len(report.added) == 5  # the next slice


def test_the_same_article_as_a_pdf_or_a_word_file_is_not_added_twice(fake_assistant: Assistant) -> None:
    fake_assistant.index()
    before = sorted(p.name for p in fake_assistant.settings.seeds_dir.iterdir())
    report, indexed = fake_assistant.add([str(FORMATS / "seed-000.pdf"), str(FORMATS / "seed-001.docx")])
    assert report.added == [] and indexed is None
    assert len(report.already) == 2
    assert "seed-000.pdf is the same article as 000_2b36652c92daeb7e.txt" in report.already[0]
    assert sorted(p.name for p in fake_assistant.settings.seeds_dir.iterdir()) == before


def test_pdf_and_word_files_become_articles_with_their_originals_kept(empty_assistant: Assistant) -> None:
    report, indexed = empty_assistant.add([str(FORMATS / "seed-000.pdf"), str(FORMATS / "seed-001.docx")])
    assert not report.problems, report.problems
    assert len(report.added) == 2 and indexed is not None and indexed.added == 2
    folder = empty_assistant.settings.seeds_dir
    for added in report.added:
        original = original_of(folder, added.name)
        assert original is not None and original.suffix in {".pdf", ".docx"}
        assert read_metadata(folder, added.name).format == original.suffix[1:]
    pdf_text = " ".join(_article(empty_assistant, report.added[0].name).split())
    assert "Meta acquiert 49 % de Scale AI, obligeant Google et Microsoft à se retirer." in pdf_text
    for passage in empty_assistant.retrieve("Scale AI Meta participation", k=5):
        assert _article(empty_assistant, passage.source)[passage.start : passage.end] == passage.text


def test_bad_inputs_are_each_explained_and_the_good_ones_still_added(
    empty_assistant: Assistant, site: Site, tmp_path: Path
) -> None:
    good = site.put("/good.html", news_page("Bruxelles veut relancer les puces", BODY))
    german = site.put(
        "/de.html",
        news_page(
            "Brüssel will Chips fördern",
            [
                "Die Europäische Kommission hat am Dienstag einen Plan über 40 Milliarden Euro vorgestellt, um die "
                "Produktion von Mikrochips in Europa anzukurbeln und die Abhängigkeit von Asien zu verringern.",
                "Die Industrie begrüßt die Initiative, hält den Betrag aber angesichts der amerikanischen und "
                "chinesischen Subventionen für unzureichend, die sich auf Hunderte Milliarden belaufen.",
            ],
        ),
    )
    boilerplate = site.put(
        "/empty.html", "<html><body><nav><a href='/'>Accueil</a></nav><footer>©</footer></body></html>"
    )
    encrypted = tmp_path / "locked.pdf"
    writer = PdfWriter(clone_from=PdfReader(FORMATS / "seed-000.pdf"))
    writer.encrypt("secret")
    with encrypted.open("wb") as out:
        writer.write(out)
    scanned = tmp_path / "scan.pdf"
    blank = PdfWriter()
    blank.add_blank_page(width=595, height=842)
    with scanned.open("wb") as out:
        blank.write(out)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes((FORMATS / "seed-000.pdf").read_bytes()[:2000])
    old_word = tmp_path / "old.doc"
    old_word.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    items = [
        site.base + "/missing.html",
        german,
        boilerplate,
        str(encrypted),
        str(scanned),
        str(broken),
        str(old_word),
        str(tmp_path / "nowhere.pdf"),
        good,
    ]
    report, indexed = empty_assistant.add(items)
    assert [a.title for a in report.added] == ["Bruxelles veut relancer les puces"]
    assert indexed is not None and indexed.added == 1
    problems = "\n".join(report.problems)
    assert len(report.problems) == 8, problems
    assert "404" in problems
    assert "German" in problems
    assert "no article text" in problems
    assert "locked.pdf" in problems and "password" in problems
    assert "scan.pdf" in problems and "no text" in problems
    assert "broken.pdf" in problems
    assert "old.doc" in problems and ".docx" in problems
    assert "nowhere.pdf: no such file" in problems


def test_a_word_file_that_unpacks_to_gigabytes_is_refused(empty_assistant: Assistant, tmp_path: Path) -> None:
    import zipfile  # noqa: PLC0415

    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            zeros = b"\0" * 1_000_000
            for _ in range(200):
                member.write(zeros)
    assert bomb.stat().st_size < 1_000_000
    report, _ = empty_assistant.add([str(bomb)])
    assert "bomb.docx" in report.problems[0] and "MB" in report.problems[0]


def test_a_folder_of_documents_is_added_whole(empty_assistant: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(FORMATS / "seed-000.docx", folder)
    shutil.copy(ROOT / "seeds" / "001_2e5ae490be6e9ced.txt", folder / "notes.txt")
    document = docx.Document()
    document.add_heading("Un rapport interne", level=1)
    document.add_paragraph(" ".join(BODY))
    buffer = io.BytesIO()
    document.save(buffer)
    (folder / "rapport.docx").write_bytes(buffer.getvalue())
    report, indexed = empty_assistant.add([str(folder)])
    assert not report.problems, report.problems
    assert len(report.added) == 3 and indexed is not None and indexed.added == 3
    assert "notes.txt" in {a.name for a in report.added}  # a text file keeps its name and its bytes
    assert _article(empty_assistant, "notes.txt") == (ROOT / "seeds" / "001_2e5ae490be6e9ced.txt").read_text("utf-8")
