"""Signatures of the builtin functions and methods, as data for the checker.

Pure data: imports nothing from the runtime. Types are written in Lumen syntax and
parsed by the checker. Lumen has no type variables, so a result that depends on an
argument's type (`reverse`, `first`, `min`) is `Any`; the checker refines some of them.
A generic written without arguments (`list`, `map`) accepts any element type.

Parameter names are those of the runtime implementations, so calls by name
(`split(s: text, sep: ",")`) work. Method signatures leave out the receiver; their
`callable_params` index the arguments after it. docs/builtins.md is the prose reference.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Sig:
    params: tuple[Param, ...]
    returns: str
    variadic: bool = False            # the last parameter repeats (`print(a, b, c)`)
    callable_params: tuple[int, ...] = ()   # indices of parameters that take functions


def P(name: str, type_: str = "Any", optional: bool = False) -> Param:
    return Param(name, type_, optional)


def O(name: str, type_: str = "Any") -> Param:
    """An optional parameter."""
    return Param(name, type_, True)


ITERABLE = "list | set | map | tuple | String"
SIZED = "String | list | map | set | tuple | Bytes"
SEQUENCE = "list | String"
NUMBER = "Int | Float"
FN1 = "fn(Any) -> Any"
PREDICATE = "fn(Any) -> Bool"
REDUCER = "fn(Any, Any) -> Any"


def _over(returns: str, fn_param: str, fn_type: str, *extra: Param) -> Sig:
    """A higher-order builtin: `(xs, <function>, extra...)`."""
    return Sig((P("xs", ITERABLE), P(fn_param, fn_type), *extra), returns,
               callable_params=(1,))


SIGNATURES: dict[str, Sig] = {
    # output, conversion, types
    "print": Sig((P("values"),), "Null", variadic=True),
    "to_string": Sig((P("value"),), "String"),
    "string": Sig((P("value"),), "String"),
    "to_int": Sig((P("value", "Int | Float | String | Bool"),), "Int"),
    "to_float": Sig((P("value", "Int | Float | String | Bool"),), "Float"),
    "type_of": Sig((P("value"),), "String"),
    "assert": Sig((P("cond", "Bool"), O("message", "String")), "Null"),
    "ok": Sig((P("value"),), "result"),
    "err": Sig((P("error"),), "result"),
    # collections
    "length": Sig((P("value", SIZED),), "Int"),
    "len": Sig((P("value", SIZED),), "Int"),
    "append": Sig((P("xs", "list"), P("value")), "list"),
    "slice": Sig((P("xs", SEQUENCE), P("start", "Int"), O("end", "Int")), "Any"),
    "range": Sig((P("start", "Int"), O("stop", "Int"), O("step", "Int")), "list[Int]"),
    "sum": Sig((P("xs", ITERABLE),), "Any"),
    "min": Sig((P("values"),), "Any", variadic=True),
    "max": Sig((P("values"),), "Any", variadic=True),
    "sort": Sig((P("xs", ITERABLE),), "list"),
    "reverse": Sig((P("xs", SEQUENCE + " | tuple"),), "Any"),
    "contains": Sig((P("haystack", ITERABLE), P("needle")), "Bool"),
    "keys": Sig((P("mapping", "map"),), "list"),
    "values": Sig((P("mapping", "map"),), "list"),
    "entries": Sig((P("mapping", "map"),), "list"),
    "has_key": Sig((P("mapping", "map"), P("key")), "Bool"),
    "set": Sig((O("xs", ITERABLE),), "set"),
    "enumerate": Sig((P("xs", ITERABLE), O("start", "Int")), "list"),
    "zip": Sig((P("lists", ITERABLE),), "list", variadic=True),
    "index_of": Sig((P("xs", SEQUENCE + " | tuple"), P("needle")), "Int"),
    "first": Sig((P("xs", ITERABLE),), "Any"),
    "last": Sig((P("xs", ITERABLE),), "Any"),
    "is_empty": Sig((P("value", SIZED),), "Bool"),
    "unique": Sig((P("xs", ITERABLE),), "list"),
    "flatten": Sig((P("xs", "list"),), "list"),
    "take": Sig((P("xs", SEQUENCE + " | tuple"), P("n", "Int")), "Any"),
    "drop": Sig((P("xs", SEQUENCE + " | tuple"), P("n", "Int")), "Any"),
    # functions over collections (each also has an async implementation)
    "map": _over("list", "f", FN1),
    "filter": _over("list", "p", PREDICATE),
    "reduce": _over("Any", "f", REDUCER, O("initial")),
    "sort_by": _over("list", "key", FN1),
    "any": Sig((P("xs", ITERABLE), O("p", PREDICATE)), "Bool", callable_params=(1,)),
    "all": Sig((P("xs", ITERABLE), O("p", PREDICATE)), "Bool", callable_params=(1,)),
    "find": _over("Any", "p", PREDICATE),
    "count": _over("Int", "p", "Any"),   # a predicate, or a value to count
    "flat_map": _over("list", "f", "fn(Any) -> list"),
    "min_by": _over("Any", "key", FN1),
    "max_by": _over("Any", "key", FN1),
    "group_by": _over("map", "key", FN1),
    "each": _over("Null", "f", FN1),
    # strings
    "join": Sig((P("xs", ITERABLE), O("sep", "String")), "String"),
    "split": Sig((P("s", "String"), O("sep", "String")), "list[String]"),
    "starts_with": Sig((P("s", "String"), P("prefix", "String")), "Bool"),
    "ends_with": Sig((P("s", "String"), P("suffix", "String")), "Bool"),
    "upper": Sig((P("s", "String"),), "String"),
    "lower": Sig((P("s", "String"),), "String"),
    "trim": Sig((P("s", "String"), O("chars", "String")), "String"),
    "replace": Sig((P("s", "String"), P("old", "String"), P("new", "String")), "String"),
    "chars": Sig((P("s", "String"),), "list[String]"),
    "repeat": Sig((P("s", "String | list"), P("n", "Int")), "Any"),
    "pad_left": Sig((P("s", "String"), P("width", "Int"), O("fill", "String")), "String"),
    "pad_right": Sig((P("s", "String"), P("width", "Int"), O("fill", "String")), "String"),
    # numbers
    "abs": Sig((P("x", NUMBER),), "Any"),
    "round": Sig((P("x", NUMBER), O("digits", "Int")), "Any"),
    "floor": Sig((P("x", NUMBER),), "Int"),
    "ceil": Sig((P("x", NUMBER),), "Int"),
    "sqrt": Sig((P("x", NUMBER),), "Float"),
    "pow": Sig((P("base", NUMBER), P("exponent", NUMBER)), "Any"),
    # JSON
    "json_parse": Sig((P("text", "String"),), "Json"),
    "json_stringify": Sig((P("value"), O("indent", "Int")), "String"),
    # nondeterministic (rejected under @deterministic true)
    "uuid": Sig((), "String"),
    "timestamp": Sig((), "Float"),
    "random": Sig((), "Float"),
    # implemented by the orchestration runtime
    "sleep": Sig((P("ms", "Int"),), "Null"),
    "channel": Sig((O("capacity", "Int"),), "Channel"),
}

BUILTIN_NONDETERMINISTIC = frozenset({"uuid", "timestamp", "random"})
BUILTIN_EFFECTS = {"uuid": "random", "random": "random", "timestamp": "time"}


# ------------------------------------------------------------------------------ methods


def _as_method(name: str) -> Sig:
    """The builtin `name` as a method: its first parameter is the receiver."""
    sig = SIGNATURES[name]
    if sig.variadic:   # `xs.min()`: the receiver is the collection
        return Sig((), sig.returns)
    return Sig(sig.params[1:], sig.returns, False,
               tuple(i - 1 for i in sig.callable_params if i > 0))


def _methods(*names: str, **own: Sig) -> dict[str, Sig]:
    table = {name: _as_method(name) for name in names}
    table.update(own)
    return table


_NUMBER_METHODS = _methods("abs", "round", "floor", "ceil", "sqrt", "pow", "to_int",
                           "to_float", "to_string")

METHOD_SIGNATURES: dict[str, dict[str, Sig]] = {
    "list": _methods(
        "length", "append", "contains", "map", "filter", "reduce", "sort", "sort_by",
        "reverse", "join", "slice", "first", "last", "is_empty", "index_of", "sum", "min",
        "max", "enumerate", "any", "all", "find", "count", "unique", "flat_map", "flatten",
        "each", "take", "drop", "min_by", "max_by", "group_by", "to_string",
        push=Sig((P("value"),), "Null"),
        pop=Sig((O("index", "Int"),), "Any"),
        insert=Sig((P("index", "Int"), P("value")), "Null"),
        remove_at=Sig((P("index", "Int"),), "Any"),
        clear=Sig((), "Null"),
    ),
    "String": _methods(
        "length", "upper", "lower", "trim", "split", "contains", "starts_with",
        "ends_with", "replace", "chars", "slice", "is_empty", "index_of", "repeat",
        "pad_left", "pad_right", "to_int", "to_float", "reverse", "take", "drop", "count",
        "to_string",
    ),
    "map": _methods(
        "length", "keys", "values", "entries", "has_key", "contains", "is_empty",
        "to_string",
        get=Sig((P("key"), O("default")), "Any"),
        set=Sig((P("key"), P("value")), "Null"),
        remove=Sig((P("key"),), "Any"),
        clear=Sig((), "Null"),
    ),
    "set": _methods(
        "length", "contains", "is_empty", "map", "filter", "any", "all", "find", "count",
        "each", "to_string",
        add=Sig((P("value"),), "Null"),
        remove=Sig((P("value"),), "Null"),
        discard=Sig((P("value"),), "Null"),
        union=Sig((P("other", "set | list"),), "set"),
        intersection=Sig((P("other", "set | list"),), "set"),
        difference=Sig((P("other", "set | list"),), "set"),
        clear=Sig((), "Null"),
    ),
    "tuple": _methods("length", "contains", "to_string"),
    "Bytes": _methods("length", "to_string"),
    "Int": _NUMBER_METHODS,
    "Float": _NUMBER_METHODS,
    "Bool": _methods("to_int", "to_float", "to_string"),
}
