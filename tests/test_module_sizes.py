"""No product module grows past 500 lines: a module that long does several jobs, and each job
reads better as a module of its own (ARCHITECTURE.md says where each belongs)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

MODULE_LINES_MAX = 500
PRODUCT = ("bot", "cogs")
# The emulators play the platforms, twitter-text is vendored, and the demo is counted apart.
NOT_PRODUCT = ("bot/sandbox/", "bot/_vendor/", "bot/demo/")


def module_sizes(root: Path) -> dict[str, int]:
    """Each product module under `root` (by its path from `root`) and its number of lines."""
    sizes: dict[str, int] = {}
    for folder in PRODUCT:
        for path in sorted((root / folder).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if not name.startswith(NOT_PRODUCT):
                sizes[name] = len(path.read_text(encoding="utf-8").splitlines())
    return sizes


def oversized(root: Path) -> list[str]:
    """A line per product module longer than the limit, naming it and where to split it."""
    return [
        f"{name} has {lines} lines (the limit is {MODULE_LINES_MAX}): split it along a seam "
        "of its own, as ARCHITECTURE.md lays out the modules"
        for name, lines in module_sizes(root).items()
        if lines > MODULE_LINES_MAX
    ]


def test_no_product_module_passes_500_lines() -> None:
    assert "bot/settings.py" in module_sizes(ROOT), "the product modules are read"
    problems = oversized(ROOT)
    assert not problems, "\n".join(problems)


def _module(root: Path, name: str, lines: int) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x = 1\n" * lines, encoding="utf-8")


def test_a_module_one_line_past_the_limit_is_named(tmp_path: Path) -> None:
    _module(tmp_path, "bot/publishing/big.py", MODULE_LINES_MAX + 1)
    _module(tmp_path, "cogs/reader/big.py", MODULE_LINES_MAX + 1)
    _module(tmp_path, "bot/at_the_limit.py", MODULE_LINES_MAX)
    assert oversized(tmp_path) == [
        "bot/publishing/big.py has 501 lines (the limit is 500): split it along a seam of "
        "its own, as ARCHITECTURE.md lays out the modules",
        "cogs/reader/big.py has 501 lines (the limit is 500): split it along a seam of "
        "its own, as ARCHITECTURE.md lays out the modules",
    ]


def test_the_emulators_vendored_code_and_the_demo_are_not_counted(tmp_path: Path) -> None:
    for name in ("bot/sandbox/discord/_rest.py", "bot/_vendor/x/y.py", "bot/demo/world.py"):
        _module(tmp_path, name, MODULE_LINES_MAX + 1)
    assert oversized(tmp_path) == []
