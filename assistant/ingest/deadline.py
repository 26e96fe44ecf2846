"""One deadline for a whole fetch: the error that says it has passed, and the watchdog that enforces it."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from typing import Any

logger = logging.getLogger(__name__)


class TimeUpError(Exception):
    """The fetch's time is up; turned into a BadInputError that names the link and the limit."""


class Watchdog:
    """Shuts a fetch's connections down when its time is up, so no slow server can hold it longer."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: note each new connection, before its TLS handshake and after it."""
        if event.endswith(("connect_tcp.complete", "start_tls.complete")):
            self.watch(info.get("return_value"))

    def watch(self, stream: object) -> None:
        """Shut this httpcore network stream's socket down at the deadline."""
        extra = getattr(stream, "get_extra_info", None)
        sock = extra("socket") if callable(extra) else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.append(sock)
                if self.fired:
                    _shut(sock)

    def stop(self) -> None:
        """Cancel the timer and forget the sockets (the fetch closes them)."""
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Wake any read blocked on ``sock``; the fetch then fails and closes it."""
    with contextlib.suppress(OSError):  # already closed
        # The base method: SSLSocket.shutdown would also drop its TLS state under the reading thread.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
