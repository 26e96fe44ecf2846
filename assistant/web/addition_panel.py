"""The part of the Articles tab that adds articles: the upload box, the link box and its button, the feeds'
refresh button; and their events, one at a time in the index group."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr
from gradio.events import Dependency

from assistant.web.additions import UPLOAD_SUFFIXES
from assistant.web.ui import INDEX_QUEUE, WebChat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Additions:
    """What adds articles: the upload box, the link box and its button, the feeds' refresh button."""

    upload: gr.File
    link: gr.Textbox
    add_link: gr.Button
    refresh_feeds: gr.Button


def addition_panel(labels: dict[str, str], *, shown: bool) -> Additions:
    """The addition components, hidden when uploads are (the handlers check each addition too)."""
    upload = gr.File(
        label=labels["upload"],
        file_count="multiple",
        file_types=list(UPLOAD_SUFFIXES),
        type="filepath",
        elem_id="upload",
        visible=shown,
    )
    with gr.Row(equal_height=True, visible=shown):
        link = gr.Textbox(
            label=labels["link"],
            placeholder=labels["link_placeholder"],
            elem_id="link",
            max_lines=1,
            scale=4,
            visible=shown,
        )
        add_link = gr.Button(labels["add_link"], elem_id="add-link", scale=1, min_width=90, visible=shown)
    refresh_feeds = gr.Button(labels["refresh_feeds"], elem_id="refresh-feeds", visible=shown)
    return Additions(upload, link, add_link, refresh_feeds)


def addition_events(chat: WebChat, adding: Additions, language: gr.State, outputs: list[Any]) -> list[Dependency]:
    """The events that add articles: the upload, the link (its button and Enter), the feeds' refresh; they
    update ``outputs`` (result, status, article list) one at a time, in the index group."""
    queued: dict[str, Any] = {"concurrency_id": INDEX_QUEUE, "concurrency_limit": 1}
    uploaded = adding.upload.upload(
        chat.upload, [adding.upload, language], [*outputs, adding.upload], api_name="add_articles", **queued
    )
    linked = adding.add_link.click(
        chat.add_link, [adding.link, language], [*outputs, adding.link], api_name="add_link", **queued
    )
    submitted = adding.link.submit(
        chat.add_link, [adding.link, language], [*outputs, adding.link], api_visibility="private", **queued
    )
    refreshed = adding.refresh_feeds.click(chat.refresh_feeds, [language], outputs, api_name="refresh_feeds", **queued)
    return [uploaded, linked, submitted, refreshed]
