"""What recording the token probabilities of a reply costs: the same reading prompt answered by the packaged
model with and without them, alternately, a few times each; prints the median seconds of each. The prompt
is the same each time, so llama.cpp evaluates it once: what is timed is the writing, where the probabilities
are recorded.

Run with `.venv/bin/python benchmarks/reply_probabilities.py [--rounds N]`, nothing else running.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from results import save_result

from assistant.answering.excerpts import Quote
from assistant.answering.models import make_generator
from assistant.answering.prompts import read_messages
from assistant.config import Settings

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _quotes() -> list[Quote]:
    """The first six sentences of the first seed article, as the model would read them."""
    article = sorted(SEEDS.glob("*.txt"))[0]
    text = article.read_text(encoding="utf-8")
    quotes: list[Quote] = []
    start = 0
    for line in text.splitlines(keepends=True):
        if len(line.strip()) > 60 and len(quotes) < 6:
            begin = start + line.index(line.strip())
            quotes.append(Quote(article.name, article.stem, begin, begin + len(line.strip()), line.strip(), 0, ()))
        start += len(line)
    return quotes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    generator = make_generator(Settings())
    generator.load()
    messages = read_messages(_quotes(), "Quels revenus Scale AI prévoit-elle pour 2024 ?", "fr")
    calls: dict[str, Callable[[], object]] = {
        "reply alone": lambda: generator.complete(messages, max_tokens=48),
        "reply with probabilities": lambda: generator.complete_with_probabilities(messages, max_tokens=48),
    }
    calls["reply alone"]()  # the prompt evaluated once: the timed calls reuse it and differ only in writing
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(args.rounds):
        for name, call in calls.items():
            began = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - began)
    for name, seconds in times.items():
        each = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"{name:26} median {statistics.median(seconds):.2f} s over {len(seconds)} ({each})")
    medians = {name: round(statistics.median(seconds), 2) for name, seconds in times.items()}
    save_result("reply_probabilities", {"median_s": medians, "runs_s": times}, settings={"rounds": args.rounds})
    return 0


if __name__ == "__main__":
    sys.exit(main())
