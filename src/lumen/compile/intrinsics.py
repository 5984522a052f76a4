"""Builtin calls the compiler writes as the Python that a person would write, when the
checker has proven the argument types make that exact (a mixin of the compiler).

`length(xs)` on a list is `len(xs)`, `ends_with(s, t)` on Strings is `s.endswith(t)`,
`xs.push(v)` is `xs.append(v)`, and `map`/`filter` with a lambda over a list are list
comprehensions. Anything not proven goes through the builtin, which checks its
arguments, so both paths behave the same.
"""

from __future__ import annotations

import ast as py

from ..check import types as T
from ..syntax import ast as A
from . import emit as E
from .expressions import PURE

_SIZED = ("list", "map", "set", "tuple")


def _is_string(t) -> bool:
    return t == T.STRING


def _is_sized(t) -> bool:
    return t == T.STRING or (isinstance(t, T.Generic) and t.name in _SIZED)


def _is_list(t) -> bool:
    return isinstance(t, T.Generic) and t.name == "list"


def _is_number(t) -> bool:
    return t in (T.INT, T.FLOAT)


def _method(name: str):
    return lambda args: E.call(E.attr(args[0], name), args[1:])


# builtin name -> (argument type tests, how to write the call)
FUNCTIONS = {
    "length": ((_is_sized,), lambda a: E.call("_L_len", a)),
    "len": ((_is_sized,), lambda a: E.call("_L_len", a)),
    "upper": ((_is_string,), _method("upper")),
    "lower": ((_is_string,), _method("lower")),
    "trim": ((_is_string,), _method("strip")),
    "starts_with": ((_is_string, _is_string), _method("startswith")),
    "ends_with": ((_is_string, _is_string), _method("endswith")),
    "contains": ((_is_string, _is_string),
                 lambda a: py.Compare(left=a[1], ops=[py.In()], comparators=[a[0]])),
    "abs": ((_is_number,), lambda a: E.call("_L_abs", a)),
    "sqrt": ((_is_number,), lambda a: E.call("_L_sqrt", a)),
}
# method on a receiver type (checker's table name) -> {method: (argument tests, writer)}
METHODS = {
    "list": {"push": ((lambda t: True,), _method("append")),
             "length": ((), lambda a: E.call("_L_len", a))},
    "String": {"upper": ((), _method("upper")), "lower": ((), _method("lower")),
               "trim": ((), _method("strip")), "length": ((), lambda a: E.call("_L_len", a)),
               "starts_with": ((_is_string,), _method("startswith")),
               "ends_with": ((_is_string,), _method("endswith"))},
    "map": {"length": ((), lambda a: E.call("_L_len", a))},
}


class IntrinsicCompiler:
    def intrinsic_call(self, node: A.Call, target):
        """A plain Python expression for this builtin call, or None."""
        name = target.method
        if name in ("map", "filter"):
            return self.inline_map_filter(node, target)
        rule = FUNCTIONS.get(name)
        if rule is None or target.ordered is None or len(target.ordered) < len(rule[0]):
            return None
        values = target.ordered[:len(rule[0])]
        if any(v is None for v in values) or any(v is not None for v in
                                                 target.ordered[len(rule[0]):]):
            return None
        if not all(test(self.a.type_of(v)) for test, v in zip(rule[0], values)):
            return None
        return rule[1](self.exprs_in_order(values))

    def intrinsic_method(self, node: A.Call, target):
        rule = METHODS.get(target.receiver_type, {}).get(target.method)
        if rule is None or target.ordered is None:
            return None
        tests, write = rule
        values = target.ordered
        if len(values) != len(tests) or any(v is None for v in values):
            return None
        if not all(test(self.a.type_of(v)) for test, v in zip(tests, values)):
            return None
        return write(self.exprs_in_order([node.callee.obj] + list(values)))

    def inline_map_filter(self, node: A.Call, target):
        """`map(xs, fn(x) => e)` → `[e for x in xs]`; `filter(xs, fn(x) => c)` →
        `[x for x in xs if c]` — when `xs` is a list and the lambda a plain expression."""
        if target.ordered is None or len(target.ordered) != 2:
            return None
        collection, function = target.ordered
        if not isinstance(function, A.Lambda) or function.is_block or len(function.params) != 1:
            return None
        info = self.a.functions.get(function)
        param = function.params[0]
        body = function.body[0].expr
        if info is None or info.is_async or param.default is not None \
                or self.needs(body) != PURE or not _is_list(self.a.type_of(collection)):
            return None
        iterable = self.expr(collection)
        name = self.a.bindings[param].py_name
        value = self.expr(body)
        if target.method == "map":
            element, conditions = value, []
        else:
            element, conditions = E.name(name), [value]
        generator = py.comprehension(target=E.store(name), iter=iterable, ifs=conditions,
                                     is_async=0)
        return py.ListComp(elt=element, generators=[generator])
