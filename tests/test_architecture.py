"""The import graph of bot/ and cogs/: no import cycles, and the core never imports an adapter.

The graph is read from the source with `ast`, without importing anything. An edge is one import
statement; `from a import b` leads to the module `a.b` when there is one, else to `a`. Each edge
is one of three kinds:

- `runtime`: what importing the module runs — module level, inside `try`, `if` and class bodies
  too, but not under `if TYPE_CHECKING:` and not inside a function;
- `typing`: under `if TYPE_CHECKING:`, read by the type checker only;
- `deferred`: inside a function, run when the function is called.

Cycles are looked for among `runtime` edges (none may exist) and among `runtime` and `typing`
edges together (none but the known ones below). `deferred` edges are left out of both: an
import inside a function is the usual way to break a cycle. The layer rule takes every edge: an
import inside a function is still a dependency. ARCHITECTURE.md, "Boundaries", says why.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from tests.conftest import ROOT

PACKAGES = ("bot", "cogs")

CORE = (
    "bot.models",
    "bot.text",
    "bot.errors",
    "bot.issuefiles",
    "bot.importers",
    "bot.store",
    "bot.render",
    "bot.suggestions",
    "bot.publishing.steps",
    "bot.publishing.plans",
    "bot.publishing.reports",
    "bot.publishing.engine",
    "bot.publishing.outlet",
    "bot.publishing.service",
    "bot.publishing.targets",
)
"""The newsletter's own logic (a name covers the module or the package and all it holds)."""

ADAPTERS = (
    "discord",
    "tweepy",
    "bot.publishing.outlets",
    "bot.app",
    "bot.cli",
    "cogs",
    "bot.sandbox",
    "bot.demo",
)
"""What talks to a platform, a person or a process: the core is given these, never imports them."""

# Cycles through `TYPE_CHECKING` imports allowed for now; none is, and a new one needs a reason.
KNOWN_CYCLES: tuple[frozenset[str], ...] = ()

Kind = Literal["runtime", "typing", "deferred"]


@dataclass(frozen=True)
class Edge:
    """`source` imports `target` at `path:line` (`path` relative to the checkout)."""

    source: str
    target: str
    path: Path
    line: int
    kind: Kind

    def __str__(self) -> str:
        return f"{self.path.as_posix()}:{self.line} imports {self.target} ({self.kind})"


def module_files(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of these packages under `root`, by dotted name."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_statements(
    nodes: Iterable[ast.AST], kind: Kind
) -> Iterator[tuple[ast.Import | ast.ImportFrom, Kind]]:
    """Every import statement among `nodes` and the statements they hold, with its kind."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, kind
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from import_statements(node.body, "deferred")
        elif isinstance(node, ast.If) and is_type_checking(node.test):
            yield from import_statements(node.body, "typing" if kind == "runtime" else kind)
            yield from import_statements(node.orelse, kind)
        else:
            inner = (ast.stmt, ast.excepthandler, ast.match_case)
            yield from import_statements(
                (child for child in ast.iter_child_nodes(node) if isinstance(child, inner)), kind
            )


def imported(
    node: ast.Import | ast.ImportFrom, package: str, modules: Collection[str]
) -> list[str]:
    """The modules one import statement in `package` names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    parts = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
    base = ".".join([*parts, *([node.module] if node.module else [])])
    return [
        f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
        for alias in node.names
    ]


def import_graph(root: Path, packages: Iterable[str]) -> tuple[dict[str, Path], list[Edge]]:
    """The modules of `packages` and every import each makes."""
    modules = module_files(root, packages)
    edges = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, kind in import_statements(tree.body, "runtime"):
            edges += [
                Edge(name, target, path.relative_to(root), node.lineno, kind)
                for target in imported(node, package, modules)
            ]
    return modules, edges


def cycles(modules: Collection[str], edges: Sequence[Edge]) -> list[list[Edge]]:
    """One cycle through each group of modules that import each other, shortest first found.

    Tarjan's strongly connected components, then a breadth-first path back to the group's first
    module.
    """
    out: dict[str, list[Edge]] = {name: [] for name in modules}
    for edge in edges:
        if edge.target in out and edge.target != edge.source:
            out[edge.source].append(edge)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for edge in out[name]:
            if edge.target not in index:
                visit(edge.target)
                low[name] = min(low[name], low[edge.target])
            elif edge.target in stack:
                low[name] = min(low[name], index[edge.target])
        if low[name] == index[name]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == name:
                    break
            if len(group) > 1:
                groups.append(group)

    for name in sorted(out):
        if name not in index:
            visit(name)
    found = []
    for group in groups:
        start = min(group)
        paths: dict[str, list[Edge]] = {start: []}
        queue = [start]
        while queue:
            name = queue.pop(0)
            for edge in out[name]:
                if edge.target == start:
                    found.append([*paths[name], edge])
                    queue = []
                    break
                if edge.target in group and edge.target not in paths:
                    paths[edge.target] = [*paths[name], edge]
                    queue.append(edge.target)
    return sorted(found, key=lambda cycle: cycle[0].source)


def in_layer(module: str, layer: Iterable[str]) -> bool:
    """Whether `module` is one of `layer`'s names or inside one of its packages."""
    return any(module == name or module.startswith(name + ".") for name in layer)


def back_edges(edges: Iterable[Edge]) -> list[Edge]:
    """The imports by which a core module reaches an adapter."""
    return [e for e in edges if in_layer(e.source, CORE) and in_layer(e.target, ADAPTERS)]


def said(cycle: Sequence[Edge]) -> str:
    """A cycle as a reader follows it: the modules in a ring, then each import on its line."""
    ring = " → ".join([cycle[0].source, *(edge.target for edge in cycle)])
    return "\n".join([f"import cycle: {ring}", *(f"  {edge}" for edge in cycle)])


@cache
def our_graph() -> tuple[dict[str, Path], list[Edge]]:
    """The import graph of bot/ and cogs/, read once a process and only where a test asks: every
    xdist worker imports this module, but only the one running these tests parses the code."""
    return import_graph(ROOT, PACKAGES)


def test_no_module_imports_one_that_imports_it_back() -> None:
    modules, edges = our_graph()
    found = cycles(modules, [e for e in edges if e.kind == "runtime"])
    assert not found, (
        "\n".join(map(said, found))
        + "\nImporting either module half-initialises the other. Move what both need to a"
        " module of the layer below (ARCHITECTURE.md, Boundaries and Layout)."
    )


def test_no_import_cycles_for_the_type_checker_but_the_known_ones() -> None:
    modules, edges = our_graph()
    found = cycles(modules, [e for e in edges if e.kind != "deferred"])
    new = [c for c in found if frozenset(e.source for e in c) not in KNOWN_CYCLES]
    assert not new, (
        "\n".join(map(said, new))
        + "\nTwo modules that need each other's types are one idea split in two, or need a"
        " Protocol or model of the layer below (ARCHITECTURE.md, Boundaries)."
    )
    gone = set(KNOWN_CYCLES) - {frozenset(e.source for e in c) for c in found}
    assert not gone, f"no longer a cycle, delete it from KNOWN_CYCLES: {sorted(map(sorted, gone))}"


def test_the_core_never_imports_an_adapter() -> None:
    _, edges = our_graph()
    found = back_edges(edges)
    assert not found, (
        "the core imports an adapter:\n"
        + "\n".join(f"  {edge}" for edge in found)
        + "\nPass the adapter in instead, as a Protocol of the core (ARCHITECTURE.md, Boundaries)."
    )


BACKENDS = ("bot.store.sqlite", "bot.store.postgres")
"""The archive's backends: what both need lives in `bot.store`, never in the other one."""


def test_no_archive_backend_imports_another() -> None:
    _, edges = our_graph()
    found = [
        edge
        for edge in edges
        for backend in BACKENDS
        if in_layer(edge.source, [backend])
        and in_layer(edge.target, [other for other in BACKENDS if other != backend])
    ]
    assert not found, (
        "an archive backend imports another:\n"
        + "\n".join(f"  {edge}" for edge in found)
        + "\nMove what both need to `bot.store` (ARCHITECTURE.md, Boundaries)."
    )


def test_every_layer_names_modules_that_exist() -> None:
    modules, _ = our_graph()
    ours = [n for n in (*CORE, *ADAPTERS, *BACKENDS) if n.split(".")[0] in PACKAGES]
    missing = [name for name in ours if not any(in_layer(m, [name]) for m in modules)]
    assert not missing, f"CORE or ADAPTERS name modules that do not exist: {missing}"


def write_package(root: Path, files: dict[str, str]) -> None:
    """Modules under `root` from `{relative path: source}`."""
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


def test_the_graph_tells_runtime_typing_and_deferred_imports_apart(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/models.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from bot.archive import Archive\n"
                "def publish() -> None:\n"
                "    from bot.app import Newsbot\n"
            ),
            "bot/archive.py": "from . import models\n",
            "bot/app.py": "try:\n    import bot.render.x\nexcept ImportError:\n    pass\n",
            "bot/render/__init__.py": "",
            "bot/render/x.py": "class X:\n    from ..app import Newsbot\n",
        },
    )
    modules, edges = import_graph(tmp_path, ["bot"])
    assert sorted(modules) == [
        "bot",
        "bot.app",
        "bot.archive",
        "bot.models",
        "bot.render",
        "bot.render.x",
    ]
    assert {(e.source, e.target, e.line, e.kind) for e in edges} == {
        ("bot.models", "typing", 1, "runtime"),
        ("bot.models", "bot.archive", 3, "typing"),
        ("bot.models", "bot.app", 5, "deferred"),
        ("bot.archive", "bot.models", 1, "runtime"),
        ("bot.app", "bot.render.x", 2, "runtime"),
        ("bot.render.x", "bot.app", 2, "runtime"),
    }
    (runtime,) = cycles(modules, [e for e in edges if e.kind == "runtime"])
    assert said(runtime) == (
        "import cycle: bot.app → bot.render.x → bot.app\n"
        "  bot/app.py:2 imports bot.render.x (runtime)\n"
        "  bot/render/x.py:2 imports bot.app (runtime)"
    )
    typing = cycles(modules, [e for e in edges if e.kind != "deferred"])
    assert [frozenset(e.source for e in c) for c in typing] == [
        frozenset({"bot.app", "bot.render.x"}),
        frozenset({"bot.archive", "bot.models"}),
    ]
    assert [(e.source, e.target) for e in back_edges(edges)] == [
        ("bot.models", "bot.app"),
        ("bot.render.x", "bot.app"),
    ]
