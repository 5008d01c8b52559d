"""`newsbot search` with a query that only leaves words out: refused with how to write it, as
the README and `/search` say, not answered "No items match" as if the archive lacked them."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import ISSUES


def _search(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db), "search", *args])
    unboxed = result.stderr.translate(str.maketrans("", "", "╭╮╰╯─│"))  # rich's error box
    return result.exit_code, result.stdout, " ".join(unboxed.split())


def test_a_query_of_only_left_out_words_is_refused_with_how_to_write_it(tmp_path: Path) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    db = tmp_path / "a.db"
    assert CliRunner().invoke(app, ["--db", str(db), "ingest", str(folder)]).exit_code == 0
    for query in ("-fairscale", '-"knowledge distillation" -distil*', "-the"):
        code, out, err = _search(db, "--", query)
        assert (code, out) == (2, ""), (query, out)
        assert "A -word leaves out the items holding it: add a word to find" in err, err
        assert 'newsbot search -- "-trick torch"' in err, err
    # With a word to find, the same words are left out as asked.
    code, out, err = _search(db, "--json", "--", "-fairscale pytorch")
    assert code == 0, err
    assert '"FairScale' not in out and '"title": "IVY' in out
