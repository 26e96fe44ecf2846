"""Sign-in with password hashes: argon2 hashes in the sign-in file and ASSISTANT_AUTH, the ``assistant
hash-password`` command, and secrets kept out of reprs and logs."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import pty
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from assistant import Settings, passwords
from assistant.answering.models import _openai_model
from assistant.errors import BadInputError
from assistant.passwords import decoy_hash, hash_password, hash_problem, is_hash, matches
from assistant.web import access
from assistant.web.access import Accounts, load_accounts, read_auth_file, split_auth_entries

# The command as installed in the virtualenv that runs the tests (.venv/bin/assistant).
ASSISTANT = Path(sys.executable).parent / "assistant"
ALICE_PW = "correct horse battery"
BOB_PW = "p:w with colons"


@pytest.fixture(scope="module")
def alice_hash() -> str:
    return hash_password(ALICE_PW)


def _auth_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "private" / "users.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def _settings(settings: Settings, **changes: Any) -> Settings:
    return Settings(seeds_dir=settings.seeds_dir, index_dir=settings.index_dir, **changes)


def test_a_hash_matches_its_password_only_and_is_salted_afresh(alice_hash: str) -> None:
    assert alice_hash.startswith("$argon2id$v=19$m=") and is_hash(alice_hash) and hash_problem(alice_hash) is None
    assert matches(alice_hash, ALICE_PW) and matches(alice_hash, ALICE_PW.encode())
    assert not matches(alice_hash, ALICE_PW + " ") and not matches(alice_hash, "") and not matches(alice_hash, "x")
    again = hash_password(ALICE_PW)
    assert again != alice_hash and matches(again, ALICE_PW), "each hash has its own salt"
    assert not is_hash(ALICE_PW) and not is_hash("argon2id$v=19")


def test_a_file_may_mix_hash_and_plain_lines_and_the_plain_ones_are_warned_about_by_user(
    settings: Settings, tmp_path: Path, alice_hash: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = _auth_file(tmp_path, f"# the team\nalice:{alice_hash}\n  bob : {BOB_PW}  \n")
    assert read_auth_file(path) == {"alice": alice_hash, "bob": BOB_PW}, "the hash is kept whole, '$' and ','"
    with caplog.at_level(logging.DEBUG):
        accounts = load_accounts(_settings(settings, auth_file=path))
        assert accounts is not None and accounts.users == ["alice", "bob"]
        assert accounts.plain_text_users == ["bob"]
        assert accounts.check("alice", ALICE_PW) and accounts.check("bob", BOB_PW)
        assert not accounts.check("alice", BOB_PW) and not accounts.check("bob", ALICE_PW)
        assert not accounts.check("alice", alice_hash), "the hash itself is not a password"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    plain = [w for w in warnings if "plain-text password" in w]
    assert plain == [
        f"sign-in: users with a plain-text password: 'bob' ({path}); replace each entry with the user:hash line "
        "that `assistant hash-password --user NAME` prints"
    ], "one warning at load, naming the user and where"
    assert "sign-in refused for user 'alice'" in warnings and "sign-in refused for user 'bob'" in warnings
    assert all(secret not in caplog.text for secret in (ALICE_PW, BOB_PW, alice_hash)), "no secret in the log"


def test_only_hashes_no_plain_text_warning(
    settings: Settings, tmp_path: Path, alice_hash: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        accounts = load_accounts(_settings(settings, auth_file=_auth_file(tmp_path, f"alice:{alice_hash}\n")))
    assert accounts is not None and accounts.plain_text_users == [] and caplog.text == ""


def test_a_wrong_password_or_user_is_refused_and_logged_without_the_password(
    alice_hash: str, caplog: pytest.LogCaptureFixture
) -> None:
    accounts = Accounts({"alice": alice_hash, "bob": BOB_PW})
    with caplog.at_level(logging.WARNING, logger="assistant.web.access"):
        assert not accounts.check("alice", "correct horse batterY")
        assert not accounts.check("Alice", ALICE_PW) and not accounts.check("mallory", ALICE_PW)
        assert not accounts.check("alice", "\udcff")  # a lone surrogate from a form: refused, no crash
    assert [r.getMessage() for r in caplog.records] == [
        "sign-in refused for user 'alice'",
        "sign-in refused for user 'Alice'",
        "sign-in refused for user 'mallory'",
        "sign-in refused for user 'alice'",
    ]
    assert ALICE_PW not in caplog.text and "batterY" not in caplog.text
    assert repr(accounts) == "Accounts(users=['alice', 'bob'])" and alice_hash not in repr(accounts)


@pytest.mark.parametrize(
    "damaged",
    [
        lambda h: h[:-10],  # truncated digest
        lambda h: h[: h.rindex("$")] + "$!!!!",  # a digest that is not base64
        lambda h: h.replace("$argon2id$", "$argon2x$"),  # an unknown kind
        lambda h: h.replace("m=65536", "m=1"),  # parameters argon2 refuses
        lambda h: h + "é",  # not ASCII
        lambda h: "$argon2id$",
    ],
)
def test_a_malformed_hash_matches_nothing_and_never_crashes(alice_hash: str, damaged: Callable[[str], str]) -> None:
    bad = damaged(alice_hash)
    assert not matches(bad, ALICE_PW) and not matches(bad, "")
    accounts = Accounts({"alice": bad, "bob": BOB_PW})
    assert not accounts.check("alice", ALICE_PW) and not accounts.check("nobody", ALICE_PW)
    assert accounts.check("bob", BOB_PW)
    assert decoy_hash(bad).startswith("$argon2"), "the decoy falls back to the default parameters"


@pytest.mark.parametrize(
    "damaged",
    [
        lambda h: h[:40],  # cut in its salt
        lambda h: h[: h.rindex("$")],  # no digest
        lambda h: h[: h.rindex("$")] + "$!!!!",  # a digest that is not base64
        lambda h: h.replace(",p=4", ""),  # a parameter missing
    ],
)
def test_a_malformed_hash_in_the_file_stops_the_loading_with_its_line(
    settings: Settings, tmp_path: Path, alice_hash: str, damaged: Callable[[str], str]
) -> None:
    bad = damaged(alice_hash)
    path = _auth_file(tmp_path, f"bob:{BOB_PW}\nalice:{bad}\n")
    with pytest.raises(BadInputError) as raised:
        load_accounts(_settings(settings, auth_file=path))
    assert str(raised.value) == (
        f"sign-in file {path} (ASSISTANT_AUTH_FILE), line 2: the hash of 'alice' is not a complete argon2 hash "
        "($argon2id$v=..$m=..,t=..,p=..$salt$digest); make a new one with `assistant hash-password --user NAME`; "
        "fix that entry"
    )
    assert bad not in str(raised.value)


def test_assistant_auth_keeps_the_commas_of_a_hash(
    settings: Settings, alice_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ",t=3,p=4$" in alice_hash, "a hash holds commas: splitting on every comma would break it"
    carol_hash = hash_password("carol's pw")
    text = f" alice:{alice_hash} , bob:{BOB_PW},carol:{carol_hash},"
    assert split_auth_entries(text) == [f" alice:{alice_hash} ", f" bob:{BOB_PW}", f"carol:{carol_hash}", ""]
    assert split_auth_entries("a:1,b:2") == ["a:1", "b:2"] and split_auth_entries("") == [""]
    monkeypatch.setenv("ASSISTANT_AUTH", text)
    accounts = load_accounts(_settings(settings))
    assert accounts is not None and accounts.users == ["alice", "bob", "carol"]
    assert accounts.check("alice", ALICE_PW) and accounts.check("carol", "carol's pw") and accounts.check("bob", BOB_PW)
    assert not accounts.check("carol", ALICE_PW)
    with pytest.raises(BadInputError, match=r"^ASSISTANT_AUTH, entry 2: the hash of 'bob' is not a complete argon2"):
        load_accounts(_settings(settings, auth=f"alice:{alice_hash},bob:$argon2id$v=19$m=65536,t=3"))


def test_every_check_costs_one_verification_whoever_the_user_is(
    alice_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing tells no user names: an unknown user, or one with a plain-text password, costs an argon2
    verification too (against a decoy with the same parameters), once some user has a hash."""
    verified: list[str] = []
    real = passwords.matches

    def counted(hashed: str, password: str | bytes) -> bool:
        verified.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(access, "matches", counted)
    accounts = Accounts({"alice": alice_hash, "bob": BOB_PW})
    for user, password in [("alice", ALICE_PW), ("alice", "x"), ("bob", BOB_PW), ("mallory", "x"), ("", "")]:
        verified.clear()
        accounts.check(user, password)
        assert len(verified) == 1, user
        if user != "alice":
            decoy = verified[0]
            assert decoy != alice_hash and decoy.split("$")[:4] == alice_hash.split("$")[:4], "same parameters"
    only_plain = Accounts({"bob": BOB_PW})  # no hash anywhere: no argon2 work for anyone
    verified.clear()
    assert only_plain.check("bob", BOB_PW) and not only_plain.check("mallory", BOB_PW) and verified == []


def test_the_async_check_verifies_in_a_worker_thread(alice_hash: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gradio runs a plain ``auth`` callable on its event loop: a tenth of a second of argon2 each sign-in."""
    accounts = Accounts({"alice": alice_hash, "bob": BOB_PW})
    threads: list[int] = []
    check = accounts.check

    def recorded(user: str, password: str) -> bool:
        threads.append(threading.get_ident())
        return check(user, password)

    monkeypatch.setattr(accounts, "check", recorded)

    async def sign_ins() -> list[bool]:
        tries = [("alice", ALICE_PW), ("alice", BOB_PW), ("bob", BOB_PW), ("mallory", BOB_PW)]
        return list(await asyncio.gather(*(accounts.acheck(user, password) for user, password in tries)))

    assert inspect.iscoroutinefunction(accounts.acheck), "what makes Gradio await it"
    assert asyncio.run(sign_ins()) == [True, False, True, False]
    assert len(threads) == 4 and threading.get_ident() not in threads


def test_secrets_are_in_no_repr_and_no_log(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    configured = Settings.model_validate({"llm_api_key": "sk-secret", "auth": "a:pw-secret"})
    for shown in (repr(configured), str(configured), repr(configured.model_dump()), configured.model_dump_json()):
        assert "sk-secret" not in shown and "pw-secret" not in shown
    assert configured.llm_api_key.get_secret_value() == "sk-secret"
    assert configured.auth is not None and configured.auth.get_secret_value() == "a:pw-secret"
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sk-from-env")
    monkeypatch.setenv("ASSISTANT_AUTH", "alice:pw-from-env")
    from_env = _settings(settings, llm_url="http://127.0.0.1:9/v1")
    assert "sk-from-env" not in repr(from_env) and "pw-from-env" not in str(from_env)
    model = _openai_model(from_env)  # the key reaches the server's client, still hidden
    assert isinstance(model, ChatOpenAI) and isinstance(model.openai_api_key, SecretStr)
    assert model.openai_api_key.get_secret_value() == "sk-from-env"
    assert "sk-from-env" not in repr(model)
    with caplog.at_level(logging.DEBUG):
        accounts = load_accounts(from_env)
        assert accounts is not None and accounts.check("alice", "pw-from-env")
        assert not accounts.check("alice", "pw-from-env2") and not accounts.check("bob", "pw-from-env")
    assert "alice" in caplog.text, "the plain-text warning and the refusal name the user"
    assert "pw-from-env" not in caplog.text, "never the password"


def _hash_command(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ASSISTANT), "hash-password", *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_command_hashes_one_line_of_standard_input() -> None:
    run = _hash_command("--user", "alice", stdin=ALICE_PW + "\n")
    assert run.returncode == 0 and run.stderr == "", run.stderr
    user, colon, hashed = run.stdout.rstrip("\n").partition(":")
    assert (user, colon) == ("alice", ":") and run.stdout.count("\n") == 1
    assert hashed.startswith("$argon2id$") and matches(hashed, ALICE_PW) and not matches(hashed, ALICE_PW + "\n")
    bare = _hash_command(stdin="p:w, with $ and é\r\n")
    assert bare.returncode == 0 and bare.stdout.startswith("$argon2id$")
    assert matches(bare.stdout.strip(), "p:w, with $ and é"), "only the line ending is dropped"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        ((), "", "the password is empty; type one at the prompt, or give it as one line on standard input"),
        (("--user", "alice"), "\n", "the password is empty"),
        (("--user", "alice"), "   \n", "the password is empty"),
        (("--user", "al:ice"), "pw\n", "the user name 'al:ice' cannot be written in a sign-in entry"),
        (("--user", ""), "pw\n", "the user name is empty"),
    ],
)
def test_the_command_refuses_an_empty_password_or_a_bad_user_in_one_line(
    args: tuple[str, ...], stdin: str, message: str
) -> None:
    run = _hash_command(*args, stdin=stdin)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.startswith(f"assistant: error: {message}") and run.stderr.count("\n") == 1, run.stderr


def _typed_at_a_terminal(lines: list[str]) -> tuple[int, str, str]:
    """``assistant hash-password --user alice`` on a terminal of its own, typing each line after its prompt:
    (exit status, standard output, standard error)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(ASSISTANT), "hash-password", "--user", "alice"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # no controlling terminal: getpass reads the terminal on standard input
    )
    os.close(terminal)
    assert process.stderr is not None and process.stdout is not None
    prompts = b""
    # poll, not select: in a long test run this process's descriptors can pass select()'s limit of 1024.
    readable = select.poll()
    readable.register(process.stderr, select.POLLIN)
    try:
        for n, line in enumerate(lines, 1):
            deadline = time.monotonic() + 30
            while prompts.count(b"Password") < n:  # typed before the prompt, a line would be flushed unread
                assert time.monotonic() < deadline, f"no prompt {n}: {prompts!r}"
                if readable.poll(1000):
                    prompts += os.read(process.stderr.fileno(), 1024)
            os.write(controller, line.encode() + b"\n")
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    return process.returncode, out.decode(), (prompts + err).decode()


def test_at_a_terminal_the_password_is_typed_twice_unseen() -> None:
    status, out, err = _typed_at_a_terminal([ALICE_PW, ALICE_PW])
    assert status == 0, err
    assert err == "Password: \nPassword again: \n", "the prompts go to standard error, the password nowhere"
    assert out.startswith("alice:$argon2id$") and matches(out.strip().partition(":")[2], ALICE_PW)

    status, out, err = _typed_at_a_terminal([ALICE_PW, ALICE_PW + "!"])
    assert status == 1 and out == ""
    assert err.endswith(
        "assistant: error: the two passwords typed differ; run the command again and type the same one twice\n"
    )
    assert ALICE_PW not in err
