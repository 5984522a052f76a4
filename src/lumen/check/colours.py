"""Colour inference (DESIGN.md decision 3): which functions can suspend.

A function is `async` when it contains a suspension point itself (an `await` form,
`spawn`, `sleep`, a channel operation, a tool call, a call of unknown target) or calls a
function that is async. Orchestration branches always run as tasks, so they are async.
Everything else compiles to a plain `def`, and pure code never pays for coroutines.
"""

from __future__ import annotations


def infer_colours(analysis) -> None:
    functions = list(analysis.functions.values())
    for f in functions:
        f.is_async = f.suspends or f.kind == "branch"
    changed = True
    while changed:
        changed = False
        for f in functions:
            if not f.is_async and any(c.is_async for c, _, _ in f.callees):
                f.is_async = True
                changed = True
