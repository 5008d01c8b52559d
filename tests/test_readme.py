"""The README points only at what a clone of the repository has."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
MADE_BY_SET_UP = {".venv/bin/", ".venvs/3.11", ".venvs/3.13"}
"""Paths `python3 dev.py` creates, which the README names for after the set-up."""


def _made_by_set_up(path: str) -> bool:
    """Whether `path` is one of `MADE_BY_SET_UP` or inside one (`.venvs/3.11/bin/newsbot`)."""
    return any(path == made or path.startswith(f"{made.rstrip('/')}/") for made in MADE_BY_SET_UP)


def test_every_relative_path_the_readme_names_is_in_the_repository() -> None:
    quoted = re.findall(r"`([^`\s]+)`", README)
    # A path's first part is a name (`issues/…`, `../…`), not a number (`272/280`, `202/x/…`).
    paths = [q for q in quoted if re.fullmatch(r"(\.\.?|[\w.-]*[a-z][\w.-]*)(/[\w.-]+)+/?", q)]
    assert "issues/202.md" in paths, "the README's paths are read"
    relative = [p for p in paths if not p.startswith("/") and not _made_by_set_up(p)]
    missing = [p for p in relative if not (ROOT / p).exists()]
    assert not missing, f"the README names paths a clone does not have: {missing}"
    outside = [p for p in relative if not (ROOT / p).resolve().is_relative_to(ROOT)]
    assert not outside, f"the README points outside the repository: {outside}"


def test_the_plain_text_sample_is_where_the_readme_says() -> None:
    assert "`samples/deep-learning-weekly-202.txt`" in README
    sample = ROOT / "samples" / "deep-learning-weekly-202.txt"
    assert sample.read_text(encoding="utf-8").startswith("Deep Learning Weekly")
