"""Serving a team: the sign-in accounts, who may upload, and the warning about what the network can reach."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Literal

import gradio as gr
import pytest

from assistant import Assistant, Settings
from assistant.errors import BadInputError
from assistant.web import WebChat, build_demo, serve
from assistant.web.access import (
    Accounts,
    exposure,
    is_local,
    load_accounts,
    may_upload,
    parse_accounts,
    read_auth_file,
    refusal,
    uploads_shown,
)
from tests.fakes import HashEmbedder

Uploads = Literal["on", "off", "signed-in"]
ARTICLE = "Zorblax Robotics\n\nZorblax Robotics emploie 42 ingénieurs à Lyon.\n"


def _auth_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "private" / "users.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def _settings(base: Settings, **changes: Any) -> Settings:
    return Settings(seeds_dir=base.seeds_dir, index_dir=base.index_dir, **changes)


def test_the_auth_file_skips_blank_lines_and_comments_and_trims_spaces(tmp_path: Path) -> None:
    path = _auth_file(tmp_path, "# the team\n\nalice:pw1\n  bob : p:w 2  \r\n   # carol:old\n")
    assert read_auth_file(path) == {"alice": "pw1", "bob": "p:w 2"}, "a password may hold ':'"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("alice:pw1\nbob-secret\n", "line 2: expected user:password, found no ':'"),
        ("# users\n:secret\n", "line 2: the user name before ':' is empty"),
        ("alice:   \n", "line 1: the password of 'alice' is empty"),
        ("alice:secret\n\nalice:other\n", "line 3: user 'alice' is already given (line 1)"),
    ],
)
def test_a_malformed_line_is_named_by_file_and_number_without_its_password(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = _auth_file(tmp_path, text)
    with pytest.raises(BadInputError) as raised:
        read_auth_file(path)
    message = str(raised.value)
    assert message == f"sign-in file {path} (ASSISTANT_AUTH_FILE), {problem}; fix that entry"
    assert "secret" not in message and "other" not in message


def test_an_unreadable_auth_file_says_which_and_why(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "users.txt"
    with pytest.raises(BadInputError, match=r"users.txt \(ASSISTANT_AUTH_FILE\) cannot be read \(No such file"):
        read_auth_file(missing)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("rené:café".encode("latin-1"))
    with pytest.raises(BadInputError, match=r"latin.txt .* is not UTF-8 text; re-save it as UTF-8"):
        read_auth_file(latin)
    with pytest.raises(BadInputError, match="cannot be read"):
        read_auth_file(tmp_path)  # a folder


def test_an_auth_file_others_can_read_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _auth_file(tmp_path, "alice:pw1\n", mode=0o644)
    with caplog.at_level(logging.WARNING, logger="assistant.web.access"):
        read_auth_file(path)
    assert "can be read by other users of this machine: chmod 600 it" in caplog.text
    caplog.clear()
    path.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="assistant.web.access"):
        read_auth_file(path)
    assert caplog.text == ""


def test_entries_are_parsed_alike_wherever_they_come_from() -> None:
    entries = [("entry 1", " alice:pw1"), ("entry 2", ""), ("entry 3", "bob:pw:2 ")]
    assert parse_accounts(entries, "ASSISTANT_AUTH") == {"alice": "pw1", "bob": "pw:2"}
    with pytest.raises(BadInputError, match=r"^ASSISTANT_AUTH, entry 2: expected user:password, found no ':'; fix"):
        parse_accounts([("entry 1", "alice:pw1"), ("entry 2", "bob")], "ASSISTANT_AUTH")


def test_accounts_come_from_the_file_and_the_variable_together(settings: Settings, tmp_path: Path) -> None:
    assert load_accounts(settings) is None, "no sign-in unless asked for"
    path = _auth_file(tmp_path, "alice:pw1\n")
    accounts = load_accounts(_settings(settings, auth_file=path, auth="bob:pw2, carol:pw3,"))
    assert accounts is not None and accounts.users == ["alice", "bob", "carol"]
    assert accounts.check("bob", "pw2") and accounts.check("alice", "pw1")
    only_env = load_accounts(_settings(settings, auth="dave:pw4"))
    assert only_env is not None and only_env.users == ["dave"]
    with pytest.raises(BadInputError, match=r"ASSISTANT_AUTH: user 'alice' is also in .*users.txt; keep one"):
        load_accounts(_settings(settings, auth_file=path, auth="alice:pw9"))
    with pytest.raises(BadInputError, match=r"ASSISTANT_AUTH, entry 2: expected user:password"):
        load_accounts(_settings(settings, auth="bob:pw2,carol"))
    for nobody in ("", " , ", "# nobody"):
        with pytest.raises(BadInputError, match="names no user"):
            load_accounts(_settings(settings, auth=nobody))
    with pytest.raises(BadInputError, match="names no user"):
        load_accounts(_settings(settings, auth_file=_auth_file(tmp_path, "# to do\n")))


def test_a_password_is_checked_exactly_and_never_shown(
    settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = Accounts({"alice": "pw1", "rené": "mot de passe été"})
    assert accounts.check("alice", "pw1") and accounts.check("rené", "mot de passe été")
    with caplog.at_level(logging.WARNING, logger="assistant.web.access"):
        assert not accounts.check("alice", "pw1 ") and not accounts.check("alice", "PW1")
        assert not accounts.check("alice", "") and not accounts.check("bob", "pw1")
        assert not accounts.check("Alice", "pw1")
    assert "sign-in refused for user 'bob'" in caplog.text and "pw1" not in caplog.text
    assert "pw1" not in repr(accounts) and repr(accounts) == "Accounts(users=['alice', 'rené'])"
    monkeypatch.setenv("ASSISTANT_AUTH", "alice:s3cret-pw")
    from_env = Settings(seeds_dir=settings.seeds_dir, index_dir=settings.index_dir)
    assert from_env.auth is not None and from_env.auth.get_secret_value() == "alice:s3cret-pw"
    assert "s3cret" not in repr(from_env) and "s3cret" not in str(from_env)


@pytest.mark.parametrize(
    ("uploads", "signin", "allowed"),  # allowed: (box shown, nobody signed in may upload, alice may upload)
    [
        ("on", False, (True, True, True)),
        ("on", True, (True, True, True)),  # with sign-in, Gradio lets nobody in unsigned anyway
        ("off", False, (False, False, False)),
        ("off", True, (False, False, False)),
        ("signed-in", False, (False, False, False)),
        ("signed-in", True, (True, False, True)),
    ],
)
def test_who_may_upload(settings: Settings, uploads: Uploads, signin: bool, allowed: tuple[bool, bool, bool]) -> None:
    configured = _settings(settings, uploads=uploads, auth="alice:pw1" if signin else None)
    assert (uploads_shown(configured), may_upload(configured, None), may_upload(configured, "alice")) == allowed


@pytest.fixture
def upload_file(tmp_path: Path) -> Path:
    path = tmp_path / "upload" / "zorblax.txt"
    path.parent.mkdir()
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def _chat(settings: Settings, embedder: HashEmbedder, **changes: Any) -> WebChat:
    return WebChat(Assistant(_settings(settings, **changes), embedder=embedder))


@pytest.mark.parametrize(
    ("changes", "user", "message"),
    [
        ({"uploads": "off"}, None, "Uploads are turned off on this server"),
        ({"uploads": "off", "auth": "alice:pw1"}, "alice", "Uploads are turned off on this server"),
        ({"uploads": "signed-in"}, None, "Only signed-in users may upload articles, and this server has no sign-in"),
        ({"uploads": "signed-in"}, "alice", "Only signed-in users may upload"),  # a name, but no sign-in set
        ({"uploads": "signed-in", "auth": "alice:pw1"}, None, "Sign in to upload articles."),
    ],
)
def test_the_server_refuses_an_upload_the_settings_do_not_allow(
    settings: Settings, upload_file: Path, changes: dict[str, Any], user: str | None, message: str
) -> None:
    embedder = HashEmbedder()
    chat = _chat(settings, embedder, **changes)
    before = sorted(p.name for p in chat.articles_dir.iterdir())
    with pytest.raises(gr.Error) as english:
        chat.upload([str(upload_file)], "en", gr.Request(username=user))
    assert english.value.message.startswith(message)
    with pytest.raises(gr.Error) as french:
        chat.upload([str(upload_file)], "fr", gr.Request(username=user))
    assert french.value.message.startswith(("Les envois sont", "Seuls les utilisateurs connectés", "Connectez-vous"))
    assert sorted(p.name for p in chat.articles_dir.iterdir()) == before, "nothing is saved"
    assert embedder.calls == [], "nothing is indexed"


def test_a_signed_in_user_may_upload_when_uploads_are_for_signed_in_users(
    settings: Settings, embedder: HashEmbedder, upload_file: Path
) -> None:
    chat = _chat(settings, embedder, uploads="signed-in", auth="alice:pw1")
    report, _, _, files = chat.upload([str(upload_file)], "en", gr.Request(username="alice"))
    assert "+ zorblax.txt — Zorblax Robotics" in report and files is None
    assert (chat.articles_dir / "zorblax.txt").read_text(encoding="utf-8") == ARTICLE


def _upload_box(demo: gr.Blocks) -> dict[str, Any]:
    return next(c for c in demo.config["components"] if c["props"].get("elem_id") == "upload")


def test_the_page_hides_the_upload_box_unless_uploads_are_allowed(settings: Settings, embedder: HashEmbedder) -> None:
    assert _upload_box(build_demo(_chat(settings, embedder)))["props"]["visible"] is True
    assert _upload_box(build_demo(_chat(settings, embedder, uploads="off")))["props"]["visible"] is False
    assert _upload_box(build_demo(_chat(settings, embedder, uploads="signed-in")))["props"]["visible"] is False
    signed_in = _chat(settings, embedder, uploads="signed-in", auth="alice:pw1")
    assert _upload_box(build_demo(signed_in))["props"]["visible"] is True


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST", "::1", "[::1]", "127.0.1.1"])
def test_loopback_hosts_are_local(host: str) -> None:
    assert is_local(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.168.1.20", "my-laptop.lan"])
def test_other_hosts_are_not_local(host: str) -> None:
    assert not is_local(host)


def test_listening_beyond_localhost_without_sign_in_is_a_warning_naming_the_fix(settings: Settings) -> None:
    assert exposure("127.0.0.1", settings, signin=False) is None
    assert exposure("0.0.0.0", settings, signin=True) is None
    level, message = exposure("0.0.0.0", settings, signin=False) or (0, "")
    assert level == logging.WARNING
    assert "anyone who can reach this machine can ask questions, read every article and upload files" in message
    assert str(settings.seeds_dir) in message
    assert "ASSISTANT_AUTH_FILE" in message and "ASSISTANT_UPLOADS=off" in message
    for closed in ("off", "signed-in"):  # no upload possible: reading is still open, said at INFO level
        level, message = exposure("", _settings(settings, uploads=closed), signin=False) or (0, "")
        assert level == logging.INFO and "every address" in message and "upload files" not in message
        assert "read every article" in message and "ASSISTANT_AUTH_FILE" in message


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.168.1.20", "my-laptop.lan"])
def test_serving_beyond_localhost_without_sign_in_is_refused_unless_allowed(
    settings: Settings, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = refusal(host, settings, signin=False)
    assert message == (
        f"refusing to serve on {host or 'every address'} without sign-in (anyone who can reach this machine could "
        "ask, read every article and upload files); set ASSISTANT_AUTH_FILE to a file of user:hash lines (make a "
        "hash with `assistant hash-password`), or pass --allow-anonymous (ASSISTANT_ALLOW_ANONYMOUS=true) to serve "
        "openly on purpose"
    )
    closed = refusal(host, _settings(settings, uploads="off"), signin=False)
    assert closed is not None and "(anyone who can reach this machine could ask and read every article)" in closed
    assert refusal(host, settings, signin=True) is None
    assert refusal(host, settings, signin=False, allow_anonymous=True) is None, "app.py --allow-anonymous"
    assert refusal(host, _settings(settings, allow_anonymous=True), signin=False) is None
    monkeypatch.setenv("ASSISTANT_ALLOW_ANONYMOUS", "true")
    assert refusal(host, _settings(settings), signin=False) is None, "ASSISTANT_ALLOW_ANONYMOUS=true"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_serving_on_this_machine_only_needs_no_sign_in(settings: Settings, host: str) -> None:
    assert refusal(host, settings, signin=False) is None


def test_serve_refuses_to_run_without_the_accounts_the_settings_ask_for(
    settings: Settings, embedder: HashEmbedder
) -> None:
    chat = _chat(settings, embedder, auth="alice:pw1")
    with pytest.raises(ValueError, match="sign-in is configured but serve"):
        serve(build_demo(chat), chat, "127.0.0.1", 0, accounts=None)


def _serve_without_a_server(
    chat: WebChat, host: str, accounts: Accounts | None, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """serve() up to Gradio: what it hands ``launch``, with nothing started and nothing blocking."""
    demo = build_demo(chat)
    launched: dict[str, Any] = {}
    monkeypatch.setattr(demo, "launch", lambda **kwargs: launched.update(kwargs))
    monkeypatch.setattr(demo, "block_thread", lambda: None)
    monkeypatch.setattr(chat, "warm_up", lambda: None)
    serve(demo, chat, host, 7860, accounts=accounts)
    return launched


def test_serve_hands_the_accounts_to_gradio_and_warns_when_open_to_the_network(
    settings: Settings, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    chat = _chat(settings, embedder, auth="alice:pw1")
    accounts = load_accounts(chat.assistant.settings)
    with caplog.at_level(logging.INFO, logger="assistant.web.layout"):
        launched = _serve_without_a_server(chat, "0.0.0.0", accounts, monkeypatch)
    assert asyncio.run(launched["auth"]("alice", "pw1"))
    assert not asyncio.run(launched["auth"]("alice", "pw2")) and launched["server_name"] == "0.0.0.0"
    assert "sign-in required: 1 users" in caplog.text and "no sign-in" not in caplog.text and "pw1" not in caplog.text

    caplog.clear()
    open_chat = _chat(settings, embedder)
    with caplog.at_level(logging.INFO, logger="assistant.web.layout"):
        launched = _serve_without_a_server(open_chat, "0.0.0.0", None, monkeypatch)
    assert launched["auth"] is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ASSISTANT_AUTH_FILE" in warnings[0] and "ASSISTANT_UPLOADS=off" in warnings[0]

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="assistant.web.layout"):
        _serve_without_a_server(open_chat, "127.0.0.1", None, monkeypatch)
    assert "no sign-in" not in caplog.text and "web chat ready: open http://127.0.0.1:7860" in caplog.text
