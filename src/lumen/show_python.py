"""`python -m lumen.show_python FILE`: print the Python a Lumen file compiles to (a
development aid for reading what the compiler emits)."""

from __future__ import annotations

import ast
import sys


def main(argv: list[str]) -> int:
    from pathlib import Path

    from .compile.codegen import Compiler
    from .diagnostics import render_all
    from .driver import check_graph
    from .loader import load_graph

    graph = load_graph(Path(argv[0]))
    check_graph(graph)
    if graph.root.analysis is None:
        sys.stderr.write(render_all(graph.diagnostics) + "\n")
        return 2
    print(ast.unparse(Compiler(graph.root.analysis).compile_module()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
