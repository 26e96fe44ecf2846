"""Opening the Chroma client behind the store: a folder on disk under ``index/``, or a Chroma server when
``chroma_url`` is set. With ``store``, the only module that imports Chroma."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

from assistant.config import Settings
from assistant.errors import BadInputError, StoreUnavailableError

logger = logging.getLogger(__name__)


def store_location(settings: Settings) -> str:
    """Where the index is: the Chroma server's URL, or the index folder."""
    return settings.chroma_url or str(settings.index_dir)


def open_chroma(settings: Settings) -> Any:
    """A Chroma client for the index (the server answered, or the folder exists).

    Raises:
        BadInputError: ``chroma_url`` is not an http(s)://host:port URL.
        StoreUnavailableError: the server does not answer, or the folder cannot be written; the message says
            what to do.
    """
    import chromadb  # noqa: PLC0415  (heavy; only when the store is used)
    from chromadb.config import Settings as ChromaSettings  # noqa: PLC0415

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    url = settings.chroma_url
    try:
        if url:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise BadInputError(f"ASSISTANT_CHROMA_URL {url!r} is not an http(s)://host:port URL")
            client = chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
            return client
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)
    except BadInputError:
        raise
    except Exception as err:
        reason = " ".join(str(err).split())
        raise StoreUnavailableError(
            f"cannot open the index at {store_location(settings)} ({reason}); "
            + (
                "check that the Chroma server runs there, or unset ASSISTANT_CHROMA_URL"
                if url
                else "choose a writable folder with --index-dir or ASSISTANT_INDEX_DIR"
            )
        ) from err
