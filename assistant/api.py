"""The public entry point: ``Assistant``, which indexes the articles and retrieves passages."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.errors import BadInputError
from assistant.ingest.embedding import ArticleEmbedder, make_embedder
from assistant.ingest.indexing import update_index
from assistant.ingest.lexical import LexicalIndex, lexical_path
from assistant.ingest.store import ChromaStore
from assistant.ingest.writing import Progress, Searchable
from assistant.questions import clean_question, clean_text
from assistant.search.filters import ArticleFilter
from assistant.search.retriever import HybridRetriever
from assistant.types import Answer, IndexReport, IndexStatus, Passage
from assistant.warming import load_for_answering

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from assistant.answering.answer_stream import AnswerStream
    from assistant.answering.follow_ups import History
    from assistant.answering.generator import Generator
    from assistant.answering.pipeline import Answerer
    from assistant.ingest.add_report import AddReport
    from assistant.ingest.adding import ArticleAdder

logger = logging.getLogger(__name__)


class Assistant:
    """Question answering over a folder of articles.

    Args:
        settings: where the articles and the index live; read from ``ASSISTANT_*`` variables when absent.
        seeds_dir: the articles folder (overrides ``settings.seeds_dir``).
        index_dir: the index folder (overrides ``settings.index_dir``).
        embedder: the embedding model; built from the settings when absent.
        generator: the language model that writes answers; built from the settings when absent.
        store: the vector store; built from the settings when absent.

    Nothing heavy happens here: models load and the index is built (if missing) on first use.

    One assistant may be asked from several threads at once. Through a model server (``llm_url``) up to
    ``llm_concurrency`` answers are written at the same time and further calls wait for a free slot; the
    embedded model writes one answer at a time.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        seeds_dir: str | Path | None = None,
        index_dir: str | Path | None = None,
        embedder: ArticleEmbedder | None = None,
        generator: Generator | None = None,
        store: ChromaStore | None = None,
    ) -> None:
        settings = settings or Settings()
        overrides = {
            name: Path(value)
            for name, value in (("seeds_dir", seeds_dir), ("index_dir", index_dir))
            if value is not None
        }
        self.settings = settings.model_copy(update=overrides) if overrides else settings
        self.embedder = embedder or make_embedder(self.settings)
        self.store = store or ChromaStore(self.settings)
        self.lexical = LexicalIndex(lexical_path(self.settings))
        self.retriever = HybridRetriever(self.settings, self.store, self.embedder, self.lexical)
        # The answer stage (LangChain's chat models, the model runtime) is imported on first use: a process
        # that only indexes or searches does not pay for it.
        self._generator = generator
        self._answerer: Answerer | None = None
        self._building = threading.Lock()
        # Questions may come from several threads (the web chat answers llm_concurrency at once): the first ones
        # must not open the store, or build a missing index, side by side.
        self._opening = threading.Lock()
        # Two additions at once would each miss the other's articles when telling duplicates.
        self._adding = threading.Lock()

    @property
    def generator(self) -> Generator:
        """The language model that writes answers (built from the settings on first use when not given)."""
        with self._building:
            if self._generator is None:
                from assistant.answering.models import make_generator  # noqa: PLC0415

                self._generator = make_generator(self.settings)
            return self._generator

    @property
    def answerer(self) -> Answerer:
        """The answer stage, built on first use."""
        generator = self.generator
        with self._building:
            if self._answerer is None:
                from assistant.answering.pipeline import Answerer  # noqa: PLC0415

                self._answerer = Answerer(self.settings, self.retrieve, self.embedder, generator)
            return self._answerer

    def index(
        self, full: bool = False, progress: Progress | None = None, searchable: Searchable | None = None
    ) -> IndexReport:
        """Bring the index up to date with the articles folder.

        Args:
            full: embed every article again into a fresh index instead of only new and changed ones.
            progress: called as ``progress(done, total, article)`` while articles are embedded.
            searchable: called once new and changed articles are searchable by their words, before their
                vectors are written (not called by a rebuild, which serves everything at the end).

        Returns:
            How many articles were added, updated, removed and left unchanged, and how long it took.

        Raises:
            AssistantError: the folder, the store or the model cannot be used; the message says why.
        """
        report = update_index(
            self.settings,
            self.store,
            self.embedder,
            full=full,
            progress=progress,
            lexical=self.lexical,
            searchable=searchable,
        )
        logger.info("index: %s", report.summary())
        return report

    def add(
        self,
        items: Sequence[str],
        *,
        allow_private: bool = True,
        progress: Progress | None = None,
        searchable: Searchable | None = None,
    ) -> tuple[AddReport, IndexReport | None]:
        """Add articles from files, folders and http(s) links, then bring the index up to date.

        Each web page, PDF, Word file, text file and feed entry becomes one article of the articles folder,
        with its date, author, site and link; the same article met again in another form is not added twice;
        a feed added before gets only its new entries.

        Args:
            items: paths of .txt, .md, .html, .pdf, .docx and RSS/Atom files or folders of them, or links.
            allow_private: whether links may reach loopback and private addresses (the web chat passes the
                ``fetch_private`` setting; a local user may).
            progress, searchable: as for ``index``.

        Returns:
            What was added, already there or not usable; and the index update (None when nothing was added).

        Raises:
            BadInputError: ``items`` is empty.
        """
        return self._add_then_index(lambda adder: adder.add(items), allow_private, progress, searchable)

    def add_uploads(
        self,
        files: Sequence[tuple[str, bytes]],
        *,
        progress: Progress | None = None,
        searchable: Searchable | None = None,
    ) -> tuple[AddReport, IndexReport | None]:
        """Like ``add``, for files held in memory: (name, bytes) pairs, as a web upload gives them."""
        return self._add_then_index(lambda adder: adder.add_all_bytes(files), False, progress, searchable)

    def refresh_feeds(
        self,
        *,
        allow_private: bool = True,
        progress: Progress | None = None,
        searchable: Searchable | None = None,
    ) -> tuple[AddReport, IndexReport | None]:
        """Add the new entries of every feed added before, then bring the index up to date.

        Raises:
            BadInputError: no feed was added yet.
        """
        return self._add_then_index(lambda adder: adder.refresh_feeds(), allow_private, progress, searchable)

    def _add_then_index(
        self,
        read: Callable[[ArticleAdder], AddReport],
        allow_private: bool,
        progress: Progress | None,
        searchable: Searchable | None,
    ) -> tuple[AddReport, IndexReport | None]:
        with self._adding:
            report = read(self._adder(allow_private))
        return report, (self.index(progress=progress, searchable=searchable) if report.added else None)

    def _adder(self, allow_private: bool) -> ArticleAdder:
        from assistant.answering.language import other_language  # noqa: PLC0415
        from assistant.ingest.adding import AddLimits, ArticleAdder  # noqa: PLC0415
        from assistant.ingest.fetch import FetchLimits  # noqa: PLC0415

        s = self.settings
        limits = AddLimits(
            fetch=FetchLimits(timeout=s.fetch_timeout, max_bytes=s.fetch_max_bytes, allow_private=allow_private),
            max_file_bytes=s.max_document_bytes,
            max_article_bytes=s.max_article_bytes,
            max_feed_entries=s.feed_max_entries,
        )
        return ArticleAdder(s.seeds_dir, limits, other_language)

    def warm_up(self) -> None:
        """Load now what answering needs (the index, built if missing; the embedding and language models; the
        language detectors), so that the first question does not wait for it.

        Raises:
            AssistantError: the index cannot be built or a model cannot be loaded; the message says why.
        """
        # Any words: retrieving loads the embedding model and opens the index (building it if missing).
        load_for_answering(lambda: self.generator, lambda: self.retrieve("warm-up", 1))

    def retrieve(self, question: str, k: int = 5, limit: ArticleFilter | None = None) -> list[Passage]:
        """The ``k`` passages of the articles that best match ``question``, best first.

        The index is built first if there is none yet. ``limit`` keeps to the articles of a date range or of
        some sources.

        Raises:
            BadInputError: the question is empty, too long or has no words, ``k`` is not positive, or no
                article is accepted by ``limit``.
            IndexMismatchError: the index was built with another embedding model.
        """
        question = clean_question(question, self.settings.max_question_chars)
        if k < 1:
            raise BadInputError(f"k must be at least 1, got {k}")
        with self._opening:
            if self.store.read_state() is None:
                logger.info("no index yet at %s: building it", self.store.location)
                self.index()
        return self.retriever.search(question, k, limit)

    def ask(self, question: str, history: History | None = None, limit: ArticleFilter | None = None) -> Answer:
        """Answer ``question`` from the articles, in its language, with exact cited quotes.

        Args:
            question: in French or English.
            history: the conversation so far, as (question, answer) pairs, oldest first; a follow-up
                question is understood in its context.
            limit: answer from the articles of a date range or of some sources only.

        Returns:
            The answer; ``answered`` is False (and ``text`` a fixed polite reply) when the articles do not
            hold the answer.

        Raises:
            BadInputError: the question is empty, too long or has no words.
            ModelUnavailableError: the language model cannot be loaded or reached.
        """
        return self.stream(question, history, limit).answer

    def stream(self, question: str, history: History | None = None, limit: ArticleFilter | None = None) -> AnswerStream:
        """Like ``ask``, but the answer's text can be read as it is written.

        Iterate over the returned stream for the text, statement by statement; its ``answer`` attribute
        then holds the full ``Answer``.
        """
        question = clean_question(question, self.settings.max_question_chars)
        history = [(clean_text(str(q)), clean_text(str(a))) for q, a in (history or [])]
        return self.answerer.stream(question, history, limit)

    def status(self) -> IndexStatus:
        """The articles, chunk count, embedding model and update time of the current index.

        Raises:
            IndexNotBuiltError: nothing was indexed yet.
        """
        state = self.retriever.current_state()
        return IndexStatus(
            location=self.store.location,
            articles={source: record.title for source, record in state.articles.items()},
            chunks=state.chunk_count,
            embedding_model=state.embedding_model,
            updated_at=state.updated_at,
            words_only=tuple(source for source, record in state.articles.items() if not record.embedded),
        )
