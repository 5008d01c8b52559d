"""The store sits below the suggestions: `bot.suggestions` uses the store, and nothing the
store imports, however indirectly, imports `bot.suggestions` back."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

BOT = ROOT / "bot"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in BOT.rglob("*.py") if "_vendor" not in path.parts}


def _as_module(name: str) -> str | None:
    """The newsbot module an imported name lives in (`bot.models.Issue` → `bot.models`)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _with_parents(module: str) -> set[str]:
    """Importing `a.b.c` runs `a/__init__`, `a/b/__init__` and `a/b/c`."""
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts) + 1)} & MODULES.keys()


def imports_of(module: str) -> set[str]:
    """Every newsbot module `module` imports, at any level of its code (type-checking too)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            target = _as_module(name)
            if target is not None:
                found |= _with_parents(target)
    return found - {module}


def reachable(start: str) -> set[str]:
    """The modules importing `start` (a module or package name prefix) runs, transitively."""
    todo = [name for name in MODULES if name == start or name.startswith(start + ".")]
    seen = set(todo)
    while todo:
        for imported in imports_of(todo.pop()):
            if imported not in seen:
                seen.add(imported)
                todo.append(imported)
    return seen


def _inside(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


def test_the_store_never_imports_the_suggestions() -> None:
    assert _inside(reachable("bot.store"), "bot.suggestions") == []


def test_the_suggestions_use_the_store() -> None:
    """So the two are layered, one way, rather than merely apart."""
    assert _inside(reachable("bot.suggestions"), "bot.store"), "the service is typed by the store"


def test_an_import_for_type_checking_counts() -> None:
    """The walk sees imports in `TYPE_CHECKING` blocks and functions, not only at the top."""
    assert "bot.store" in imports_of("bot.suggestions.drafts")  # under TYPE_CHECKING there
    assert "bot.models.links" in imports_of("bot.store.sqlite.suggestions")
