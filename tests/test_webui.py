"""The web chat's handlers and page, with the fake embedder and the queued generator (no browser, no model)."""

from __future__ import annotations

import dataclasses
import random
import time
import warnings
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import docx
import gradio as gr
import pytest
from langchain_core.messages import BaseMessage

from assistant import Assistant, Settings
from assistant.errors import ModelUnavailableError
from assistant.ingest.catalog import keep_original, write_metadata
from assistant.types import Answer, Citation, IndexStatus, Metadata, Passage
from assistant.web import WebChat, build_demo, render
from assistant.web.additions import web_link
from assistant.web.conversation import Turn
from assistant.web.examples import example_questions, shorten_title
from assistant.web.filters import question_filter
from assistant.web.labels import LABELLED, language_updates
from assistant.web.ui import example_question
from tests.fakes import HashEmbedder, QueuedGenerator

FORMATS = Path(__file__).parent / "data" / "formats"
QUESTION = "Combien Meta a-t-il investi dans Scale AI ?"
REPLY = "Meta a investi 14,3 milliards de dollars dans Scale AI [1]."


@pytest.fixture
def generator() -> QueuedGenerator:
    return QueuedGenerator()


@pytest.fixture
def chat(settings: Settings, embedder: HashEmbedder, generator: QueuedGenerator) -> WebChat:
    assistant = Assistant(settings, embedder=embedder, generator=generator)
    assistant.index()
    return WebChat(assistant)


def _ask(chat: WebChat, question: str, turns: list[Turn] | None = None, **limits: Any) -> list[tuple[Any, ...]]:
    return list(chat.respond(question, turns or [], **limits))


def test_the_answer_streams_then_comes_with_its_sources(chat: WebChat, generator: QueuedGenerator) -> None:
    generator.answers.append(REPLY)
    updates = _ask(chat, QUESTION)
    assert len(updates) >= 4, "a placeholder, the passages being read, the checked text, then the final answer"
    first_messages = updates[0][0]
    assert first_messages[-2]["role"] == "user" and "Combien Meta" in first_messages[-2]["content"]
    assert updates[0][2] == "", "the question box is emptied at once"
    messages, turns, _, sources, language = updates[-1][:5]
    assert language == "fr"
    question, answer = turns[-1]
    assert question == QUESTION and answer.text == REPLY and answer.answered
    assert "14,3 milliards de dollars dans Scale AI [1]." in messages[-1]["content"]
    citation = answer.citations[0]
    assert render.text_html(citation.quote) in messages[-1]["content"], "the quote is shown under the answer"
    assert citation.title.replace("’", "’") in messages[-1]["content"]
    assert sources.choices == [(render.citation_label(citation), "0:1")]
    assert sources.visible is True


def test_streaming_shows_the_text_as_it_grows(chat: WebChat, generator: QueuedGenerator) -> None:
    generator.answers.append(REPLY)
    streamed = [u[0][-1]["content"] for u in _ask(chat, QUESTION)[1:-1]]
    assert streamed and all('class="answer pending' in s for s in streamed)
    assert 'class="reading-status"' in streamed[0] and 'class="reading-status"' not in streamed[-1]
    assert streamed[-1].count("Meta a investi") == 1 and "[1]" in streamed[-1]
    assert '<div class="sources">' in streamed[-1], "a checked statement comes with its sources"


def test_the_conversation_is_passed_as_history(chat: WebChat, generator: QueuedGenerator) -> None:
    generator.answers.append(REPLY)
    turns = _ask(chat, QUESTION)[-1][1]
    # "Et en dollars ?" goes on from the question before: it is read with the turn before it.
    generator.answers.append(REPLY)
    final = _ask(chat, "Et en dollars ?", turns)[-1]
    assert len(final[1]) == 2 and len(final[0]) == 4
    prompt = generator.last_user_message(1)
    assert f"Earlier question: {QUESTION}" in prompt and "Question: Et en dollars ?" in prompt


def test_labels_follow_the_question_language(chat: WebChat, generator: QueuedGenerator) -> None:
    generator.answers.append(REPLY)
    fr = _ask(chat, QUESTION)[-1]
    assert fr[5].label == "Votre question" and fr[6].value == "Demander"
    en = _ask(chat, "What is the share price of Scale AI today?")[-1]
    assert en[4] == "en" and en[5].label == "Your question"
    assert not en[1][-1][1].answered and "don't" in en[1][-1][1].text.lower()


def test_the_passages_being_read_show_before_the_model_writes(settings: Settings, embedder: HashEmbedder) -> None:
    generator = QueuedGenerator([REPLY], seconds_per_piece=0.05)  # 9 pieces: the model writes for 0.45 s or more
    chat = WebChat(Assistant(settings, embedder=embedder, generator=generator))
    chat.assistant.index()
    states: list[tuple[str, float, int]] = []  # (what the answer shows, when, prompts the model had then)
    for update in chat.respond(QUESTION, []):
        states.append((update[0][-1]["content"], time.perf_counter(), len(generator.prompts)))
    placeholder, reading, *writing, final = states
    assert 'class="answer pending"' in placeholder[0] and "reading-status" not in placeholder[0]
    assert 'class="answer pending reading"' in reading[0]
    assert "Lecture de" in reading[0] and "passages…" in reading[0], "the status, in the question's language"
    read = chat.assistant.retrieve(QUESTION, chat.assistant.settings.answer_passages)
    assert escape(read[0].title) in reading[0], "the articles being read are listed"
    assert reading[2] == 0 and reading[1] < generator.finished[0], "shown before the model has written anything"
    assert writing and all("Meta a investi" in content for content, _, _ in writing)
    assert writing[0][1] - reading[1] >= 0.4, "the status shows while the model writes"
    assert 'class="answer pending' not in final[0] and "reading-status" not in final[0]
    assert [t for _, t, _ in states] == sorted(t for _, t, _ in states)


def test_a_question_waiting_for_the_model_shows_its_sources_and_its_place(
    chat: WebChat, generator: QueuedGenerator
) -> None:
    generator.answers.extend([REPLY, REPLY])
    first = chat.respond(QUESTION, [])
    next(first)  # the placeholder
    assert "Lecture de" in next(first)[0][-1]["content"], "the first question has the model: it reads"
    second = chat.respond(QUESTION, [])  # asked again in another tab
    next(second)
    waiting = next(second)[0][-1]["content"]
    assert 'class="answer pending reading"' in waiting and 'class="reading-list"' in waiting, "its sources, at once"
    assert "En attente du modèle : une question avant celle-ci" in waiting
    assert list(first)[-1][1][-1][1].answered
    assert len(generator.prompts) == 1, "the model has read only the first question"
    rest = list(second)
    assert "Lecture de" in rest[0][0][-1]["content"], "its turn came: it reads"
    assert rest[-1][1][-1][1].answered and len(generator.prompts) == 2


def test_a_refusal_shows_the_closest_passages_as_not_an_answer(
    chat: WebChat, generator: QueuedGenerator, articles_dir: Path
) -> None:
    messages, turns, _, sources, language = _ask(chat, "What is the share price of Scale AI today?")[-1][:5]
    answer = turns[-1][1]
    assert not answer.answered and not answer.citations and language == "en"
    assert 1 <= len(answer.closest) <= 3
    assert [c.number for c in answer.closest] == list(range(1, len(answer.closest) + 1))
    shown = messages[-1]["content"]
    refusal, _, closest = shown.partition('<div class="sources closest">')
    assert render.text_html(answer.text) in refusal and '<div class="sources">' not in refusal
    assert closest.startswith('<div class="sources-heading">Closest passages (not an answer)</div>')
    for c in answer.closest:
        article = (articles_dir / c.source).read_text(encoding="utf-8")
        assert article[c.start : c.end] == c.quote, "each closest passage is an exact span of its article"
        assert f"« {escape(c.quote)} »" in closest and escape(c.title) in closest
    assert "not an answer" in sources.label and sources.visible is True
    assert [value for _, value in sources.choices] == [f"0:{c.number}" for c in answer.closest]

    html, tabs = chat.show_citation(f"0:{answer.closest[-1].number}", turns)
    assert f'<mark id="cited-passage" class="cited">{escape(answer.closest[-1].quote)}</mark>' in html
    assert html.count("<mark") == 1 and tabs.selected == "article"


def test_a_french_refusal_says_in_french_that_the_passages_are_not_an_answer(chat: WebChat) -> None:
    messages, turns, _, sources = _ask(chat, "Quel est le cours de l'action de Scale AI aujourd'hui ?")[-1][:4]
    assert not turns[-1][1].answered and turns[-1][1].closest
    assert "Passages les plus proches (ce n’est pas une réponse)" in messages[-1]["content"]
    assert "ce n’est pas une réponse" in sources.label


def test_an_empty_question_is_a_readable_error(chat: WebChat) -> None:
    with pytest.raises(gr.Error) as raised:
        _ask(chat, "   ")
    assert "question is empty" in raised.value.message
    assert "Traceback" not in raised.value.message


class _BrokenGenerator(QueuedGenerator):
    def stream(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> Iterator[str]:
        raise ModelUnavailableError("cannot load the model 'x.gguf' (bad magic); is it a valid GGUF file?")

    def yes_probability(self, messages: Sequence[BaseMessage]) -> float:
        raise ModelUnavailableError("cannot load the model 'x.gguf' (bad magic); is it a valid GGUF file?")


def test_an_unavailable_model_is_a_readable_error(settings: Settings, embedder: HashEmbedder) -> None:
    chat = WebChat(Assistant(settings, embedder=embedder, generator=_BrokenGenerator()))
    updates = chat.respond(QUESTION, [])
    assert len(next(updates)[0]) == 2, "the question and a placeholder are shown at once"
    assert "reading-status" in next(updates)[0][-1]["content"], "the passages are found; the model fails to read"
    restored = next(updates)
    assert restored[0] == [] and restored[2] == QUESTION, "the chat goes back as it was, the question kept"
    with pytest.raises(gr.Error, match=r"cannot load the model &#x27;x\.gguf&#x27;"):
        next(updates)


def test_a_citation_opens_its_article_with_the_quote_highlighted(
    chat: WebChat, generator: QueuedGenerator, articles_dir: Path
) -> None:
    generator.answers.append(REPLY)
    turns = _ask(chat, QUESTION)[-1][1]
    citation = turns[0][1].citations[0]
    html, tabs = chat.show_citation("0:1", turns)
    article = (articles_dir / citation.source).read_text(encoding="utf-8")
    assert f'<mark id="cited-passage" class="cited">{escape(citation.quote)}</mark>' in html
    assert html.count("<mark") == 1
    assert escape(article[: citation.start]) in html and escape(article[citation.end :]) in html
    assert tabs.selected == "article"


def test_a_changed_article_is_said_and_the_quote_found_again(
    chat: WebChat, generator: QueuedGenerator, articles_dir: Path
) -> None:
    generator.answers.append(REPLY)
    turns = _ask(chat, QUESTION)[-1][1]
    citation = turns[0][1].citations[0]
    path = articles_dir / citation.source
    path.write_text("Inserted line.\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    html, _ = chat.show_citation("0:1", turns)
    assert "changé depuis son indexation" in html
    assert f'<mark id="cited-passage" class="cited">{escape(citation.quote)}</mark>' in html
    path.unlink()
    html, _ = chat.show_citation("0:1", turns)
    assert "n’est plus dans le dossier" in html and "<mark" not in html


def test_a_bad_choice_changes_nothing(chat: WebChat) -> None:
    assert chat.show_citation(None, []) == (gr.skip(), gr.skip())
    assert chat.show_citation("3:1", []) == (gr.skip(), gr.skip())


def test_clicking_an_older_answer_shows_its_sources(chat: WebChat, generator: QueuedGenerator) -> None:
    generator.answers.append(REPLY)
    turns = _ask(chat, QUESTION)[-1][1]
    turns = [*turns, ("What is the share price?", turns[0][1])]
    update = chat.select_answer(turns, gr.SelectData(None, {"index": 1, "value": ""}))
    assert [value for _, value in update.choices] == ["0:1"]
    update = chat.select_answer(turns, gr.SelectData(None, {"index": 3, "value": ""}))
    assert [value for _, value in update.choices] == ["1:1"]


def test_nothing_from_an_article_or_a_question_becomes_markup() -> None:
    hostile = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"> **bold** $$x$$'
    citation = Citation(1, "a<b>.txt", hostile, 0, len(hostile), title=hostile)
    passage = Passage("a<b>.txt", hostile, hostile, 0, len(hostile), 1.0)
    refusal = Answer(hostile, hostile, "en", answered=False, citations=[], closest=[citation])
    shown = render.answer_html(hostile, [citation], "en") + render.question_html(hostile)
    shown += render.reading_html([passage], hostile, "en") + render.finished_answer_html(refusal)
    shown += render.article_html(hostile, "a<b>.txt", hostile, (0, 10), note=hostile).html
    assert "<script" not in shown and "<img" not in shown and "<b>" not in shown
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in shown
    assert render.citation_label(citation).startswith("[1] <script>"), "a Radio label is text, shown as is"


def test_the_status_counts_the_articles_found_by_their_words_only() -> None:
    status = IndexStatus("index", {"a.txt": "A", "b.txt": "B"}, 3, "model", "2026-12-05", words_only=("b.txt",))
    shown = render.status_html(status, "fr")
    assert "<th>Trouvés par leurs mots seulement, vecteurs en cours d’écriture</th><td>1</td>" in shown
    assert "vecteurs" not in render.status_html(dataclasses.replace(status, words_only=()), "fr")


def test_the_status_lists_the_articles(chat: WebChat) -> None:
    html, dropdown = chat.refresh_status("en")
    assert "<th>Articles</th><td>2</td>" in html and "<th>Chunks</th>" in html and "fake-hash-64" in html
    assert len(dropdown.choices) == 2
    assert "<th>Passages</th>" in chat.refresh_status("fr")[0]


def test_an_uploaded_article_is_saved_indexed_and_can_be_opened(chat: WebChat, tmp_path: Path) -> None:
    upload = tmp_path / "upload" / "Zorblax <robots>.txt"
    upload.parent.mkdir()
    upload.write_text("Zorblax Robotics\n\nZorblax Robotics emploie 42 ingénieurs à Lyon.\n", encoding="utf-8")
    report, status, dropdown, files = chat.upload([str(upload)], "fr")
    assert "+ Zorblax_robots.txt — Zorblax Robotics" in report and "added 1" in report
    assert files is None, "the upload box is emptied"
    assert "Zorblax_robots.txt" in status and ("Zorblax Robotics", "Zorblax_robots.txt") in dropdown.choices
    assert (chat.articles_dir / "Zorblax_robots.txt").read_bytes() == upload.read_bytes()
    passages = chat.assistant.retrieve("Combien d'ingénieurs emploie Zorblax Robotics ?", 1)
    assert passages[0].source == "Zorblax_robots.txt"
    assert "42 ingénieurs" in chat.open_article("Zorblax_robots.txt")


def test_a_bad_upload_is_reported_and_not_saved(settings: Settings, embedder: HashEmbedder, tmp_path: Path) -> None:
    chat = WebChat(Assistant(settings.model_copy(update={"max_upload_bytes": 1_000_000}), embedder=embedder))
    chat.assistant.index()
    bad = tmp_path / "latin.txt"
    bad.write_bytes("Café crème".encode("latin-1"))
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (chat.assistant.settings.max_upload_bytes + 1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report, _, _, _ = chat.upload([str(bad), str(big)], "en")
    shown = [str(w.message) for w in caught]
    assert any("latin.txt is not UTF-8 text" in m for m in shown)
    assert any("big.md is 1,000,001 bytes" in m and "ASSISTANT_MAX_UPLOAD_BYTES" in m for m in shown)
    assert report.count("✗") == 2 and "added" not in report
    assert not (chat.articles_dir / "latin.txt").exists() and not (chat.articles_dir / "big.md").exists()


class _RecordedProgress(gr.Progress):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, str | None]] = []

    def __call__(self, progress: Any, desc: str | None = None, *args: Any, **kwargs: Any) -> None:
        self.calls.append((progress, desc))


def test_update_index_reports_what_it_did_with_progress(chat: WebChat) -> None:
    (chat.articles_dir / "new.txt").write_text("New article\n\nSomething happened in Lyon.", encoding="utf-8")
    progress = _RecordedProgress()
    report, status, _ = chat.update_index("en", progress)
    assert report.startswith("added 1, updated 0, removed 0, unchanged 2")
    assert "new.txt" in status
    assert ((0, 1), "new.txt") in progress.calls and progress.calls[-1][0] == (1, 1)


def test_the_api_answer_is_plain_json(chat: WebChat, generator: QueuedGenerator) -> None:
    generator.answers.append(REPLY)
    answer = chat.ask(QUESTION, [])
    assert answer["text"] == REPLY and answer["language"] == "fr"
    assert answer["citations"][0]["number"] == 1 and "14,3 milliards" in answer["citations"][0]["quote"]
    with pytest.raises(gr.Error, match="question is empty"):
        chat.ask("")


def test_the_page_names_its_api_and_renders_messages_as_text(chat: WebChat) -> None:
    demo = build_demo(chat)
    names = {dep.get("api_name") for dep in demo.config["dependencies"]}
    assert {"chat", "ask", "update_index", "add_articles", "status"} <= names
    chatbot = next(c for c in demo.config["components"] if c["type"] == "chatbot")["props"]
    assert chatbot["sanitize_html"] is True and chatbot["render_markdown"] is False
    assert chatbot["latex_delimiters"] == [] and chatbot["allow_tags"] is False
    assert demo.analytics_enabled is False
    assert all("googleapis" not in str(font) for font in render.CSS.split())


def test_example_questions_are_spread_over_a_large_collection() -> None:
    subjects = ["Rugby", "Vaccines", "Elections", "Wine"]
    articles = {f"{n:03}.txt": f"{subjects[n // 75]} report number {n}" for n in range(300)}
    articles.update({f"{n:03}b.txt": "" for n in range(0, 300, 7)})  # untitled articles are skipped
    shuffled = dict(random.Random(1).sample(sorted(articles.items()), len(articles)))
    questions = example_questions(shuffled)
    assert len(questions) == 4
    assert [next(s for s in subjects if s in q) for q in questions] == subjects, "one question per quarter"
    assert questions == example_questions(articles), "the same collection always shows the same questions"
    assert questions[0] == "What do the articles say about “Rugby report number 0”?"
    assert example_questions({}) == [] and example_questions({"a.txt": "  ", "b.txt": ""}) == []


def test_example_questions_are_in_the_language_of_their_title() -> None:
    questions = example_questions(
        {
            "a.txt": "Les agriculteurs bretons manifestent devant la préfecture de Rennes",
            "b.txt": "Central banks raise interest rates for the third time this year",
            "c.txt": "Central banks raise interest rates for the third time this year",  # the same title once
        }
    )
    assert questions == [
        "Que disent les articles sur « Les agriculteurs bretons manifestent devant la préfecture de Rennes » ?",
        "What do the articles say about “Central banks raise interest rates for the third time this year”?",
    ]


def test_a_long_title_is_shortened_at_a_word_boundary() -> None:
    title = "The   committee published its long-awaited\nreport on the future of regional rail services in the north"
    short = shorten_title(title)
    flat = " ".join(title.split())
    assert len(flat) > 80 and len(short) <= 80 and short.endswith("…")
    assert flat.startswith(short[:-1]) and flat[len(short) - 1] == " ", "cut before a word, not inside it"
    assert example_questions({"a.txt": title}) == [f"What do the articles say about “{short}”?"]
    assert shorten_title("A short title") == "A short title"


def _example_samples(chat: WebChat) -> list[str]:
    update = chat.refresh_examples()
    assert update.visible is True
    return [sample[0] for sample in update.raw_samples]


def test_the_examples_name_the_loaded_articles_and_follow_the_index(chat: WebChat) -> None:
    titles = [shorten_title(t) for t in chat.assistant.status().articles.values()]
    before = _example_samples(chat)
    assert len(before) == len(titles) == 2
    assert all(sum(t in q for q in before) == 1 for t in titles), "each loaded article is asked about once"
    assert not any("Meta take" in q for q in before)

    title = "Quantum computing start-up opens a research laboratory in Lyon"
    (chat.articles_dir / "quantum.txt").write_text(f"{title}\n\nThe lab will employ 80 people.", encoding="utf-8")
    assert _example_samples(chat) == before, "nothing changes until the index is updated"
    chat.update_index("en", _RecordedProgress())
    after = _example_samples(chat)
    assert f"What do the articles say about “{title}”?" in after
    assert len(after) == 3 and set(before) < set(after)

    (chat.articles_dir / "quantum.txt").unlink()
    chat.update_index("en", _RecordedProgress())
    assert _example_samples(chat) == before


def test_without_an_index_there_are_no_examples(settings: Settings, embedder: HashEmbedder) -> None:
    update = WebChat(Assistant(settings, embedder=embedder)).refresh_examples()
    assert update.raw_samples == [] and update.visible is False


def test_the_page_fills_the_examples_on_load_and_after_index_updates(chat: WebChat) -> None:
    config = build_demo(chat).config
    components = {c["id"]: c for c in config["components"]}
    examples = next(c for c in components.values() if c["props"].get("elem_id") == "examples")
    assert examples["type"] == "dataset" and examples["props"]["samples"] == []
    assert "Scale AI" not in str(config), "no example is written into the page"
    dependencies = config["dependencies"]
    by_id = {d["id"]: d for d in dependencies}
    fillers = [d for d in dependencies if d["outputs"] == [examples["id"]]]
    after = {by_id[d["trigger_after"]]["api_name"] for d in fillers if d["trigger_after"] is not None}
    assert {"status", "update_index", "add_articles", "add_link", "refresh_feeds"} <= after
    assert len(fillers) == 6, "page load, index update, upload, link (button and Enter), feeds' refresh"
    clicked = next(d for d in dependencies if [tuple(t) for t in d["targets"]] == [(examples["id"], "click")])
    question = next(c for c in components.values() if c["props"].get("elem_id") == "question")
    assert clicked["outputs"] == [question["id"]]
    assert example_question(["What do the articles say about “X”?"]) == "What do the articles say about “X”?"


# Articles with a date, a site and a link; uploads of other formats; links; filters.

FACT_SEED = "000_2b36652c92daeb7e.txt"  # holds the 14.3 billion dollars of REPLY
OTHER_SEED = "001_2e5ae490be6e9ced.txt"
DESCRIBED = Metadata(
    title="Google rompt avec Scale AI",
    published="2025-06-12",
    author="Jeanne <b>Martin</b>",
    site="Le Monde",
    url="https://www.lemonde.fr/economie/article.html?id=1&ref=rss",
    format="html",
)


@pytest.fixture
def described_chat(settings: Settings, embedder: HashEmbedder, generator: QueuedGenerator) -> WebChat:
    """The chat over the seeds, the one with REPLY's fact described as a Le Monde page of 2025-06-12."""
    write_metadata(settings.seeds_dir, FACT_SEED, DESCRIBED)
    assistant = Assistant(settings, embedder=embedder, generator=generator)
    assistant.index()
    return WebChat(assistant)


def test_sources_show_the_site_and_date_of_their_article(described_chat: WebChat, generator: QueuedGenerator) -> None:
    generator.answers.append(REPLY)
    updates = _ask(described_chat, QUESTION)
    reading = updates[1][0][-1]["content"]
    assert 'class="answer pending reading"' in reading
    assert '<span class="source-meta">Le Monde · 2025-06-12</span>' in reading, "the articles being read"
    messages, turns, _, sources = updates[-1][:4]
    citation = turns[-1][1].citations[0]
    assert (citation.source, citation.site, citation.published) == (FACT_SEED, "Le Monde", "2025-06-12")
    assert '<span class="source-meta">Le Monde · 2025-06-12</span>' in messages[-1]["content"]
    label = sources.choices[0][0]
    assert label.startswith(f"[1] {citation.title} (Le Monde · 2025-06-12) — « ")


def test_sources_without_a_site_or_date_show_none() -> None:
    assert render.source_details("", "") == "" and render.source_details("Le Monde", "") == "Le Monde"
    assert render.source_details("", "2025-06-12T08:00:00+02:00") == "2025-06-12"
    plain = Citation(1, "a.txt", "Une citation.", 0, 13, title="Un titre")
    assert "source-meta" not in render.answer_html("Texte [1].", [plain], "fr")
    assert render.citation_label(plain) == "[1] Un titre — « Une citation. »"


def test_the_viewer_shows_the_date_author_site_and_a_link_to_the_original(
    described_chat: WebChat, generator: QueuedGenerator
) -> None:
    generator.answers.append(REPLY)
    turns = _ask(described_chat, QUESTION)[-1][1]
    html, _ = described_chat.show_citation("0:1", turns)
    assert "Publié le 2025-06-12 · Par Jeanne &lt;b&gt;Martin&lt;/b&gt; · Le Monde" in html
    assert (
        '<a href="https://www.lemonde.fr/economie/article.html?id=1&amp;ref=rss" target="_blank" '
        'rel="noopener noreferrer">https://www.lemonde.fr/economie/article.html?id=1&amp;ref=rss</a>'
    ) in html
    assert "<b>" not in html and html.count("<mark") == 1
    opened = described_chat.open_article(FACT_SEED, "en")
    assert "Published 2025-06-12 · By Jeanne &lt;b&gt;Martin&lt;/b&gt; · Le Monde" in opened
    assert "Original page:" in opened


def test_the_viewer_names_the_original_file_of_an_article_without_a_link(chat: WebChat) -> None:
    assert "article-meta" not in chat.open_article(OTHER_SEED), "nothing is said of an article written by hand"
    keep_original(chat.articles_dir, OTHER_SEED, b"%PDF-1.4 ...", ".pdf")
    write_metadata(chat.articles_dir, OTHER_SEED, Metadata(author="A. Auteur", format="pdf"))
    opened = chat.open_article(OTHER_SEED, "fr")
    assert "Par A. Auteur" in opened and "Fichier d’origine : 001_2e5ae490be6e9ced.pdf" in opened
    assert "<a " not in opened


@pytest.mark.parametrize(
    "url",
    [
        "javascript:window.__pwned=1",
        " JavaScript:window.__pwned=1",
        "java\tscript:window.__pwned=1",
        "data:text/html,<script>window.__pwned=1</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        '"><script>window.__pwned=1</script>',
        'https://example.com/" onmouseover="window.__pwned=1',
        "https://example.com/<script>",
        "//evil.example/page",
    ],
)
def test_only_plain_web_links_become_links_in_the_viewer(url: str) -> None:
    hostile = "<img src=x onerror=window.__pwned=1>"
    html = render.about_html(Metadata(url=url, site=hostile, author=hostile), "", "en")
    view = render.article_html(hostile, "a.txt", "Texte.", about=html).html
    assert "<a " not in view and "<script" not in view and "<img" not in view
    assert escape(url.strip()) in view, "shown as text"


def test_a_web_link_opens_in_a_new_tab_without_access_to_the_page() -> None:
    html = render.about_html(Metadata(url="HTTPS://example.com/a?b=1&c=«2»"), "ignored.pdf", "en")
    assert html == (
        '<div class="article-original">Original page: <a href="HTTPS://example.com/a?b=1&amp;c=«2»" '
        'target="_blank" rel="noopener noreferrer">HTTPS://example.com/a?b=1&amp;c=«2»</a></div>'
    )
    assert render.about_html(Metadata(), "", "en") == ""


def test_a_bad_date_is_an_error_before_the_chat_changes(chat: WebChat, generator: QueuedGenerator) -> None:
    for since, until, wanted in [
        ("2025-13-01", "", "the “From” date '2025-13-01' is not a date; write it as YYYY-MM-DD"),
        ("", "12/06/2025", "the “To” date '12/06/2025' is not a date"),
        ("2025-06-12", "2025-01-01", "the date range 2025-06-12 to 2025-01-01 is empty; put the earlier date first"),
    ]:
        with pytest.raises(gr.Error) as raised:
            next(chat.respond(QUESTION, [], since, until, None))
        assert escape(wanted) in raised.value.message
        with pytest.raises(gr.Error, match=r"YYYY-MM-DD|earlier date"):
            chat.ask(QUESTION, [], since=since, until=until)
    assert not generator.prompts, "nothing was asked of the model"
    assert question_filter(" ", "", ["", " "]) is None


def test_a_filter_that_matches_no_article_is_said_and_the_question_kept(chat: WebChat) -> None:
    updates = chat.respond(QUESTION, [], "2030-01-01", "", None)
    assert len(next(updates)[0]) == 2, "the question and a placeholder"
    restored = next(updates)
    assert restored[0] == [] and restored[2] == QUESTION, "the chat as it was, the question in the box"
    with pytest.raises(gr.Error) as raised:
        next(updates)
    assert "no article is published 2030-01-01 to …" in raised.value.message
    assert "widen the dates or the sources" in raised.value.message


def test_questions_keep_to_the_chosen_sources_and_dates(described_chat: WebChat, generator: QueuedGenerator) -> None:
    sources = described_chat.refresh_sources(["Le Monde", "gone.txt"])
    assert sources.choices[0] == ("Le Monde", "Le Monde"), "the sites first"
    assert {value for _, value in sources.choices[1:]} == {FACT_SEED, OTHER_SEED}, "then every article"
    assert sources.value == ["Le Monde"], "a source no longer in the index is dropped"

    generator.answers.append(REPLY)
    turns = _ask(described_chat, QUESTION, sources=["Le Monde"])[-1][1]
    assert turns[-1][1].answered and {c.source for c in turns[-1][1].citations} == {FACT_SEED}
    # Limited to the other article, whose words do not support REPLY: only its passages are shown.
    generator.answers.append(REPLY)
    turns = _ask(described_chat, QUESTION, sources=[OTHER_SEED])[-1][1]
    answer = turns[-1][1]
    assert not answer.answered and answer.closest and {c.source for c in answer.closest} == {OTHER_SEED}
    generator.answers.append(REPLY)
    turns = _ask(described_chat, QUESTION, since="2025-06-01", until="2025-06-30")[-1][1]
    assert {c.source for c in turns[-1][1].citations} == {FACT_SEED}, "the only article with a date in June"


def test_the_filters_and_additions_are_labelled_in_the_question_language(
    chat: WebChat, generator: QueuedGenerator
) -> None:
    generator.answers.append(REPLY)
    labelled = dict(zip(LABELLED, _ask(chat, QUESTION)[-1][5:], strict=True))
    assert labelled["link"].label == "Ajouter une page web ou un flux par son lien"
    assert labelled["refresh_feeds"].value == "Actualiser les flux" and labelled["add_link"].value == "Ajouter"
    assert labelled["since"].label == "Du" and labelled["since"].placeholder == "AAAA-MM-JJ"
    assert labelled["filter_sources"].label.startswith("Sources")
    english = dict(zip(LABELLED, language_updates("en"), strict=True))
    assert english["link"].label == "Add a web page or feed by its link"
    assert english["refresh_feeds"].value == "Refresh feeds" and english["until"].label == "To"


def test_the_page_offers_links_and_filters(chat: WebChat) -> None:
    demo = build_demo(chat)
    config = demo.config
    by_elem = {c["props"].get("elem_id"): c for c in config["components"]}
    assert by_elem["link"]["props"]["label"] == "Add a web page or feed by its link"
    assert by_elem["link"]["props"]["visible"] is True and by_elem["refresh-feeds"]["props"]["visible"] is True
    assert set(by_elem["upload"]["props"]["file_types"]) >= {".txt", ".md", ".html", ".pdf", ".docx", ".rss"}
    assert by_elem["source-filter"]["props"]["multiselect"] is True
    names = {dep.get("api_name") for dep in config["dependencies"]}
    assert {"add_link", "refresh_feeds"} <= names
    chat_event = next(d for d in config["dependencies"] if d.get("api_name") == "chat")
    assert [by_elem[e]["id"] for e in ("since", "until", "source-filter")] == chat_event["inputs"][2:]
    parameters = demo.get_api_info()["named_endpoints"]["/chat"]["parameters"]
    assert [p["parameter_name"] for p in parameters] == ["question", "since", "until", "sources"]
    assert all(p["parameter_has_default"] for p in parameters[1:]), "an API call may leave the filters out"


def test_links_and_feeds_follow_the_upload_permission(
    settings: Settings, embedder: HashEmbedder, tmp_path: Path
) -> None:
    chat = WebChat(Assistant(settings.model_copy(update={"uploads": "off"}), embedder=embedder))
    config = build_demo(chat).config
    hidden = {c["props"].get("elem_id"): c["props"].get("visible", True) for c in config["components"]}
    assert not any(hidden[e] for e in ("upload", "link", "add-link", "refresh-feeds"))
    for attempt in (lambda: chat.add_link("https://example.com/", "en"), lambda: chat.refresh_feeds("fr")):
        with pytest.raises(gr.Error, match=r"turned off|désactivés"):
            attempt()
    page = tmp_path / "page.html"
    page.write_text("<html><title>x</title><body><p>Texte.</p></body></html>", encoding="utf-8")
    with pytest.raises(gr.Error, match="turned off"):
        chat.upload([str(page)], "en")
    assert not list(chat.articles_dir.glob("*.html"))


def test_only_web_links_are_taken_from_the_link_box(chat: WebChat) -> None:
    assert web_link(" www.lemonde.fr/une ", "en") == "https://www.lemonde.fr/une"
    assert web_link("http://127.0.0.1:8000/a", "en") == "http://127.0.0.1:8000/a"
    for typed, wanted in [
        ("  ", "The link box is empty"),
        ("/etc/passwd", "is not a web link"),
        ("./seeds", "is not a web link"),
        ("file:///etc/passwd", "is not a web link"),
        ("ftp://example.com/a.txt", "is not a web link"),
        ("https://exa mple.com/", "is not a web link"),
    ]:
        with pytest.raises(gr.Error) as raised:
            chat.add_link(typed, "en")
        assert wanted in raised.value.message
    with pytest.raises(gr.Error, match="n’est pas un lien web"):
        chat.add_link("file:///etc/passwd", "fr")


def test_a_link_to_a_private_address_is_refused_unless_allowed(chat: WebChat) -> None:
    assert chat.assistant.settings.fetch_private is False
    before = sorted(p.name for p in chat.articles_dir.iterdir())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report, status, _, box = chat.add_link("http://127.0.0.1:1/", "en")
    assert report.startswith("✗ ") and "ASSISTANT_FETCH_PRIVATE" in report
    assert any("ASSISTANT_FETCH_PRIVATE" in str(w.message) for w in caught), "also shown as a warning"
    assert box == gr.skip(), "the link stays in the box, to correct it"
    assert sorted(p.name for p in chat.articles_dir.iterdir()) == before and "<th>Articles</th><td>2</td>" in status


def test_refreshing_feeds_before_any_was_added_says_what_to_do(chat: WebChat) -> None:
    with pytest.raises(gr.Error, match="Aucun flux n’a encore été ajouté"):
        chat.refresh_feeds("fr")


def _word_file(path: Path, title: str, paragraphs: list[str]) -> Path:
    document = docx.Document()
    # python-docx's template says 2013-12-23, which the article would take as its date.
    document.core_properties.created = datetime(2025, 6, 13, 18, 0, tzinfo=UTC)
    document.core_properties.title = title
    document.core_properties.author = "Claire Dubois"
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def test_word_and_pdf_uploads_are_extracted_and_text_uploads_saved_as_they_are(
    chat: WebChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    title = "Zorblax Robotics ouvre une usine à Lyon"
    word = _word_file(
        folder / "zorblax.docx",
        title,
        [
            "Zorblax Robotics, une start-up grenobloise qui fabrique des drones d’inspection sous-marine, "
            "ouvrira sa première usine à Lyon en mars 2027.",
            "L’usine produira 300 drones par an et emploiera 42 ingénieurs.",
        ],
    )
    text = folder / "notes.txt"
    text.write_text("Notes de lecture\n\nLe tramway de Quimperlé roulera en 2031.\n", encoding="utf-8")
    uploads = [str(word), str(text)]
    pdf = FORMATS / "seed-001.pdf"  # the second seed article, printed: already there
    if pdf.is_file():
        uploads.append(str(pdf))
    extracted: list[list[str]] = []
    add_uploads = chat.assistant.add_uploads

    def recorded(files: Sequence[tuple[str, bytes]], **kwargs: Any) -> Any:
        extracted.append([name for name, _ in files])
        return add_uploads(files, **kwargs)

    monkeypatch.setattr(chat.assistant, "add_uploads", recorded)
    report, status, dropdown, files = chat.upload(uploads, "fr")
    assert extracted == [[Path(u).name for u in uploads if not u.endswith(".txt")]], "one call, documents only"
    assert "+ notes.txt — Notes de lecture" in report
    assert (chat.articles_dir / "notes.txt").read_bytes() == text.read_bytes(), "a text upload is kept as it is"
    added = next(line for line in report.splitlines() if line.startswith("+ ") and title in line)
    name = added[2:].split(" — ")[0]
    assert name.endswith(".txt") and name in status and (title, name) in dropdown.choices
    if pdf.is_file():
        assert f"= seed-001.pdf is the same article as {OTHER_SEED}" in report
    assert sum(line.startswith("added ") for line in report.splitlines()) == 1, "one index update, said once"
    assert "added 2" in report and files is None
    passages = chat.assistant.retrieve("Combien de drones produira l'usine de Zorblax Robotics ?", 1)
    assert passages[0].source == name
    opened = chat.open_article(name, "fr")
    assert "Claire Dubois" in opened and "Fichier d’origine : " in opened and "300 drones" in opened


def test_a_document_that_cannot_be_read_is_reported(chat: WebChat, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 this is not a PDF at all")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report, _, _, _ = chat.upload([str(broken)], "en")
    assert report.startswith("✗ broken.pdf") and "added" not in report
    assert any("broken.pdf" in str(w.message) for w in caught)
