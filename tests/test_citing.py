"""What an explanation says in its article's words: the sentences, without a dateline's dash or footnote marks,
each sentence once."""

from __future__ import annotations

from assistant.answering.citing import in_article_words, not_cited_yet
from assistant.answering.excerpts import Quote
from assistant.types import Citation


def _quote(text: str, start: int) -> Quote:
    return Quote("a.txt", "Un titre", start, start + len(text), text, 0, (0.0,))


def test_the_sentences_are_said_without_a_datelines_dash_or_footnote_marks() -> None:
    first = _quote("- Un avion de ligne s'est écrasé près de l'aéroport.", 10)
    second = _quote("Le pilote a cabré[1] au lieu de piquer[citation needed].", 70)
    assert in_article_words([first, second]) == (
        "Un avion de ligne s'est écrasé près de l'aéroport. Le pilote a cabré au lieu de piquer."
    )


def test_a_sentence_a_citation_holds_already_is_not_said_again() -> None:
    first, second = _quote("Premier fait.", 0), _quote("Second fait.", 14)
    both = Citation(1, "a.txt", "Premier fait. Second fait.", 0, 26)
    assert not_cited_yet([first, second], [both]) == []
    assert not_cited_yet([first, second], [Citation(1, "a.txt", "Premier fait.", 0, 13)]) == [second]
    assert not_cited_yet([first], [Citation(1, "b.txt", "Premier fait.", 0, 13)]) == [first]
