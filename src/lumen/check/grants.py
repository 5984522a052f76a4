"""Grants, checked against the grant schema (`lumen.grant_schema`) before the program runs:
a grant names a tool declared where it applies (E250), its keys are grant keys (E251),
each value has the key's type (E252), and each key applies to the kind of that tool
(E253: `domain` on a chat tool would be a `PolicyViolation` at its first call).

The kind of a tool follows from its provider, which lumen.toml and tools registered in
Python choose; the driver passes the kinds in (`tool_kinds`). A tool whose kind is not
known is not checked for applicability.
"""

from __future__ import annotations

from ..source import Span
from ..syntax import ast as A
from . import types as T
from .suggest import did_you_mean

_STATIC_TYPES = {"Int": T.INT, "Float": T.FLOAT, "String": T.STRING,
                 "list[String]": T.list_of(T.STRING)}
_NOT_A_CONSTANT = object()


def check_grants(checker) -> None:
    """Every grant of the module, top level and in agents; the values' expressions are
    checked (and typed) like any other."""
    top = {t.alias: t for t in checker.tools if t.agent is None}
    scopes = [(checker.module.items, top, None)]
    for agent in checker.agents.values():
        scopes.append((agent.node.members, {**top, **agent.tools}, agent))
    for members, tools, agent in scopes:
        for grant in (m for m in members if isinstance(m, A.Grant)):
            tool = tools.get(grant.alias)
            if tool is None:
                where = f" in {agent.kind} `{agent.name}`" if agent else ""
                checker.error("E250", f"`grant {grant.alias}` names no tool declared{where}",
                              grant.span, did_you_mean(grant.alias, tools) or
                              f"declare it first: `use tool NAMESPACE.NAME as {grant.alias}`")
            for entry in grant.entries:
                value_type = checker.expr(entry.value)
                if tool is not None:
                    check_entry(checker, entry, value_type, tool)


def check_entry(checker, entry: A.GrantEntry, value_type: T.Ty, tool) -> None:
    # Imported here, so that a program without grants (most) does not pay for the schema
    # at start-up.
    from ..grant_schema import KEYS, kinds_of

    key = KEYS.get(entry.key)
    at_key = Span(entry.span.line, entry.span.col, entry.span.line,
                  entry.span.col + len(entry.key))
    if key is None:
        checker.error("E251", f"`{entry.key}` is not a grant key", at_key,
                      did_you_mean(entry.key, KEYS) or f"grant keys: {', '.join(KEYS)}")
        return
    expected = key.value
    example = f"e.g. `grant {tool.alias} {key.example}`"
    if not any(T.compatible(value_type, _STATIC_TYPES[name]) for name in expected.lumen_types):
        checker.error("E252", f"grant `{key.name}` must be {expected.described}, got a value "
                              f"of type {value_type}", entry.value.span,
                      f"`{key.name}`: {key.description}; {example}")
        return
    value = constant(entry.value)
    items = value if key.accumulates and isinstance(value, list) else [value]
    for item in items:
        if item is not _NOT_A_CONSTANT and not expected.accepts(item):
            checker.error("E252", f"grant `{key.name}` must be {expected.described}, got "
                                  f"{shown(item)}", entry.value.span,
                          f"`{key.name}`: {key.description}; {example}")
            return
    kind = checker.tool_kinds.get(tool.tool)
    if kind is not None and not key.applies_to(kind):
        checker.error("E253", f"grant `{key.name}` does not apply to `{tool.alias}` "
                              f"({tool.tool}, of kind `{kind}`)", at_key,
                      f"`{key.name}` applies to these kinds of tool: {kinds_of(key)}; "
                      f"calling `{tool.alias}` with it would be a PolicyViolation "
                      f"(see docs/tools.md, Grants)")


def constant(expr):
    """The value of a literal grant value (`0`, `-1`, `"x"`, `["a", "b"]`), else
    _NOT_A_CONSTANT: other values are only known when the program runs."""
    if isinstance(expr, A.Literal):
        return expr.value
    if isinstance(expr, A.Unary) and expr.op == "-" and isinstance(expr.operand, A.Literal) \
            and isinstance(expr.operand.value, (int, float)) \
            and not isinstance(expr.operand.value, bool):
        return -expr.operand.value
    if isinstance(expr, A.ListLit):
        items = [constant(item) for item in expr.items]
        return _NOT_A_CONSTANT if _NOT_A_CONSTANT in items else items
    return _NOT_A_CONSTANT


def shown(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    return repr(value)
