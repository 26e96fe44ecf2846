"""Serving a team, for real: app.py with sign-in (a file of hashed and plain-text lines, and ASSISTANT_AUTH) and
uploads for signed-in users, and app.py open to the network on purpose with uploads off, in headless Debian
Chromium and through gradio_client; and app.py refusing to serve the network without sign-in.

Both apps serve one copy of the seed articles and share its index (built by the first, only checked by the
second). No question is asked: ASSISTANT_LLM_URL points at a server that is not there, so that the language
model is not loaded in the background for nothing. Logs and screenshots go to test-artifacts/auth-browser/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError, AuthenticationError
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as BrowserError

from tests.conftest import stop_process
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, START_TIMEOUT, _free_port, _wait_until_ready

pytestmark = pytest.mark.integration

ARTIFACTS = ROOT / "test-artifacts" / "auth-browser"
# alice: a hash in the sign-in file; bob: a plain-text line there; carol: a hash in ASSISTANT_AUTH; dave: plain there.
USERS = {"alice": "correct horse battery", "bob": "p:w with colons", "carol": "carol, c'est moi", "dave": "d4ve"}
WRONG = "correct horse batterY"
ARTICLE = "Zorblax Robotics opens a factory in Lyon\n\nThe factory will produce 300 drones a year.\n"
SIGNED_IN_ARTICLE = "Quorvin Labs hires in Nantes\n\nQuorvin Labs will hire 25 chemists in Nantes this year.\n"
ASSISTANT = Path(sys.executable).parent / "assistant"  # the installed command, as a user runs it


@dataclass(frozen=True)
class RunningApp:
    url: str
    log: Path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serving")
    shutil.copytree(ROOT / "seeds", root / "articles")
    return root


def _app_env(root: Path, **settings: str) -> dict[str, str]:
    """This environment without its ASSISTANT_* variables, serving ``root``'s articles, plus ``settings``."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")},
        "ASSISTANT_SEEDS_DIR": str(root / "articles"),
        "ASSISTANT_INDEX_DIR": str(root / "index"),
        "ASSISTANT_LLM_URL": "http://127.0.0.1:9/v1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        **settings,
    }


@contextmanager
def _running_app(root: Path, name: str, *flags: str, host: str = "127.0.0.1", **settings: str) -> Iterator[RunningApp]:
    """app.py on a free port of ``host`` with ``flags`` and ``settings`` (ASSISTANT_* variables), reached through
    127.0.0.1; stopped afterwards."""
    port = _free_port()
    log_path = root / f"{name}.log"
    command = [sys.executable, str(ROOT / "app.py"), "--host", host, "--port", str(port), *flags]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=root, env=_app_env(root, **settings), stdout=log, stderr=log)
    try:
        _wait_until_ready(process, log_path)
        yield RunningApp(f"http://127.0.0.1:{port}/", log_path)
    finally:
        stop_process(process)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log_path, ARTIFACTS / log_path.name)


def _hashed(user: str) -> str:
    """The ``user:hash`` line ``assistant hash-password --user USER`` prints for ``user``'s password."""
    run = subprocess.run(
        [str(ASSISTANT), "hash-password", "--user", user],
        input=USERS[user] + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run.stdout.strip()


@pytest.fixture(scope="module")
def signed_in_app(workdir: Path) -> Iterator[RunningApp]:
    """Sign-in from a file outside the articles and index folders, readable by its owner only (alice's hash, bob's
    plain-text password), and from ASSISTANT_AUTH (carol's hash, with its commas, and dave's plain-text password);
    uploads for signed-in users only."""
    auth_file = workdir / "private" / "users.txt"
    auth_file.parent.mkdir()
    auth_file.write_text(f"# the team\n\n{_hashed('alice')}\nbob:{USERS['bob']}\n", encoding="utf-8")
    auth_file.chmod(0o600)
    from_env = f"{_hashed('carol')},dave:{USERS['dave']}"
    with _running_app(
        workdir,
        "signed-in",
        ASSISTANT_AUTH_FILE=str(auth_file),
        ASSISTANT_AUTH=from_env,
        ASSISTANT_UPLOADS="signed-in",
    ) as app:
        yield app


@pytest.fixture(scope="module")
def no_uploads_app(workdir: Path) -> Iterator[RunningApp]:
    """No sign-in, on every address: allowed on purpose (--allow-anonymous), with uploads off."""
    with _running_app(workdir, "uploads-off", "--allow-anonymous", host="0.0.0.0", ASSISTANT_UPLOADS="off") as app:
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: 'make test' installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a new browser context: no cookie, so nobody signed in."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page: Page, user: str, password: str) -> None:
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()


def test_without_signing_in_the_page_is_a_login_form_that_refuses_a_wrong_password(
    signed_in_app: RunningApp, page: Page
) -> None:
    page.goto(signed_in_app.url)
    expect(page.get_by_role("button", name="Login")).to_be_visible(timeout=60_000)
    expect(
        page.get_by_text("Article assistant: sign in with the user name and password you were given.")
    ).to_be_visible()
    assert page.locator("#chat, #question, #articles-tab, #upload").count() == 0, "nothing of the chat is sent"
    assert page.request.get(signed_in_app.url + "config").status == 401
    _shot(page, "1-login")

    _sign_in(page, "alice", WRONG)
    expect(page.get_by_text("Incorrect Credentials")).to_be_visible(timeout=30_000)
    page.reload()  # a fresh form: the second message can only be the second attempt's
    expect(page.get_by_role("button", name="Login")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Incorrect Credentials")).to_have_count(0)
    _sign_in(page, "mallory", USERS["alice"])  # a password, but not that user's
    expect(page.get_by_text("Incorrect Credentials")).to_be_visible(timeout=30_000)
    page.reload()
    expect(page.get_by_role("button", name="Login")).to_be_visible(timeout=60_000)
    assert page.locator("#chat").count() == 0 and page.request.get(signed_in_app.url + "config").status == 401
    _shot(page, "2-wrong-password")


def test_signing_in_with_the_right_password_shows_the_chat(signed_in_app: RunningApp, page: Page) -> None:
    page.goto(signed_in_app.url)
    _sign_in(page, "bob", USERS["bob"])  # a plain-text line of the sign-in file still works
    expect(page.locator("#question textarea")).to_be_visible(timeout=60_000)
    expect(page.locator("#chat")).to_be_visible()
    page.get_by_role("tab", name="Articles").click()
    expect(page.locator("#index-status")).to_contain_text("Google rompt avec Scale AI", timeout=30_000)
    expect(page.locator("#upload")).to_be_visible()  # uploads for signed-in users: bob is one
    assert page.request.get(signed_in_app.url + "config").status == 200
    _shot(page, "3-signed-in")


def test_a_user_whose_hash_is_in_the_file_signs_in_and_out(signed_in_app: RunningApp, page: Page) -> None:
    url = signed_in_app.url
    page.goto(url)
    _sign_in(page, "alice", USERS["alice"])
    expect(page.locator("#question textarea")).to_be_visible(timeout=60_000)
    assert page.request.get(url + "config").status == 200
    session = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    assert httpx.get(url + "config", cookies=session).status_code == 200, "the session's cookie opens the API"
    _shot(page, "5-hash-signed-in")

    page.goto(url + "logout")
    expect(page.get_by_role("button", name="Login")).to_be_visible(timeout=60_000)
    assert page.locator("#chat, #question").count() == 0
    assert page.request.get(url + "config").status == 401
    assert httpx.get(url + "config", cookies=session).status_code == 401, "the session is ended on the server too"
    page.reload()
    expect(page.get_by_role("button", name="Login")).to_be_visible(timeout=60_000)
    assert page.locator("#chat").count() == 0
    _shot(page, "6-signed-out")


def test_gradio_client_needs_the_credentials(signed_in_app: RunningApp, workdir: Path, tmp_path: Path) -> None:
    url = signed_in_app.url
    with pytest.raises(AuthenticationError, match=r"as credentials were not provided\. Please login\.$"):
        Client(url, verbose=False)
    # Gradio answers a wrong password with 400, which gradio_client reports as a plain ValueError.
    with pytest.raises(ValueError, match=r"^Could not login to http://127\.0\.0\.1:\d+/\.$") as wrong:
        Client(url, auth=("alice", WRONG), verbose=False)
    assert type(wrong.value) is ValueError
    for route in ("config", "gradio_api/info", "gradio_api/openapi.json"):
        assert httpx.get(url + route).status_code == 401, route
    upload = tmp_path / "zorblax.txt"
    upload.write_text(ARTICLE, encoding="utf-8")
    with upload.open("rb") as sent:  # Gradio's own file route, which the upload box posts to first
        assert httpx.post(url + "gradio_api/upload", files={"files": sent}).status_code == 401

    client = Client(url, auth=("alice", USERS["alice"]), verbose=False)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {
        "/chat",
        "/ask",
        "/status",
        "/update_index",
        "/add_articles",
        "/add_link",
        "/refresh_feeds",
    }
    status, articles = client.predict("en", api_name="/status")
    served = sorted(p.name for p in (workdir / "articles").iterdir())
    assert f"<th>Articles</th><td>{len(served)}</td>" in status
    assert [source for _, source in articles["choices"]] == served
    Client(url, auth=("dave", USERS["dave"]), verbose=False)  # ASSISTANT_AUTH's plain-text user

    log = signed_in_app.log.read_text(encoding="utf-8")
    assert "sign-in required: 4 users" in log and "sign-in refused for user 'alice'" in log
    assert (
        f"WARNING assistant.web.access: sign-in: users with a plain-text password: 'bob' ({workdir}/private/"
        "users.txt), 'dave' (ASSISTANT_AUTH); replace each entry with the user:hash line that "
        "`assistant hash-password --user NAME` prints"
    ) in log
    assert all(password not in log for password in [*USERS.values(), WRONG]), "no password is logged"
    assert "$argon2" not in log, "nor a hash"


def test_users_from_the_environment_sign_in_with_a_hash_and_may_upload(
    signed_in_app: RunningApp, page: Page, workdir: Path, tmp_path: Path
) -> None:
    """carol is in ASSISTANT_AUTH as user:hash, its commas included; uploads are for signed-in users."""
    page.goto(signed_in_app.url)
    _sign_in(page, "carol", USERS["carol"][:-1])
    expect(page.get_by_text("Incorrect Credentials")).to_be_visible(timeout=30_000)
    page.reload()
    expect(page.get_by_role("button", name="Login")).to_be_visible(timeout=60_000)
    _sign_in(page, "carol", USERS["carol"])
    expect(page.locator("#question textarea")).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="Articles").click()
    expect(page.locator("#upload")).to_be_visible(timeout=30_000)

    upload = tmp_path / "quorvin.txt"
    upload.write_text(SIGNED_IN_ARTICLE, encoding="utf-8")
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    result = page.locator("#result textarea")
    expect(result).to_have_value(re.compile(r"added 1"), timeout=120_000)
    expect(result).to_have_value(re.compile(r"quorvin\.txt — Quorvin Labs hires in Nantes"))
    expect(page.locator("#index-status")).to_contain_text("quorvin.txt")
    assert (workdir / "articles" / "quorvin.txt").read_text(encoding="utf-8") == SIGNED_IN_ARTICLE
    _shot(page, "7-signed-in-upload")


def test_with_uploads_off_there_is_no_upload_box_and_the_server_refuses_uploads(
    no_uploads_app: RunningApp, page: Page, workdir: Path, tmp_path: Path
) -> None:
    page.goto(no_uploads_app.url)
    expect(page.locator("#question textarea")).to_be_visible(timeout=60_000)  # no sign-in set: straight in
    page.get_by_role("tab", name="Articles").click()
    expect(page.locator("#update-index")).to_be_visible(timeout=30_000)
    assert page.locator("#upload, #upload input[type=file]").count() == 0
    _shot(page, "4-uploads-off")

    upload = tmp_path / "zorblax.txt"
    upload.write_text(ARTICLE, encoding="utf-8")
    client = Client(no_uploads_app.url, verbose=False)
    with pytest.raises(AppError) as refused:
        client.predict([handle_file(str(upload))], "en", api_name="/add_articles")
    assert refused.value.message == "Uploads are turned off on this server: ask whoever runs it to add the articles."
    assert not (workdir / "articles" / "zorblax.txt").exists()
    assert "upload refused (ASSISTANT_UPLOADS=off, user None)" in no_uploads_app.log.read_text(encoding="utf-8")


def test_serving_openly_on_purpose_starts_and_says_what_is_open(no_uploads_app: RunningApp, page: Page) -> None:
    page.goto(no_uploads_app.url)
    expect(page.locator("#question textarea")).to_be_visible(timeout=60_000)
    log = no_uploads_app.log.read_text(encoding="utf-8")
    assert (
        "INFO assistant.web.layout: listening on 0.0.0.0 with no sign-in and uploads off: anyone who can reach this "
        "machine can ask questions and read every article; set ASSISTANT_AUTH_FILE"
    ) in log
    assert "refusing" not in log


def _listens(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_serving_the_network_without_sign_in_is_refused_before_anything_listens(tmp_path: Path, page: Page) -> None:
    shutil.copytree(ROOT / "seeds", tmp_path / "articles")
    port = _free_port()
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--host", "0.0.0.0", "--port", str(port)],
        cwd=tmp_path,
        env=_app_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while process.poll() is None:  # watched while it runs: it must never listen, not even for a moment
            assert not _listens(port), "app.py listened on the network without sign-in"
            assert time.monotonic() - began < START_TIMEOUT, "app.py neither refused nor served"
            time.sleep(0.2)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:  # it served: stopped here, the test fails above
            process.kill()
            process.wait()
    assert process.returncode == 1, stderr
    assert stderr.strip().splitlines()[-1] == (
        "app.py: error: refusing to serve on 0.0.0.0 without sign-in (anyone who can reach this machine could ask, "
        "read every article and upload files); set ASSISTANT_AUTH_FILE to a file of user:hash lines (make a hash "
        "with `assistant hash-password`), or pass --allow-anonymous (ASSISTANT_ALLOW_ANONYMOUS=true) to serve "
        "openly on purpose"
    )
    assert "web chat ready" not in stderr and not (tmp_path / "index").exists(), "refused before indexing anything"
    assert time.monotonic() - began < 30, "refused within seconds: before the index and the models"
    assert not _listens(port)
    with pytest.raises(BrowserError, match="ERR_CONNECTION_REFUSED"):
        page.goto(f"http://127.0.0.1:{port}/")


def test_a_malformed_sign_in_file_stops_the_app_before_it_serves(tmp_path: Path) -> None:
    auth_file = tmp_path / "users.txt"
    auth_file.write_text("alice:pw1\nbob s3cret\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    began = time.monotonic()
    run = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--port", str(_free_port())],
        cwd=tmp_path,
        env={**env, "ASSISTANT_AUTH_FILE": str(auth_file), "ASSISTANT_SEEDS_DIR": str(tmp_path / "articles")},
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.strip().endswith(
        f"app.py: error: sign-in file {auth_file} (ASSISTANT_AUTH_FILE), line 2: expected user:password, "
        "found no ':'; fix that entry"
    )
    assert "s3cret" not in run.stderr + run.stdout and "web chat ready" not in run.stderr
    assert not (tmp_path / "index").exists(), "stopped before indexing anything"
    assert time.monotonic() - began < 60


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
