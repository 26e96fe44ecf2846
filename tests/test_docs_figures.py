"""Every figure the documentation quotes traces back to a saved benchmark result.

A measured figure (a time, a percentage, a ratio, a rate, a count like 35/63) may appear in README.md or docs/*.md
only in a block introduced by a line ``Result: `benchmarks/results/NAME.json` ...``; that file must be in the
repository, the line must name its commit, date and cores, and every number of the block must be one of the
file's figures or settings, as displayed (rounded to the decimals shown; a percentage may be a fraction in the file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

RESULT_LINE = re.compile(r"^Result: `(?P<file>benchmarks/results/[\w.-]+\.json)`(?P<rest>.*)$")
FENCE = re.compile(r"^\s*```")
INLINE_CODE = re.compile(r"`[^`]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
# A measured figure: a number with a time unit, a percentage, a ratio, a rate, or a count written N/M.
MEASURED = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)?\s?(?:ms|s|min|minutes|seconds|hours|%|×)(?!\w)"
    r"|(?<![\w/.:-])\d+/\d+(?![\w/.-])"
    r"|(?<![\w.])\d+(?:[.,]\d+)?\s?\w+/s(?!\w)"
)
NUMBER = re.compile(r"(?<![\w.])(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<dec>\d+))?(?P<pct>\s?%)?")


@dataclass(frozen=True)
class Block:
    """The lines after a ``Result:`` line, up to the next heading or ``Result:`` line."""

    doc: str
    line: int
    result: str
    header: str
    lines: tuple[str, ...]


def _prose(lines: list[str]) -> Iterator[tuple[int, str]]:
    """Numbered lines outside fenced code, with inline code and link targets removed."""
    fenced = False
    for number, line in enumerate(lines, 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, LINK_TARGET.sub("]", INLINE_CODE.sub("", line))


def split_doc(name: str, text: str) -> tuple[list[Block], list[tuple[int, str]]]:
    """The result blocks of a document, and its other prose lines."""
    opened: list[tuple[int, re.Match[str], list[str]]] = []  # each block's line, Result: line and lines
    outside: list[tuple[int, str]] = []
    lines: list[str] | None = None  # the open block's, if any
    raw = text.splitlines()
    for number, line in _prose(raw):
        found = RESULT_LINE.match(raw[number - 1].strip())
        if found:
            lines = []
            opened.append((number, found, lines))
        elif line.startswith("#"):
            lines = None
        if found:
            continue
        if lines is not None:
            lines.append(line)
        else:
            outside.append((number, line))
    blocks = [Block(name, n, found["file"], found["rest"], tuple(block)) for n, found, block in opened]
    return blocks, outside


def _values(node: Any) -> Iterator[float]:
    if isinstance(node, bool):
        return
    if isinstance(node, int | float):
        yield float(node)
    elif isinstance(node, str):
        for match in NUMBER.finditer(node):
            yield float(match["int"].replace(",", "") + ("." + match["dec"] if match["dec"] else ""))
    elif isinstance(node, dict):
        for value in node.values():
            yield from _values(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _values(value)


def _shown(value: float, shown: float, decimals: int) -> bool:
    return abs(value - shown) <= 0.5 * 10.0**-decimals + 1e-9


def block_problems(block: Block, root: Path) -> list[str]:
    """What in ``block`` has no saved result behind it."""
    where = f"{block.doc}:{block.line}"
    path = root / block.result
    if not path.is_file():
        return [f"{where}: {block.result} is not in the repository: run the benchmark and commit its result"]
    record = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for key in ("commit", "date", "machine", "command", "figures"):
        if key not in record:
            problems.append(f"{where}: {block.result} has no {key!r}: save it with benchmarks/results.py")
    if problems:
        return problems
    for needed, label in ((record["commit"][:7], "commit"), (record["date"][:10], "date")):
        if needed not in block.header:
            problems.append(f"{where}: the Result line must give the {label} of {block.result} ({needed})")
    if f"{record['machine'].get('cores')} cores" not in block.header:
        problems.append(f"{where}: the Result line must give the machine's cores ({record['machine'].get('cores')})")
    values = list(_values([record["figures"], record.get("settings", {})]))
    for offset, line in enumerate(block.lines, 1):
        for match in NUMBER.finditer(line):
            decimals = len(match["dec"] or "")
            shown = float(match["int"].replace(",", "") + ("." + match["dec"] if match["dec"] else ""))
            scales = (1.0, 100.0) if match["pct"] else (1.0,)
            if not any(_shown(v * scale, shown, decimals) for v in values for scale in scales):
                problems.append(
                    f"{block.doc}:{block.line + offset}: {match.group(0).strip()!r} is not a value of {block.result}"
                )
    return problems


def outside_problems(doc: str, outside: list[tuple[int, str]]) -> list[str]:
    """Measured figures written outside a result block."""
    return [
        f"{doc}:{number}: {match.group(0)!r} is a measured figure outside a 'Result:' block"
        for number, line in outside
        for match in MEASURED.finditer(line)
    ]


def doc_problems(name: str, text: str, root: Path) -> list[str]:
    blocks, outside = split_doc(name, text)
    return [p for block in blocks for p in block_problems(block, root)] + outside_problems(name, outside)


def _docs() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_quoted_figure_has_a_saved_result_behind_it() -> None:
    problems = [p for doc in _docs() for p in doc_problems(str(doc.relative_to(ROOT)), doc.read_text("utf-8"), ROOT)]
    assert not problems, "\n".join(problems)


def test_the_docs_quote_figures_from_result_files() -> None:
    blocks = [b for doc in _docs() for b in split_doc(doc.name, doc.read_text("utf-8"))[0]]
    assert blocks, "docs/benchmarks.md quotes no saved result"


def _record(tmp_path: Path, figures: dict[str, Any]) -> Path:
    path = tmp_path / "benchmarks" / "results" / "demo.json"
    path.parent.mkdir(parents=True)
    record = {
        "benchmark": "demo",
        "command": "python benchmarks/demo.py",
        "commit": "0123456789abcdef",
        "date": "2026-12-05T10:00:00+00:00",
        "machine": {"cores": 2},
        "figures": figures,
    }
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


HEADER = "Result: `benchmarks/results/demo.json` (commit 0123456, 2026-12-05, 2 cores)"


def test_the_check_accepts_figures_that_are_in_the_result(tmp_path: Path) -> None:
    _record(tmp_path, {"p50_s": 8.04, "correct": 16, "requests": 16, "share": 0.953})
    table = "| figure | value |\n|---|---|\n| p50 | 8.0 s |\n| correct | 16/16 |\n| share | 95 % |\n"
    doc = f"# Web\n\n{HEADER}\n\n{table}"
    assert doc_problems("demo.md", doc, tmp_path) == []


def test_the_check_flags_a_figure_the_result_does_not_hold(tmp_path: Path) -> None:
    _record(tmp_path, {"p50_s": 8.04})
    doc = f"# Web\n\n{HEADER}\n\n| p50 | 8.4 s |\n| runs | 5 |\n"  # 5: only in the record's date, not a figure
    assert doc_problems("demo.md", doc, tmp_path) == [
        "demo.md:5: '8.4' is not a value of benchmarks/results/demo.json",
        "demo.md:6: '5' is not a value of benchmarks/results/demo.json",
    ]


def test_the_check_flags_a_missing_result_file_and_a_wrong_commit(tmp_path: Path) -> None:
    doc = f"{HEADER}\n| p50 | 8.0 s |\n"
    assert "is not in the repository" in doc_problems("demo.md", doc, tmp_path)[0]
    _record(tmp_path, {"p50_s": 8.0})
    wrong = doc.replace("0123456", "fedcba9")
    assert any("commit" in p for p in doc_problems("demo.md", wrong, tmp_path))


def test_the_check_flags_figures_outside_result_blocks(tmp_path: Path) -> None:
    doc = (
        "# Speed\n\nAn answer takes 9.8 s; precision 70 %, 35/63 right, 2.8× faster, 150 tokens/s.\n\n"
        "Defaults: 600 (seconds to wait), 1 MB, 120 words, 2 cores, `--runs 3s`.\n\n"
        "```sh\nsleep 5s\n```\n"
    )
    flagged = [p.split("'")[1] for p in doc_problems("demo.md", doc, tmp_path)]
    assert flagged == ["9.8 s", "70 %", "35/63", "2.8×", "150 tokens/s"]


def test_a_result_records_the_settings_of_its_run_and_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import results  # noqa: PLC0415  (a script of benchmarks/, importable from there)

    monkeypatch.setenv("ASSISTANT_READING_CHARS", "1500")
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sk-very-secret")
    command = results.provenance()["command"]
    assert "ASSISTANT_LLM_API_KEY=*** " in command
    assert "ASSISTANT_READING_CHARS=1500 .venv/bin/python " in command
    assert "sk-very-secret" not in command
