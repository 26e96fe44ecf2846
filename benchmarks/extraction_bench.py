"""How well ``extract_html`` finds an article's body: the Scrapinghub article-extraction benchmark, our own scorer.

Run with `.venv/bin/python benchmarks/extraction_bench.py`. It extracts the 181 pages of
``benchmarks/data/article-extraction-benchmark/html/`` with ``assistant.ingest.formats.html.extract_html``,
scores the body (the text without its title line) against ``ground-truth.json``'s ``articleBody`` and prints
precision, recall and F1 (± a bootstrap standard deviation) beside the figures the benchmark publishes; the
result goes to ``benchmarks/results/extraction_bench.json``.

`--score FILE.json` scores a prediction file in the benchmark's own format instead (for instance the
``output/trafilatura.json`` it ships, to check this scorer against its published figure); `--config NAME` runs
one of the other extraction configurations that docs/extraction-experiments.md compares.

The metric is the benchmark's (its evaluate.py, reimplemented here): texts are split into ``\\w+`` tokens
(case kept), each text becomes the multiset of its 4-token shingles (a text of fewer than 4 tokens is one
shingle); per page, true positives are the shingles both share (counted with multiplicity), false positives
the predicted ones in excess, false negatives the true ones missing, the three divided by their sum so every
page weighs the same. Precision is the mean over pages of tp / (tp + fp) (pages with no predicted and no true
shingle excluded), recall likewise, and F1 = 2PR / (P + R) of those two means. The ± is the standard deviation
of each figure over 1,000 bootstrap resamples of the pages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data" / "article-extraction-benchmark"
SHIPPED_OUTPUT = DATA / "output" / "trafilatura.json"  # trafilatura 2.0.0's output, as the benchmark ships it
SHINGLE_SIZE = 4
BOOTSTRAP_SAMPLES = 1000

# The benchmark's README.rst at commit 4a3bc979 (F1, precision, recall, each ± its bootstrap std).
PUBLISHED: dict[str, tuple[str, tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    "AutoExtract": ("Nov 2019", (0.970, 0.005), (0.984, 0.002), (0.956, 0.010)),
    "rs_trafilatura": ("9261e08", (0.970, 0.004), (0.951, 0.006), (0.990, 0.003)),
    "go_trafilatura": ("ae7ea06", (0.960, 0.007), (0.940, 0.009), (0.980, 0.006)),
    "trafilatura": ("2.0.0", (0.958, 0.006), (0.938, 0.009), (0.978, 0.006)),
    "Diffbot": ("Nov 2019", (0.951, 0.010), (0.958, 0.009), (0.944, 0.013)),
    "newspaper4k": ("0.9.3.1", (0.949, 0.008), (0.964, 0.008), (0.934, 0.011)),
    "readability_js": ("0.6.0", (0.947, 0.005), (0.914, 0.008), (0.982, 0.003)),
    "go_readability_fork": ("fb0fbc5", (0.947, 0.005), (0.914, 0.008), (0.982, 0.004)),
    "readability-lxml": ("0.8.4.1", (0.922, 0.013), (0.913, 0.014), (0.931, 0.015)),
    "goose3": ("3.1.20", (0.896, 0.015), (0.940, 0.013), (0.856, 0.020)),
    "justext": ("3.0.2", (0.804, 0.018), (0.858, 0.016), (0.756, 0.028)),
}

_FIGURES = ("f1", "f1_std", "precision", "precision_std", "recall", "recall_std")

TpFpFn = tuple[float, float, float]

_TOKEN = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """The benchmark's tokens: runs of word characters, case kept."""
    return _TOKEN.findall(text)


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """The multiset of ``size``-token shingles of ``text``; a shorter non-empty text is a single shingle."""
    tokens = tokenize(text)
    return Counter(tuple(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1)) if tokens[i : i + size])


def shingle_match(true: str, pred: str, size: int = SHINGLE_SIZE) -> TpFpFn:
    """One page's true positives, false positives and false negatives over shingles, divided by their sum."""
    true_shingles, pred_shingles = shingles(true, size), shingles(pred, size)
    tp = float(sum((true_shingles & pred_shingles).values()))
    fp = float(sum((pred_shingles - true_shingles).values()))
    fn = float(sum((true_shingles - pred_shingles).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (tp, fp, fn)


def precision_score(tp: float, fp: float, fn: float) -> float:
    """A page's precision: 1 when nothing is wrong (both texts empty included), 0 when nothing was predicted right."""
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def recall_score(tp: float, fp: float, fn: float) -> float:
    """A page's recall: 1 when nothing is wrong, 0 when nothing true was found."""
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def corpus_scores(pages: Sequence[TpFpFn]) -> dict[str, float]:
    """Precision and recall averaged over pages (those that have something to measure), and their F1."""
    precision = statistics.mean(precision_score(*p) for p in pages if p[0] + p[1] > 0)
    recall = statistics.mean(recall_score(*p) for p in pages if p[0] + p[2] > 0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def bootstrap_std(pages: Sequence[TpFpFn], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> dict[str, float]:
    """Each figure's standard deviation over ``samples`` resamples (with replacement) of the pages."""
    rng = random.Random(seed)
    values: dict[str, list[float]] = {}
    for _ in range(samples):
        resample = [pages[rng.randrange(len(pages))] for _ in pages]
        for key, value in corpus_scores(resample).items():
            values.setdefault(key, []).append(value)
    return {key: statistics.stdev(v) if len(v) > 1 else 0.0 for key, v in values.items()}


def exact_match_rate(truths: Sequence[str], preds: Sequence[str]) -> float:
    """The share of pages whose predicted tokens equal the true ones exactly (the benchmark's "accuracy")."""
    return statistics.mean(float(tokenize(t) == tokenize(p)) for t, p in zip(truths, preds, strict=True))


def score(truth: dict[str, str], prediction: dict[str, str]) -> dict[str, float]:
    """Precision, recall, F1, accuracy and each one's bootstrap std for predictions keyed like the truth."""
    if truth.keys() != prediction.keys():
        raise ValueError(f"the prediction's pages differ from the ground truth's: {len(prediction)} vs {len(truth)}")
    keys = sorted(truth)
    pages = [shingle_match(truth[k], prediction[k]) for k in keys]
    figures = corpus_scores(pages)
    figures["accuracy"] = exact_match_rate([truth[k] for k in keys], [prediction[k] for k in keys])
    stds = bootstrap_std(pages)
    return {**figures, **{f"{key}_std": value for key, value in stds.items()}}


def load_bodies(path: Path) -> dict[str, str]:
    """Page id → articleBody from a ground-truth or prediction file (plain, or wrapped with a version)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if set(data) == {"version", "output"} and isinstance(data["output"], dict):
        data = data["output"]
    return {key: item.get("articleBody") or "" for key, item in data.items()}


def page_paths() -> list[Path]:
    """The benchmark's pages, in id order."""
    return sorted((DATA / "html").glob("*.html.gz"))


def page_id(path: Path) -> str:
    """A page's id: its file name up to the first dot."""
    return path.name.split(".")[0]


def body_of(text: str) -> str:
    """A document's text without its title line (what the ground truth's articleBody holds)."""
    _title, _, body = text.partition("\n\n")
    return body


Extract = Callable[[bytes, str], str]  # a page's bytes and name → its body text


def ours(data: bytes, name: str) -> str:
    """``extract_html``'s body: its text without the title line."""
    from assistant.ingest.formats.html import extract_html  # noqa: PLC0415

    return body_of(extract_html(data, name).text)


def trafilatura_text(**options: Any) -> Extract:
    """trafilatura's text output with these options, as the benchmark's own trafilatura run calls it."""
    import trafilatura  # noqa: PLC0415

    options = {"include_comments": False, **options}
    return lambda data, _name: trafilatura.extract(data.decode("utf-8"), **options) or ""


def other_extractor(which: str) -> Extract:
    """readability's or jusText's text alone, as extract_html runs them to confirm short blocks."""
    from trafilatura import load_html  # noqa: PLC0415
    from trafilatura.external import try_readability  # noqa: PLC0415

    from assistant.ingest.formats.html import justext_text  # noqa: PLC0415

    def extract(data: bytes, _name: str) -> str:
        tree = load_html(data.decode("utf-8"))
        found = try_readability(tree) if which == "readability" else justext_text(tree)
        return "\n".join(" ".join(p.split()) for p in found.itertext() if p.strip())

    return extract


def trimmed(rules: str, below_words: int = 0, **options: Any) -> Extract:
    """trafilatura's blocks (``options``, else extract_html's) trimmed by some of extract_html's rules.

    ``rules`` holds ``t`` (the title block), ``h`` (leading headings), ``c`` (short blocks neither readability nor
    jusText found) or ``r`` (short blocks readability did not find).
    """
    from trafilatura import load_html  # noqa: PLC0415

    from assistant.ingest.formats import html  # noqa: PLC0415

    def extract(data: bytes, _name: str) -> str:
        tree = load_html(data.decode("utf-8"))
        page = html.read_page(tree, **options)
        if page is None or page.body is None:
            return ""
        blocks = list(html.page_blocks(page.body))
        if "t" in rules:
            blocks = html.without_title(blocks, html.without_site_name(page.title or "", page.sitename or ""))
        if "h" in rules:
            blocks = html.without_leading_headings(blocks)
        if "c" in rules or "r" in rules:
            opinions = html.second_opinions(tree)[: 2 if "c" in rules else 1]
            blocks = html.confirmed(blocks, opinions, below_words or html.CONFIRM_BELOW_WORDS)
        return "\n\n".join(text for _, text in blocks)

    return extract


_FAST_RECALL = {"fast": True, "favor_recall": True, "include_comments": False}
# name → (what it is, how it extracts); docs/extraction-experiments.md has a line for each.
CONFIGS: dict[str, tuple[str, Extract]] = {
    "ours": ("extract_html as shipped (fast+recall, title, headings, confirmation < 20 words)", ours),
    "trafilatura": ("trafilatura.extract, comments off (the benchmark's own call)", trafilatura_text()),
    "precision": ("trafilatura, favor_precision", trafilatura_text(favor_precision=True)),
    "recall": ("trafilatura, favor_recall", trafilatura_text(favor_recall=True)),
    "fast": ("trafilatura, fast (no readability/jusText fallbacks)", trafilatura_text(fast=True)),
    "fast-recall": ("trafilatura, fast + favor_recall", trafilatura_text(fast=True, favor_recall=True)),
    "fast-precision": ("trafilatura, fast + favor_precision", trafilatura_text(fast=True, favor_precision=True)),
    "no-tables": ("trafilatura, include_tables=False", trafilatura_text(include_tables=False)),
    "deduplicate": ("trafilatura, deduplicate=True", trafilatura_text(deduplicate=True)),
    "markdown": ("trafilatura, output_format=markdown", trafilatura_text(output_format="markdown")),
    "comments": ("trafilatura, include_comments=True", trafilatura_text(include_comments=True)),
    "readability": ("readability alone (trafilatura's copy)", other_extractor("readability")),
    "justext": ("jusText alone (all languages' stop words)", other_extractor("justext")),
    "blocks": ("fast+recall blocks, no rule", trimmed("", **_FAST_RECALL)),
    "title": ("fast+recall blocks, title rule", trimmed("t", **_FAST_RECALL)),
    "title-headings": ("fast+recall blocks, title and headings rules", trimmed("th", **_FAST_RECALL)),
    **{
        f"confirm-{n}": (f"fast+recall, all three rules, confirmation < {n} words", trimmed("thc", n, **_FAST_RECALL))
        for n in (10, 15, 30, 40)
    },
    "confirm-only": ("fast+recall blocks, confirmation rule alone", trimmed("c", **_FAST_RECALL)),
    "readability-confirms": ("fast+recall, three rules, readability alone confirms", trimmed("thr", **_FAST_RECALL)),
    "balanced-rules": ("trafilatura's default mode, all three rules", trimmed("thc", include_comments=False)),
    "precision-rules": (
        "favor_precision, all three rules",
        trimmed("thc", favor_precision=True, include_comments=False),
    ),
    "fast-rules": ("fast (balanced), all three rules", trimmed("thc", fast=True, include_comments=False)),
}


@dataclass(frozen=True)
class Run:
    """What one configuration extracted from every page, and how long it took."""

    bodies: dict[str, str]
    failures: int
    seconds_per_page: float


def run_extractor(extract: Extract) -> Run:
    """Apply ``extract`` to every page; a page it rejects with BadInputError counts as an empty body."""
    from assistant.errors import BadInputError  # noqa: PLC0415

    paths = page_paths()
    bodies: dict[str, str] = {}
    failures = 0
    began = time.perf_counter()
    for path in paths:
        data = gzip.decompress(path.read_bytes())
        try:
            bodies[page_id(path)] = extract(data, path.name)
        except BadInputError:
            bodies[page_id(path)] = ""
            failures += 1
    return Run(bodies, failures, (time.perf_counter() - began) / max(1, len(paths)))


def format_row(name: str, version: str, figures: dict[str, float]) -> str:
    """One table line: name, version, then F1, precision and recall each with its ± std."""
    cells = "  ".join(f"{figures[k]:.3f} ± {figures[k + '_std']:.3f}" for k in ("f1", "precision", "recall"))
    return f"{(name + ' ' + version).strip():<33} {cells}"


def published_rows() -> list[str]:
    """The published figures as table lines."""
    rows = []
    for name, (version, *triples) in PUBLISHED.items():
        figures: dict[str, float] = {}
        for key, (value, std) in zip(("f1", "precision", "recall"), triples, strict=True):
            figures[key], figures[f"{key}_std"] = value, std
        rows.append(format_row(name + " (published)", version, figures))
    return rows


def measure(name: str, truth: dict[str, str]) -> dict[str, float]:
    """Run configuration ``name`` on every page, print its line and return its figures (time and rejects too)."""
    run = run_extractor(CONFIGS[name][1])
    figures = score(truth, run.bodies)
    exact = " ".join(f"{figures[k]:.4f}" for k in ("f1", "precision", "recall"))
    print(format_row(name, "", figures), f"  ({exact})  {run.seconds_per_page * 1000:.0f} ms/page", flush=True)
    return {**figures, "rejected_pages": run.failures, "ms_per_page": run.seconds_per_page * 1000}


def _versions() -> dict[str, str]:
    """The versions of the extraction libraries measured."""
    from importlib.metadata import version  # noqa: PLC0415

    return {name: version(name) for name in ("trafilatura", "justext", "lxml")}


def main(argv: Sequence[str] | None = None) -> None:
    """Score ``extract_html`` (or a configuration, or a prediction file) on the benchmark and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--score", type=Path, help="score this prediction file (the benchmark's format) instead")
    parser.add_argument(
        "--config", default="ours", help="a configuration (see --list), or 'all' (saved as extraction_experiments.json)"
    )
    parser.add_argument("--list", action="store_true", help="list the configurations and exit")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from results import save_result  # noqa: PLC0415

    if args.list:
        for name, (description, _extract) in CONFIGS.items():
            print(f"{name:<18} {description}")
        return
    truth = load_bodies(DATA / "ground-truth.json")
    print(f"{'':<33} {'F1':<13}  {'precision':<13}  {'recall':<13}")
    if args.score:
        print(format_row(args.score.stem + " (our scorer)", "", score(truth, load_bodies(args.score))))
        print(*published_rows(), sep="\n")
        return
    if args.config == "all":
        measured = {name: measure(name, truth) for name in CONFIGS}
        kept = ("f1", "precision", "recall", "f1_std", "ms_per_page")
        save_result(
            "extraction_experiments",
            {
                name: {k: round(figures[k], 4 if k != "ms_per_page" else 1) for k in kept}
                for name, figures in measured.items()
            },
            settings={"configurations": {name: description for name, (description, _) in CONFIGS.items()}}
            | _versions(),
        )
        return
    if args.config not in CONFIGS:
        parser.error(f"unknown configuration {args.config!r}; one of {', '.join(CONFIGS)}")
    shipped = score(truth, load_bodies(SHIPPED_OUTPUT))
    print(format_row("trafilatura 2.0.0 (shipped output, our scorer)", "", shipped))
    figures = measure(args.config, truth)
    print(*published_rows(), sep="\n")
    if args.config != "ours":
        return
    published = {
        name: {"version": version} | {key: value for key, value in zip(_FIGURES, (*f, *p, *r), strict=True)}
        for name, (version, f, p, r) in PUBLISHED.items()
    }
    reproduction = {key: round(shipped[key], 4) for key in ("f1", "precision", "recall")}
    save_result(
        "extraction_bench",
        {
            **{key: round(value, 1 if key == "ms_per_page" else 4) for key, value in figures.items()},
            "pages": len(truth),
            "reproduction_trafilatura_2_0_0": {**reproduction, "published_f1": PUBLISHED["trafilatura"][1][0]},
            "published": published,
        },
        settings={"config": args.config, "description": CONFIGS[args.config][0], "data": str(DATA.relative_to(ROOT))}
        | _versions(),
    )


if __name__ == "__main__":
    main()
