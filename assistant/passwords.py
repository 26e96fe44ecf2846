"""Password hashes for the web chat's sign-in (argon2id): made by ``assistant hash-password``, checked at sign-in.

No Gradio here: the command stays fast.
"""

from __future__ import annotations

import getpass
import logging
import re
import secrets
import sys
from typing import TextIO

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import Argon2Error, InvalidHashError, VerificationError

from assistant.errors import BadInputError

logger = logging.getLogger(__name__)

HASH_PREFIX = "$argon2"  # every argon2 hash in its usual (PHC) form starts so: $argon2id$v=19$m=65536,t=3,p=4$...
_HASH_FORM = re.compile(r"\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+")


def is_hash(secret: str) -> bool:
    """Whether a sign-in entry's secret is an argon2 hash rather than a plain-text password."""
    return secret.startswith(HASH_PREFIX)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` with argon2-cffi's default parameters, salted afresh each time."""
    return PasswordHasher().hash(password)


def hash_problem(hashed: str) -> str | None:
    """What is wrong with an argon2 hash's form, on one line; None when it looks usable (a damaged salt or digest
    is only found when a password is checked against it: that hash then matches nothing)."""
    try:
        extract_parameters(hashed)
    except InvalidHashError:
        pass
    else:
        if _HASH_FORM.fullmatch(hashed):
            return None
    return "is not a complete argon2 hash ($argon2id$v=..$m=..,t=..,p=..$salt$digest)"


def matches(hashed: str, password: str | bytes) -> bool:
    """Whether ``password`` is the one ``hashed`` was made from; a malformed hash matches nothing."""
    try:
        return PasswordHasher().verify(hashed, password)
    # VerifyMismatchError is a VerificationError; InvalidHashError (an unknown kind) and UnicodeEncodeError (a
    # hash that is not ASCII) are ValueErrors.
    except (VerificationError, ValueError):
        return False


def decoy_hash(like: str | None) -> str:
    """A hash of a random password with the parameters of ``like`` (the defaults when None or malformed): checking
    a password against it costs what checking it against ``like`` does."""
    decoy = secrets.token_hex(16)
    if like is not None:
        try:
            return PasswordHasher.from_parameters(extract_parameters(like)).hash(decoy)
        except (Argon2Error, ValueError):  # parameters argon2 refuses: the hash matches nothing anyway
            logger.debug("decoy hash with the default parameters")
    return PasswordHasher().hash(decoy)


def check_user_name(user: str) -> str:
    """``user``, when it can be written in a sign-in entry.

    Raises:
        BadInputError: it is empty, starts or ends with a space, or holds ':' or ',' (which separate entries).
    """
    if not user.strip():
        raise BadInputError("the user name is empty; give one with --user NAME, or leave --user out")
    if user != user.strip() or user.startswith("#") or any(c in user for c in ":,\r\n"):
        raise BadInputError(
            f"the user name {user!r} cannot be written in a sign-in entry (no ':', ',', leading '#' or "
            "surrounding spaces); choose another"
        )
    return user


def read_new_password(stream: TextIO) -> str:
    """The password to hash: typed twice, unseen, when ``stream`` is a terminal; else its first line.

    Raises:
        BadInputError: the password is empty, or the two typed differ.
    """
    if stream.isatty():
        try:
            password = getpass.getpass("Password: ", stream=sys.stderr)
            again = getpass.getpass("Password again: ", stream=sys.stderr)
        except EOFError:  # Ctrl+D at the prompt
            password = again = ""
        if password != again:
            raise BadInputError("the two passwords typed differ; run the command again and type the same one twice")
    else:
        password = stream.readline().rstrip("\r\n")
    if not password.strip():
        raise BadInputError(
            "the password is empty; type one at the prompt, or give it as one line on standard input "
            "(echo PASSWORD | assistant hash-password --user NAME)"
        )
    return password
