"""`newsbot check` shows each editor note at its file and line, as it shows problems: the
editor's terminal or IDE jumps to it."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import ISSUES


def check(*paths: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", *map(str, paths)])
    return result.exit_code, result.stdout, result.stderr


def test_the_note_of_202_is_shown_at_its_line(tmp_path: Path) -> None:
    shutil.copy(ISSUES / "202.md", tmp_path / "202.md")
    code, _out, err = check(tmp_path / "202.md")
    assert code == 0, err
    assert f"{tmp_path / '202.md'}:25: note on item 2 (The Global AI Index): title guessed" in err


def test_notes_are_found_on_their_lines_with_a_bom_and_windows_line_endings(
    tmp_path: Path,
) -> None:
    # The same note twice, on two items: each is shown at its own line.
    text = (
        "---\nnumber: 9\ntitle: Weekly #9\n---\n\nThe intro.\n\n## News\n\n"
        "### [First](https://example.com/1)\n\n<!-- editor: check the title -->\n\nBlurb.\n\n"
        "### Second\n\nA blurb with no note.\n\n"
        "### [Third](https://example.com/3)\n\n<!-- editor: check the title -->\n"
    )
    path = tmp_path / "9.md"
    path.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode())
    code, _out, err = check(path)
    assert code == 0, err
    assert err.splitlines() == [
        f"{path}:12: note on item 1 (First): check the title",
        f"{path}:20: item 3 (Third) has no blurb: readers would see its title alone; write one "
        "under its heading",
        f"{path}:22: note on item 3 (Third): check the title",
    ]


def test_a_note_names_its_item_as_readers_read_its_title(tmp_path: Path) -> None:
    """A title written with Markdown escapes is named as it reads, not as it is written."""
    path = tmp_path / "9.md"
    path.write_text(
        "---\nnumber: 9\ntitle: Weekly #9\n---\n\n## News\n\n"
        "### [Weekly \\*\\*kwargs\\*\\* \\& *more*](https://example.com/1)\n\n"
        "<!-- editor: check the title -->\n\nBlurb.\n",
        encoding="utf-8",
    )
    code, _out, err = check(path)
    assert code == 0, err
    assert err.splitlines() == [
        f"{path}:10: note on item 1 (Weekly **kwargs** & *more*): check the title"
    ]
