"""Assemble the default GGUF model from its 22 PyPI parts (found by ``model_parts``) once, check its sha256,
and cache it; check that a model file given instead looks like GGUF."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.errors import ModelUnavailableError
from assistant.model_parts import check_parts, find_parts, install_hint

logger = logging.getLogger(__name__)

DEFAULT_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

_CHUNK_SIZE = 4 * 1024 * 1024
_LOCK_NAME = ".assemble.lock"
_STAMP_SUFFIX = ".verified"
_TEMP_SUFFIX = ".tmp"
_DEFAULT_LOCK_TIMEOUT = 600.0
# mkstemp creates files readable by their owner only; a cached model is meant to be shared.
_FILE_MODE = 0o644


def _stamp_path(target: Path) -> Path:
    """The stamp file that records a verified ``target``."""
    return target.with_name(target.name + _STAMP_SUFFIX)


def _stamp_matches(target: Path, expected_sha256: str) -> bool:
    """Whether ``target`` is unchanged since it was verified against ``expected_sha256``."""
    try:
        stamp = json.loads(_stamp_path(target).read_text(encoding="utf-8"))
        info = target.stat()
    except (OSError, ValueError):
        return False
    return (
        isinstance(stamp, dict)
        and stamp.get("sha256") == expected_sha256
        and stamp.get("size") == info.st_size
        and stamp.get("mtime_ns") == info.st_mtime_ns
    )


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=_TEMP_SUFFIX)
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _write_stamp(target: Path, sha256: str) -> None:
    """Record that ``target``, as it is now, has the sha256 ``sha256``."""
    info = target.stat()
    stamp = {"sha256": sha256, "size": info.st_size, "mtime_ns": info.st_mtime_ns}
    _write_atomically(_stamp_path(target), json.dumps(stamp))


def _hash_file(path: Path) -> str:
    """The sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_stale_temp_files(target: Path) -> None:
    """Delete temporary files left by an assembly that crashed; only the lock holder calls this."""
    for stale in target.parent.glob(f"{target.name}.*{_TEMP_SUFFIX}"):
        logger.info("removing %s, left by an interrupted assembly", stale)
        stale.unlink(missing_ok=True)


def _concatenate(parts: Sequence[Path], target: Path, expected_sha256: str) -> None:
    """Concatenate ``parts`` into ``target`` atomically if their sha256 is ``expected_sha256``."""
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=_TEMP_SUFFIX)
    temp = Path(temp_name)
    try:
        os.fchmod(fd, _FILE_MODE)
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                logger.debug("appending %s", part)
                with part.open("rb") as source:
                    while chunk := source.read(_CHUNK_SIZE):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            # Without fsync, a power cut after the rename could leave an empty file under the final name.
            os.fsync(out.fileno())
        found = digest.hexdigest()
        if found != expected_sha256:
            raise ModelUnavailableError(
                f"the model assembled from {len(parts)} parts has sha256 {found}, expected "
                f"{expected_sha256}: a part is damaged or of another version; reinstall the parts "
                f"with pip install --force-reinstall, or {install_hint()}"
            )
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _assembly_lock(target_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the folder's assembly lock, waiting up to ``timeout`` seconds for another process."""
    lock = FileLock(str(target_dir / _LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.warning("another process is assembling the model; waiting up to %.0f s", timeout)
        try:
            lock.acquire(timeout=timeout)
        except Timeout as err:
            raise ModelUnavailableError(
                f"another process has been assembling the model in {str(target_dir)!r} for over "
                f"{timeout:.0f} s; wait for it to finish, or delete {str(target_dir / _LOCK_NAME)!r} "
                "if no such process is running"
            ) from err
    try:
        yield
    finally:
        lock.release()


def assemble_model(
    target_dir: Path,
    *,
    parts: Sequence[Path] | None = None,
    expected_sha256: str = DEFAULT_MODEL_SHA256,
    filename: str = DEFAULT_MODEL_FILENAME,
    lock_timeout: float = _DEFAULT_LOCK_TIMEOUT,
) -> Path:
    """Return the verified model file in ``target_dir``, assembling it from its parts if needed.

    A model already verified (its stamp file still matches its size and mtime) is returned at once,
    without reading the parts. A model present but not stamped is hashed, and kept if it matches.
    Otherwise the parts are concatenated into a temporary file, hashed, and renamed onto the final
    name only if the sha256 matches, so no truncated or wrong file ever carries that name.

    Args:
        target_dir: Folder of the model file; created if needed.
        parts: Part files in concatenation order; the installed default model parts when None.
        expected_sha256: The sha256 the assembled file must have.
        filename: Name of the model file in ``target_dir``.
        lock_timeout: Seconds to wait for another process that is assembling the same file.

    Returns:
        The path of the verified model file.

    Raises:
        ModelUnavailableError: a part is missing, the sha256 does not match, ``target_dir`` cannot be
            created or written, or another process held the assembly lock for too long.
    """
    expected = expected_sha256.lower()
    target = target_dir / filename
    if _stamp_matches(target, expected):
        logger.debug("model %s already verified", target)
        return target
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ModelUnavailableError(
            f"cannot create the model folder {str(target_dir)!r} ({err.strerror or err}); "
            "choose a writable folder (set XDG_CACHE_HOME) or fix its permissions"
        ) from err
    try:
        with _assembly_lock(target_dir, lock_timeout):
            # Another process may have finished the work while this one waited.
            if _stamp_matches(target, expected):
                return target
            _remove_stale_temp_files(target)
            if target.is_file():
                logger.info("checking the sha256 of %s", target)
                if _hash_file(target) == expected:
                    _write_stamp(target, expected)
                    return target
                logger.warning("%s does not have the expected sha256; assembling it again", target)
            part_paths = list(parts) if parts is not None else find_parts()
            check_parts(part_paths)
            started = time.perf_counter()
            logger.info("assembling %s from %d parts", target, len(part_paths))
            _concatenate(part_paths, target, expected)
            _write_stamp(target, expected)
            logger.info("model ready at %s (%.1f s)", target, time.perf_counter() - started)
    except OSError as err:
        raise ModelUnavailableError(
            f"cannot write the model into {str(target_dir)!r} ({err.strerror or err}); free some space "
            "(the default model needs 1.2 GB), choose another folder (set XDG_CACHE_HOME) "
            "or fix its permissions"
        ) from err
    return target


def default_model_dir() -> Path:
    """Return the folder where the default model is cached.

    Returns:
        ``$XDG_CACHE_HOME/article-assistant/models``, or ``~/.cache/article-assistant/models`` when
        XDG_CACHE_HOME is unset or empty.
    """
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "article-assistant" / "models"


def ensure_default_model(model_dir: Path | None = None) -> Path:
    """Return the verified default model file, assembling it from the installed parts if needed.

    Args:
        model_dir: Folder of the model file; ``default_model_dir()`` when None.

    Returns:
        The path of the verified GGUF file.

    Raises:
        ModelUnavailableError: the model cannot be assembled or verified; the message says what to do.
    """
    return assemble_model(model_dir or default_model_dir())


GGUF_MAGIC = b"GGUF"
# A header (magic, version, tensor and metadata counts) is 24 bytes; a real model is far larger.
_GGUF_MIN_BYTES = 1_000_000


def check_gguf_file(path: Path) -> None:
    """Raise unless ``path`` is a readable file that starts like a GGUF model.

    Raises:
        ModelUnavailableError: the file is missing, unreadable, not GGUF, or too small to be a model;
            the message names ASSISTANT_LLM_MODEL_PATH.
    """
    fix = "fix ASSISTANT_LLM_MODEL_PATH, or unset it to use the packaged model"
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
        size = path.stat().st_size
    except FileNotFoundError as err:
        raise ModelUnavailableError(f"model file {str(path)!r} does not exist; {fix}") from err
    except OSError as err:
        raise ModelUnavailableError(f"model file {str(path)!r} cannot be read ({err.strerror}); {fix}") from err
    if magic != GGUF_MAGIC:
        raise ModelUnavailableError(f"model file {str(path)!r} is not a GGUF model; {fix}")
    if size < _GGUF_MIN_BYTES:
        raise ModelUnavailableError(f"model file {str(path)!r} is truncated ({size:,} bytes); {fix}")
