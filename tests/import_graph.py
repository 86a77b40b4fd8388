"""The import graph of the project's own modules, read from source with `ast` (nothing is imported or run).

Every import counts: module level, inside functions and under `if TYPE_CHECKING:`, since each is a dependency a
reader has to follow. tests/test_import_layers.py checks the graph against docs/architecture.md's rules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOP_PACKAGES = ("providers", "policies", "idp_bridge")

Graph = Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class Module:
    name: str
    path: Path


def module_name(path: Path, root: Path = REPO) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(root: Path = REPO, packages: Iterable[str] = TOP_PACKAGES) -> dict[str, Module]:
    found: dict[str, Module] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = Module(module_name(path, root), path)
    return found


def _imported(tree: ast.AST, known: Mapping[str, object]) -> set[str]:
    """The known modules a module's source names: `from a.b import c` is `a.b.c` when that is a module, else
    `a.b`; relative imports are not used in this project and would show up as unknown."""
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                targets.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
    return {t for t in targets if t in known}


def import_graph(modules: Mapping[str, Module]) -> dict[str, frozenset[str]]:
    return {
        name: frozenset(_imported(ast.parse(module.path.read_text(), str(module.path)), modules) - {name})
        for name, module in modules.items()
    }


def cycles(graph: Graph) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")
