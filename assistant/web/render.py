"""What the web chat shows, as HTML built from escaped text: nothing an article or a question holds is markup."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from assistant.types import Answer, Citation, IndexStatus, Lang, Metadata, Passage
from assistant.web.wording import LABELS

logger = logging.getLogger(__name__)

_QUOTE_PREVIEW = 90
# A link the viewer may make clickable: http or https, a host, nothing that could end the attribute or hide a scheme.
_WEB_LINK = re.compile(r"https?://[^\s\"'<>\\`]+", re.IGNORECASE)


def text_html(text: str) -> str:
    """Plain text as HTML: escaped, line breaks kept."""
    return escape(text).replace("\n", "<br>")


def question_html(question: str) -> str:
    return f'<div class="question">{text_html(question)}</div>'


def answer_html(text: str, citations: Sequence[Citation], language: Lang, *, pending: bool = False) -> str:
    """An answer (or the part written so far) and its numbered sources: title and quote."""
    body = text_html(text) if text else "…"
    parts = [f'<div class="answer{" pending" if pending else ""}" lang="{language}">{body}</div>']
    if citations:
        parts.append(_quotes_html(citations, LABELS[language]["sources_heading"], "sources"))
    return "".join(parts)


def reading_html(sources: Sequence[Passage], note: str, language: Lang, *, ahead: int = 0) -> str:
    """The answer to come while the model reads (or waits for the model, ``ahead`` questions before this one):
    what it is doing, and the articles of the passages it reads."""
    labels = LABELS[language]
    status = labels["reading_one"] if len(sources) == 1 else labels["reading"].format(count=len(sources))
    if ahead:
        status = labels["waiting_one" if ahead == 1 else "waiting"].format(count=ahead)
    body = f'<div class="reading-status">{escape(status)}</div>'
    if note:
        body = f"{text_html(note)}{body}"
    # Each article once, in reading order.
    articles = {p.source: (p.title or p.source, source_details(p.site, p.published)) for p in sources}
    items = "".join(
        f'<li><span class="source-title">{escape(title)}</span>{_details_span(details)}</li>'
        for title, details in articles.values()
    )
    if items:
        body += f'<ul class="reading-list">{items}</ul>'
    return f'<div class="answer pending reading" lang="{language}">{body}</div>'


def finished_answer_html(answer: Answer) -> str:
    """The final answer with its sources; a refusal with the closest passages, headed as not an answer."""
    shown = answer_html(answer.text, answer.citations, answer.language)
    if answer.answered or not answer.closest:
        return shown
    heading = LABELS[answer.language]["closest_heading"]
    return shown + _quotes_html(answer.closest, heading, "sources closest")


def listed_citations(answer: Answer) -> list[Citation]:
    """The quotes listed under an answer: its citations; for a refusal, the closest passages."""
    return answer.citations if answer.answered else answer.closest


def _quotes_html(citations: Sequence[Citation], heading: str, kind: str) -> str:
    items = "".join(
        f'<li value="{c.number}"><span class="source-title">{escape(c.title or c.source)}</span>'
        f"{_details_span(source_details(c.site, c.published))}"
        f' <span class="source-quote">« {escape(c.quote)} »</span></li>'
        for c in citations
    )
    return f'<div class="{kind}"><div class="sources-heading">{escape(heading)}</div><ol>{items}</ol></div>'


def source_details(site: str, published: str) -> str:
    """Where and when an article was published, as far as known: "Le Monde · 2025-06-12"; "" when unknown."""
    return " · ".join(part for part in (site.strip(), published.strip()[:10]) if part)


def _details_span(details: str) -> str:
    return f' <span class="source-meta">{escape(details)}</span>' if details else ""


def citation_label(citation: Citation) -> str:
    """One line for a source: its number, its article's title, site and date, and the start of the quote."""
    quote = citation.quote if len(citation.quote) <= _QUOTE_PREVIEW else citation.quote[:_QUOTE_PREVIEW] + "…"
    details = source_details(citation.site, citation.published)
    title = f"{citation.title or citation.source} ({details})" if details else citation.title or citation.source
    return f"[{citation.number}] {title} — « {quote} »"


@dataclass(frozen=True)
class ArticleView:
    """An article as shown in the side panel, with the quoted span (if any) marked."""

    html: str
    highlighted: str  # the marked text, "" when nothing is marked


def article_html(
    title: str,
    source: str,
    text: str,
    span: tuple[int, int] | None = None,
    note: str = "",
    *,
    about: str = "",
) -> ArticleView:
    """The whole article as escaped text, the ``span`` [start, end) inside a ``<mark>``; ``about`` is the HTML of
    its date, author, site and original (``about_html``)."""
    header = f'<div class="article-title">{escape(title)}</div><div class="article-source">{escape(source)}</div>'
    header += about
    if note:
        header += f'<div class="article-note">{escape(note)}</div>'
    if span is None:
        body, marked = escape(text), ""
    else:
        start, end = span
        marked = text[start:end]
        body = (
            f'{escape(text[:start])}<mark id="cited-passage" class="cited">{escape(marked)}</mark>{escape(text[end:])}'
        )
    return ArticleView(f'<div class="article">{header}<div class="article-text">{body}</div></div>', marked)


def about_html(meta: Metadata, original_file: str, language: Lang) -> str:
    """An article's date, author and site, and its original: a link to its page (http and https links only),
    else the name of the file it was extracted from; "" when nothing is known."""
    labels = LABELS[language]
    facts = [
        (labels["published"], meta.published[:10]),
        (labels["author"], meta.author),
        ("", meta.site),
    ]
    shown = " · ".join(
        f"{escape(label)} {escape(value)}" if label else escape(value) for label, value in facts if value
    )
    parts = [f'<div class="article-meta">{shown}</div>'] if shown else []
    url = meta.url.strip()
    if url and is_web_link(url):
        link = f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{escape(url)}</a>'
        parts.append(f'<div class="article-original">{escape(labels["original"])} {link}</div>')
    elif url:  # not a web link (javascript:, file:): shown as text, never followed
        parts.append(f'<div class="article-original">{escape(labels["original"])} {escape(url)}</div>')
    elif original_file:
        parts.append(f'<div class="article-original">{escape(labels["original_file"])} {escape(original_file)}</div>')
    return "".join(parts)


def is_web_link(url: str) -> bool:
    """Whether ``url`` is a plain http(s) link, safe as an ``href``: no script, no space, no quote."""
    return _WEB_LINK.fullmatch(url) is not None


def hint_html(message: str) -> str:
    return f'<div class="article-hint">{escape(message)}</div>'


def status_html(status: IndexStatus | None, language: Lang) -> str:
    """The index status and the list of its articles."""
    labels = LABELS[language]
    if status is None:
        return f'<div class="index-status">{escape(labels["no_index"])}</div>'
    rows = [
        (labels["articles"], str(len(status.articles))),
        (labels["chunks"], str(status.chunks)),
        (labels["model"], status.embedding_model),
        (labels["updated"], status.updated_at),
    ]
    if status.words_only:
        rows.append((labels["words_only"], str(len(status.words_only))))
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    items = "".join(
        f'<li><span class="article-list-title">{escape(title or source)}</span> '
        f'<span class="article-list-file">{escape(source)}</span></li>'
        for source, title in sorted(status.articles.items())
    )
    return f'<div class="index-status"><table>{table}</table><ol class="article-list">{items}</ol></div>'


CSS = """
.answer, .question { white-space: normal; }
.sources { margin-top: .6em; font-size: .92em; border-top: 1px solid var(--border-color-primary); }
.sources-heading { font-weight: 600; margin: .3em 0; }
.sources ol { margin: 0; padding-left: 1.6em; }
.source-title { font-weight: 600; }
.source-quote { color: var(--body-text-color-subdued); }
.closest .sources-heading { font-style: italic; }
.reading-status { font-style: italic; color: var(--body-text-color-subdued); }
.reading-list { margin: .3em 0 0; padding-left: 1.4em; font-size: .92em; }
.article-title { font-weight: 700; font-size: 1.1em; }
.article-source, .article-list-file {
  color: var(--body-text-color-subdued); font-family: var(--font-mono); font-size: .85em;
}
.source-meta, .article-meta { color: var(--body-text-color-subdued); font-size: .92em; }
.source-meta { white-space: nowrap; }
.article-original { font-size: .9em; word-break: break-all; }
.article-note { color: var(--error-text-color); margin: .4em 0; }
.article-text { white-space: pre-wrap; max-height: 65vh; overflow-y: auto; margin-top: .6em; line-height: 1.5; }
.article-text mark.cited { background: #ffe066; color: #000; padding: 0 .1em; }
.index-status th { text-align: left; padding-right: 1em; font-weight: 600; }
.article-list { padding-left: 1.4em; }
"""

SCROLL_TO_CITED_JS = """() => {
  setTimeout(() => {
    const mark = document.querySelector('#article-view mark.cited');
    if (mark) { mark.scrollIntoView({block: 'center'}); }
  }, 150);
}"""
