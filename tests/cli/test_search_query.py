"""`newsbot search` with a query that only leaves words out: refused with how to write it, as
the README and `/search` say, not answered "No items match" as if the archive lacked them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import ISSUES


def _search(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db), "search", *args])
    unboxed = result.stderr.translate(str.maketrans("", "", "╭╮╰╯─│"))  # rich's error box
    return result.exit_code, result.stdout, " ".join(unboxed.split())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """An archive holding issue 202."""
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    db = tmp_path / "a.db"
    assert CliRunner().invoke(app, ["--db", str(db), "ingest", str(folder)]).exit_code == 0
    return db


def test_a_query_of_only_left_out_words_is_refused_with_how_to_write_it(db: Path) -> None:
    for words in (["-fairscale"], ['-"knowledge distillation"', "-distil*"], ["--", "-the"]):
        code, out, err = _search(db, *words)
        assert (code, out) == (2, ""), (words, out)
        assert (
            "A -word leaves out the items holding it: add a word to find, like: "
            "newsbot search torch -trick"
        ) in err, err
    # With a word to find, the same words are left out as asked.
    code, out, err = _search(db, "--json", "--", "-fairscale pytorch")
    assert code == 0, err
    assert '"FairScale' not in out and '"title": "IVY' in out


def test_a_query_is_the_words_as_typed_left_out_ones_too(db: Path) -> None:
    """`newsbot search pytorch -fairscale`, a reader's query typed as it is on /search, was
    refused (`No such option: -f`), and `newsbot search knowledge distillation` too (`Got
    unexpected extra argument`): the words are the query, a -word among them, with the
    options before, after or between them."""
    quoted = _search(db, "--json", "pytorch -fairscale")
    assert quoted[0] == 0, quoted[2]
    assert '"FairScale' not in quoted[1] and '"title": "IVY' in quoted[1]
    for words, query in (
        (["pytorch", "-fairscale", "--json"], "pytorch -fairscale"),
        (["-fairscale", "--json", "pytorch"], "-fairscale pytorch"),
        (["--json", "--", "pytorch", "-fairscale"], "pytorch -fairscale"),
    ):
        code, out, err = _search(db, *words)
        assert code == 0, (words, err)
        found = json.loads(out)
        assert found["query"] == query
        assert found["hits"] == json.loads(quoted[1])["hits"], words
    code, out, err = _search(db, "knowledge", "distillation", "--json", "--limit", "1")
    assert code == 0, err
    found = json.loads(out)
    assert found["query"] == "knowledge distillation" and len(found["hits"]) == 1


def test_a_mistyped_option_is_not_searched_for(db: Path) -> None:
    """`--limt 3` would search for `limt 3` (the index drops the dashes) and find nothing,
    the mistake unsaid."""
    code, out, err = _search(db, "pytorch", "--limt", "3")
    assert (code, out) == (2, "")
    assert "no such option: --limt (did you mean --limit?)" in err, err
    code, out, err = _search(db, "--", "pytorch", "--json")
    assert (code, out) == (2, "")
    assert "--json is an option: write it before --, which ends the options" in err, err
