"""Text safety has one home, bot/text.py: no second control-character or mention pattern, no
second shorten, and no cog cutting message text at a number of its own."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The emulators play Discord and X, whose own parsing they copy; twitter-text is vendored.
NOT_NEWSBOTS_RULES = ("bot/text.py", "bot/sandbox/", "bot/_vendor/")

KNOWN_PATTERNS: set[tuple[str, str]] = set()
KNOWN_SHORTENERS: set[tuple[str, str]] = set()

CONTROL_SAMPLES = ("\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\u2028")
ORDINARY = (" ", "a", "Z", "0", ".", "é")
SHORTENER_NAMES = {"shorten", "_shorten", "truncate", "_truncate", "clip", "_clip", "_clipped"}
TEXT_LIMIT_MIN = 100
"""Message text limits run to hundreds and thousands; list caps (5, 10, 25) stay below."""


def python_files(*folders: str) -> Iterator[tuple[str, ast.Module]]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if not name.startswith(NOT_NEWSBOTS_RULES):
                yield name, ast.parse(path.read_text(encoding="utf-8"))


def _flags(node: ast.expr) -> int:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return int(getattr(re, node.attr))
    if isinstance(node, ast.BinOp):
        return _flags(node.left) | _flags(node.right)
    return 0


def compiled_patterns(tree: ast.Module) -> Iterator[tuple[str, re.Pattern[str]]]:
    """Each `NAME = re.compile("…")` with a literal text pattern."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        call = node.value
        is_compile = ast.unparse(call.func) == "re.compile"
        if not (is_compile and call.args and isinstance(call.args[0], ast.Constant)):
            continue
        if isinstance(call.args[0].value, str):
            flags = _flags(call.args[1]) if len(call.args) > 1 else 0
            yield ast.unparse(node.targets[0]), re.compile(call.args[0].value, flags)


def is_control_rule(pattern: re.Pattern[str]) -> bool:
    """Matches control characters and nothing ordinary: a character class of controls."""
    return any(pattern.search(c) for c in CONTROL_SAMPLES) and not any(
        pattern.search(c) for c in ORDINARY
    )


def _whole(pattern: re.Pattern[str], text: str) -> bool:
    found = pattern.search(text)
    return found is not None and found[0] == text


def is_mention_rule(pattern: re.Pattern[str]) -> bool:
    """Matches a whole Discord mention, but not any @handle or anything in angle brackets."""
    mass = any(_whole(pattern, m) for m in ("@everyone", "@here")) and not pattern.search("@alice")
    ids = any(_whole(pattern, m) for m in ("<@1>", "<@&1>", "<#1>"))
    return mass or (ids and not pattern.search("<a>"))


def test_control_and_mention_patterns_live_in_bot_text_alone() -> None:
    found = {
        (name, variable)
        for name, tree in python_files("bot", "cogs")
        for variable, pattern in compiled_patterns(tree)
        if is_control_rule(pattern) or is_mention_rule(pattern)
    }
    assert found - KNOWN_PATTERNS == set(), "use bot.text's rule instead"


def test_shortening_lives_in_bot_text_alone() -> None:
    found = {
        (name, node.name)
        for name, tree in python_files("bot", "cogs")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in SHORTENER_NAMES
    }
    assert found - KNOWN_SHORTENERS == set(), "use bot.text.shorten"


def test_cogs_cut_no_text_at_a_number_of_their_own() -> None:
    found = [
        f"{name}:{node.lineno}: {ast.unparse(node)}"
        for name, tree in python_files("cogs")
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Slice)
        and isinstance(node.slice.upper, ast.Constant)
        and isinstance(node.slice.upper.value, int)
        and node.slice.upper.value >= TEXT_LIMIT_MIN
    ]
    assert found == [], "shorten to a limit from bot/render/ (CONTENT_MAX …) instead"


def test_the_guards_recognise_the_copies_they_look_for() -> None:
    # The old copies, as they were written: each guard must catch its kind.
    assert is_control_rule(re.compile(r"[\x00-\x08\x0a-\x1f\x7f]"))
    assert is_control_rule(re.compile(r"[\t\x85\u2028\u2029]"))
    assert is_mention_rule(re.compile(r"@(?:everyone|here)|<@[!&]?\d+>", re.IGNORECASE))
    assert is_mention_rule(re.compile(r"<(#|@&|@!?)(\d+)>"))
    assert not is_mention_rule(re.compile(r"([@＠])(?=[A-Za-z0-9_])"))  # X handles
    assert not is_mention_rule(re.compile(r"\[[^\]\n]*\]\([^)\s]*\)|<[^>\s]*>|https?://\S+"))
    assert not is_control_rule(re.compile(r"\s+"))
    tree = ast.parse('text = "\\n".join(lines)[:2000]\nfirst = items[:5]\n')
    slices = [n for n in ast.walk(tree) if isinstance(n, ast.Subscript)]
    assert [ast.unparse(n.slice) for n in slices] == [":2000", ":5"]
