"""Read a response's body as a stream, decompressed here with a bound on each step's output.

Neither a large body nor a gzip bomb takes more memory than ``max_bytes`` and one chunk.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterator

import httpx

from assistant.errors import BadInputError
from assistant.ingest.deadline import TimeUpError, Watchdog

logger = logging.getLogger(__name__)

_DECODED_CHUNK = 65_536


def read_body(response: httpx.Response, max_bytes: int, deadline: float, watchdog: Watchdog, here: str) -> bytes:
    """The decoded body, refused as soon as it is known to exceed ``max_bytes``."""
    too_large = (
        f"{here}: is larger than {max_bytes / 1_000_000:g} MB (ASSISTANT_FETCH_MAX_BYTES); "
        "save the article and add the file instead"
    )
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise BadInputError(too_large)
    encoding = response.headers.get("content-encoding", "").strip().lower()
    body = bytearray()
    for piece in _decoded(response.iter_raw(), encoding, here):
        if len(body) + len(piece) > max_bytes:
            raise BadInputError(too_large)
        body += piece
        if time.monotonic() >= deadline:
            raise TimeUpError
    # A body that ends at the connection's close also "ends" when the watchdog shuts it down.
    if watchdog.fired:
        raise TimeUpError
    return bytes(body)


def _decoded(chunks: Iterator[bytes], encoding: str, here: str) -> Iterator[bytes]:
    """The body's bytes decompressed, at most one chunk of output per step whatever the compression ratio."""
    if encoding in ("", "identity"):
        yield from chunks
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise BadInputError(
            f"{here}: is compressed in a way that cannot be read ({encoding}); save the article and add the file"
        )
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    try:
        for chunk in chunks:
            data = chunk
            while data and not inflater.eof:
                yield inflater.decompress(data, _DECODED_CHUNK)
                data = inflater.unconsumed_tail
        yield inflater.flush()
    except zlib.error as err:
        raise BadInputError(f"{here}: sent a damaged compressed body ({err}); try later") from err
