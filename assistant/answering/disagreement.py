"""Two articles that report the same thing with different figures: the answer cites both, the newer first.

A statement the model wrote is checked against the passages it read and cited as the sentences that support
it. Among the other passages read, a sentence of another dated article may hold most of the statement's words
but other figures ("42 morts" where the cited article says "30 morts"): a later report, or an earlier one. The
answer then says so, quoting that sentence (an exact span, like every citation), before the statement when
that article is the newer one, after it otherwise.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering.excerpts import Excerpts, Quote
from assistant.answering.figures import figure_units, statement_terms, values
from assistant.types import Lang, Passage

logger = logging.getLogger(__name__)

# The share of the statement's words (its figures and their words aside) that the other sentence must hold.
SAME_REPORT = 0.6
_MIN_TERMS = 2  # fewer words than this do not say what the figure is of
_YEAR = re.compile(r"^(1[89]|20)\d\d$")  # a year is when, not how much: two reports of one year do not disagree

_SAYS_OTHERWISE: dict[Lang, dict[bool, str]] = {
    "en": {
        True: "A newer report, {source} ({date}), says: “{quote}”",
        False: "An earlier report, {source} ({date}), said: “{quote}”",
    },
    "fr": {
        True: "Un article plus récent, {source} ({date}), dit : « {quote} »",
        False: "Un article antérieur, {source} ({date}), disait : « {quote} »",
    },
}


@dataclass(frozen=True)
class OtherReport:
    """A sentence of another article that reports what a statement says with other figures."""

    quote: Quote
    passage: Passage  # the passage it is in: the article's date and site
    newer: bool  # published after every article the statement cites

    def said(self, language: Lang) -> str:
        """The sentence quoted, with its article and date, in ``language``."""
        source = self.passage.site or self.passage.title or self.passage.source
        template = _SAYS_OTHERWISE[language][self.newer]
        quote = " ".join(self.quote.text.split()).rstrip(" .")  # the answer's sentence ends after the marker
        return template.format(source=source, date=self.passage.published, quote=quote)


def other_report(statement: str, cited: Sequence[Quote], excerpts: Excerpts) -> OtherReport | None:
    """The sentence of another dated article, among the passages read, that holds most of ``statement``'s words
    but none of its figures (other figures, in the same units); None when there is none, or when the articles
    cited or that article have no date (which is newer cannot be told)."""
    said = _amounts(statement)
    terms = statement_terms(statement)
    if len(terms) < _MIN_TERMS:  # "12 blessés": what the figure is of, the sentence it was found in says
        terms = set().union(*(statement_terms(q.text) for q in cited))
    cited_dates = [excerpts.blocks[q.block].published for q in cited]
    if not said or len(terms) < _MIN_TERMS or not cited_dates or not all(cited_dates):
        return None
    cited_sources = {q.source for q in cited}
    said_units = figure_units(statement)
    best: tuple[float, Quote] | None = None
    for quote in excerpts.quotes:
        passage = excerpts.blocks[quote.block]
        if quote.source in cited_sources or not passage.published:
            continue
        theirs = _amounts(quote.text)
        if not theirs or theirs & said or (said_units and not said_units & figure_units(quote.text)):
            continue
        share = len(terms & statement_terms(quote.text)) / len(terms)
        if share >= SAME_REPORT and (best is None or share > best[0]):
            best = (share, quote)
    if best is None:
        return None
    passage = excerpts.blocks[best[1].block]
    report = OtherReport(best[1], passage, newer=passage.published > max(cited_dates))
    logger.info("%s reports %r otherwise: %r", passage.source, statement, best[1].text)
    return report


def _amounts(text: str) -> set[str]:
    return {value for value in values(text) if not _YEAR.match(value)}
