"""The builtin functions and methods of Lumen, as the compiled code reaches them.

This module owns the registries the compiler uses:
* `BUILTINS`: Lumen name -> plain implementation (aliases `len`, `string` included);
* `ASYNC_BUILTINS`: Lumen name -> `async` implementation, for the builtins that take a
  function (used when the function argument may suspend);
* `METHODS` / `ASYNC_METHODS`: `type` -> {method name -> implementation taking the
  receiver first}, so a method can be bound statically when the receiver type is known;
* `call_method` / `acall_method`: dynamic method calls (`xs.push(1)`, `agent.cell(x)`).

The implementations live in `builtins_collections`, `builtins_functional`,
`builtins_strings` and `builtins_math`; docs/builtins.md is the reference.
`sleep` and `channel` belong to the orchestration runtime and are not here.
"""

from __future__ import annotations

import difflib
import sys
import types

from . import builtins_collections as col
from . import builtins_functional as fun
from . import builtins_math as num
from . import builtins_strings as txt
from .builtins_support import is_awaitable
from .display import print_values, to_string
from .errors import LumenError
from .support import assertion
from .values import LumenSet, err, ok, type_name

_COROUTINE = types.CoroutineType


def print_(*values) -> None:
    """Write the values, separated by one space, and a newline to standard output."""
    sys.stdout.write(print_values(*values) + "\n")  # looked up per call: tests capture it


def type_of(value) -> str:
    """The name of the value's type: "Int", "list", "Point", "Shape", "result", ..."""
    return type_name(value)


def assert_(cond, message=None) -> None:
    """Halt with kind AssertionFailed when `cond` is false."""
    assertion(cond, message)


# ------------------------------------------------------------------------------ tables

BUILTINS: dict[str, object] = {
    # output, conversion, types
    "print": print_, "to_string": to_string, "to_int": num.to_int,
    "to_float": num.to_float, "type_of": type_of, "assert": assert_, "ok": ok, "err": err,
    # collections
    "length": col.length, "append": col.append, "slice": col.slice_, "range": col.range_,
    "sum": col.sum_, "min": col.min_, "max": col.max_, "sort": col.sort,
    "reverse": col.reverse, "contains": col.contains, "keys": col.keys,
    "values": col.values, "entries": col.entries, "has_key": col.has_key,
    "set": col.make_set, "enumerate": col.enumerate_, "zip": col.zip_,
    "index_of": col.index_of, "first": col.first, "last": col.last,
    "is_empty": col.is_empty, "unique": col.unique, "flatten": col.flatten,
    "take": col.take, "drop": col.drop,
    # functions over collections
    "map": fun.map_, "filter": fun.filter_, "reduce": fun.reduce_, "sort_by": fun.sort_by,
    "any": fun.any_, "all": fun.all_, "find": fun.find, "count": fun.count,
    "flat_map": fun.flat_map, "min_by": fun.min_by, "max_by": fun.max_by,
    "group_by": fun.group_by, "each": fun.each,
    # strings
    "join": txt.join, "split": txt.split, "starts_with": txt.starts_with,
    "ends_with": txt.ends_with, "upper": txt.upper, "lower": txt.lower, "trim": txt.trim,
    "replace": txt.replace, "chars": txt.chars, "repeat": txt.repeat,
    "pad_left": txt.pad_left, "pad_right": txt.pad_right,
    # numbers, JSON, nondeterministic
    "abs": num.abs_, "round": num.round_, "floor": num.floor, "ceil": num.ceil,
    "sqrt": num.sqrt, "pow": num.pow_, "json_parse": num.json_parse,
    "json_stringify": num.json_stringify, "uuid": num.uuid, "timestamp": num.timestamp,
    "random": num.random,
}

# Accepted for programs written for the reference implementation (LANGUAGE.md 11).
ALIASES = {"len": "length", "string": "to_string"}
BUILTINS.update({alias: BUILTINS[target] for alias, target in ALIASES.items()})

ASYNC_BUILTINS: dict[str, object] = {
    "map": fun.amap, "filter": fun.afilter, "reduce": fun.areduce, "sort_by": fun.asort_by,
    "any": fun.aany, "all": fun.aall, "find": fun.afind, "count": fun.acount,
    "flat_map": fun.aflat_map, "min_by": fun.amin_by, "max_by": fun.amax_by,
    "group_by": fun.agroup_by, "each": fun.aeach,
}


def _pick(*names: str) -> dict[str, object]:
    return {name: BUILTINS[name] for name in names}


_NUMBER_METHODS = _pick("abs", "round", "floor", "ceil", "sqrt", "pow", "to_int",
                        "to_float", "to_string")

METHODS: dict[type, dict[str, object]] = {
    list: {
        **_pick("length", "append", "contains", "map", "filter", "reduce", "sort",
                "sort_by", "reverse", "join", "slice", "first", "last", "is_empty",
                "index_of", "sum", "min", "max", "enumerate", "any", "all", "find",
                "count", "unique", "flat_map", "flatten", "each", "take", "drop",
                "min_by", "max_by", "group_by", "to_string"),
        "push": col.push, "pop": col.pop, "insert": col.insert,
        "remove_at": col.remove_at, "clear": col.clear,
    },
    str: _pick("length", "upper", "lower", "trim", "split", "contains", "starts_with",
               "ends_with", "replace", "chars", "slice", "is_empty", "index_of", "repeat",
               "pad_left", "pad_right", "to_int", "to_float", "reverse", "take", "drop",
               "count", "to_string"),
    dict: {
        **_pick("length", "keys", "values", "entries", "has_key", "contains", "is_empty",
                "to_string"),
        "get": col.map_get, "set": col.map_set, "remove": col.map_remove,
        "clear": col.clear,
    },
    LumenSet: {
        **_pick("length", "contains", "is_empty", "map", "filter", "any", "all", "find",
                "count", "each", "to_string"),
        "add": col.set_add, "remove": col.set_remove, "discard": col.set_discard,
        "union": col.set_union, "intersection": col.set_intersection,
        "difference": col.set_difference, "clear": col.clear,
    },
    tuple: _pick("length", "contains", "to_string"),
    bytes: _pick("length", "to_string"),
    int: _NUMBER_METHODS,
    float: _NUMBER_METHODS,
    # Without a table, Bool would expose Python's int methods (`true.conjugate()`).
    bool: _pick("to_int", "to_float", "to_string"),
}


def _async_versions(methods: dict) -> dict:
    """The async version of each of `methods` that is a builtin taking a function."""
    return {name: ASYNC_BUILTINS[name] for name, method in methods.items()
            if name in ASYNC_BUILTINS and method is BUILTINS[name]}


# Derived from METHODS, so that no method taking a function (`"banana".count(p)`
# included) lacks the version a suspending function needs.
ASYNC_METHODS: dict[type, dict[str, object]] = {
    cls: versions for cls, methods in METHODS.items() if (versions := _async_versions(methods))
}


def _name_functions() -> None:
    # Implementations are named `map_`, `amap`, `map_get`... in Python; give them their
    # Lumen names, which `display` (`<fn map>`) and arity errors show.
    tables = [{n: f for n, f in BUILTINS.items() if n not in ALIASES}, ASYNC_BUILTINS]
    tables += list(METHODS.values()) + list(ASYNC_METHODS.values())
    named: set[int] = set()
    for table in tables:
        for name, function in table.items():
            if id(function) not in named and isinstance(function, types.FunctionType):
                function.__name__ = function.__qualname__ = name
                named.add(id(function))


_name_functions()


# ----------------------------------------------------------------------- method calls


def call_method(obj, name: str, *args, **kwargs):
    """`obj.name(args)`: a builtin method for builtin values, else the object's own."""
    table = METHODS.get(type(obj))
    if table is not None:
        method = table.get(name)
        if method is not None:
            return method(obj, *args, **kwargs)
        raise _no_method(obj, name, table)
    return _call_attribute(obj, name, args, kwargs)


async def acall_method(obj, name: str, *args, **kwargs):
    """`call_method` for suspending code: async builtin methods, awaited results."""
    table = ASYNC_METHODS.get(type(obj))
    if table is not None:
        method = table.get(name)
        if method is not None:
            return await method(obj, *args, **kwargs)
    result = call_method(obj, name, *args, **kwargs)
    if type(result) is _COROUTINE or is_awaitable(result):
        result = await result
    return result


def _call_attribute(obj, name: str, args, kwargs):
    # Python internals (`__class__`, the runtime's `_lumen_*`) are not Lumen methods.
    hidden = name.startswith("__") or name.startswith("_lumen")
    method = None if hidden else getattr(obj, name, None)
    if method is None:
        if name == "to_string" and not args and not kwargs:
            return to_string(obj)  # every value has `to_string()`
        raise _no_method(obj, name, None)
    if not callable(method):
        raise LumenError("RuntimeError",
                         f"value of type {type_name(obj)} has no method `{name}`",
                         hint=f"`{name}` is a field: read it without parentheses")
    return method(*args, **kwargs)


def _no_method(obj, name: str, table: dict | None) -> LumenError:
    if table is not None:
        candidates = list(table)
    else:
        candidates = [n for n in dir(type(obj)) if not n.startswith("_")] + ["to_string"]
    close = difflib.get_close_matches(name, candidates, n=1)
    return LumenError("RuntimeError", f"value of type {type_name(obj)} has no method `{name}`",
                      hint=f"did you mean `{close[0]}`?" if close else None)
