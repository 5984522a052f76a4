"""Effect inference and effect-row checking (LANGUAGE.md section 10).

A function's effects are those of the tools it calls (`llm.chat` → `llm`), `random`
for `random()`/`uuid()`, `time` for `timestamp()`, plus the effects of every cell,
lambda and branch it calls. A cell with a declared row must declare all of them; the
error names the call that brings a missing effect and the chain it arrives through.
With `@deterministic true` (the module's own, or that of a program importing it), every
tool call must be declared by its cell.
"""

from __future__ import annotations

from collections import deque


def infer_effects(analysis) -> None:
    functions = list(analysis.functions.values())
    for f in functions:
        f.inferred_effects = set(f.effects)
    changed = True
    while changed:
        changed = False
        for f in functions:
            for callee, _, _ in f.callees:
                extra = callee.inferred_effects - f.inferred_effects
                if extra:
                    f.inferred_effects |= extra
                    changed = True


def check_effect_rows(checker) -> None:
    for f in checker.analysis.functions.values():
        if f.kind != "cell" or f.declared_effects is None:
            continue
        declared = set(f.declared_effects)
        for effect in sorted(f.inferred_effects - declared):
            chain = effect_chain(f, effect)
            span = chain[0][1] if chain else f.node.span
            route = " → ".join(f"{label} (line {s.line})" for label, s in chain if s)
            row = ", ".join(list(f.declared_effects) + [effect])
            checker.soft_error(
                "E510", f"cell `{f.name}` performs effect `{effect}`, which its row "
                        f"{{{', '.join(f.declared_effects)}}} does not declare", span,
                f"it arrives through {route}; declare it: `/ {{{row}}}`")


def effect_chain(f, effect: str) -> list:
    """The calls from `f` to the place that performs `effect`: (label, span) pairs."""
    start = (f, ())
    seen = {f}
    queue = deque([start])
    while queue:
        current, path = queue.popleft()
        for source_effect, span, label in current.effect_sources:
            if source_effect == effect:
                return list(path) + [(label, span)]
        for callee, span, label in current.callees:
            if callee not in seen and effect in callee.inferred_effects:
                seen.add(callee)
                queue.append((callee, path + ((label, span),)))
    return []


def check_deterministic_tools(checker) -> None:
    """`@deterministic true`: a tool call's effect must be declared by its cell."""
    for f in checker.analysis.functions.values():
        for effect, span, label in f.effect_sources:
            if not label.startswith("tool"):
                continue
            cell = f.top()
            declared = cell.declared_effects if cell.kind == "cell" else None
            if declared is None or effect not in declared:
                where = f"cell `{cell.name}`" if cell.kind == "cell" else "top-level code"
                checker.error(
                    "E502", f"with `@deterministic true`, {where} must declare the effect "
                            f"`{effect}` of {label}", span,
                    checker.deterministic_hint(
                        f"declare it on the cell: `/ {{{effect}}}`" if cell.kind == "cell"
                        else "move the tool call into a cell that declares its effect"))
