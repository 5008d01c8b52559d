"""Issue files and plain-text issues saved in another encoding than UTF-8, as Word and older
Windows editors save them: the problem says what the file looks saved as, on its line, and
how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

ISSUE = (
    "---\nnumber: 7\ntitle: Café Weekly: Issue #7\n---\n\n## News\n\n### An item\n\nIts “blurb”.\n"
)
PLAIN = "Café Weekly: Issue #7\nHey folks,\nNews\nAn item\nIts “blurb”.\n"


@pytest.mark.parametrize(
    ("encoding", "line", "why"),
    [
        (
            "cp1252",
            3,
            "the file is not valid UTF-8: it looks saved as Windows-1252 (byte 0xE9 here is 'é' "
            "there): save it again as UTF-8",
        ),
        ("utf-16", 1, "the file is not valid UTF-8: it is saved as UTF-16: save it again as UTF-8"),
    ],
)
def test_newsbot_check_says_what_the_file_is_saved_as(
    tmp_path: Path, encoding: str, line: int, why: str
) -> None:
    # Before: "the file is not valid UTF-8", with no word of what to do about it.
    path = tmp_path / "7.md"
    path.write_bytes(ISSUE.encode(encoding))
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line}: {why}\n" in result.stderr


def test_import_text_says_the_same(tmp_path: Path) -> None:
    source = tmp_path / "dlw-7.txt"
    source.write_bytes(PLAIN.encode("cp1252"))
    result = CliRunner().invoke(
        app, ["--db", str(tmp_path / "a.db"), "import", "text", str(source), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert (
        f"{source}:1: the file is not valid UTF-8: it looks saved as Windows-1252" in result.stderr
    )
    assert not list(tmp_path.glob("*.md"))


def test_bytes_no_encoding_explains_are_named(tmp_path: Path) -> None:
    path = tmp_path / "7.md"
    # 0x81 is undefined in Windows-1252, and the file is not UTF-16.
    path.write_bytes(ISSUE.encode() + b"\x81\xff\n")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert f"{path}:11: the file is not valid UTF-8 (byte 0x81 here): save it as UTF-8" in (
        result.stderr
    )
