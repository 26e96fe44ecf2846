"""The Gradio web chat's handlers: streamed answers with their sources; the article viewer's and the Articles
tab's events, handed to ``ArticleViewer`` and ``ArticlesTab``."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answering.language import detect_language
from assistant.api import Assistant
from assistant.errors import AssistantError
from assistant.types import IndexReport, Lang
from assistant.web import render
from assistant.web.articles_tab import ArticlesTab
from assistant.web.conversation import Turn, assistant_message, chosen_citation, conversation, sources_update
from assistant.web.examples import example_questions
from assistant.web.filters import question_filter, source_choices
from assistant.web.labels import LABELLED, language_updates
from assistant.web.slots import AnswerSlots, Waiting
from assistant.web.user_errors import user_error
from assistant.web.viewer import ArticleViewer

logger = logging.getLogger(__name__)

# Gradio's concurrency groups. Answers: as many at once as the language model writes (WebChat.answers_at_once:
# one with the embedded model, llm_concurrency through a server). Index updates and uploads: one at a time, in
# their own group, so that a question never waits behind an update (answers read the index it switches to).
ASSISTANT_QUEUE = "assistant"
INDEX_QUEUE = "index"
# Questions the chat takes up beyond those the model is answering: each shows its sources and its place in line
# while it waits for the model (the others wait in Gradio's queue, where nothing is shown).
ANSWERS_SHOWN_WAITING = 8
# Gradio gives a handler a live progress bar when a parameter's default is a gr.Progress.
_PROGRESS = gr.Progress()


class WebChat:
    """The handlers of the web chat, around one ``Assistant`` shared by every browser session; those of the article
    viewer and of the Articles tab hand the work to ``ArticleViewer`` and ``ArticlesTab``."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.viewer = ArticleViewer(assistant)
        self.articles = ArticlesTab(assistant)
        # Questions taken up at once (up to ANSWERS_SHOWN_WAITING more than the model writes) each show their
        # sources at once, then wait here, in order, for the model.
        self.slots = AnswerSlots(self.answers_at_once)

    @property
    def articles_dir(self) -> Path:
        return self.assistant.settings.seeds_dir

    @property
    def answers_at_once(self) -> int:
        """How many questions are answered at the same time: as many as the language model writes at once."""
        return self.assistant.generator.concurrency

    def prepare(self) -> IndexReport | None:
        """Build or update the index before serving; a failure is logged and the app still starts."""
        try:
            return self.assistant.index()
        except AssistantError as err:
            logger.error("the index could not be updated: %s", err)
            return None

    def warm_up(self) -> threading.Thread:
        """Load the models in the background so that the first question does not wait for them."""

        def load() -> None:
            try:
                self.assistant.warm_up()
            except AssistantError as err:
                logger.warning("models not loaded in advance: %s", err)

        thread = threading.Thread(target=load, name="warm-up", daemon=True)
        thread.start()
        return thread

    def respond(
        self,
        question: str,
        turns: list[Turn],
        since: str | None = "",
        until: str | None = "",
        sources: list[str] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream the answer to ``question`` into the chat: at once the question and a placeholder; as soon as
        the passages are found, what the model reads; then each statement as soon as it is checked.

        ``since``, ``until`` (``YYYY-MM-DD``, blank for none) and ``sources`` (sites or article file names) limit
        the articles it is answered from; a bad date is an error before anything changes in the chat.

        Yields (chat messages, turns, question box, sources, UI language, *labelled components).
        """
        try:
            limit = question_filter(since, until, sources)
            stream = self.assistant.stream(question or "", [(q, a.text) for q, a in turns], limit)
        except Exception as err:
            raise user_error(err) from err
        shown = conversation(turns)
        asked = {"role": "user", "content": render.question_html(question.strip())}
        language: Lang = turns[-1][1].language if turns else "en"
        skip_rest = [gr.skip()] * (2 + len(LABELLED))  # sources, language, labels
        yield (
            [*shown, asked, assistant_message(render.answer_html("", [], language, pending=True))],
            gr.skip(),
            "",
            *skip_rest,
        )
        # The status is in the question's language (detected once the question is shown: the detectors may still
        # be loading); the answer's own language is known when it is done.
        language = detect_language(question, fallback=language)
        try:
            with self.slots.turn() as waiting:
                for update in stream.updates():
                    if update.stage == "done":
                        break
                    if update.stage == "reading" and not waiting.served:
                        # The sources at once; the model (the next step) once this question's turn comes.
                        for ahead in _places(waiting):
                            partial = render.reading_html(update.sources, update.text, language, ahead=ahead)
                            yield [*shown, asked, assistant_message(partial)], gr.skip(), gr.skip(), *skip_rest
                    if update.stage == "reading":
                        partial = render.reading_html(update.sources, update.text, language)
                    else:
                        partial = render.answer_html(update.text, update.citations, language, pending=True)
                    yield [*shown, asked, assistant_message(partial)], gr.skip(), gr.skip(), *skip_rest
            answer = stream.answer
        except Exception as err:
            # Back to the conversation as it was, the question in the box to try again; then the message.
            yield shown, gr.skip(), question, *skip_rest
            raise user_error(err) from err
        turns = [*turns, (answer.question, answer)]
        yield (
            conversation(turns),
            turns,
            gr.skip(),
            sources_update(turns, len(turns) - 1),
            answer.language,
            *language_updates(answer.language),
        )

    def select_answer(self, turns: list[Turn], event: gr.SelectData) -> Any:
        """Clicking a message in the chat shows the sources of that answer."""
        index = event.index[0] if isinstance(event.index, list | tuple) else event.index
        return sources_update(turns, int(index) // 2)

    def show_citation(self, choice: str | None, turns: list[Turn]) -> tuple[Any, Any]:
        """Open the cited article in the side panel, the quote highlighted (for a refusal, a closest passage)."""
        chosen = chosen_citation(choice, turns)
        if chosen is None:
            return gr.skip(), gr.skip()
        answer, citation = chosen
        return self.viewer.show_citation(citation, answer.language), gr.Tabs(selected="article")

    def open_article(self, source: str | None, language: Lang = "en") -> Any:
        """Open an article of the list in the side panel, nothing highlighted."""
        return self.viewer.open_article(source, language) if source else gr.skip()

    def refresh_status(self, language: Lang) -> tuple[str, Any]:
        """The index status and the list of articles to open."""
        return self.articles.refresh_status(language)

    def refresh_examples(self) -> Any:
        """The example questions, about articles of the current index; hidden while there is no index."""
        try:
            articles = self.assistant.status().articles
        except AssistantError:  # the status panel says what is wrong; the examples just stay away
            articles = {}
        questions = example_questions(articles)
        return gr.Dataset(samples=[[q] for q in questions], visible=bool(questions))

    def refresh_sources(self, chosen: list[str] | None) -> Any:
        """The sites and articles a question may be limited to, those still in the index kept chosen."""
        try:
            records = self.assistant.retriever.current_state().articles
        except AssistantError:  # no index, or one of another model: the status panel says so
            records = {}
        choices = source_choices({name: (r.title, r.site) for name, r in records.items()})
        values = {value for _, value in choices}
        return gr.Dropdown(choices=choices, value=[c for c in chosen or [] if c in values], multiselect=True)

    def update_index(self, language: Lang, progress: gr.Progress = _PROGRESS) -> tuple[str, str, Any]:
        """Embed new and changed articles, drop removed ones; returns (report, status, article list)."""
        return self.articles.update_index(language, progress)

    def upload(
        self,
        paths: list[str] | None,
        language: Lang,
        request: gr.Request | None = None,
        progress: gr.Progress = _PROGRESS,
    ) -> tuple[str, str, Any, Any]:
        """Add uploaded articles, then index them; returns (report, status, list, files).

        A .txt or .md file is saved as it is; a page, PDF, Word file or feed is extracted into an article (with
        its date, site and author). Refused, whatever the page shows, when ``settings.uploads`` does not let
        this request's user upload.
        """
        return self.articles.upload(paths, language, request, progress)

    def add_link(
        self,
        link: str | None,
        language: Lang,
        request: gr.Request | None = None,
        progress: gr.Progress = _PROGRESS,
    ) -> tuple[str, str, Any, Any]:
        """Add the web page or feed at ``link``, then index it; returns (report, status, list, link box).

        Allowed to whoever may upload. The link may reach loopback and private addresses only when
        ``settings.fetch_private`` is set. The link box is emptied when the link gave an article, kept to
        correct it otherwise.
        """
        return self.articles.add_link(link, language, request, progress)

    def refresh_feeds(
        self, language: Lang, request: gr.Request | None = None, progress: gr.Progress = _PROGRESS
    ) -> tuple[str, str, Any]:
        """Add the new entries of every feed added before, then index them; returns (report, status, list)."""
        return self.articles.refresh_feeds(language, request, progress)

    def ask(
        self,
        question: str,
        history: list[list[str]] | None = None,
        since: str = "",
        until: str = "",
        sources: list[str] | None = None,
    ) -> dict[str, Any]:
        """Answer ``question`` (with the conversation so far as [question, answer] pairs): the Answer as JSON.

        ``since`` and ``until`` (``YYYY-MM-DD``) and ``sources`` (sites or article file names) limit the articles
        it is answered from.
        """
        try:
            limit = question_filter(since, until, sources)
            with self.slots.turn() as waiting:  # in line with the chat's questions
                waiting.take(timeout=None)
                answer = self.assistant.ask(question, [(str(q), str(a)) for q, a in history or []], limit)
        except Exception as err:
            raise user_error(err) from err
        return dataclasses.asdict(answer)


def example_question(sample: list[str] | None) -> Any:
    """The question of a clicked example (a Dataset sample: one value, for the question box)."""
    return sample[0] if sample else gr.skip()


def _places(waiting: Waiting) -> Iterator[int]:
    """While a question waits for the model: how many questions are before it, each time that changes."""
    shown = -1
    while not waiting.take(timeout=0 if shown < 0 else 1.0):
        ahead = waiting.ahead
        if ahead and ahead != shown:
            shown = ahead
            yield ahead
