"""`assistant add` as a user runs it, with the real embedding model and language model: a page by its link (from a
real local server), a Word file and a PDF; then a question limited to the page's site and dates, answered from it
with a citation that carries its date, site and link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.local_server import local_site
from tests.test_adding import BODY, FORMATS, news_page


@pytest.mark.integration
def test_add_a_link_a_word_file_and_a_pdf_then_ask_within_a_site_and_dates(tmp_path: Path, articles_dir: Path) -> None:
    common = ["--seeds-dir", str(articles_dir), "--index-dir", str(tmp_path / "index")]
    assert run_cli(*common, "index", cwd=tmp_path).returncode == 0
    with local_site() as site:
        url = site.put("/eco/puces.html", news_page("Bruxelles veut relancer les puces", BODY))
        added = run_cli(
            *common,
            "add",
            url,
            str(FORMATS / "seed-000.docx"),
            str(FORMATS / "shared-mime-info-spec.pdf"),
            cwd=tmp_path,
        )
    assert added.returncode == 0, added.stderr
    lines = added.stdout.splitlines()
    assert "added 2022-02-08-bruxelles-veut-relancer-les-puces.txt — Bruxelles veut relancer les puces" in lines
    assert any(line.startswith("added ") and "Shared MIME-info Database" in line for line in lines)
    assert any(line.startswith("already there: ") and "000_2b36652c92daeb7e.txt" in line for line in lines)
    assert any(line.startswith("index: added 2,") for line in lines), lines
    # Served by their words first, their vectors written after: the report says when they could be asked about.
    assert any("searchable by their words after" in line for line in lines if line.startswith("index: ")), lines

    again = run_cli(*common, "add", str(FORMATS / "seed-000.pdf"), str(tmp_path / "missing.pdf"), cwd=tmp_path)
    assert again.returncode == 1, "an input that could not be added makes the exit status say so"
    assert "not added: " in again.stdout and "missing.pdf: no such file" in again.stdout
    assert "assistant: error: 1 of the inputs could not be added" in again.stderr

    question = "Quel est le montant du plan de la Commission européenne pour les puces ?"
    limit = ["--since", "2022-02-01", "--until", "2022-02-28", "--source", "Le Journal"]
    asked = run_cli(*common, "ask", question, *limit, "--json", cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["answered"] is True, answer
    assert "40 milliards" in answer["text"]
    page = articles_dir / "2022-02-08-bruxelles-veut-relancer-les-puces.txt"
    for c in answer["citations"]:
        assert c["source"] == page.name
        assert page.read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]
        assert (c["published"], c["site"], c["url"]) == ("2022-02-08", "Le Journal", url)

    nothing = run_cli(*common, "search", "puces", "--since", "2030-01-01", cwd=tmp_path)
    assert nothing.returncode == 1
    assert "no article is published 2030-01-01 to …; widen the dates" in nothing.stderr
