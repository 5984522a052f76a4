"""Static types of the checker, and the one question it asks of them: can a value of
type A be used where B is expected?

Checking is gradual: `ANY` means "not known", and every rule answers "compatible" unless
the mismatch is certain. The checker therefore only reports type errors it can prove.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Ty:
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Prim(Ty):
    name: str   # Int, Float, String, Bool, Null, Bytes, Json, Any

    def __str__(self) -> str:
        return self.name


ANY = Prim("Any")
INT = Prim("Int")
FLOAT = Prim("Float")
STRING = Prim("String")
BOOL = Prim("Bool")
NULL = Prim("Null")
BYTES = Prim("Bytes")
JSON = Prim("Json")


@dataclass(frozen=True, slots=True)
class Generic(Ty):
    """list, map, set, tuple, result, Future, Channel — with element types (ANY if not given)."""
    name: str
    args: tuple[Ty, ...]

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}[{', '.join(map(str, self.args))}]"

    def arg(self, i: int) -> Ty:
        return self.args[i] if i < len(self.args) else ANY


def list_of(t: Ty) -> Generic:
    return Generic("list", (t,))


def map_of(k: Ty, v: Ty) -> Generic:
    return Generic("map", (k, v))


def future_of(t: Ty) -> Generic:
    return Generic("Future", (t,))


def tuple_of(items) -> Generic:
    return Generic("tuple", tuple(items))


def result_of(ok: Ty, err: Ty) -> Generic:
    return Generic("result", (ok, err))


@dataclass(frozen=True, slots=True)
class Union(Ty):
    members: tuple[Ty, ...]

    def __str__(self) -> str:
        others = [m for m in self.members if m != NULL]
        if len(others) == 1 and len(self.members) == 2:
            return f"{others[0]}?"
        return " | ".join(map(str, self.members))


@dataclass(frozen=True, slots=True)
class FnTy(Ty):
    params: tuple[Ty, ...] | None   # None: any arity
    ret: Ty
    effects: tuple[str, ...] | None = None

    def __str__(self) -> str:
        params = "..." if self.params is None else ", ".join(map(str, self.params))
        return f"fn({params}) -> {self.ret}"


@dataclass(frozen=True, slots=True, eq=False)
class Named(Ty):
    """A record, enum or agent type; `info` is the checker's declaration record."""
    kind: str       # "record", "enum", "agent"
    name: str
    info: Any

    def __str__(self) -> str:
        return self.name

    def __eq__(self, other) -> bool:
        return isinstance(other, Named) and other.info is self.info

    def __hash__(self) -> int:
        return hash(self.name)


PRIMS = {"Int": INT, "Float": FLOAT, "String": STRING, "Bool": BOOL, "Null": NULL,
         "Bytes": BYTES, "Json": JSON, "Any": ANY}
LOWERCASE_PRIMS = {"int": INT, "float": FLOAT, "string": STRING, "bool": BOOL,
                   "bytes": BYTES, "json": JSON, "any": ANY, "null": NULL}
GENERICS = {"list": 1, "map": 2, "set": 1, "tuple": -1, "result": 2, "Future": 1,
            "Channel": 1}
GENERIC_ALIASES = {"List": "list", "Map": "map", "Set": "set", "Tuple": "tuple",
                   "Result": "result", "future": "Future", "channel": "Channel"}


def union(*types: Ty) -> Ty:
    """The union of types, flattened; ANY absorbs everything."""
    members: list[Ty] = []
    for t in types:
        for m in (t.members if isinstance(t, Union) else (t,)):
            if m == ANY:
                return ANY
            if m not in members:
                members.append(m)
    if not members:
        return ANY
    if len(members) == 1:
        return members[0]
    if INT in members and FLOAT in members:
        members.remove(INT)
        if len(members) == 1:
            return members[0]
    return Union(tuple(members))


def join(types: list[Ty]) -> Ty:
    """The type of a value that is one of `types` (branches of an `if`, items of a list)."""
    if not types:
        return ANY
    return union(*types)


def without_null(t: Ty) -> Ty:
    if isinstance(t, Union):
        rest = [m for m in t.members if m != NULL]
        return union(*rest) if rest else NULL
    return t


def is_known(t: Ty) -> bool:
    return t != ANY


def is_numeric(t: Ty) -> bool:
    return t in (INT, FLOAT)


def compatible(actual: Ty, expected: Ty) -> bool:
    """False only when a value of `actual` can certainly not be used as `expected`."""
    if actual == expected or actual == ANY or expected == ANY:
        return True
    if isinstance(expected, Union):
        return any(compatible(actual, m) for m in expected.members)
    if isinstance(actual, Union):
        return any(compatible(m, expected) for m in actual.members)
    if expected == JSON:
        return actual in (INT, FLOAT, STRING, BOOL, NULL) or (
            isinstance(actual, Generic) and actual.name in ("list", "map"))
    if actual == JSON:
        return expected in (INT, FLOAT, STRING, BOOL, NULL) or (
            isinstance(expected, Generic) and expected.name in ("list", "map"))
    if expected == FLOAT and actual == INT:
        return True   # Python's numeric tower: an Int is accepted where a Float is expected
    if isinstance(expected, Generic) and isinstance(actual, Generic):
        if expected.name != actual.name:
            return False
        if expected.name == "tuple" and expected.args and actual.args \
                and len(expected.args) != len(actual.args):
            return False
        return all(compatible(a, e) for a, e in zip(actual.args, expected.args))
    if isinstance(expected, FnTy) or isinstance(actual, FnTy):
        return isinstance(expected, FnTy) and isinstance(actual, FnTy)
    return False


def proves(actual: Ty, expected: Ty) -> bool:
    """True when every value of static type `actual` certainly passes the runtime check for
    `expected` (which is shallow for containers), so the check can be left out."""
    if expected == ANY or actual == Prim("Never"):
        return True
    if actual == ANY:
        return False
    if isinstance(actual, Union):
        return all(proves(m, expected) for m in actual.members)
    if isinstance(expected, Union):
        return any(proves(actual, m) for m in expected.members)
    if actual == expected:
        return True
    if expected == FLOAT:
        return actual == INT
    if expected == JSON:
        return actual in (INT, FLOAT, STRING, BOOL, NULL) or (
            isinstance(actual, Generic) and actual.name in ("list", "map"))
    if isinstance(expected, Generic) and isinstance(actual, Generic):
        return expected.name == actual.name
    if isinstance(expected, FnTy):
        return isinstance(actual, FnTy)
    return False


def element_type(t: Ty) -> Ty:
    """What iterating a value of type `t` yields."""
    if isinstance(t, Generic):
        if t.name in ("list", "set"):
            return t.arg(0)
        if t.name == "map":
            return t.arg(0)
    if t == STRING:
        return STRING
    return ANY


def describe(t: Ty) -> str:
    return str(t)
