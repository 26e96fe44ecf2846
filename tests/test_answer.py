"""The answer pipeline with a queued fake model: what the code decides, whatever the model writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.errors import BadInputError
from assistant.prompts import DONT_KNOW
from tests.fakes import HashEmbedder, QueuedGenerator


@pytest.fixture
def generator() -> QueuedGenerator:
    return QueuedGenerator()


@pytest.fixture
def assistant(settings: Settings, embedder: HashEmbedder, generator: QueuedGenerator) -> Assistant:
    """An assistant whose model phrases the answers (``answer_style="written"``), checked by the code."""
    return Assistant(settings.model_copy(update={"answer_style": "written"}), embedder=embedder, generator=generator)


def _only(fact: str) -> QueuedGenerator:
    """A model that judges only the sentence holding ``fact`` to answer."""
    return QueuedGenerator(judge=lambda prompt: 0.9 if fact in prompt.split("Sentence:")[1] else 0.1)


def _english(settings: Settings) -> Settings:
    """Settings under which the fake embedder ranks the revenue sentence among the candidates of an English
    question."""
    return settings.model_copy(update={"answer_candidates": 8})


_REVENUE = "Malgré les défis actuels, Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024"


def test_quoting_answers_with_the_chosen_sentence_itself(
    settings: Settings, embedder: HashEmbedder, articles_dir: Path
) -> None:
    generator = _only("870 millions")
    answer = Assistant(settings, embedder=embedder, generator=generator).ask("Quels revenus Scale AI prévoit-elle ?")
    assert answer.answered and answer.text.startswith(_REVENUE) and answer.text.endswith("seul Google [1].")
    assert [c.quote for c in answer.citations] == [answer.text.removesuffix(" [1].") + "."]
    assert generator.prompts == [], "a French sentence answers a French question as it is: no model call"
    _check_exact(answer.citations, articles_dir)


def test_quoting_in_the_other_language_keeps_a_faithful_translation(settings: Settings, embedder: HashEmbedder) -> None:
    generator = _only("870 millions")
    # The fake embedder measures shared words: a "translation" that keeps most of them is close in meaning.
    generator.answers.append(_REVENUE + ", dont environ 150 millions de dollars from Google.")
    answer = Assistant(_english(settings), embedder=embedder, generator=generator).ask(
        "What revenue does Scale AI expect?"
    )
    assert answer.answered and answer.language == "en"
    assert answer.text == _REVENUE + ", dont environ 150 millions de dollars from Google [1]."
    assert generator.last_user_message().startswith("Translate into English:")


@pytest.mark.parametrize(
    "translation",
    [
        _REVENUE.replace("870", "780") + ", dont environ 150 millions de dollars provenant du seul Google.",
        _REVENUE.replace("millions", "milliards") + ", dont environ 150 millions de dollars provenant du seul Google.",
        _REVENUE + ", dont environ 150 millions de dollars provenant du seul Google et d'Amazon.",
        "NO_ANSWER",
        "Scale AI expects revenue.",
    ],
    ids=["changed figure", "changed scale", "added name", "refusal", "not the same meaning"],
)
def test_quoting_drops_an_unfaithful_translation(settings: Settings, embedder: HashEmbedder, translation: str) -> None:
    generator = _only("870 millions")
    generator.answers.append(translation)
    answer = Assistant(_english(settings), embedder=embedder, generator=generator).ask(
        "What revenue does Scale AI expect?"
    )
    assert generator.last_user_message().startswith("Translate into English:"), "the sentence was found"
    assert (answer.answered, answer.text) == (False, DONT_KNOW["en"])


def _check_exact(answer_citations: list, articles_dir: Path) -> None:  # type: ignore[type-arg]
    for c in answer_citations:
        text = (articles_dir / c.source).read_text(encoding="utf-8")
        assert text[c.start : c.end] == c.quote


def test_supported_answer_keeps_its_citation(
    assistant: Assistant, generator: QueuedGenerator, articles_dir: Path
) -> None:
    generator.answers.append("Meta a investi 14,3 milliards de dollars dans Scale AI [1].")
    answer = assistant.ask("Combien Meta a-t-il investi dans Scale AI ? 14,3 milliards")
    assert answer.answered and answer.language == "fr"
    assert answer.text == "Meta a investi 14,3 milliards de dollars dans Scale AI [1]."
    assert len(answer.citations) == 1
    assert "14,3 milliards" in answer.citations[0].quote
    _check_exact(answer.citations, articles_dir)


def test_a_wrong_marker_is_replaced_by_the_excerpt_that_holds_the_figure(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    generator.answers.append("Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024 [9].")
    answer = assistant.ask("Quels revenus Scale AI prévoit-elle pour 2024 ?")
    assert answer.answered
    assert answer.citations[0].number == 1
    assert "870 millions" in answer.citations[0].quote
    assert answer.text.endswith("[1].")


def test_an_invented_figure_is_dropped_and_the_chosen_sentence_answers_instead(
    assistant: Assistant, generator: QueuedGenerator, articles_dir: Path
) -> None:
    generator.answers.append("Scale AI a été fondée en 2016 [1].")
    answer = assistant.ask("Quand Scale AI a-t-elle été fondée ?")
    assert answer.answered and "2016" not in answer.text
    assert answer.text == " ".join(
        f"{' '.join(c.quote.split()).rstrip('.')} [{c.number}]." for c in answer.citations
    ), "the chosen sentences, quoted"
    _check_exact(answer.citations, articles_dir)


def test_when_no_sentence_is_judged_to_answer_the_model_writes_nothing(
    settings: Settings, embedder: HashEmbedder
) -> None:
    generator = QueuedGenerator(["Scale AI a été fondée en 2016 [1]."], judge=lambda _prompt: 0.2)
    answer = Assistant(settings, embedder=embedder, generator=generator).ask("Quand Scale AI a-t-elle été fondée ?")
    assert (answer.answered, answer.text, answer.citations) == (False, DONT_KNOW["fr"], [])
    assert len(generator.judged) == settings.answer_candidates
    assert generator.prompts == [], "no answer is written when no sentence answers"


def test_only_the_sentences_judged_likely_enough_are_shown(settings: Settings, embedder: HashEmbedder) -> None:
    def judge(prompt: str) -> float:
        return 0.9 if "870 millions" in prompt else 0.7 if "200 millions" in prompt else 0.1

    generator = QueuedGenerator(["NO_ANSWER"], judge=judge)
    written = settings.model_copy(update={"answer_style": "written", "answer_candidates": 8})
    Assistant(written, embedder=embedder, generator=generator).ask("Quels revenus Scale AI prévoit-elle ?")
    numbered = [line for line in generator.last_user_message().splitlines() if line[:2] in {"1.", "2.", "3."}]
    assert len(numbered) == 2
    assert any("870 millions" in line for line in numbered) and any("200 millions" in line for line in numbered)


def test_the_search_stops_once_enough_sentences_answer(settings: Settings, embedder: HashEmbedder) -> None:
    generator = QueuedGenerator(judge=lambda _prompt: 0.9)
    wide = settings.model_copy(update={"answer_candidates": 6, "answer_sentences": 2})
    answer = Assistant(wide, embedder=embedder, generator=generator).ask("Quels revenus Scale AI prévoit-elle ?")
    assert answer.answered and len(answer.citations) == 2
    assert len(generator.judged) == 2, "no sentence is judged after the second that answers"


def test_the_first_sentence_found_is_said_before_the_others_are_judged(
    settings: Settings, embedder: HashEmbedder
) -> None:
    generator = QueuedGenerator(judge=lambda prompt: 0.9 if "870 millions" in prompt else 0.1)
    wide = settings.model_copy(update={"answer_candidates": 8})
    stream = Assistant(wide, embedder=embedder, generator=generator).stream("Quels revenus Scale AI prévoit-elle ?")
    pieces = iter(stream)
    first = next(pieces)
    judged_before = len(generator.judged)
    assert "870 millions" in first and first.endswith("[1].")
    assert "870 millions" in generator.judged[-1].split("Sentence:")[1], "said as soon as it was judged"
    rest = list(pieces)
    assert len(generator.judged) > judged_before, "the remaining candidates are judged after the first is said"
    assert stream.answer.text == first + "".join(rest)


def test_only_supported_statements_survive(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.append(
        "Google avait prévu un budget d'environ 200 millions de dollars [1]. "
        "Google a aussi acheté Labelbox en 2019 [2]."
    )
    answer = assistant.ask("Quel budget Google avait-il prévu pour Scale AI ?")
    assert answer.answered
    assert "200 millions" in answer.text and "2019" not in answer.text
    assert len(answer.citations) == 1


@pytest.mark.parametrize(
    ("question", "language"), [("What is Scale AI's share price?", "en"), ("Quel est le cours de l'action ?", "fr")]
)
def test_dont_know_is_the_fixed_reply_in_the_question_language(
    settings: Settings, embedder: HashEmbedder, question: str, language: str
) -> None:
    generator = QueuedGenerator(judge=lambda _prompt: 0.0)
    answer = Assistant(settings, embedder=embedder, generator=generator).ask(question)
    assert (answer.answered, answer.language, answer.text) == (False, language, DONT_KNOW[language])  # type: ignore[index]


def test_only_sentences_naming_what_the_question_asks_about_are_considered(
    assistant: Assistant, generator: QueuedGenerator
) -> None:
    # Handshake is named in one sentence only; what other sentences say is not about it.
    assistant.ask("Qui est le PDG de Handshake ?")
    assert generator.judged and all("Handshake" in prompt.split("Sentence:")[1] for prompt in generator.judged)


def test_follow_up_is_rewritten_before_retrieval(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.extend(
        [
            "How much of Scale AI's 2024 revenue comes from Google?",
            "About 150 million dollars of it come from Google alone [1].",
        ]
    )
    history = [("How much revenue does Scale AI expect in 2024?", "About 870 million dollars [1].")]
    generator.answer_only_follow_ups()
    answer = assistant.ask("And how much of that comes from Google?", history=history)
    assert "Last question: And how much of that comes from Google?" in generator.last_user_message(0)
    assert "870 million" in generator.last_user_message(0)
    assert "Question: How much of Scale AI's 2024 revenue comes from Google?" in generator.last_user_message(1)
    assert answer.standalone_question == "How much of Scale AI's 2024 revenue comes from Google?"
    assert answer.answered and "150" in answer.text
    assert "150 millions" in answer.citations[0].quote


def test_a_question_nothing_answers_alone_is_judged_as_a_follow_up_of_the_earlier_one(
    settings: Settings, embedder: HashEmbedder
) -> None:
    generator = QueuedGenerator(["Que va faire Alexandr Wang chez Meta ?"])
    generator.answer_only_follow_ups()
    history = [("Qui est Alexandr Wang ?", "Le fondateur de Scale AI [1].")]
    answer = Assistant(settings, embedder=embedder, generator=generator).ask(
        "Et que va-t-il faire chez Meta ?", history=history
    )
    alone = [p for p in generator.judged if p.startswith("Question: Et que va-t-il faire chez Meta ?\n")]
    as_follow_up = [p for p in generator.judged if p.startswith("Earlier question: Qui est Alexandr Wang ?\n")]
    assert alone and as_follow_up and len(alone) + len(as_follow_up) == len(generator.judged)
    assert generator.judged.index(as_follow_up[0]) == len(alone), "judged alone first, then as a follow-up"
    assert all("Question: Que va faire Alexandr Wang chez Meta ?\n" in p for p in as_follow_up), "rewritten"
    assert answer.answered and answer.standalone_question == "Que va faire Alexandr Wang chez Meta ?"


def test_a_new_question_in_a_conversation_is_not_read_as_a_follow_up(
    settings: Settings, embedder: HashEmbedder
) -> None:
    generator = QueuedGenerator(
        ["Quels revenus Scale AI prévoit-elle ?"],
        judge=lambda prompt: 0.9 if "870 millions" in prompt and "Earlier question" not in prompt else 0.1,
    )
    history = [("Qui est Alexandr Wang ?", "Le fondateur de Scale AI [1].")]
    answer = Assistant(
        settings.model_copy(update={"answer_candidates": 8}), embedder=embedder, generator=generator
    ).ask("Quels revenus Scale AI prévoit-elle ?", history=history)
    assert answer.answered and "870 millions" in answer.text
    assert not any("Earlier question" in p for p in generator.judged), "answered on its own: no second pass"
    assert generator.prompts == [], "and no rewrite"
    assert answer.standalone_question == "Quels revenus Scale AI prévoit-elle ?"


def test_an_answer_in_the_wrong_language_is_translated(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.extend(
        [
            "Scale AI prévoit des revenus d'environ 870 millions de dollars pour 2024 [1].",
            "Scale AI expects revenue of about 870 million dollars for 2024 [1].",
        ]
    )
    answer = assistant.ask("What revenue does Scale AI expect for 2024?")
    assert answer.language == "en"
    assert answer.text == "Scale AI expects revenue of about 870 million dollars for 2024 [1]."
    assert generator.last_user_message().startswith("Translate into English:")


def test_streamed_pieces_are_the_final_text(assistant: Assistant, generator: QueuedGenerator) -> None:
    generator.answers.append(
        "Alexandr Wang rejoint Meta [1]. Il va diriger son nouveau département « superintelligence » [1]."
    )
    stream = assistant.stream("Qui dirige le département superintelligence de Meta ? Alexandr Wang")
    pieces = list(stream)
    assert len(pieces) == 2, "one piece per accepted statement"
    assert "".join(pieces) == stream.answer.text
    assert stream.answer.first_piece_seconds > 0


def test_empty_question_is_refused(assistant: Assistant) -> None:
    with pytest.raises(BadInputError):
        assistant.ask("  ")


def test_a_question_in_a_third_language_is_answered_in_english_saying_so(
    settings: Settings, embedder: HashEmbedder
) -> None:
    generator = QueuedGenerator(judge=lambda _prompt: 0.0)
    stream = Assistant(settings, embedder=embedder, generator=generator).stream(
        "Wie viel hat Meta in Scale AI investiert?"
    )
    pieces = list(stream)
    answer = stream.answer
    assert answer.language == "en"
    assert answer.text.startswith("(Your question seems to be in German: I answer in English")
    assert answer.text.endswith(DONT_KNOW["en"])
    assert "".join(pieces) == answer.text


def test_warm_up_loads_the_index_the_detectors_and_the_model(settings: Settings, embedder: HashEmbedder) -> None:
    from assistant import language  # noqa: PLC0415

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
