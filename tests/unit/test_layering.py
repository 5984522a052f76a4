"""Imports point one way (DESIGN.md): source ← diagnostics ← syntax ← check ← compile ←
driver ← cli; compiled code calls into the runtime, which imports nothing from the
front end; the tools layer serves the runtime through one small interface
(`runtime/tool_calls.py`) and the runtime never imports it. The grant schema is a leaf
that both the checker and the tools layer read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "lumen"

# package -> lumen packages/modules it may import
ALLOWED = {
    "syntax": {"source", "diagnostics", "syntax"},
    "check": {"source", "diagnostics", "syntax", "check", "grant_schema"},
    "compile": {"source", "diagnostics", "syntax", "check", "compile"},
    "runtime": {"source", "diagnostics", "runtime"},
    "tools": {"source", "diagnostics", "runtime", "tools", "config", "__init__",
              "grant_schema"},
}


def lumen_imports(path: Path) -> set[str]:
    """The top-level lumen parts a module imports (`syntax`, `check`, `driver`, ...)."""
    tree = ast.parse(path.read_text())
    package = path.relative_to(PACKAGE).parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[:len(package) - node.level + 1])
                parts = base + (node.module.split(".") if node.module else [])
                found.add(parts[0] if parts else "__init__")   # `from .. import x`
            elif node.module and node.module.startswith("lumen"):
                parts = node.module.split(".")
                found.add(parts[1] if len(parts) > 1 else "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("lumen."):
                    found.add(alias.name.split(".")[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer):
    for path in (PACKAGE / layer).rglob("*.py"):
        extra = lumen_imports(path) - ALLOWED[layer] - {layer}
        assert not extra, f"{path.relative_to(PACKAGE)} imports {sorted(extra)}"


def test_the_grant_schema_is_a_leaf():
    """The checker and the tools layer both read it, so it may import neither."""
    assert lumen_imports(PACKAGE / "grant_schema.py") == set()


def test_loading_only_parses():
    """Checking and compiling are the driver's phases, not the loader's."""
    assert not {"check", "compile"} & lumen_imports(PACKAGE / "loader.py")


def test_the_check_does_see_imports():
    assert {"check", "syntax"} <= lumen_imports(PACKAGE / "compile" / "codegen.py")
    assert "runtime" in lumen_imports(PACKAGE / "tools" / "session.py")


# ------------------------------------------------------------- inside the runtime

RUNTIME = PACKAGE / "runtime"


def runtime_imports(path: Path) -> set[str]:
    """The runtime modules (`values`, `display`, ...) a runtime module imports, at its
    top level or inside a function: an import deferred into a function is still an
    edge of the graph, it only hides a cycle from Python."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["lumen", "runtime"][:3 - node.level]
                parts = base + (node.module.split(".") if node.module else [])
            else:
                parts = (node.module or "").split(".")
            if parts[:2] != ["lumen", "runtime"]:
                continue
            # `from . import events` names modules; `from .values import Ok` one module.
            found.update([parts[2]] if len(parts) > 2 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[:2] == ["lumen", "runtime"] and len(parts) > 2:
                    found.add(parts[2])
    return {name for name in found if (RUNTIME / f"{name}.py").exists()} - {path.stem}


def runtime_graph() -> dict[str, set[str]]:
    return {path.stem: runtime_imports(path) for path in sorted(RUNTIME.glob("*.py"))}


def first_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of `graph` as a path that ends where it starts, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, path + [node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_runtime_modules_import_each_other_without_a_cycle():
    cycle = first_cycle(runtime_graph())
    assert cycle is None, "runtime import cycle: " + " -> ".join(cycle)


def test_values_display_errors_point_one_way():
    # values may use display and errors; display shows values through their
    # `_lumen_show` protocol and errors only raise, so neither needs values.
    graph = runtime_graph()
    assert "values" not in graph["display"]
    assert not graph["errors"] & {"values", "display"}
    assert {"display", "errors"} <= graph["values"]


def test_the_cycle_check_sees_imports_inside_functions():
    assert first_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert first_cycle({"a": {"b"}, "b": set(), "c": {"b"}}) is None
    assert {"builtins", "run"} <= runtime_imports(RUNTIME / "namespace.py")  # lazy ones
    assert "run" in runtime_imports(RUNTIME / "support.py")              # `from . import`
