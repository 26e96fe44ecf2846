"""The scale benchmark's material: articles recombined from the external benchmark's, and stand-in vectors.

Article ``i`` is made of paragraphs of real articles of one language (a third English, two thirds French), drawn
at random until 350-950 words, with half of its names swapped for other names of the corpus and half of its
figures changed; its title is a real article's title and its number, so every article is distinct.
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.ingest.embedding import ArticleEmbedder, E5Embedder

EXTERNAL = Path(__file__).resolve().parent / "data" / "external"
GENERATOR = "v1"  # part of the cache folder's name: change it when the articles are made differently
EXTRA = "zz-scale-extra.txt"  # the article added (then removed) to time one addition
_NAME = re.compile(r"(?<=[a-zà-ÿ0-9,;)»]\s)[A-ZÀ-Þ][\w'-]*[a-zà-ÿ]")  # capitalised, not starting a sentence
_NUMBER = re.compile(r"\b\d+\b")  # standalone: "19th" or "1er" stay as they are
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Donor:
    lang: str
    title: str
    paragraphs: list[str]


class ArticleMaker:
    """Article ``i`` is the same on every run: its random draws are seeded by its number."""

    def __init__(self, corpus: Path = EXTERNAL / "corpus") -> None:
        self.donors: dict[str, list[Donor]] = {"fr": [], "en": []}
        for path in sorted(corpus.glob("*.txt")):
            title, *paragraphs = [p.strip() for p in path.read_text("utf-8").split("\n\n") if p.strip()]
            lang = "en" if path.name.startswith("squad-") else "fr"
            self.donors[lang].append(Donor(lang, title, paragraphs))
        self.pool = {lang: [p for d in ds for p in d.paragraphs] for lang, ds in self.donors.items()}
        self.names = {lang: _names(ps) for lang, ps in self.pool.items()}

    def article(self, i: int) -> str:
        rng = random.Random(f"scale-{GENERATOR}-{i}")
        lang = "en" if rng.random() < 1 / 3 else "fr"
        head = rng.choice(self.donors[lang])
        target, words, paragraphs = rng.randint(350, 950), 0, []
        for paragraph in rng.sample(self.pool[lang], 40):
            paragraphs.append(paragraph)
            words += len(paragraph.split())
            if words >= target:
                break
        swaps: dict[str, str] = {}
        names = self.names[lang]

        def swap(m: re.Match[str]) -> str:
            name = m.group()
            if name not in swaps:
                swaps[name] = rng.choice(names) if name in names and rng.random() < 0.5 else name
            return swaps[name]

        body = _NUMBER.sub(lambda m: _vary(m.group(), rng), _NAME.sub(swap, "\n\n".join(paragraphs)))
        title = f"{head.title} — {'dossier' if lang == 'fr' else 'report'} {i:05d}"
        return f"{title}\n\n{body}\n"


def _names(paragraphs: list[str]) -> list[str]:
    """Capitalised words that never appear in lower case: names of people, places, organisations."""
    lower = {w for p in paragraphs for w in _WORD.findall(p) if w.islower()}
    return sorted({m.group() for p in paragraphs for m in _NAME.finditer(p) if m.group().lower() not in lower})


def _vary(number: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return number
    if len(number) == 4 and number[0] in "12":  # a year stays a year
        return str(int(number) + rng.randint(-25, 25))
    return str(rng.randint(10 ** (len(number) - 1) if len(number) > 1 else 0, 10 ** len(number) - 1))


def ensure_collection(cache: Path, n: int) -> tuple[Path, dict[str, Any]]:
    """The folder of ``n`` generated articles, written once; ``.complete.json`` marks a finished folder."""
    folder = cache / f"articles-{n}-{GENERATOR}"
    marker = folder / ".complete.json"
    (folder / EXTRA).unlink(missing_ok=True)  # left by an interrupted run
    if marker.exists():
        return folder, {**json.loads(marker.read_text()), "cached": True}
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    began, maker, size = time.monotonic(), ArticleMaker(), 0
    for i in range(n):
        size += (folder / f"scale-{i:05d}.txt").write_bytes(maker.article(i).encode("utf-8"))
    stats = {"articles": n, "mb": size / 1e6, "seconds": time.monotonic() - began}
    marker.write_text(json.dumps(stats))
    return folder, {**stats, "cached": False}


class StandInEmbedder(ArticleEmbedder):
    """Hashed bag of words in e5's 384 dimensions, normalised: cheap, deterministic, shared words score higher."""

    dim = 384

    @property
    def model_id(self) -> str:
        return "stand-in-hash-384"

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for word in _WORD.findall(text.casefold()):
            h = zlib.crc32(word.encode())
            vec[h % self.dim] += 1.0 if h & 0x80000000 else -1.0
        norm = math.sqrt(sum(x * x for x in vec)) or 1.0
        return [x / norm for x in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class RealQuestionEmbedder(StandInEmbedder):
    """The stand-in vectors for stored chunks, but each question embedded by the real model (multilingual-e5-small),
    so a search's time includes embedding its question. The ranking still compares unlike vectors: time only."""

    def __init__(self) -> None:
        self.real = E5Embedder()

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)
