"""The page: the chat on the left, the article viewer and the articles panel on the right; and how it is served."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr
from gradio.events import api

from assistant.types import Lang
from assistant.web import render
from assistant.web.access import Accounts, exposure, signin_configured, uploads_shown
from assistant.web.addition_panel import addition_events, addition_panel
from assistant.web.labels import with_evaluated_hints
from assistant.web.ui import ANSWERS_SHOWN_WAITING, ASSISTANT_QUEUE, INDEX_QUEUE, WebChat, example_question
from assistant.web.wording import LABELS

logger = logging.getLogger(__name__)

# Requests wait in Gradio's queue, answered as many at a time as the model writes (one with the embedded model):
# a longer queue only means a longer wait, so beyond this many waiting requests new ones are refused with a
# "queue is full" message.
QUEUE_MAX_SIZE = 64
_READS = "reads"  # opening an article or reading the status: cheap, a few at a time
_START: Lang = "en"


def theme() -> gr.themes.Base:
    """The default look with the system's fonts: nothing is fetched from a font service."""
    return gr.themes.Default(
        font=["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


def build_demo(chat: WebChat) -> gr.Blocks:
    """The web chat's page and its events."""
    labels = LABELS[_START]
    # Uploaded files are copied into the articles folder; Gradio's temporary copies are deleted after an hour.
    demo = gr.Blocks(title="Article assistant", analytics_enabled=False, delete_cache=(3600, 3600))
    with demo:
        turns = gr.State([])
        language = gr.State(_START)
        gr.Markdown(
            "## Article assistant\n"
            "Ask about the news articles in English or French · Posez vos questions en français ou en anglais"
        )
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label=labels["chat"],
                    elem_id="chat",
                    height=520,
                    # Messages are HTML that the web chat builds from escaped text: no Markdown, no LaTeX, no tags.
                    render_markdown=False,
                    sanitize_html=True,
                    latex_delimiters=[],
                    allow_tags=False,
                    buttons=["copy"],
                    feedback_options=None,
                    layout="bubble",
                )
                sources = gr.Radio(label=labels["sources"], choices=[], visible=False, elem_id="sources")
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        label=labels["question"],
                        placeholder=labels["placeholder"],
                        elem_id="question",
                        scale=5,
                        max_lines=4,
                        submit_btn=False,
                    )
                    with gr.Column(scale=1, min_width=140):
                        ask = gr.Button(labels["ask"], variant="primary", elem_id="ask")
                        clear = gr.Button(labels["clear"], elem_id="clear", variant="secondary")
                filters = _filter_panel(labels)
                # Drawn from the articles loaded, so filled on page load and after each index update.
                examples = gr.Dataset(
                    components=[question],
                    samples=[],
                    label=labels["examples"],
                    visible=False,
                    elem_id="examples",
                )
            with gr.Column(scale=2), gr.Tabs(elem_id="side") as tabs:
                with gr.Tab(labels["article_tab"], id="article"):
                    article_view = gr.HTML(render.hint_html(labels["article_hint"]), elem_id="article-view")
                with gr.Tab(labels["articles_tab"], id="articles", elem_id="articles-tab"):
                    status = gr.HTML(elem_id="index-status")
                    open_article = gr.Dropdown(label=labels["open_article"], choices=[], elem_id="open-article")
                    update = gr.Button(labels["update"], elem_id="update-index")
                    adding = addition_panel(labels, shown=uploads_shown(chat.assistant.settings))
                    result = gr.Textbox(label=labels["result"], interactive=False, lines=3, elem_id="result")

        labelled = [  # as labels.language_updates
            *(question, ask, clear, open_article, update, adding.upload, result),
            *(adding.link, adding.add_link, adding.refresh_feeds, filters.panel, filters.since, filters.until),
            filters.sources,
        ]
        # The same limit on every answering event (a group takes the lowest given): the questions the model is
        # answering and those shown waiting for it (WebChat.slots keeps their order).
        answers = chat.answers_at_once + ANSWERS_SHOWN_WAITING
        answer_outputs: list[Any] = [chatbot, turns, question, sources, language, *labelled]
        asked: list[Any] = [question, turns, filters.since, filters.until, filters.sources]
        ask.click(
            chat.respond,
            asked,
            answer_outputs,
            api_name="chat",
            concurrency_id=ASSISTANT_QUEUE,
            concurrency_limit=answers,
            show_progress="minimal",
        )
        question.submit(
            chat.respond,
            asked,
            answer_outputs,
            api_visibility="private",
            concurrency_id=ASSISTANT_QUEUE,
            concurrency_limit=answers,
            show_progress="minimal",
        )
        chatbot.select(chat.select_answer, [turns], [sources], api_visibility="private", queue=False)
        sources.select(
            chat.show_citation,
            [sources, turns],
            [article_view, tabs],
            api_visibility="private",
            concurrency_id=_READS,
            concurrency_limit=4,
        ).then(None, js=render.SCROLL_TO_CITED_JS)

        def new_conversation() -> tuple[Any, ...]:
            return [], [], gr.Radio(choices=[], value=None, visible=False), render.hint_html(labels["article_hint"])

        for cleared in (clear.click, chatbot.clear):  # the button, and the chat's own bin icon
            cleared(
                new_conversation, None, [chatbot, turns, sources, article_view], api_visibility="private", queue=False
            )
        open_article.select(
            chat.open_article,
            [open_article, language],
            [article_view],
            api_visibility="private",
            concurrency_id=_READS,
            concurrency_limit=4,
        ).then(lambda: gr.Tabs(selected="article"), None, [tabs], api_visibility="private", queue=False)
        examples.click(example_question, [examples], [question], api_visibility="private", queue=False)
        updated = update.click(
            chat.update_index,
            [language],
            [result, status, open_article],
            api_name="update_index",
            concurrency_id=INDEX_QUEUE,
            concurrency_limit=1,
        )
        added = addition_events(chat, adding, language, [result, status, open_article])
        loaded = demo.load(
            chat.refresh_status,
            [language],
            [status, open_article],
            api_name="status",
            concurrency_id=_READS,
            concurrency_limit=4,
        )
        # After each, whether or not it went through: the examples and the sources follow the index.
        for collection_read in (loaded, updated, *added):
            collection_read.then(
                chat.refresh_examples,
                None,
                [examples],
                api_visibility="private",
                concurrency_id=_READS,
                concurrency_limit=4,
            )
            collection_read.then(
                chat.refresh_sources,
                [filters.sources],
                [filters.sources],
                api_visibility="private",
                concurrency_id=_READS,
                concurrency_limit=4,
            )
        api(
            with_evaluated_hints(chat.ask),
            api_name="ask",
            concurrency_id=ASSISTANT_QUEUE,
            concurrency_limit=answers,
        )
        demo.queue(default_concurrency_limit=1, max_size=QUEUE_MAX_SIZE)
    return demo


@dataclass(frozen=True)
class _Filters:
    """What limits a question to some articles: dates and sources, in a panel closed at first."""

    panel: gr.Accordion
    since: gr.Textbox
    until: gr.Textbox
    sources: gr.Dropdown


def _filter_panel(labels: dict[str, str]) -> _Filters:
    with gr.Accordion(labels["filters"], open=False, elem_id="filters") as panel, gr.Row(equal_height=True):
        # Empty by default, so that an API call of /chat may leave them out.
        since = gr.Textbox(
            "", label=labels["since"], placeholder=labels["date_placeholder"], elem_id="since", max_lines=1, scale=1
        )
        until = gr.Textbox(
            "", label=labels["until"], placeholder=labels["date_placeholder"], elem_id="until", max_lines=1, scale=1
        )
        # The sites and articles of the index: filled on page load and after each index update.
        sources = gr.Dropdown(
            label=labels["filter_sources"],
            choices=[],
            value=[],
            multiselect=True,
            elem_id="source-filter",
            scale=3,
        )
    return _Filters(panel, since, until, sources)


def serve(demo: gr.Blocks, chat: WebChat, host: str, port: int, *, accounts: Accounts | None) -> None:
    """Serve ``demo`` until interrupted; logs where to open it and what it exposes to other machines.

    ``accounts``: who may sign in (``access.load_accounts(settings)``); None serves without sign-in.
    """
    settings = chat.assistant.settings
    if accounts is None and signin_configured(settings):
        raise ValueError("sign-in is configured but serve() was given no accounts: pass access.load_accounts(settings)")
    demo.launch(
        # Gradio then guards the page, /config, the queue, file and upload routes and gradio_client's calls.
        # Gradio awaits a coroutine function (its type hint says only plain ones): verified off the event loop.
        auth=accounts.acheck if accounts is not None else None,  # type: ignore[arg-type]
        auth_message="Article assistant: sign in with the user name and password you were given.",
        server_name=host,
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        show_error=False,
        theme=theme(),
        css=render.CSS,
        # Gradio refuses anything larger outright; the upload handler gives the precise message below that.
        max_file_size=max(10 * settings.max_upload_bytes, 10_000_000),
        footer_links=["api"],
    )
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if accounts is not None:
        logger.info("sign-in required: %d users", len(accounts.users))
    exposed = exposure(host, settings, signin=accounts is not None)
    if exposed is not None:
        logger.log(*exposed)
    logger.info("web chat ready: open http://%s:%d in a browser (Ctrl+C to stop)", shown, port)
    chat.warm_up()  # after the server is up: the page is ready at once, the models load meanwhile
    demo.block_thread()
