"""The Gradio web chat: streamed answers with their sources, the article viewer, the articles panel."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answering.language import detect_language
from assistant.api import Assistant
from assistant.errors import AssistantError, IndexNotBuiltError
from assistant.ingest.catalog import original_of, read_metadata
from assistant.types import Answer, IndexReport, IndexStatus, Lang
from assistant.web import render
from assistant.web.access import may_upload
from assistant.web.additions import ArticleAdditions, upload_refusal
from assistant.web.examples import example_questions
from assistant.web.filters import question_filter, source_choices
from assistant.web.labels import LABELLED, language_updates
from assistant.web.render import LABELS
from assistant.web.slots import AnswerSlots, Waiting

logger = logging.getLogger(__name__)

Turn = tuple[str, Answer]  # a question as asked, and its answer
Message = dict[str, str]
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
_UNEXPECTED = "Something went wrong on the server (see its log); try again."


def user_error(err: Exception) -> gr.Error:
    """A readable error for the UI: the message as text (gr.Error renders HTML), never a stack trace."""
    if not isinstance(err, AssistantError):
        logger.exception("unexpected error in the web chat")
        return gr.Error(escape(_UNEXPECTED), print_exception=False)
    return gr.Error(escape(str(err)), print_exception=False)


def conversation(turns: list[Turn]) -> list[Message]:
    """The chat as Gradio messages: every question and answer rendered from escaped text."""
    messages: list[Message] = []
    for question, answer in turns:
        messages.append({"role": "user", "content": render.question_html(question)})
        messages.append({"role": "assistant", "content": render.finished_answer_html(answer)})
    return messages


def sources_update(turns: list[Turn], index: int) -> Any:
    """The sources selector for the answer of turn ``index``."""
    if not 0 <= index < len(turns):
        return gr.Radio(choices=[], value=None, visible=False)
    answer = turns[index][1]
    choices = [(render.citation_label(c), f"{index}:{c.number}") for c in render.listed_citations(answer)]
    label = LABELS[answer.language]["sources" if answer.answered else "closest"]
    return gr.Radio(choices=choices, value=None, visible=bool(choices), label=label)


class WebChat:
    """The handlers of the web chat, around one ``Assistant`` shared by every browser session."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.additions = ArticleAdditions(assistant)
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
            [*shown, asked, _assistant_message(render.answer_html("", [], language, pending=True))],
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
                            yield [*shown, asked, _assistant_message(partial)], gr.skip(), gr.skip(), *skip_rest
                    if update.stage == "reading":
                        partial = render.reading_html(update.sources, update.text, language)
                    else:
                        partial = render.answer_html(update.text, update.citations, language, pending=True)
                    yield [*shown, asked, _assistant_message(partial)], gr.skip(), gr.skip(), *skip_rest
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
        try:
            turn, number = (int(part) for part in (choice or "").split(":"))
            answer = turns[turn][1]
            citation = next(c for c in render.listed_citations(answer) if c.number == number)
        except (ValueError, IndexError, StopIteration):
            return gr.skip(), gr.skip()
        labels = LABELS[answer.language]
        path = self.articles_dir / citation.source
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return render.hint_html(labels["missing"]), gr.Tabs(selected="article")
        span: tuple[int, int] | None = (citation.start, citation.end)
        note = ""
        if text[citation.start : citation.end] != citation.quote:
            found = text.find(citation.quote)
            span = (found, found + len(citation.quote)) if found >= 0 else None
            note = labels["changed"]
        about = self._about(citation.source, answer.language)
        view = render.article_html(citation.title or citation.source, citation.source, text, span, note, about=about)
        return view.html, gr.Tabs(selected="article")

    def open_article(self, source: str | None, language: Lang = "en") -> Any:
        """Open an article of the list in the side panel, nothing highlighted."""
        if not source:
            return gr.skip()
        name = Path(source).name
        try:
            text = (self.articles_dir / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise gr.Error(escape(f"{source} cannot be read; update the index"), print_exception=False) from err
        titles = self._status()
        title = titles.articles.get(source, source) if titles else source
        return render.article_html(title, source, text, about=self._about(name, language)).html

    def _about(self, name: str, language: Lang) -> str:
        """The HTML of an article's date, author, site and original, from what the folder keeps beside it."""
        original = original_of(self.articles_dir, name)
        return render.about_html(read_metadata(self.articles_dir, name), original.name if original else "", language)

    def refresh_status(self, language: Lang) -> tuple[str, Any]:
        """The index status and the list of articles to open."""
        status = self._status()
        choices = sorted(((t or s, s) for s, t in status.articles.items()), key=lambda c: c[0]) if status else []
        return render.status_html(status, language), gr.Dropdown(choices=choices, value=None)

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
        report = self._index(progress)
        return (report.summary(), *self.refresh_status(language))

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
        self._check_may_add(request, language, "upload")
        try:
            lines = self.additions.upload(paths or [], language, _reporter(progress))
        except Exception as err:
            raise user_error(err) from err
        return "\n".join(lines), *self.refresh_status(language), None

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
        self._check_may_add(request, language, "link")
        try:
            lines, done = self.additions.link(link, language, _reporter(progress))
        except Exception as err:
            raise user_error(err) from err
        return "\n".join(lines), *self.refresh_status(language), "" if done else gr.skip()

    def refresh_feeds(
        self, language: Lang, request: gr.Request | None = None, progress: gr.Progress = _PROGRESS
    ) -> tuple[str, str, Any]:
        """Add the new entries of every feed added before, then index them; returns (report, status, list)."""
        self._check_may_add(request, language, "feed refresh")
        try:
            lines = self.additions.feeds(language, _reporter(progress))
        except Exception as err:
            raise user_error(err) from err
        return "\n".join(lines), *self.refresh_status(language)

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

    def _status(self) -> IndexStatus | None:
        try:
            return self.assistant.status()
        except IndexNotBuiltError:
            return None
        except AssistantError as err:
            gr.Warning(escape(str(err)))
            return None

    def _index(self, progress: gr.Progress) -> IndexReport:
        try:
            result = self.assistant.index(progress=_reporter(progress))
        except Exception as err:
            raise user_error(err) from err
        for message in result.skipped:
            gr.Warning(escape(message))
        return result

    def _check_may_add(self, request: gr.Request | None, language: Lang, what: str) -> None:
        """Refuse, whatever the page shows, an addition (``what``: upload, link...) by a user whom
        ``settings.uploads`` does not let upload."""
        settings = self.assistant.settings
        user = request.username if request is not None else None
        if not may_upload(settings, user):
            logger.warning("%s refused (ASSISTANT_UPLOADS=%s, user %r)", what, settings.uploads, user)
            raise gr.Error(escape(upload_refusal(settings, language)), print_exception=False)


def example_question(sample: list[str] | None) -> Any:
    """The question of a clicked example (a Dataset sample: one value, for the question box)."""
    return sample[0] if sample else gr.skip()


def _reporter(progress: gr.Progress) -> Callable[[int, int, str], None]:
    """The indexing progress callback that moves Gradio's progress bar."""

    def report(done: int, total: int, article: str) -> None:
        progress((done, total), desc=article, unit="articles")

    return report


def _places(waiting: Waiting) -> Iterator[int]:
    """While a question waits for the model: how many questions are before it, each time that changes."""
    shown = -1
    while not waiting.take(timeout=0 if shown < 0 else 1.0):
        ahead = waiting.ahead
        if ahead and ahead != shown:
            shown = ahead
            yield ahead


def _assistant_message(content: str) -> Message:
    return {"role": "assistant", "content": content}
