"""Adding web pages, feeds and Word files in a real browser: app.py as a process (real models, real index), a
local web server for the pages, headless Debian Chromium.

The app may fetch from this machine (ASSISTANT_FETCH_PRIVATE=true) so that it reaches the test's own server on
127.0.0.1; nothing else is fetched. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import docx
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.conftest import stop_process
from tests.test_browser import ARTIFACTS, ROOT, _ask, _free_port, _wait_until_ready, browser

pytestmark = pytest.mark.integration

__all__ = ["browser"]  # the Chromium fixture of test_browser, used here

SITE = "Le Courrier de Valmorey"
PAGE_PATH = "/actualites/2025/06/12/tramway-valmorey.html"
PAGE_TITLE = "Le tramway de Valmorey comptera 14 stations"
PAGE = f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{PAGE_TITLE} | {SITE}</title>
<meta property="og:site_name" content="{SITE}">
<meta property="og:title" content="{PAGE_TITLE}">
<meta property="og:type" content="article">
<meta property="article:published_time" content="2025-06-12T08:30:00+02:00">
<meta name="author" content="Camille Roussel">
</head>
<body>
<header>
  <nav><a href="/">Accueil</a> <a href="/politique">Politique</a> <a href="/sport">Sport</a>
  <a href="/abonnement">Abonnez-vous</a> <a href="/connexion">Se connecter</a></nav>
</header>
<main>
<article>
  <h1>{PAGE_TITLE}</h1>
  <p class="byline">Par Camille Roussel, publié le 12 juin 2025</p>
  <p>La métropole de Valmorey a présenté mardi le tracé définitif de sa première ligne de tramway. La ligne T1
  comptera 14 stations entre la gare de Valmorey-Centre et le quartier des Grèves, sur 9,6 kilomètres.</p>
  <p>Le chantier coûtera 212 millions d'euros, financés pour moitié par la métropole et pour moitié par la
  région. Les travaux commenceront en septembre 2026 et les premières rames circuleront à l'automne 2029.</p>
  <p>Selon la présidente de la métropole, Hélène Marchetti, le tramway transportera 38 000 voyageurs par jour
  et remplacera trois lignes de bus saturées. Les commerçants du centre-ville demandent des indemnités pendant
  la durée des travaux, qui fermeront la rue principale pendant dix-huit mois.</p>
</article>
</main>
<aside><h2>Les plus lus</h2><ul><li><a href="/a">Un incendie dans la zone industrielle</a></li>
<li><a href="/b">Le club de rugby remporte le derby</a></li></ul></aside>
<footer><p>© {SITE} 2025 — Mentions légales — Politique de confidentialité — Gérer les cookies</p>
<p>Suivez-nous sur les réseaux sociaux</p></footer>
</body>
</html>
"""
SECOND_PATH = "/actualites/2025/06/14/marche-couvert.html"
SECOND_TITLE = "Le marché couvert de Valmorey rouvre après deux ans de travaux"
SECOND_PAGE = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{SECOND_TITLE} | {SITE}</title>
<meta property="og:site_name" content="{SITE}">
<meta property="article:published_time" content="2025-06-14T07:00:00+02:00"></head>
<body><nav><a href="/">Accueil</a> <a href="/economie">Économie</a></nav>
<article><h1>{SECOND_TITLE}</h1>
<p>Fermé depuis l'été 2023, le marché couvert de Valmorey a rouvert samedi matin. Les quarante-deux étals ont
été réaménagés et la charpente métallique du XIXe siècle a été entièrement restaurée.</p>
<p>La rénovation a coûté 7,4 millions d'euros. Le marché sera désormais ouvert du mardi au dimanche, de 7 heures
à 13 heures 30, et accueillera des producteurs locaux le samedi après-midi.</p>
<p>Les commerçants se disent soulagés : pendant les travaux, ils vendaient sous des barnums installés sur la
place de la République, ce qui avait fait baisser leur chiffre d'affaires de près d'un tiers.</p>
</article><footer>© {SITE} 2025 — Mentions légales</footer></body></html>
"""
FEED_PATH = "/flux/actualites.xml"
FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
<title>{SITE} — Actualités</title>
<link>{{base}}/</link>
<description>Les dernières nouvelles de Valmorey</description>
<item>
  <title>{SECOND_TITLE}</title>
  <link>{{base}}{SECOND_PATH}</link>
  <guid>{{base}}{SECOND_PATH}</guid>
  <pubDate>Sat, 14 Jun 2025 07:00:00 +0200</pubDate>
  <description>Le marché couvert a rouvert samedi.</description>
</item>
</channel>
</rss>
"""
WORD_TITLE = "Le conseil municipal de Valmorey vote le budget des écoles"
WORD_PARAGRAPHS = [
    "Le conseil municipal de Valmorey a voté jeudi soir un budget de 4,8 millions d'euros pour rénover ses "
    "écoles primaires.",
    "Six écoles seront isolées et équipées de panneaux solaires d'ici à la rentrée 2027.",
]
QUESTION = "Combien de stations comptera la ligne de tramway de Valmorey ?"


class _Pages(BaseHTTPRequestHandler):
    """Serves the test's news page, a second page and the feed that links to it; 404 for anything else."""

    base = ""

    def do_GET(self) -> None:
        pages = {
            PAGE_PATH: (PAGE, "text/html; charset=utf-8"),
            SECOND_PATH: (SECOND_PAGE, "text/html; charset=utf-8"),
            FEED_PATH: (FEED.replace("{base}", self.base), "application/rss+xml; charset=utf-8"),
        }
        if self.path not in pages:
            self.send_error(404)
            return
        text, content_type = pages[self.path]
        body = text.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: one line per request would bury pytest's output."""


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """A web server on 127.0.0.1 serving the news pages and the feed: its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    _Pages.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="news-site", daemon=True)
    thread.start()
    try:
        yield _Pages.base
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """app.py over a copy of the seed articles, allowed to fetch from this machine: (url, articles folder)."""
    root = tmp_path_factory.mktemp("webchat-formats")
    articles = root / "articles"
    shutil.copytree(ROOT / "seeds", articles)
    port = _free_port()
    env = {
        **os.environ,
        "ASSISTANT_SEEDS_DIR": str(articles),
        "ASSISTANT_INDEX_DIR": str(root / "index"),
        "ASSISTANT_FETCH_PRIVATE": "true",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    log_path = root / "app.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=root, env=env, stdout=log, stderr=log
        )
    try:
        _wait_until_ready(process, log_path)
        yield f"http://127.0.0.1:{port}/", articles
    finally:
        stop_process(process)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log_path, ARTIFACTS / "app-formats.log")


def test_pages_feeds_and_word_files_are_added_and_cited_with_their_site_and_date(
    app: tuple[str, Path], site: str, browser: BrowserContext, tmp_path: Path
) -> None:
    url, articles = app
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    expect(page.locator("#question textarea")).to_be_visible(timeout=60_000)
    try:
        _add_and_ask(page, site, articles, tmp_path)
    finally:
        _shot(page, "formats-last")
        page.close()
    assert not [u for u in requested if not u.startswith((url, "data:", "blob:"))], "the page asks only the app"


def _add_and_ask(page: Page, site: str, articles: Path, tmp_path: Path) -> None:
    result = page.locator("#result textarea")
    page.get_by_role("tab", name="Articles").click()

    # A web page by its link: its article, not the menus and footer, with its title, site and date.
    _link_box(page).fill(site + PAGE_PATH)
    page.locator("#add-link").click()
    expect(result).to_have_value(_contains(f"— {PAGE_TITLE}"), timeout=120_000)
    expect(result).to_have_value(_contains("added 1"))
    # Said as soon as the page is served by its words, before its vectors are written.
    expect(page.get_by_text("The new articles can be asked about now").first).to_be_attached()
    expect(result).to_have_value(_contains("searchable by their words after"))
    expect(page.locator("#index-status")).to_contain_text(PAGE_TITLE)
    expect(_link_box(page)).to_have_value("")
    name = re.search(r"\+ (\S+) — ", result.input_value())
    assert name, result.input_value()
    text = (articles / name.group(1)).read_text(encoding="utf-8")
    assert "14 stations entre la gare" in text and "Mentions légales" not in text and "Abonnez-vous" not in text
    _shot(page, "formats-1-page-added")

    # A Word file made here.
    word = tmp_path / "conseil municipal.docx"
    document = docx.Document()
    # python-docx's template says 2013-12-23, which the article would take as its date.
    document.core_properties.created = datetime(2025, 6, 13, 18, 0, tzinfo=UTC)
    document.core_properties.title = WORD_TITLE
    document.add_heading(WORD_TITLE, level=1)
    for paragraph in WORD_PARAGRAPHS:
        document.add_paragraph(paragraph)
    document.save(str(word))
    page.locator("#upload input[type=file]").set_input_files(str(word))
    expect(result).to_have_value(_contains(f"— {WORD_TITLE}"), timeout=120_000)
    expect(page.locator("#index-status")).to_contain_text(WORD_TITLE)
    _shot(page, "formats-2-word-added")

    # A feed: its entry's page is added; refreshing it then finds nothing new.
    _link_box(page).fill(site + FEED_PATH)
    _link_box(page).press("Enter")
    expect(result).to_have_value(_contains(f"— {SECOND_TITLE}"), timeout=120_000)
    expect(page.locator("#index-status")).to_contain_text(SECOND_TITLE)
    page.locator("#refresh-feeds").click()
    expect(result).to_have_value(_contains("no new entry"), timeout=120_000)
    _shot(page, "formats-3-feed-added")

    # The question, limited to the site's articles: the citation names the site and the date.
    page.locator("#filters").get_by_text("Limit the question to some articles").click()
    page.locator("#source-filter input").click()
    page.get_by_role("option", name=SITE, exact=True).click()
    page.keyboard.press("Escape")
    _ask(page, QUESTION, answers=1)
    expect(page.locator("#chat .answer").first).to_contain_text("14")
    cited = page.locator("#chat .sources").first
    expect(cited.locator(".source-title").first).to_contain_text(PAGE_TITLE)
    expect(cited.locator(".source-meta").first).to_have_text(f"{SITE} · 2025-06-12")
    page.locator("#sources label").first.click()
    link = page.locator("#article-view .article-original a")
    expect(link).to_have_attribute("href", site + PAGE_PATH, timeout=30_000)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(page.locator("#article-view .article-meta")).to_contain_text("Camille Roussel")
    _shot(page, "formats-4-cited")


def _link_box(page: Page) -> Locator:
    return page.locator("#link").locator("input, textarea").first


def _contains(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text))


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
