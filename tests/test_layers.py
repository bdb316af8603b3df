"""The house rules a newcomer relies on, checked on the source itself: which layer may
import which, no import circle (imports inside functions count), Prefect only where it
orchestrates, and no product module too large to read in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("parsers", "store", "flows", "deployments")
#: what each layer may import of the others (parsers are a plain library, the store a
#: library over SQLite, flows orchestrate both)
ALLOWED = {
    "parsers": set(),
    "store": {"parsers"},
    "flows": {"parsers", "store"},
    "deployments": {"parsers", "store", "flows"},
}
MAX_LINES = 700


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module this one imports, wherever the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    # A package's __init__ runs before any of its modules: importing it from inside the
    # package adds nothing.
    return {m for m in found if not name.startswith(m + ".")}


GRAPH = {
    name: {m for m in _imports(name, path) if m in MODULES and m != name}
    for name, path in MODULES.items()
}


def test_the_rules_see_the_whole_product():
    assert {"parsers.extract", "store.append", "flows.run", "deployments.entrypoints"} <= set(GRAPH)
    assert "store.dedup" in GRAPH["store.append"]  # a real edge is seen


def _layer(name: str) -> str:
    """The command line sits on top of everything: it dispatches to every layer."""
    return "deployments" if name.startswith("flows.cli") else name.split(".")[0]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_layer_imports_only_the_layers_below_it(name):
    layer = _layer(name)
    wrong = sorted(m for m in GRAPH[name] if _layer(m) not in ALLOWED[layer] | {layer})
    assert not wrong, f"{name} imports {wrong}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_prefect_is_imported_only_where_runs_are_orchestrated(name):
    prefect = {m for m in _imports(name, MODULES[name]) if m.split(".")[0] == "prefect"}
    assert not prefect or name.split(".")[0] in ("flows", "deployments"), name


def test_no_import_circle():
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


def test_no_product_module_is_over_the_size_a_reader_can_hold():
    big = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not big, big
