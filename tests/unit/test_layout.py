"""The layout shows the flow: no import circles, and no package imports one above it.

Every ``import`` in src/mlgate counts, also those inside functions and under ``TYPE_CHECKING``: a circle a
checker sees is a circle a reader follows. The packages, lowest first (docs/architecture.md draws them):
text → stats → gating.rules → config → gating → result → edges → families → run → report → publish →
commands → cli; ``errors`` is shared by all. The rule registry (``gating.rules``) sits below the schema
that names its rules and the deciders in ``stats`` that use its words; nothing else points down-to-up.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "mlgate"

# package -> the packages it must never import (any module in them)
HIGHER = ("edges", "families", "run", "report", "publish", "commands", "cli")
FORBIDDEN: dict[str, set[str]] = {
    "text": {"stats", "gating", "config", "result", *HIGHER},
    "stats": {"gating", "config", "result", *HIGHER},
    "gating": {"result", *HIGHER},
    "config": {"gating", "result", *HIGHER},
    "result": set(HIGHER),
    "edges": {"families", "run", "report", "publish", "commands", "cli"},
    "families": {"run", "report", "publish", "commands", "cli"},
    "run": {"report", "publish", "commands", "cli"},
    "report": {"run", "publish", "commands", "cli"},
    "publish": {"commands", "cli"},
    "commands": {"cli"},
}
ALLOWED = {("stats", "gating.rules"), ("config", "gating.rules")}  # the rule registry, below both


def _modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target in modules and target != name and target.startswith("mlgate"):
                    graph[name].add(target)
    return graph


def _circles(graph: dict[str, set[str]], nodes: list[str]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in nodes:
        if v not in index:
            visit(v)
    return out


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "mlgate"


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return _imports(_modules())


def test_there_is_no_import_circle(graph):
    assert _circles(graph, sorted(_modules())) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, ["a", "b", "c", "d"]) == [["a", "b", "c"]]


def test_no_package_imports_one_above_it(graph):
    upward = sorted(f"{m} -> {d}" for m, targets in graph.items() for d in targets
                    if _package(d) in FORBIDDEN.get(_package(m), set())
                    and (_package(m), d.removeprefix("mlgate.")) not in ALLOWED)
    assert upward == []


def test_the_pure_core_runs_no_process_and_opens_no_connection(graph):
    """gating, stats and text start no process, open no socket or HTTP session, never touch DVC: the edges do."""
    impure = {"subprocess", "socket", "requests", "dvc", "urllib", "http"}
    found = []
    for name, path in _modules().items():
        if _package(name) not in {"gating", "stats", "text"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{name}: {n}" for n in names if n.split(".")[0] in impure]
    assert found == []


def test_the_terminal_shares_the_reports_cells_not_its_renderer(graph):
    assert graph["mlgate.report.terminal"] & {"mlgate.report.render", "mlgate.report.charts"} == set()
    assert "mlgate.report.cells" in graph["mlgate.report.terminal"]


def test_the_layout_is_packages_not_a_flat_folder():
    flat = sorted(p.name for p in SRC.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py", "cli.py", "errors.py", "result.py"]
