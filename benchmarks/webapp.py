"""Start app.py as a separate process on a free port, with its own copy of the seed articles and index; and
llama.cpp's own server (``llama-server``, several parallel slots) for the app or a test to answer through.

llama-server is not on PyPI for this machine: it is built once from the llama.cpp sources that the installed
llama-cpp-python release carries (its source distribution, fetched with pip), and cached.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
logger = logging.getLogger(__name__)

# A CPU-only, self-contained binary (static llama.cpp libraries), without the web UI, whose assets would be
# downloaded from a model hub at build time (LLAMA_USE_PREBUILT_UI) or built with npm (LLAMA_BUILD_UI).
LLAMA_SERVER_CMAKE_ARGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_CURL=OFF",
    "-DGGML_BLAS=OFF",
    "-DGGML_CUDA=OFF",
)
SERVER_STARTUP_TIMEOUT = 180.0


@dataclass(frozen=True)
class RunningApp:
    url: str
    articles: Path
    log: Path
    process: subprocess.Popen[bytes]
    started: float  # perf_counter() just before the process was started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(workdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "ASSISTANT_SEEDS_DIR": str(workdir / "articles"),
        "ASSISTANT_INDEX_DIR": str(workdir / "index"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        **(extra or {}),
    }


def prepare_workdir(workdir: Path) -> None:
    """A copy of the seed articles; the index is built on first start."""
    if not (workdir / "articles").exists():
        shutil.copytree(ROOT / "seeds", workdir / "articles")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def running_app(workdir: Path, timeout: float = 300.0, env: dict[str, str] | None = None) -> Iterator[RunningApp]:
    """app.py serving ``workdir`` (``env``: more environment variables, e.g. ASSISTANT_LLM_URL); stopped on exit.
    Ready means the server answers ``/config``."""
    prepare_workdir(workdir)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = workdir / f"app-{port}.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(port)],
            cwd=workdir,
            env=app_env(workdir, env),
            stdout=out,
            stderr=out,
        )
    try:
        deadline = time.monotonic() + timeout
        while not http_ok(url + "config"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"app.py did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)
        yield RunningApp(url, workdir / "articles", log, process, started)
    finally:
        stop(process)


def llama_server_binary() -> Path:
    """llama.cpp's ``llama-server``: ``$LLAMA_SERVER_BIN`` when set, else built once and cached.

    The build uses the llama.cpp sources of the installed llama-cpp-python release (the same llama.cpp as the
    embedded model): pip downloads its source distribution and cmake compiles the server's own files only,
    linked against the llama.cpp libraries llama-cpp-python installed (copied beside the binary): about
    4 minutes on 2 cores (220 CPU-seconds). Without those libraries it builds the whole ``llama-server`` target
    instead: about 9 minutes (1,000 CPU-seconds). The result is kept in
    ``$XDG_CACHE_HOME/article-assistant/llama-server-<release>/`` (default ``~/.cache``), once per machine and
    release.

    Raises:
        RuntimeError: the sources could not be fetched or the build failed; the message holds its log's end.
    """
    given = os.environ.get("LLAMA_SERVER_BIN")
    if given:
        return Path(given)
    release = metadata.version("llama-cpp-python")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "article-assistant"
    target = cache / f"llama-server-{release}" / "llama-server"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "llama-server.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run or benchmark may be building it right now
        if not target.is_file():
            _build_llama_server(release, target)
    return target


def installed_llama_libraries() -> list[Path] | None:
    """The shared libraries of the installed llama-cpp-python build that llama-server needs, or None when one
    is missing (llama-common is installed beside the package, the others inside it)."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        return None
    package = Path(spec.origin).parent
    found = [package / "lib" / f"lib{name}.so.0" for name in ("llama", "ggml", "ggml-base", "ggml-cpu", "mtmd")]
    found.append(package.parent / "lib" / "libllama-common.so.0")
    return found if all(path.is_file() for path in found) else None


def _build_llama_server(release: str, target: Path) -> None:
    began = time.perf_counter()
    logger.warning("building llama.cpp's llama-server %s once (minutes on 2 cores)", release)
    libraries = installed_llama_libraries()
    with tempfile.TemporaryDirectory(prefix="llama-server-build-", dir=target.parent.parent) as tmp:
        work = Path(tmp)
        log = work / "build.log"

        def run(*command: str) -> None:
            with log.open("ab") as out:
                done = subprocess.run(command, cwd=work, stdout=out, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"building llama-server failed at {' '.join(command[:4])}:\n{tail}")

        run(
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
            "-d", str(work), f"llama-cpp-python=={release}",
        )  # fmt: skip
        (sdist,) = work.glob("llama_cpp_python-*.tar.gz")
        with tarfile.open(sdist) as archive:
            vendored = [m for m in archive.getmembers() if "/vendor/llama.cpp/" in m.name]
            archive.extractall(work, members=vendored, filter="data")
        (source,) = work.glob("llama_cpp_python-*/vendor/llama.cpp")
        build = work / "build"
        run("cmake", "-S", str(source), "-B", str(build), "-G", "Ninja", *LLAMA_SERVER_CMAKE_ARGS)
        jobs = str(os.cpu_count() or 2)
        out = work / "out"
        out.mkdir()
        if libraries is None:
            run("cmake", "--build", str(build), "--target", "llama-server", "-j", jobs)
            shutil.copy2(build / "bin" / "llama-server", out / "llama-server")
        else:
            # The server's own objects only (a sixth of the whole build); llama.cpp itself is the installed one.
            listed = subprocess.run(
                ["ninja", "-C", str(build), "-t", "targets", "all"], capture_output=True, text=True, check=True
            ).stdout
            objects = [
                line.split(":")[0]
                for line in listed.splitlines()
                if line.startswith(("tools/server/", "tools/ui/", "vendor/cpp-httplib/", "vendor/hash/"))
                and line.split(":")[0].endswith(".o")
            ]
            run("cmake", "--build", str(build), "-j", jobs, "--target", *objects)
            for library in libraries:
                shutil.copy2(library, out / library.name)
            run(
                "c++", "-O3", "-o", str(out / "llama-server"), *(str(build / o) for o in objects),
                *(str(out / library.name) for library in libraries),
                "-fopenmp", "-lpthread", "-ldl", "-lm",
                # DT_RPATH (not RUNPATH): the copied libraries find each other beside the binary too.
                "-Wl,--disable-new-dtags,-rpath,$ORIGIN",
            )  # fmt: skip
        run(str(out / "llama-server"), "--version")
        partial = target.parent.with_name(target.parent.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(out, partial)
        shutil.rmtree(target.parent, ignore_errors=True)
        os.replace(partial, target.parent)
    logger.warning("built llama-server in %.0f s: %s", time.perf_counter() - began, target)


@dataclass(frozen=True)
class RunningServer:
    url: str  # the OpenAI-compatible base URL, …/v1
    slots: int
    log: Path
    process: subprocess.Popen[bytes]


@contextmanager
def running_llama_server(
    model: Path,
    log_dir: Path,
    *,
    slots: int = 4,
    slot_context: int = 4096,
    threads: int | None = None,
    options: Sequence[str] = (),
    timeout: float = SERVER_STARTUP_TIMEOUT,
) -> Iterator[RunningServer]:
    """llama-server on 127.0.0.1 (a free port) with ``slots`` parallel slots of ``slot_context`` tokens each,
    serving ``model`` (``options``: more of its command-line options); stopped on exit. Ready means ``/health``
    answers 200 (the model is loaded)."""
    binary = llama_server_binary()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = log_dir / f"llama-server-{port}.log"
    command = [
        str(binary),
        "--model", str(model),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--parallel", str(slots),
        "--ctx-size", str(slots * slot_context),
        # All cores, like the embedded model.
        "--threads", str(threads or os.cpu_count() or 2),
        "--no-webui",
        *options,
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not http_ok(f"{base}/health"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama-server did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.25)
        yield RunningServer(f"{base}/v1", slots, log, process)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
