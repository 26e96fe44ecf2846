"""Who may use the web chat: the sign-in accounts, who may upload, and what a server open to the network exposes."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import stat
from collections.abc import Iterable
from pathlib import Path

import anyio

from assistant.config import Settings
from assistant.errors import BadInputError
from assistant.passwords import decoy_hash, hash_problem, is_hash, matches

logger = logging.getLogger(__name__)

_LOCAL_NAMES = ("localhost",)
# The parameters of an argon2 hash hold the only commas that do not separate ASSISTANT_AUTH entries.
_HASH_PARAMETERS = re.compile(r"\$m=\d+,t=\d+,p=\d+\$")
HASH_COMMAND = "assistant hash-password --user NAME"
# An argon2 verification takes about a tenth of a second and 64 MiB (argon2-cffi's defaults): a few at a time.
_VERIFICATIONS_AT_ONCE = 2


class Accounts:
    """The users who may sign in and their secrets (argon2 hashes, or plain-text passwords from older files); a
    secret is never shown (not in repr, not logged)."""

    def __init__(self, secrets: dict[str, str]) -> None:
        """``secrets``: each user's argon2 hash (``assistant hash-password``) or plain-text password."""
        self._hashes = {user: secret for user, secret in secrets.items() if is_hash(secret)}
        self._plain = {user: secret.encode() for user, secret in secrets.items() if not is_hash(secret)}
        # Checked when the user is unknown or has a plain-text password, so that every check costs one argon2
        # verification when some user has a hash: timing tells no user names.
        self._decoy = decoy_hash(next(iter(self._hashes.values()))) if self._hashes else None
        self._limiter = anyio.CapacityLimiter(_VERIFICATIONS_AT_ONCE)

    @property
    def users(self) -> list[str]:
        return sorted([*self._hashes, *self._plain])

    @property
    def plain_text_users(self) -> list[str]:
        """The users whose password is stored as plain text rather than as a hash."""
        return sorted(self._plain)

    def check(self, user: str, password: str) -> bool:
        """Whether ``password`` is ``user``'s, in the same time whoever the user is (Gradio's ``auth`` callable)."""
        given = password.encode("utf-8", "surrogatepass")  # a lone surrogate from a form cannot crash it
        hashed = self._hashes.get(user)
        if hashed is not None:
            matched = matches(hashed, given)
        else:
            expected = self._plain.get(user)
            # An unknown user costs what a known one does: the same comparison, and the decoy's verification.
            matched = hmac.compare_digest(given, given if expected is None else expected) and expected is not None
            if self._decoy is not None:
                matches(self._decoy, given)
        if not matched:
            logger.warning("sign-in refused for user %r", user)
        return matched

    async def acheck(self, user: str, password: str) -> bool:
        """``check`` in a worker thread, a few at a time: Gradio awaits an async ``auth`` callable, but runs a
        plain one on its event loop, which would stop every other request for each verification."""
        return await anyio.to_thread.run_sync(self.check, user, password, limiter=self._limiter)

    def __repr__(self) -> str:
        return f"Accounts(users={self.users!r})"


def parse_accounts(entries: Iterable[tuple[str, str]], origin: str) -> dict[str, str]:
    """The ``user:hash`` or ``user:password`` entries, each given with where it is (e.g. "line 3"), as
    {user: hash or password}.

    Entries that are blank or start with ``#`` are skipped; spaces around the user and the secret are ignored; the
    user ends at the first ``:`` (a password may hold more; an argon2 hash holds none).

    Raises:
        BadInputError: an entry has no ``:``, an empty user or password, a malformed argon2 hash, or repeats a
            user; the message names ``origin`` and the entry, never the password or the hash.
    """
    secrets: dict[str, str] = {}
    places: dict[str, str] = {}
    for place, raw in entries:
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        user, colon, secret = (part.strip() for part in entry.partition(":"))
        problem = None
        if not colon:
            problem = "expected user:password, found no ':'"
        elif not user:
            problem = "the user name before ':' is empty"
        elif not secret:
            problem = f"the password of {user!r} is empty"
        elif user in secrets:
            problem = f"user {user!r} is already given ({places[user]})"
        elif is_hash(secret) and (wrong := hash_problem(secret)):
            problem = f"the hash of {user!r} {wrong}; make a new one with `{HASH_COMMAND}`"
        if problem:
            raise BadInputError(f"{origin}, {place}: {problem}; fix that entry")
        secrets[user] = secret
        places[user] = place
    return secrets


def split_auth_entries(text: str) -> list[str]:
    """ASSISTANT_AUTH's entries: separated by commas, except those inside an argon2 hash's parameters
    (``$m=65536,t=3,p=4$``), so that ``alice:pw1,bob:$argon2id$v=19$m=65536,t=3,p=4$...`` is two entries."""
    kept = {i for found in _HASH_PARAMETERS.finditer(text) for i in range(found.start(), found.end())}
    entries: list[str] = []
    start = 0
    for i, char in enumerate(text):
        if char == "," and i not in kept:
            entries.append(text[start:i])
            start = i + 1
    entries.append(text[start:])
    return entries


def read_auth_file(path: Path) -> dict[str, str]:
    """The accounts of a file of ``user:hash`` lines (or ``user:password``, from before hashes).

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

    Users whose password is in plain text are named in a warning (never their password): each should be replaced
    by the ``user:hash`` line ``assistant hash-password`` prints.

    Raises:
        BadInputError: the file cannot be read, an entry is malformed, a user is given twice, or no user is given.
    """
    if not signin_configured(settings):
        return None
    secrets: dict[str, str] = {}
    places: dict[str, str] = {}
    if settings.auth_file is not None:
        secrets = read_auth_file(settings.auth_file)
        places = dict.fromkeys(secrets, str(settings.auth_file))
    if settings.auth is not None:
        pairs = split_auth_entries(settings.auth.get_secret_value())
        listed = parse_accounts(((f"entry {n}", pair) for n, pair in enumerate(pairs, 1)), "ASSISTANT_AUTH")
        for user, secret in listed.items():
            if user in secrets:
                raise BadInputError(f"ASSISTANT_AUTH: user {user!r} is also in {places[user]}; keep one of them")
            secrets[user] = secret
            places[user] = "ASSISTANT_AUTH"
    if not secrets:
        raise BadInputError(
            "sign-in is set (ASSISTANT_AUTH_FILE or ASSISTANT_AUTH) but names no user: add user:hash entries "
            f"(`{HASH_COMMAND}` prints one)"
        )
    accounts = Accounts(secrets)
    if accounts.plain_text_users:
        named = ", ".join(f"{user!r} ({places[user]})" for user in accounts.plain_text_users)
        logger.warning(
            "sign-in: users with a plain-text password: %s; replace each entry with the user:hash line that `%s` "
            "prints",
            named,
            HASH_COMMAND,
        )
    return accounts


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
    fix_signin = f"set ASSISTANT_AUTH_FILE (a file of user:hash lines, made with `{HASH_COMMAND}`) to require sign-in"
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


def refusal(host: str, settings: Settings, *, signin: bool, allow_anonymous: bool = False) -> str | None:
    """Why the web chat must not be served on ``host``: open to other machines without sign-in, and not allowed
    on purpose (``allow_anonymous``, the ``--allow-anonymous`` flag, or ``settings.allow_anonymous``); None when
    it may be."""
    if is_local(host) or signin or allow_anonymous or settings.allow_anonymous:
        return None
    reach = "ask, read every article and upload files" if uploads_shown(settings) else "ask and read every article"
    return (
        f"refusing to serve on {host or 'every address'} without sign-in (anyone who can reach this machine could "
        f"{reach}); set ASSISTANT_AUTH_FILE to a file of user:hash lines (make a hash with "
        "`assistant hash-password`), or pass --allow-anonymous (ASSISTANT_ALLOW_ANONYMOUS=true) to serve openly "
        "on purpose"
    )
