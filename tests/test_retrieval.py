from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.vectorstores import InMemoryVectorStore

from assistant import Assistant
from assistant.errors import BadInputError, IndexNotBuiltError
from assistant.ingest.terms import fold
from assistant.search.fusion import reciprocal_rank_fusion
from tests.fakes import HashEmbedder


def test_fold_strips_accents_case_and_unifies_decimals_and_apostrophes() -> None:
    assert fold("Évaluée à 14,3 Milliards") == "evaluee a 14_3 milliards"
    assert fold("14.3 billion") == "14_3 billion"
    assert fold("l’accord") == "l'accord"


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=10)
    assert [item for item, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / 12 + 1 / 11)


def test_reciprocal_rank_fusion_counts_a_held_rank_without_naming_an_id() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b"], [None, "b"]], k=10))
    assert fused == {"a": 1 / 11, "b": 1 / 12 + 1 / 12}


def test_hybrid_retrieval_ranks_exact_names_first(fake_assistant: Assistant) -> None:
    passages = fake_assistant.retrieve("Manu Sharma Labelbox", k=5)
    assert len(passages) == 5
    top = passages[0]
    assert "Manu Sharma" in top.text
    assert top.source == "000_2b36652c92daeb7e.txt"
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_passages_are_exact_spans_of_their_articles(fake_assistant: Assistant, articles_dir: Path) -> None:
    for passage in fake_assistant.retrieve("Google contrat 200 millions", k=10):
        text = (articles_dir / passage.source).read_text(encoding="utf-8")
        assert text[passage.start : passage.end] == passage.text
        assert passage.title


@pytest.mark.parametrize("question", ["", "   \n\t"])
def test_empty_question_is_refused(fake_assistant: Assistant, question: str) -> None:
    with pytest.raises(BadInputError, match="the question is empty"):
        fake_assistant.retrieve(question)


def test_k_must_be_positive(fake_assistant: Assistant) -> None:
    with pytest.raises(BadInputError, match="k must be at least 1"):
        fake_assistant.retrieve("Meta", k=0)


def test_status_before_any_index_says_how_to_build_it(fake_assistant: Assistant) -> None:
    with pytest.raises(IndexNotBuiltError, match="build it with 'assistant index'"):
        fake_assistant.status()


def test_empty_articles_folder_gives_no_passages(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assistant = Assistant(seeds_dir=tmp_path / "empty", index_dir=tmp_path / "index", embedder=HashEmbedder())
    assert assistant.retrieve("Meta", k=3) == []


def test_the_embedder_serves_a_langchain_vector_store(embedder: HashEmbedder) -> None:
    store = InMemoryVectorStore(embedder.as_langchain())
    store.add_texts(["Meta prend 49 % de Scale AI.", "Google quitte Scale AI."])
    assert [d.page_content for d in store.similarity_search("Google quitte Scale AI.", k=1)] == [
        "Google quitte Scale AI."
    ]
    assert embedder.as_langchain().embed_query("Scale AI") == embedder.embed_query("Scale AI")


_SEARCH_ONLY = """
import sys
from pathlib import Path
from assistant import Assistant, Settings
from assistant.ingest.embedding import ArticleEmbedder

class Letters(ArticleEmbedder):
    model_id = "letters"
    def embed_documents(self, texts): return [self.embed_query(t) for t in texts]
    def embed_query(self, text): return [text.lower().count(c) + 1.0 for c in "abcdefghij"]

assistant = Assistant(Settings(seeds_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2])), embedder=Letters())
assistant.index()
assert assistant.retrieve("Scale AI", 2)
print(sorted(m for m in ("langchain_core", "llama_cpp", "blingfire") if m in sys.modules))
"""


def test_a_search_loads_neither_langchain_nor_the_language_model(tmp_path: Path, articles_dir: Path) -> None:
    # What a fresh `assistant search` process pays for: Chroma and the lexical index, not the answer stage.
    done = subprocess.run(
        [sys.executable, "-c", _SEARCH_ONLY, str(articles_dir), str(tmp_path / "index")],
        capture_output=True,
        text=True,
        check=True,
    )
    # Indexing splits articles into sentences (blingfire); searching alone would not.
    assert done.stdout.strip().splitlines()[-1] == "['blingfire']"
