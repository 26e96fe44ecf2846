"""Cold start of the web chat: from process start to a page a person can type into, the index already built.

Run with `make bench-web` (or `.venv/bin/python benchmarks/cold_start.py [--runs 3]`). It prints its figures and
saves them to benchmarks/results/cold_start.json; nothing here is a pass/fail test. Target: under 15 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from results import save_result
from webapp import app_env, prepare_workdir, running_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TARGET_S = 15.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        workdir = Path(tmp)
        prepare_workdir(workdir)
        # The index is built once beforehand: a cold start then only checks that nothing changed.
        subprocess.run([sys.executable, "-m", "assistant", "index"], env=app_env(workdir), check=True, cwd=workdir)
        server, page = [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for run in range(args.runs):
                with running_app(workdir) as app:
                    server.append(time.perf_counter() - app.started)
                    tab = browser.new_page()
                    tab.goto(app.url)
                    tab.locator("#question textarea").wait_for(state="visible", timeout=60_000)
                    page.append(time.perf_counter() - app.started)
                    tab.close()
                print(f"run {run + 1}: server ready {server[-1]:.1f} s, page ready {page[-1]:.1f} s", flush=True)
            browser.close()
    worst = max(page)
    print(
        f"cold start, index already built ({args.runs} runs): server ready median {statistics.median(server):.1f} s; "
        f"page ready (question box visible in Chromium) median {statistics.median(page):.1f} s, worst {worst:.1f} s; "
        f"target < {TARGET_S:.0f} s: {'met' if worst < TARGET_S else 'NOT met'}"
    )
    figures = {
        "server_ready_median_s": round(statistics.median(server), 1),
        "page_ready_median_s": round(statistics.median(page), 1),
        "page_ready_worst_s": round(worst, 1),
        "server_ready_s": [round(s, 2) for s in server],
        "page_ready_s": [round(s, 2) for s in page],
    }
    save_result("cold_start", figures, settings={"runs": args.runs, "articles": "seeds/"})


if __name__ == "__main__":
    main()
