"""Cold start of `assistant ask`: where a fresh process's time goes before the model starts answering.

Run with `.venv/bin/python benchmarks/cold_ask.py [--runs 3]`. It uses the external benchmark's 307-article
index (built and cached by `benchmarks/external_eval.py`, or here on first use) and prints, per phase, the
median over fresh processes: imports, then `Assistant.warm_up()` (the index is opened and searched once, the
embedding model and the language detectors load, and the language model loads beside them in a thread), then
the answer. It also times the `assistant ask` command as a whole. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results import save_result

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "benchmarks" / "data" / "external" / "corpus"
QUESTION = "Who wrote the Napoleonic Code?"

_CHILD = """
import json, sys, time
began = time.perf_counter()
from assistant import Assistant
imported = time.perf_counter()
assistant = Assistant(seeds_dir=sys.argv[1], index_dir=sys.argv[2])
assistant.warm_up()
ready = time.perf_counter()
stream = assistant.stream(sys.argv[3])
first = None
for piece in stream:
    if piece and first is None:
        first = time.perf_counter()
done = time.perf_counter()
print(json.dumps({"imports": imported - began, "warm-up: index, embedder, detectors, model": ready - imported,
                  "before answering": ready - began,
                  "answer": done - ready, "first text": (first or done) - began}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--index-dir", type=Path, help="default: the external benchmark's cached index")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from assistant.evaluation.external import default_index_root  # noqa: PLC0415

    index = args.index_dir or default_index_root() / "ours"
    subprocess.run(
        [sys.executable, "-m", "assistant", "--seeds-dir", str(CORPUS), "--index-dir", str(index), "index"], check=True
    )
    phases: dict[str, list[float]] = {}
    whole = []
    for run in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(CORPUS), str(index), QUESTION],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        for name, seconds in json.loads(out.stdout.strip().splitlines()[-1]).items():
            phases.setdefault(name, []).append(seconds)
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "assistant", "--seeds-dir", str(CORPUS), "--index-dir", str(index), "ask", QUESTION],
            capture_output=True,
            check=True,
            cwd=ROOT,
        )
        whole.append(time.perf_counter() - began)
        print(f"run {run + 1}: before answering {phases['before answering'][-1]:.1f} s", flush=True)
    print(f"\ncold `assistant ask` on the 307-article index, median of {args.runs} fresh processes:")
    medians = {name: round(statistics.median(values), 2) for name, values in phases.items()}
    for name, median in medians.items():
        print(f"  {name:44s} {median:6.2f} s")
    medians["the command as a whole"] = round(statistics.median(whole), 2)
    whole_s = medians["the command as a whole"]
    print(f"  {'the command as a whole':44s} {whole_s:6.2f} s  (target before answering: ≤ 5 s)")
    save_result("cold_ask", {"median_s": medians, "runs": phases}, settings={"runs": args.runs, "question": QUESTION})


if __name__ == "__main__":
    main()
