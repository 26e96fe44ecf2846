"""Who may use the web chat: the sign-in accounts, who may upload, and what a server open to the network exposes."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import stat
from collections.abc import Iterable
from pathlib import Path

from assistant.config import Settings
from assistant.errors import BadInputError

logger = logging.getLogger(__name__)

_LOCAL_NAMES = ("localhost",)


class Accounts:
    """The users who may sign in and their passwords; a password is never shown (not in repr, not logged)."""

    def __init__(self, passwords: dict[str, str]) -> None:
        self._passwords = {user: password.encode() for user, password in passwords.items()}

    @property
    def users(self) -> list[str]:
        return sorted(self._passwords)

    def check(self, user: str, password: str) -> bool:
        """Whether ``password`` is ``user``'s, compared in constant time (Gradio's ``auth`` callable)."""
        given = password.encode("utf-8", "surrogatepass")  # a lone surrogate from a form cannot crash it
        expected = self._passwords.get(user)
        if expected is None:
            hmac.compare_digest(given, given)  # the same work as for a known user: timing tells no user names
            matched = False
        else:
            matched = hmac.compare_digest(given, expected)
        if not matched:
            logger.warning("sign-in refused for user %r", user)
        return matched

    def __repr__(self) -> str:
        return f"Accounts(users={self.users!r})"


def parse_accounts(entries: Iterable[tuple[str, str]], origin: str) -> dict[str, str]:
    """The ``user:password`` entries, each given with where it is (e.g. "line 3"), as {user: password}.

    Entries that are blank or start with ``#`` are skipped; spaces around the user and the password are ignored.

    Raises:
        BadInputError: an entry has no ``:``, an empty user or password, or repeats a user; the message names
            ``origin`` and the entry, never the password.
    """
    passwords: dict[str, str] = {}
    places: dict[str, str] = {}
    for place, raw in entries:
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        user, colon, password = (part.strip() for part in entry.partition(":"))
        problem = None
        if not colon:
            problem = "expected user:password, found no ':'"
        elif not user:
            problem = "the user name before ':' is empty"
        elif not password:
            problem = f"the password of {user!r} is empty"
        elif user in passwords:
            problem = f"user {user!r} is already given ({places[user]})"
        if problem:
            raise BadInputError(f"{origin}, {place}: {problem}; fix that entry")
        passwords[user] = password
        places[user] = place
    return passwords


def read_auth_file(path: Path) -> dict[str, str]:
    """The accounts of a file of ``user:password`` lines.

    Raises:
        BadInputError: the file cannot be read, is not UTF-8 or has a malformed line (named by its number).
    """
    origin = f"sign-in file {path} (ASSISTANT_AUTH_FILE)"
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except UnicodeDecodeError as err:
        raise BadInputError(f"{origin} is not UTF-8 text; re-save it as UTF-8") from err
    except OSError as err:
        raise BadInputError(f"{origin} cannot be read ({err.strerror or err}); check the path") from err
    if stat.S_IMODE(mode) & 0o077:
        logger.warning("%s can be read by other users of this machine: chmod 600 it", origin)
    return parse_accounts(((f"line {n}", line) for n, line in enumerate(text.splitlines(), 1)), origin)


def load_accounts(settings: Settings) -> Accounts | None:
    """The accounts of ``settings.auth_file`` and ``settings.auth`` together; None when neither is set.

    Raises:
        BadInputError: the file cannot be read, an entry is malformed, a user is given twice, or no user is given.
    """
    if not signin_configured(settings):
        return None
    passwords: dict[str, str] = {}
    places: dict[str, str] = {}
    if settings.auth_file is not None:
        passwords = read_auth_file(settings.auth_file)
        places = dict.fromkeys(passwords, str(settings.auth_file))
    if settings.auth is not None:
        pairs = settings.auth.split(",")
        listed = parse_accounts(((f"entry {n}", pair) for n, pair in enumerate(pairs, 1)), "ASSISTANT_AUTH")
        for user, password in listed.items():
            if user in passwords:
                raise BadInputError(f"ASSISTANT_AUTH: user {user!r} is also in {places[user]}; keep one of them")
            passwords[user] = password
    if not passwords:
        raise BadInputError(
            "sign-in is set (ASSISTANT_AUTH_FILE or ASSISTANT_AUTH) but names no user: add user:password entries"
        )
    return Accounts(passwords)


def signin_configured(settings: Settings) -> bool:
    """Whether the web chat asks for a user and password."""
    return settings.auth_file is not None or settings.auth is not None


def uploads_shown(settings: Settings) -> bool:
    """Whether the page offers the upload box (the server still checks each upload: ``may_upload``)."""
    if settings.uploads == "signed-in":
        return signin_configured(settings)
    return settings.uploads == "on"


def may_upload(settings: Settings, user: str | None) -> bool:
    """Whether ``user`` (None: nobody signed in) may add articles, per ``settings.uploads``."""
    if settings.uploads == "signed-in":
        return signin_configured(settings) and user is not None
    return settings.uploads == "on"


def is_local(host: str) -> bool:
    """Whether listening on ``host`` keeps the server to this machine."""
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # "" (every address), or a host name that may resolve to anything
        return False


def exposure(host: str, settings: Settings, *, signin: bool) -> tuple[int, str] | None:
    """What listening on ``host`` (with or without ``signin``) opens to other machines, with the log level it
    deserves; None when nothing."""
    if is_local(host) or signin:
        return None
    fix_signin = "set ASSISTANT_AUTH_FILE (a file of user:password lines) to require sign-in"
    if uploads_shown(settings):
        return logging.WARNING, (
            f"listening on {host or 'every address'} with no sign-in: anyone who can reach this machine can ask "
            f"questions, read every article and upload files into {settings.seeds_dir}; {fix_signin}, "
            "or ASSISTANT_UPLOADS=off to turn uploads off"
        )
    return logging.INFO, (
        f"listening on {host or 'every address'} with no sign-in and uploads off: anyone who can reach this machine "
        f"can ask questions and read every article; {fix_signin}"
    )
