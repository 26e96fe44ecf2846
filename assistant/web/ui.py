"""The Gradio web chat: streamed answers with their sources, the article viewer, the articles panel."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import threading
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answering.language import detect_language
from assistant.api import Assistant, IndexStatus
from assistant.config import Settings
from assistant.errors import AssistantError, IndexNotBuiltError
from assistant.types import Answer, IndexReport, Lang
from assistant.uploads import SavedArticle, read_upload, save_article
from assistant.web import render
from assistant.web.access import may_upload, signin_configured
from assistant.web.examples import example_questions
from assistant.web.render import LABELS

logger = logging.getLogger(__name__)

Turn = tuple[str, Answer]  # a question as asked, and its answer
Message = dict[str, str]
# Gradio's concurrency groups. Answers: as many at once as the language model writes (WebChat.answers_at_once:
# one with the embedded model, llm_concurrency through a server). Index updates and uploads: one at a time, in
# their own group, so that a question never waits behind an update (answers read the index it switches to).
ASSISTANT_QUEUE = "assistant"
INDEX_QUEUE = "index"
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

    def respond(self, question: str, turns: list[Turn]) -> Iterator[tuple[Any, ...]]:
        """Stream the answer to ``question`` into the chat: at once the question and a placeholder; as soon as
        the passages are found, what the model reads; then each statement as soon as it is checked.

        Yields (chat messages, turns, question box, sources, UI language, *labelled components).
        """
        try:
            stream = self.assistant.stream(question or "", [(q, a.text) for q, a in turns])
        except Exception as err:
            raise user_error(err) from err
        shown = conversation(turns)
        asked = {"role": "user", "content": render.question_html(question.strip())}
        language: Lang = turns[-1][1].language if turns else "en"
        skip_rest = [gr.skip()] * (2 + len(_LABELLED))  # sources, language, labels
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
            for update in stream.updates():
                if update.stage == "done":
                    break
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
        view = render.article_html(citation.title or citation.source, citation.source, text, span, note)
        return view.html, gr.Tabs(selected="article")

    def open_article(self, source: str | None) -> Any:
        """Open an article of the list in the side panel, nothing highlighted."""
        if not source:
            return gr.skip()
        path = self.articles_dir / Path(source).name
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise gr.Error(escape(f"{source} cannot be read; update the index"), print_exception=False) from err
        titles = self._status()
        title = titles.articles.get(source, source) if titles else source
        return render.article_html(title, source, text).html

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
        """Save uploaded articles into the articles folder, then index them; returns (report, status, list, files).

        Refused, whatever the page shows, when ``settings.uploads`` does not let this request's user upload.
        """
        settings = self.assistant.settings
        user = request.username if request is not None else None
        if not may_upload(settings, user):
            logger.warning("upload refused (ASSISTANT_UPLOADS=%s, user %r)", settings.uploads, user)
            raise gr.Error(escape(_upload_refusal(settings, language)), print_exception=False)
        limit = settings.max_upload_bytes
        lines: list[str] = []
        saved: list[SavedArticle] = []
        for name in paths or []:
            path = Path(name)
            try:
                saved.append(save_article(read_upload(path, limit), path.name, self.articles_dir, limit))
            except AssistantError as err:
                gr.Warning(escape(str(err)))
                lines.append(f"✗ {err}")
        for article in saved:
            if not article.created:
                lines.append(f"= {article.name}: {_said(language, 'already there', 'déjà présent')}")
            elif article.renamed_from:
                other = _said(
                    language, "another article has that name; saved as", "un autre article a ce nom ; enregistré sous"
                )
                lines.append(f"+ {article.renamed_from}: {other} {article.name} — {article.title}")
            else:
                lines.append(f"+ {article.name} — {article.title}")
        if saved:
            lines.append(self._index(progress).summary())
        return "\n".join(lines), *self.refresh_status(language), None

    def ask(self, question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """Answer ``question`` (with the conversation so far as [question, answer] pairs): the Answer as JSON."""
        try:
            answer = self.assistant.ask(question, [(str(q), str(a)) for q, a in history or []])
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
        def report(done: int, total: int, article: str) -> None:
            progress((done, total), desc=article, unit="articles")

        try:
            result = self.assistant.index(progress=report)
        except Exception as err:
            raise user_error(err) from err
        for message in result.skipped:
            gr.Warning(escape(message))
        return result


def example_question(sample: list[str] | None) -> Any:
    """The question of a clicked example (a Dataset sample: one value, for the question box)."""
    return sample[0] if sample else gr.skip()


def _assistant_message(content: str) -> Message:
    return {"role": "assistant", "content": content}


def _said(language: Lang, english: str, french: str) -> str:
    return french if language == "fr" else english


def _upload_refusal(settings: Settings, language: Lang) -> str:
    if settings.uploads == "off":
        return _said(
            language,
            "Uploads are turned off on this server: ask whoever runs it to add the articles.",
            "Les envois sont désactivés sur ce serveur : demandez à qui le gère d’ajouter les articles.",
        )
    if not signin_configured(settings):
        return _said(
            language,
            "Only signed-in users may upload articles, and this server has no sign-in.",
            "Seuls les utilisateurs connectés peuvent envoyer des articles, et ce serveur n’a pas de connexion.",
        )
    return _said(language, "Sign in to upload articles.", "Connectez-vous pour envoyer des articles.")


# The components whose labels follow the language of the last question, in this order.
_LABELLED = ("question", "ask", "clear", "open_article", "update", "upload", "result")


def language_updates(language: Lang) -> list[Any]:
    """Updates that relabel the ``_LABELLED`` components in ``language``."""
    labels = LABELS[language]
    return [
        gr.Textbox(label=labels["question"], placeholder=labels["placeholder"]),
        gr.Button(value=labels["ask"]),
        gr.Button(value=labels["clear"]),
        gr.Dropdown(label=labels["open_article"]),
        gr.Button(value=labels["update"]),
        gr.File(label=labels["upload"]),
        gr.Textbox(label=labels["result"]),
    ]


def with_evaluated_hints(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its annotations resolved: gr.api reads the return type from the signature, not as a string."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    signature = inspect.signature(fn, eval_str=True)
    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__annotations__ = {name: p.annotation for name, p in signature.parameters.items()}
    call.__annotations__["return"] = signature.return_annotation
    call.__doc__ = fn.__doc__
    call.__name__ = fn.__name__
    return call
