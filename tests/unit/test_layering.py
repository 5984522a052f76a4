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
