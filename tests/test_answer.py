"""The answer pipeline with a queued fake model: what the code decides, whatever the model writes."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage

from assistant import Assistant, Settings
from assistant.answering.prompts import DONT_KNOW
from assistant.errors import BadInputError
from assistant.search.filters import ArticleFilter
from assistant.types import Citation, Lang, Passage
from tests.fakes import HashEmbedder, QueuedGenerator

_REVENUE = "Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024"


@pytest.fixture
def generator() -> QueuedGenerator:
    return QueuedGenerator()


@pytest.fixture
def assistant(settings: Settings, embedder: HashEmbedder, generator: QueuedGenerator) -> Assistant:
    return Assistant(settings, embedder=embedder, generator=generator)


def _check_exact(citations: list[Citation], articles_dir: Path) -> None:
    assert citations
    for c in citations:
        text = (articles_dir / c.source).read_text(encoding="utf-8")
        assert text[c.start : c.end] == c.quote


def test_a_supported_answer_is_said_in_few_words_with_the_sentence_that_holds_it(
    assistant: Assistant, generator: QueuedGenerator, articles_dir: Path
) -> None:
    generator.answers.append("Environ 870 millions de dollars")
    answer = assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?")
    assert answer.answered and answer.language == "fr"
    assert answer.text == "Environ 870 millions de dollars [1]."
    assert [c.number for c in answer.citations] == [1]
    assert _REVENUE in answer.citations[0].quote
    _check_exact(answer.citations, articles_dir)


def _read_passages(prompt: str) -> list[str]:
    """The passages of an answer prompt, as the model reads them: "[n] title" then the passage's text."""
    body = prompt.split("Passages:\n", 1)[1].rsplit("\n\n", 1)[0]
    return [block.split("\n", 1)[1] for block in body.split("\n\n")]


def test_the_model_reads_the_best_passages_whole_within_the_budget(settings: Settings, embedder: HashEmbedder) -> None:
    generator = QueuedGenerator(["Environ 870 millions de dollars"])
    small = settings.model_copy(update={"reading_chars": 900})
    assistant = Assistant(small, embedder=embedder, generator=generator)
    question = "Quels revenus Scale AI prévoit-elle pour 2024 ?"
    assistant.ask(question)
    prompt = generator.last_user_message()
    read = _read_passages(prompt)
    best = assistant.retrieve(question, small.answer_passages)
    assert read == [" ".join(p.text.split()) for p in best[: len(read)]], "whole passages, best first"
    assert 1 <= len(read) < len(best)
    assert sum(len(p.text) for p in best[: len(read)]) <= 900 or len(read) == 1
    assert sum(len(p.text) for p in best[: len(read) + 1]) > 900, "as many as fit"
    assert prompt.endswith(f"Question: {question}\nAnswer in French, in one short sentence:")


class _LimitRecording(QueuedGenerator):
    """Records the token limit of each call."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: list[int | None] = []

    def stream(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> Iterator[str]:
        self.limits.append(max_tokens)
        return super().stream(messages, max_tokens=max_tokens)


def test_a_why_question_reads_more_and_may_write_more(settings: Settings, embedder: HashEmbedder) -> None:
    config = settings.model_copy(
        update={"reading_chars": 300, "explanation_reading_chars": 5000, "fact_answer_tokens": 50}
    )
    generator = _LimitRecording()
    assistant = Assistant(config, embedder=embedder, generator=generator)
    assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?")
    assistant.ask("Pourquoi Google quitte-t-il Scale AI ?")
    fact, why = (_read_passages(generator.last_user_message(i)) for i in (0, 1))
    assert len(fact) == 1 and len(why) > 1
    assert generator.limits == [50, config.max_answer_tokens]


@pytest.mark.parametrize(
    "reply",
    [
        "Environ 780 millions de dollars",  # a figure no sentence holds
        "Environ 870 milliards de dollars",  # the right digits at the wrong scale
        "Environ 870 millions de dollars, versés par Zorglub",  # a name no sentence holds
        "Des licornes bleues et des dragons",  # words no sentence holds
        "NONE",
        "The articles do not mention it.",
    ],
    ids=["invented figure", "wrong scale", "invented name", "unrelated words", "NONE", "refusal in words"],
)
def test_an_answer_no_shown_sentence_supports_becomes_the_refusal(
    assistant: Assistant, generator: QueuedGenerator, reply: str
) -> None:
    generator.answers.append(reply)
    answer = assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?")
    assert (answer.answered, answer.text, answer.citations) == (False, DONT_KNOW["fr"], [])


def test_an_english_answer_is_supported_by_a_french_sentence_with_the_same_figures(
    assistant: Assistant, generator: QueuedGenerator, articles_dir: Path
) -> None:
    generator.answers.append("About 870 million dollars")
    answer = assistant.ask("How much revenue does Scale AI expect for 2024?")
    assert answer.answered and answer.language == "en"
    assert answer.text == "About 870 million dollars [1]."
    assert "870 millions" in answer.citations[0].quote
    _check_exact(answer.citations, articles_dir)


_SAYS_YES_OR_NO = re.compile(r"^\W*(?:yes|no)\b", re.IGNORECASE)
_CONFIRMED = f"Malgré les défis actuels, {_REVENUE}, dont environ 150 millions de dollars provenant du seul Google."
_YES_NO_QUESTION = "Does Scale AI expect about 870 million dollars of revenue for 2024?"


class _YesNearEverything(HashEmbedder):
    """As the real e5 model can be: a reply that starts with "Yes" or "No" as close in meaning as can be to the
    French sentence it would confirm; records every text it embeds as a query."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return super().embed_query(_CONFIRMED if _SAYS_YES_OR_NO.match(text) else text)


def test_an_embedder_that_finds_yes_close_would_let_a_bare_yes_through_the_sentence_check(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The premise of the next test: with this embedder, the cross-language check of the sentences (an English
    # reply, French sentences, close in meaning) supports a bare "Yes"; only the yes-or-no rule refuses it.
    monkeypatch.setattr("assistant.answering.statements.asks_yes_or_no", lambda _question: False)
    assistant = Assistant(settings, embedder=_YesNearEverything(), generator=QueuedGenerator(["Yes"]))
    assert assistant.ask(_YES_NO_QUESTION).text == "Yes [1]."


@pytest.mark.parametrize(
    ("reply", "fact"),
    [("Yes", None), ("YES.", None), ("No", None), ("Yes, it does", "it does"), ("No, it does not", "it does not")],
)
def test_a_bare_yes_or_no_is_not_an_answer(settings: Settings, reply: str, fact: str | None) -> None:
    # No sentence can be checked to say yes: the fact said with it can. A bare yes or no is refused as it is,
    # before any sentence is compared with it; with words after it, only those words are compared, and here they
    # say nothing a sentence could hold, however close the embedder finds the yes to the sentence it confirms.
    embedder = _YesNearEverything()
    answer = Assistant(settings, embedder=embedder, generator=QueuedGenerator([reply])).ask(_YES_NO_QUESTION)
    assert (answer.answered, answer.text, answer.citations) == (False, DONT_KNOW["en"], [])
    compared = [text for text in embedder.queries if text != _YES_NO_QUESTION]
    assert compared == ([] if fact is None else [fact])


def test_a_yes_is_said_with_the_fact_that_a_sentence_holds(
    assistant: Assistant, generator: QueuedGenerator, articles_dir: Path
) -> None:
    generator.answers.append("Oui, environ 870 millions de dollars")
    answer = assistant.ask("Scale AI prévoit-elle des revenus pour 2024 ?")
    assert answer.text == "Oui, environ 870 millions de dollars [1]."
    assert "870 millions" in answer.citations[0].quote
    _check_exact(answer.citations, articles_dir)


def test_a_question_asking_how_much_is_answered_with_a_figure(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.extend(["Des revenus malgré les défis actuels", "Environ 870 millions de dollars"])
    assert not assistant.ask("Combien Scale AI prévoit-elle de revenus pour 2024 ?").answered
    assert assistant.ask("Combien Scale AI prévoit-elle de revenus pour 2024 ?").answered


def test_a_question_naming_what_no_passage_names_is_refused(assistant: Assistant, generator: QueuedGenerator) -> None:
    # The model answers with a figure of the articles, but they say nothing of Zorglub.
    generator.answers.append("Environ 870 millions de dollars")
    answer = assistant.ask("Quels revenus Zorglub prévoit-elle pour 2024 ?")
    assert not answer.answered


def test_a_fact_is_refused_when_its_sentence_is_far_from_what_the_question_names(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    # Labelbox is named in the article, but not near the sentence on Scale AI's revenue.
    generator.answers.extend(["Environ 870 millions de dollars", "Environ 870 millions de dollars"])
    refused = assistant.ask("Quels revenus Labelbox prévoit-elle pour 2024 ?")
    assert not refused.answered
    assert [s.failed for s in refused.statements] == [("question-not-near-quote",)]
    assert (
        assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?").text == "Environ 870 millions de dollars [1]."
    )


def test_the_model_reads_once(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.append("Environ 870 millions de dollars")
    assert assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?").answered
    assert len(generator.prompts) == 1


@pytest.mark.parametrize(
    ("question", "reply", "language"),
    [
        ("What is Scale AI's share price?", "About 42 dollars", "en"),
        ("Quel est le cours de l'action de Scale AI ?", "Environ 42 dollars", "fr"),
    ],
)
def test_dont_know_is_the_fixed_reply_in_the_question_language(
    assistant: Assistant, generator: QueuedGenerator, question: str, reply: str, language: Lang
) -> None:
    # The model answers with a figure no sentence holds: the pipeline, not the model, must refuse.
    generator.answers.append(reply)
    answer = assistant.ask(question)
    assert len(generator.prompts) == 1, "the model did answer"
    assert (answer.answered, answer.language, answer.text) == (False, language, DONT_KNOW[language])
    assert answer.citations == []


_EARLIER = [("How much revenue does Scale AI expect in 2024?", "About 870 million dollars [1].")]


def _closer(assistant: Assistant, with_turns: bool) -> None:
    """The search with the conversation's earlier turns finds passages closer in meaning than the question alone
    (``with_turns``), or the other way round: the closeness the embedding model would give, set."""
    answerer = assistant.answerer
    retrieve = answerer.retrieve

    def closer(query: str, k: int, limit: ArticleFilter | None) -> list[Passage]:
        padded = _EARLIER[0][0] in query
        closeness = 0.9 if padded == with_turns else 0.8
        return [replace(p, closeness=closeness) for p in retrieve(query, k, limit)]

    answerer.retrieve = closer


def test_a_question_closer_with_the_turn_before_is_read_with_it_at_once(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    _closer(assistant, with_turns=True)
    generator.answers.append("About 150 million dollars")
    answer = assistant.ask("How much of that comes from Google?", history=_EARLIER)
    assert len(generator.prompts) == 1, "not read alone first"
    prompt = generator.last_user_message(0)
    assert "Earlier question: How much revenue does Scale AI expect in 2024?" in prompt
    assert "Earlier answer: About 870 million dollars.\n" in prompt, "the answer without its [1]"
    assert "Question: How much of that comes from Google?" in prompt, "asked as it is: nothing rewritten"
    assert answer.read_as_follow_up and answer.answered and answer.text == "About 150 million dollars [1]."
    assert "150 millions" in answer.citations[0].quote


def test_a_question_closer_alone_is_read_alone_then_with_the_turn_before_when_it_answers_nothing(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    _closer(assistant, with_turns=False)
    generator.answers.extend(["NONE", "About 150 million dollars"])
    answer = assistant.ask("How much of that comes from Google?", history=_EARLIER)
    assert "Earlier question" not in generator.last_user_message(0)
    assert "Earlier answer: About 870 million dollars." in generator.last_user_message(1)
    assert answer.read_as_follow_up and answer.answered and "150 millions" in answer.citations[0].quote


def test_a_question_closer_with_the_turn_before_but_not_answered_so_is_read_alone(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    # A new question on the same subject as the turn before: its search with the turn comes closer, but read with
    # it the model answers nothing; read alone, it is answered.
    _closer(assistant, with_turns=True)
    generator.answers.extend(["NONE", "Environ 870 millions de dollars"])
    answer = assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?", history=_EARLIER)
    assert "Earlier question" in generator.last_user_message(0)
    assert "Earlier question" not in generator.last_user_message(1)
    assert answer.answered and "870 millions" in answer.text and not answer.read_as_follow_up


def test_a_question_naming_nothing_of_its_own_is_not_read_alone_when_the_turn_before_answers_it_not(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    # "How much of that…" names nothing: read alone, it would be answered about whatever passage comes closest.
    _closer(assistant, with_turns=True)
    generator.answers.extend(["NONE", "About 150 million dollars"])
    answer = assistant.ask("How much of that comes from its biggest client?", history=_EARLIER)
    assert len(generator.prompts) == 1, "not read alone after the reading with the turn before"
    assert not answer.answered and answer.closest


def test_a_new_question_in_a_conversation_is_read_alone(assistant: Assistant, generator: QueuedGenerator) -> None:
    _closer(assistant, with_turns=False)
    generator.answers.append("Environ 870 millions de dollars")
    answer = assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?", history=_EARLIER)
    assert answer.answered and "870 millions" in answer.text
    assert len(generator.prompts) == 1, "answered on its own: no second reading"
    assert "Earlier question" not in generator.last_user_message(0) and not answer.read_as_follow_up


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("And how much of that comes from Google?", "About 150 million dollars"),
        ("Et combien vient de Google ?", "Environ 150 millions de dollars"),
    ],
)
def test_a_question_opening_with_and_is_read_with_the_turn_before_at_once(
    assistant: Assistant, generator: QueuedGenerator, question: str, reply: str
) -> None:
    _closer(assistant, with_turns=False)  # closer alone: "And" decides
    generator.answers.append(reply)
    answer = assistant.ask(question, history=_EARLIER)
    assert len(generator.prompts) == 1 and f"Question: {question}" in generator.last_user_message(0)
    assert "Earlier question: How much revenue does Scale AI expect in 2024?" in generator.last_user_message(0)
    assert answer.read_as_follow_up and "150 millions" in answer.citations[0].quote


def test_a_question_opening_with_and_but_refused_shows_the_closest_passages(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    generator.answers.append("NONE")
    answer = assistant.ask("And how much of that comes from Google?", history=_EARLIER)
    assert not answer.answered and answer.closest, "the follow-up's reading gives the closest passages"


def test_a_refused_earlier_turn_gives_its_question_not_its_refusal(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    generator.answers.append("About 150 million dollars")
    history = [("How much revenue does Scale AI expect in 2024?", DONT_KNOW["en"])]
    assistant.ask("And how much of that comes from Google?", history=history)
    prompt = generator.last_user_message(0)
    assert "Earlier question: How much revenue" in prompt and "Earlier answer" not in prompt


def test_with_no_earlier_turns_set_every_question_is_read_alone(
    settings: Settings, embedder: HashEmbedder, generator: QueuedGenerator
) -> None:
    assistant = Assistant(settings.model_copy(update={"history_turns": 0}), embedder=embedder, generator=generator)
    generator.answers.append("NONE")
    answer = assistant.ask("And how much of that comes from Google?", history=_EARLIER)
    assert len(generator.prompts) == 1 and "Earlier question" not in generator.last_user_message(0)
    assert not answer.answered and not answer.read_as_follow_up


def test_an_answer_in_the_wrong_language_is_translated(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.extend(
        [
            "Scale AI prévoit environ 870 millions de dollars de revenus",
            "Scale AI expects about 870 million dollars of revenue",
        ]
    )
    answer = assistant.ask("What revenue does Scale AI expect for 2024?")
    assert answer.language == "en"
    assert answer.text == "Scale AI expects about 870 million dollars of revenue [1]."
    assert generator.last_user_message().startswith("Translate into English:")


@pytest.mark.parametrize(
    ("question", "written", "translated"),
    [
        ("What revenue does Scale AI expect for 2024?", "revenus de 870 millions", "revenue of 870 million"),
        # Names aside, "est le de": lingua alone is unsure; the French function words tell.
        (
            "What is Alexandr Wang's role at Scale AI?",
            "Alexandr Wang est le PDG de Scale AI",
            "Alexandr Wang is the CEO of Scale AI",
        ),
    ],
    ids=["a-few-words", "mostly-names"],
)
def test_a_short_statement_surely_in_the_other_language_is_translated(
    assistant: Assistant, generator: QueuedGenerator, question: str, written: str, translated: str
) -> None:
    generator.answers.extend([written, translated])
    answer = assistant.ask(question)
    assert answer.text == f"{translated} [1].", answer.text
    assert generator.last_user_message().startswith("Translate into English:")


def test_a_translation_that_changes_a_figure_is_not_said(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.extend(
        [
            "Scale AI prévoit environ 870 millions de dollars de revenus",
            "Scale AI expects about 780 million dollars of revenue",
        ]
    )
    answer = assistant.ask("What revenue does Scale AI expect for 2024?")
    assert not answer.answered


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        ("Environ 870 millions de dollars", "Environ 870 millions de dollars [1]."),
        ("Environ 780 millions de dollars", DONT_KNOW["fr"]),  # a figure no sentence holds
    ],
    ids=["supported", "unsupported"],
)
def test_only_the_checked_answer_is_streamed(
    settings: Settings, embedder: HashEmbedder, reply: str, shown: str
) -> None:
    # What a user sees is what answer.text holds: a statement reaches the stream once the model has written it
    # whole and a sentence supports it, and a reply that no sentence supports never reaches it.
    generator = QueuedGenerator([reply], seconds_per_piece=0.01)  # 5 pieces: the model writes for 50 ms or more
    stream = Assistant(settings, embedder=embedder, generator=generator).stream(
        "Quels revenus Scale AI prévoit-elle pour 2024 ?"
    )
    arrivals = [(piece, time.perf_counter()) for piece in stream]
    assert "".join(piece for piece, _ in arrivals) == shown
    assert len(generator.finished) == 1
    assert all(arrived > generator.finished[0] for _, arrived in arrivals), "a piece came before the check"
    answer = stream.answer
    assert answer.text == shown
    # Something is shown (the passages being read) before the model writes: the first visible content.
    assert answer.first_piece_seconds < answer.seconds - 0.05


def test_the_sources_are_shown_before_the_model_writes_then_each_statement_as_it_is_checked(
    settings: Settings, embedder: HashEmbedder, articles_dir: Path
) -> None:
    reply = (
        "Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024 [1]. "
        "Environ 150 millions de dollars proviennent du seul Google [1]. "
        "Des licornes bleues gardent les serveurs [2]."
    )
    generator = QueuedGenerator([reply], seconds_per_piece=0.005)
    in_model_words = settings.model_copy(update={"explanation_words": "model"})
    stream = Assistant(in_model_words, embedder=embedder, generator=generator).stream(
        "Pourquoi Scale AI prévoit-elle des revenus pour 2024 malgré les défis actuels ?"
    )
    seen = [(update.stage, update.text, len(generator.prompts), len(generator.finished)) for update in stream.updates()]
    stages = [stage for stage, *_ in seen]
    assert stages[0] == "reading" and stages[-1] == "done"
    assert seen[0][2] == 0, "the passages being read are shown before the model is asked"
    writing = [s for s in seen if s[0] == "writing"]
    assert len(writing) == 2, "each supported statement as soon as it is checked"
    assert writing[0][3] == 0, "the first statement came while the model was still writing"
    answer = stream.answer
    assert answer.kind == "explanation"
    assert answer.text.count("[") == 2 and "licornes" not in answer.text
    assert [s.failed for s in answer.statements] == [(), (), ("unsupported",)]
    _check_exact(answer.citations, articles_dir)


def test_a_refusal_shows_the_closest_sentences_as_exact_spans(
    assistant: Assistant, generator: QueuedGenerator, articles_dir: Path
) -> None:
    generator.answers.append("NONE")
    answer = assistant.ask("Quel est le cours de l'action de Scale AI ?")
    assert not answer.answered and answer.citations == []
    assert 1 <= len(answer.closest) <= 3
    assert [c.number for c in answer.closest] == list(range(1, len(answer.closest) + 1))
    _check_exact(answer.closest, articles_dir)


def test_a_statement_the_model_did_not_finish_is_dropped(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.append(
        "Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024 [1]. Scale AI prévoit des"
    )
    answer = assistant.ask("Pourquoi Scale AI prévoit-elle des revenus ?")
    assert answer.answered and answer.text.count("[") == 1
    assert [s.failed for s in answer.statements] == [(), ("unfinished",)]


def test_a_sentence_announcing_what_follows_is_not_shown(
    settings: Settings, embedder: HashEmbedder, generator: QueuedGenerator
) -> None:
    generator.answers.append(
        "Scale AI prévoit des revenus pour 2024 pour les raisons suivantes: [1].\n"
        "Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024 [1]."
    )
    in_model_words = settings.model_copy(update={"explanation_words": "model"})
    answer = Assistant(in_model_words, embedder=embedder, generator=generator).ask(
        "Pourquoi Scale AI prévoit-elle des revenus ?"
    )
    assert answer.text == f"{_REVENUE} [1].", answer.text
    assert [s.failed for s in answer.statements] == [("announces-what-follows",), ()]


def test_the_passage_the_model_names_does_not_decide_the_citation(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    # The model names passage 6 (it read fewer): the sentence that holds the statement is cited all the same.
    generator.answers.append("Environ 870 millions de dollars [6].")
    answer = assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?")
    assert answer.text == "Environ 870 millions de dollars [1]."
    assert _REVENUE in answer.citations[0].quote


def test_empty_question_is_refused(assistant: Assistant) -> None:
    with pytest.raises(BadInputError):
        assistant.ask("  ")


_NOTE = "(Your question seems to be in German: I answer in English, or in French if you ask in French.) "


@pytest.mark.parametrize(
    ("reply", "said"),
    [("49 % of Scale AI", "49 % of Scale AI [1]."), ("15 % of Scale AI", DONT_KNOW["en"])],
    ids=["supported", "unsupported"],
)
def test_a_question_in_a_third_language_is_answered_in_english_saying_so(
    assistant: Assistant, generator: QueuedGenerator, reply: str, said: str
) -> None:
    # The note comes first, before the model has read anything; then the answer, checked as any other: the same
    # reply with a figure no sentence holds is refused by the pipeline.
    generator.answers.append(reply)
    stream = assistant.stream("Wie viel hat Meta in Scale AI investiert?")
    pieces = iter(stream)
    assert next(pieces) == _NOTE
    assert generator.prompts == [], "the note is shown before the model is asked"
    answer = stream.answer  # reads the rest of the stream
    assert list(pieces) == []
    assert len(generator.prompts) == 1
    assert (answer.language, answer.answered, answer.text) == ("en", said != DONT_KNOW["en"], _NOTE + said)


def test_warm_up_loads_the_index_the_detectors_and_the_model(settings: Settings, embedder: HashEmbedder) -> None:
    from assistant.answering import language  # noqa: PLC0415

    class LoadCounting(QueuedGenerator):
        loads = 0

        def load(self) -> None:
            self.loads += 1

    generator = LoadCounting()
    language._detector.cache_clear()
    language._wide_detector.cache_clear()
    assistant = Assistant(settings, embedder=embedder, generator=generator)
    assistant.warm_up()
    assert assistant.store.read_state() is not None  # the index was built
    assert generator.loads == 1
    assert language._detector.cache_info().currsize == language._wide_detector.cache_info().currsize == 1


def test_a_name_the_question_asks_about_may_be_in_the_article_title(
    settings: Settings, embedder: HashEmbedder, tmp_path: Path
) -> None:
    folder = tmp_path / "players"
    folder.mkdir()
    (folder / "kane.md").write_text(
        "# Patrick Kane\n\n"
        + "Le joueur de hockey grandit à Buffalo, où il apprend à patiner très jeune sur les patinoires du quartier. "
        * 8
        + "\n\nKane inscrit 14 points lors des séries de la saison 2009, un record pour son équipe. "
        "Il joue ensuite pour les Rangers de New York.\n",
        encoding="utf-8",
    )
    local = settings.model_copy(update={"seeds_dir": folder, "index_dir": tmp_path / "players-index"})
    answer = Assistant(local, embedder=embedder, generator=QueuedGenerator(["14 points"])).ask(
        "Combien de points inscrit Patrick Kane lors des séries ?"
    )
    assert answer.answered and answer.text == "14 points [1]."
    wrong = Assistant(local, embedder=embedder, generator=QueuedGenerator(["14 points"])).ask(
        "Combien de points inscrit Patrick Sharp lors des séries ?"
    )
    assert not wrong.answered, "Sharp is named neither in the passage nor in its title"


_CHRONICLES = (
    "Les chroniques normandes\n\n"
    "Trois chroniques racontent la conquête normande de l'Italie du Sud au onzième siècle. "
    "Le royaume de Sicile signe le traité de Melfi avec la papauté en 1059.\n"
)


def test_a_figure_is_said_as_the_article_writes_it(
    settings: Settings, embedder: HashEmbedder, articles_dir: Path
) -> None:
    (articles_dir / "chroniques.txt").write_text(_CHRONICLES, encoding="utf-8")
    generator = QueuedGenerator(["3 chroniques"])
    answer = Assistant(settings, embedder=embedder, generator=generator).ask(
        "Combien de chroniques racontent la conquête normande de l'Italie du Sud ?"
    )
    assert answer.answered and answer.text == "Trois chroniques [1]."
    assert answer.citations[0].quote.startswith("Trois chroniques racontent")
    _check_exact(answer.citations, articles_dir)


class _OneReplyAtATime(QueuedGenerator):
    """As the embedded model: one reply at a time; a call while another reply is being written fails."""

    def __init__(self, answers: list[str]) -> None:
        super().__init__(answers)
        self.writing = False

    def stream(self, messages: Sequence[BaseMessage], *, max_tokens: int | None = None) -> Iterator[str]:
        assert not self.writing, "asked to write while another reply is being written"
        self.writing = True
        try:
            yield from super().stream(messages, max_tokens=max_tokens)
        finally:
            self.writing = False


def test_statements_to_translate_wait_until_the_model_has_written_the_answer(
    settings: Settings, embedder: HashEmbedder
) -> None:
    generator = _OneReplyAtATime(
        [
            "Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024 [1]. "
            "Environ 150 millions de dollars proviennent du seul Google [1].",
            "Scale AI expects revenue of about 870 million dollars for 2024",
            "About 150 million dollars come from Google alone",
        ]
    )
    in_model_words = settings.model_copy(update={"explanation_words": "model"})
    answer = Assistant(in_model_words, embedder=embedder, generator=generator).ask(
        "Why does Scale AI expect revenue for 2024 despite the current challenges?"
    )
    assert answer.answered and answer.language == "en"
    assert answer.text == (
        "Scale AI expects revenue of about 870 million dollars for 2024 [1]. "
        "About 150 million dollars come from Google alone [1]."
    )
    assert generator.last_user_message(0).endswith(
        "Answer in French, in one to three sentences taken from the passages:"
    ), "written in the passages' language"


_REVENUE_SENTENCE = (
    "Malgré les défis actuels, Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024, dont "
    "environ 150 millions de dollars provenant du seul Google."
)


def test_an_explanation_is_said_in_the_sentences_that_support_it_each_once(
    assistant: Assistant, generator: QueuedGenerator, articles_dir: Path
) -> None:
    # Both statements are held by one sentence of the article: it is said once, as the article writes it.
    generator.answers.append(f"{_REVENUE} [1]. Environ 150 millions de dollars proviennent du seul Google [1].")
    answer = assistant.ask("Pourquoi Scale AI prévoit-elle des revenus pour 2024 malgré les défis actuels ?")
    assert answer.text == f"{_REVENUE_SENTENCE[:-1]} [1].", answer.text
    assert [s.failed for s in answer.statements] == [(), ("repeated",)]
    assert answer.citations[0].quote == _REVENUE_SENTENCE
    _check_exact(answer.citations, articles_dir)


def test_an_explanation_in_the_other_language_is_the_sentence_translated_or_else_the_statement(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    sentence_in_english = (
        "Despite the current challenges, Scale AI expects revenue of about 870 million dollars for 2024, of which "
        "about 150 million dollars from Google alone"
    )
    generator.answers += [f"{_REVENUE} [1].", sentence_in_english]
    answer = assistant.ask("Why does Scale AI expect revenue for 2024 despite the current challenges?")
    assert answer.text == f"{sentence_in_english} [1].", answer.text
    assert "Malgré les défis actuels" in generator.last_user_message(1), "the article's sentence is translated"
    # A translation of the sentence that loses a figure is not kept: the statement is translated instead.
    generator.answers += [
        f"{_REVENUE} [1].",
        "Scale AI expects revenue for 2024",
        "It expects 870 million dollars in 2024",
    ]
    answer = assistant.ask("Why does Scale AI expect revenue for 2024 despite the current challenges?")
    assert answer.text == "It expects 870 million dollars in 2024 [1].", answer.text


@pytest.mark.parametrize(
    ("question", "replies", "answered"),
    [
        # Google's 150 million dollars are not a share price: "valeur" and "stock" are in no sentence, and the figure's
        # "millions" and "dollars" do not make up for them.
        (
            "What is Scale AI's share price?",
            ["La valeur du stock de Scale AI est de 150 millions de dollars"],
            False,
        ),
        (
            "How much of Scale AI's revenue comes from Google?",
            ["Environ 150 millions de dollars du seul Google", "About 150 million dollars from Google alone"],
            True,
        ),
        # The words the answer takes from the question must be in the sentence as well: 29 milliards de dollars is
        # what the whole company is valued at.
        (
            "Quelle est la valeur de l'action de Scale AI ?",
            ["La valeur de l'action de Scale AI est de 29 milliards de dollars"],
            False,
        ),
        (
            "Quelle est la valorisation de Scale AI ?",
            ["La valorisation de Scale AI est de 29 milliards de dollars"],
            True,
        ),
        # Handshake is in the articles, but not in the sentence naming Manu Sharma, CEO of Labelbox.
        ("Qui est le PDG de Handshake ?", ["Manu Sharma est le PDG de Handshake"], False),
        ("Qui est le PDG de Labelbox ?", ["Manu Sharma est le PDG de Labelbox"], True),
    ],
    ids=["share price", "Google's share", "share value", "valuation", "Handshake", "Labelbox"],
)
def test_an_answer_is_refused_when_its_sentence_tells_of_something_else(
    assistant: Assistant,
    generator: QueuedGenerator,
    question: str,
    replies: list[str],
    answered: bool,
) -> None:
    generator.answers.extend(replies)  # the answer, then its translation when it is kept
    answer = assistant.ask(question)
    assert answer.answered is answered, answer.text
    if answered:
        assert answer.citations and answer.text.startswith(replies[-1])
    else:
        assert (answer.text, answer.citations) == (DONT_KNOW[answer.language], [])
        assert [s.failed for s in answer.statements] == [("unsupported",)]
