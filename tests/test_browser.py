"""The web chat in a real browser: app.py as a process (real models, real index), headless Debian Chromium.

Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from tests.conftest import stop_process

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
START_TIMEOUT = 300.0  # imports, the index build and the first page on a busy 2-core machine
ANSWER_TIMEOUT_MS = 240_000  # answers queue behind each other; the model takes seconds each

FACT_ARTICLE = """Zorblax Robotics opens a factory in Lyon

Zorblax Robotics, a start-up that builds underwater inspection drones, was founded in 2019 in Grenoble. \
The company now employs 42 engineers.

On Monday, Zorblax Robotics announced that it will open its first factory in Lyon in March 2027. \
The factory will produce 300 drones a year.
"""
HOSTILE_TITLE = "<script>window.__pwned=1</script>Hostile <b>markup</b> test"
HOSTILE_ARTICLE = f"""{HOSTILE_TITLE}

This article holds <img src=x onerror="window.__pwned=1"> and <iframe src="javascript:window.__pwned=1"></iframe>.
It also has **markdown** and $$x^2$$ that must stay as typed.
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """app.py serving a copy of the seed articles from a fresh index, on a free port: (url, articles folder)."""
    root = tmp_path_factory.mktemp("webchat")
    articles = root / "articles"
    shutil.copytree(ROOT / "seeds", articles)
    port = _free_port()
    env = {
        **os.environ,
        "ASSISTANT_SEEDS_DIR": str(articles),
        "ASSISTANT_INDEX_DIR": str(root / "index"),
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
        shutil.copy(log_path, ARTIFACTS / "app.log")


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: 'make test' installs it (apt-get install chromium)"
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(app: tuple[str, Path], browser: BrowserContext) -> Iterator[Page]:
    """A new page (a new chat session) on the app; afterwards, checks it asked nothing of any other host."""
    url, _ = app
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    expect(page.locator("#question textarea")).to_be_visible(timeout=60_000)
    yield page
    page.close()
    elsewhere = [u for u in requested if urlparse(u).hostname not in ("127.0.0.1", None) and not u.startswith("data:")]
    assert not elsewhere, f"the page fetched from other hosts (offline app): {elsewhere}"


def test_questions_in_french_and_english_stream_answers_with_citations(page: Page, app: tuple[str, Path]) -> None:
    _, articles = app
    # The examples under the chat are about the loaded articles, by their titles.
    expect(page.locator("#examples")).to_contain_text("Que disent les articles sur", timeout=60_000)
    expect(page.locator("#examples")).to_contain_text("Google rompt avec Scale AI")
    _ask(page, "Quels revenus Scale AI prévoit-elle pour 2024 ?", answers=1)
    answer = page.locator("#chat .answer").nth(0)
    expect(answer).to_contain_text("870")
    expect(answer).to_contain_text("[1]")
    expect(page.locator("#ask")).to_have_text("Demander")  # the labels follow the question's language
    expect(page.locator("#chat .sources li").first).to_be_visible()
    _shot(page, "1-french-answer")
    _check_citation(page, articles, "870 millions")
    _shot(page, "2-french-citation")

    _ask(page, "What stake did Meta take in Scale AI?", answers=2)
    answer = page.locator("#chat .answer").nth(1)
    expect(answer).to_contain_text("49")
    expect(page.locator("#ask")).to_have_text("Ask")
    assert page.locator("#chat .question").count() == 2, "the conversation is kept"
    _shot(page, "3-english-answer")
    _check_citation(page, articles, "49")
    _shot(page, "4-english-citation")

    # A refusal still says where to look: the closest passages, headed as not an answer, open like sources.
    _ask(page, "What will the weather be in Paris tomorrow?", answers=3)
    expect(page.locator("#chat .answer").nth(2)).to_contain_text("the articles don't say")
    closest = page.locator("#chat .closest")
    expect(closest).to_have_count(1)
    expect(closest.locator(".sources-heading")).to_have_text("Closest passages (not an answer)")
    expect(closest.locator(".source-quote").first).to_be_visible()
    expect(page.locator("#sources")).to_contain_text("not an answer")
    _shot(page, "4b-refusal-closest")
    _check_citation(page, articles, "")

    page.locator("#clear").click()
    expect(page.locator("#chat .answer")).to_have_count(0)
    expect(page.locator("#sources")).to_be_hidden()


def test_an_uploaded_article_is_indexed_and_answers_at_once(page: Page, app: tuple[str, Path], tmp_path: Path) -> None:
    _, articles = app
    page.locator("#ask").click()  # an empty question: a readable message, no trace
    expect(page.get_by_text("the question is empty").first).to_be_visible(timeout=30_000)
    assert "Traceback" not in page.content()
    page.get_by_role("tab", name="Articles").click()
    expect(page.locator("#index-status")).to_contain_text("Chunks")
    upload = tmp_path / "zorblax robotics.txt"
    upload.write_text(FACT_ARTICLE, encoding="utf-8")
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    result = page.locator("#result textarea")
    expect(result).to_have_value(_contains("added 1"), timeout=120_000)
    expect(result).to_have_value(_contains("zorblax_robotics.txt — Zorblax Robotics opens a factory in Lyon"))
    expect(page.locator("#index-status")).to_contain_text("zorblax_robotics.txt")
    assert (articles / "zorblax_robotics.txt").read_text(encoding="utf-8") == FACT_ARTICLE
    _shot(page, "5-uploaded")

    _ask(page, "Where will Zorblax Robotics open its factory?", answers=1)
    expect(page.locator("#chat .answer").first).to_contain_text("Lyon")
    expect(page.locator("#chat .sources").first).to_contain_text("Zorblax Robotics opens a factory in Lyon")
    _shot(page, "6-answer-from-upload")

    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Un café crème à Lyon".encode("latin-1"))
    page.get_by_role("tab", name="Articles").click()
    page.locator("#upload input[type=file]").set_input_files(str(bad))
    expect(result).to_have_value(_contains("latin1.txt is not UTF-8 text"), timeout=60_000)
    expect(page.get_by_text("latin1.txt is not UTF-8 text").first).to_be_visible()
    assert not (articles / "latin1.txt").exists()
    _shot(page, "7-bad-upload")


def test_html_in_articles_and_questions_is_shown_as_text_and_never_runs(
    page: Page, app: tuple[str, Path], tmp_path: Path
) -> None:
    page.get_by_role("tab", name="Articles").click()
    upload = tmp_path / "hostile.md"
    upload.write_text(HOSTILE_ARTICLE, encoding="utf-8")
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    expect(page.locator("#result textarea")).to_have_value(_contains("hostile.md"), timeout=120_000)
    expect(page.locator("#index-status")).to_contain_text(HOSTILE_TITLE)

    page.locator("#open-article input").click()
    page.get_by_role("option", name=HOSTILE_TITLE).click()
    view = page.locator("#article-view .article-text")
    expect(view).to_be_visible()
    assert view.text_content() == HOSTILE_ARTICLE, "the article is shown exactly as typed"
    assert page.locator("#article-view img, #article-view iframe, #article-view script, #article-view b").count() == 0

    question = 'What does <img src=x onerror="window.__pwned=1"> **mean**?'
    _ask(page, question, answers=1)
    expect(page.locator("#chat .question").first).to_have_text(question)
    assert page.locator("#chat img[src='x'], #chat iframe").count() == 0
    _shot(page, "8-hostile-article")
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined", "nothing from an article or a question ran"


def _ask(page: Page, question: str, *, answers: int) -> None:
    """Ask ``question``, check that the answer streams in, and wait until the ``answers``-th one is complete."""
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    expect(page.locator("#chat .answer.pending")).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#chat .answer:not(.pending)")).to_have_count(answers, timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#question textarea")).to_have_value("")


def _check_citation(page: Page, articles: Path, fact: str) -> None:
    """Select the last answer's source that quotes ``fact`` (the first one when ``fact`` is empty): its article
    opens with exactly the quoted span highlighted."""
    quotes = [q.strip() for q in page.locator("#chat .sources").last.locator(".source-quote").all_inner_texts()]
    assert all(q.startswith("« ") and q.endswith(" »") for q in quotes)
    holding = [i for i, q in enumerate(quotes) if fact in q]
    assert holding, f"no source quotes {fact!r}: {quotes}"
    quote = quotes[holding[0]][2:-2]
    page.locator("#sources label").nth(holding[0]).click()
    mark = page.locator("#article-view mark.cited")
    expect(mark).to_have_text(quote, timeout=30_000)
    shown = page.evaluate(
        """() => {
            const text = document.querySelector('#article-view .article-text');
            const mark = text.querySelector('mark.cited');
            const before = document.createRange();
            before.setStart(text, 0);
            before.setEndBefore(mark);
            return {text: text.textContent, start: before.toString().length,
                    source: document.querySelector('#article-view .article-source').textContent};
        }"""
    )
    article = (articles / shown["source"]).read_text(encoding="utf-8")
    assert shown["text"] == article, "the whole article is shown as typed"
    assert article[shown["start"] : shown["start"] + len(quote)] == quote, "the highlight is the citation's span"
    page.wait_for_function(
        """() => {
            const mark = document.querySelector('#article-view mark.cited').getBoundingClientRect();
            const box = document.querySelector('#article-view .article-text').getBoundingClientRect();
            return mark.top >= box.top - 1 && mark.bottom <= box.bottom + 1 && mark.top >= 0
                && mark.bottom <= window.innerHeight;
        }""",
        timeout=10_000,
    )


def _contains(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text))


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_ready(process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        log = log_path.read_text(encoding="utf-8", errors="replace")
        if "web chat ready" in log:
            return
        if process.poll() is not None:
            pytest.fail(f"app.py exited with status {process.returncode}:\n{log[-4000:]}")
        time.sleep(0.5)
    pytest.fail(f"app.py was not ready after {START_TIMEOUT:.0f} s:\n{log_path.read_text(errors='replace')[-4000:]}")
