"""Where a benchmark's figures are kept: ``benchmarks/results/NAME.json``, with the commit, date, machine and settings.

The figures that docs/benchmarks.md quotes come from these files only (tests/test_docs_figures.py checks it), so
every benchmark saves what it prints through ``save_result``.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
_SECRET = re.compile(r"KEY|AUTH|PASSWORD|TOKEN|SECRET")  # settings whose values a result file never shows


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.rstrip()  # not strip(): a status line starts with a space


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine() -> dict[str, Any]:
    """The machine a figure was measured on: processor, cores, memory, Python."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "system": platform.platform(),
        "python": platform.python_version(),
    }


def provenance() -> dict[str, Any]:
    """The command (with the ``ASSISTANT_*`` settings in its environment), commit (and the files that differed from
    it, results aside), date and machine of a run."""
    status = _git("status", "--porcelain").splitlines()
    changed = [line[3:] for line in status if not line[3:].startswith("benchmarks/results/")]
    script = Path(sys.argv[0])
    with_root = script.resolve().relative_to(ROOT) if script.resolve().is_relative_to(ROOT) else script
    # The assistant's settings given in the environment change what is measured: they are part of the command
    # (secrets masked: a result file is committed).
    environment = [
        f"{k}={'***' if _SECRET.search(k) else shlex.quote(v)}"
        for k, v in sorted(os.environ.items())
        if k.startswith("ASSISTANT_")
    ]
    return {
        "command": " ".join([*environment, shlex.join([".venv/bin/python", str(with_root), *sys.argv[1:]])]),
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": changed,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }


def save_result(
    name: str, figures: dict[str, Any], *, settings: dict[str, Any] | None = None, out: Path | None = None
) -> Path:
    """Write ``figures`` (and the ``settings`` they were measured with) to ``benchmarks/results/NAME.json``.

    Args:
        name: the benchmark's name, also the file's.
        figures: what the benchmark measured, in the units it prints (seconds, counts, MB).
        settings: what the run was configured with (arguments, models, sizes).
        out: another file to write instead.

    Returns:
        The file written.
    """
    path = out or RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": name, **provenance(), "settings": settings or {}, "figures": figures}
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"figures saved to {path}", flush=True)
    return path
