"""What the ``assistant`` command shows on a terminal while it works, on standard error: a progress bar and a
transient status line. Standard output stays the command's result.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tqdm import tqdm

logger = logging.getLogger(__name__)


class ProgressBar:
    """A tqdm bar on a terminal, nothing otherwise."""

    def __init__(self) -> None:
        self._bar: tqdm[Any] | None = None

    def __call__(self, done: int, total: int, article: str) -> None:
        if self._bar is None:
            from tqdm import tqdm  # noqa: PLC0415

            self._bar = tqdm(total=total, unit="article", disable=None, file=sys.stderr, leave=False)
        self._bar.n = done
        self._bar.set_postfix_str(article, refresh=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class StatusLine:
    """A transient line on a terminal's standard error (nothing otherwise): standard output stays the answer."""

    def __init__(self) -> None:
        self._shown = False

    def show(self, text: str) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r\033[K({text})")
            sys.stderr.flush()
            self._shown = True

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._shown = False
