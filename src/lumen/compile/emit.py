"""Small builders for Python `ast` nodes, and source locations.

Every generated node carries the Lumen file's line and column (as UTF-8 byte offsets, as
CPython expects), so CPython's own tracebacks point into Lumen source.
"""

from __future__ import annotations

import ast as py

LOAD = py.Load()
STORE = py.Store()


def name(id_: str) -> py.Name:
    return py.Name(id=id_, ctx=LOAD)


def store(id_: str) -> py.Name:
    return py.Name(id=id_, ctx=STORE)


def const(value) -> py.Constant:
    return py.Constant(value=value)


def literal(value) -> py.expr:
    """A Python expression that builds `value` (JSON-like data: dicts, lists, tuples)."""
    if isinstance(value, dict):
        return py.Dict(keys=[const(k) for k in value], values=[literal(v) for v in value.values()])
    if isinstance(value, list):
        return py.List(elts=[literal(v) for v in value], ctx=LOAD)
    if isinstance(value, tuple):
        return py.Tuple(elts=[literal(v) for v in value], ctx=LOAD)
    return const(value)


def call(func, args=(), keywords=()) -> py.Call:
    if isinstance(func, str):
        func = name(func)
    return py.Call(func=func, args=list(args), keywords=list(keywords))


def kw(key: str, value) -> py.keyword:
    return py.keyword(arg=key, value=value)


def attr(obj, attribute: str) -> py.Attribute:
    if isinstance(obj, str):
        obj = name(obj)
    return py.Attribute(value=obj, attr=attribute, ctx=LOAD)


def assign(target: str | py.expr, value) -> py.Assign:
    if isinstance(target, str):
        target = store(target)
    return py.Assign(targets=[target], value=value)


def is_(left, right) -> py.Compare:
    return py.Compare(left=left, ops=[py.Is()], comparators=[right])


def is_not(left, right) -> py.Compare:
    return py.Compare(left=left, ops=[py.IsNot()], comparators=[right])


def and_(values) -> py.expr:
    values = list(values)
    if len(values) == 1:
        return values[0]
    return py.BoolOp(op=py.And(), values=values)


def class_is(value, cls) -> py.Compare:
    """`value.__class__ is cls` — the fastest exact type test CPython has."""
    return is_(attr(value, "__class__"), cls)


def args(params: list[str], defaults: list | None = None, kwonly: list[str] = (),
         kw_defaults: list = ()) -> py.arguments:
    return py.arguments(posonlyargs=[], args=[py.arg(arg=p) for p in params],
                        vararg=None, kwonlyargs=[py.arg(arg=k) for k in kwonly],
                        kw_defaults=list(kw_defaults), kwarg=None,
                        defaults=list(defaults or []))


def function(fname: str, params: py.arguments, body: list, is_async: bool):
    cls = py.AsyncFunctionDef if is_async else py.FunctionDef
    return cls(name=fname, args=params, body=body or [py.Pass()], decorator_list=[],
               returns=None, type_comment=None)


def assigns(stmts: list, name_: str) -> bool:
    """Whether `stmts` store to `name_` in their own scope (not in a nested function)."""
    stack = list(stmts)
    while stack:
        node = stack.pop()
        if isinstance(node, py.Name) and node.id == name_ and isinstance(node.ctx, py.Store):
            return True
        if not isinstance(node, (py.FunctionDef, py.AsyncFunctionDef, py.Lambda)):
            stack.extend(py.iter_child_nodes(node))
    return False


class Locator:
    """Converts Lumen spans to Python node positions for one source file."""

    def __init__(self, code_text: str):
        self.lines = code_text.split("\n")
        self._ascii = [line.isascii() for line in self.lines]

    def byte_col(self, line: int, col: int) -> int:
        if not 1 <= line <= len(self.lines):
            return max(col - 1, 0)
        if self._ascii[line - 1]:
            return max(col - 1, 0)
        return len(self.lines[line - 1][:max(col - 1, 0)].encode("utf-8"))

    def place(self, node, span):
        """Give `node` (and any children without a position) the position of `span`."""
        if span is None or span.line == 0:
            return node
        line, col = span.line, self.byte_col(span.line, span.col)
        end_line, end_col = span.end_line, self.byte_col(span.end_line, span.end_col)
        if (end_line, end_col) < (line, col):
            end_line, end_col = line, col
        # Placed subtrees are not entered again, so building bottom-up stays linear.
        stack = [node]
        while stack:
            child = stack.pop()
            if "lineno" in child._attributes:
                if getattr(child, "lineno", None) is not None and child is not node:
                    continue
                if getattr(child, "lineno", None) is None:
                    child.lineno, child.col_offset = line, col
                    child.end_lineno, child.end_col_offset = end_line, end_col
            stack.extend(py.iter_child_nodes(child))
        return node
