"""Small operations compiled code calls that are not builtins: Lumen's division, `++`,
member access on values of unknown type, `?` and `try` support, `emit`, the agent base
class, and the run-time errors the compiler reports through (`halt`, `assert`, a failed
`where` constraint, a `match` without a matching arm, ...)."""

from __future__ import annotations

import sys

from . import run as runs
from .display import display, short_display, to_string
from .errors import LumenError
from .translation import translate
from .values import Err, Failure, Ok, type_name

MISSING = type("Missing", (), {"__repr__": lambda self: "<missing>",
                               "__slots__": ()})()
NEVER = object()   # never produced by Lumen code: `x is not NEVER` is always true


def idiv(a: int, b: int) -> int:
    """`/` on two Ints: division truncating toward zero. (The compiler calls it where the
    checker saw two Ints; a Float that got there anyway still divides as a Float.)"""
    if a.__class__ is not int or b.__class__ is not int:
        return div(a, b)
    q = a // b
    if q < 0 and q * b != a:
        q += 1
    return q


def div(a, b):
    """`/` when the operand types are not known statically."""
    if a.__class__ is int and b.__class__ is int:
        return idiv(a, b)
    return a / b


def concat(a, b):
    """`++`: two Strings or two lists."""
    if a.__class__ is b.__class__ and a.__class__ in (str, list):
        return a + b
    raise LumenError("TypeError", f"`++` joins two Strings or two lists, got "
                                  f"{type_name(a)} and {type_name(b)}")


def member(obj, name: str):
    """`obj.name` when the type of `obj` is not known: a map key, a field, an attribute."""
    if obj.__class__ is dict:
        try:
            return obj[name]
        except KeyError:
            raise LumenError("KeyError", f"map has no key {display(name)}") from None
    if obj is None:
        raise LumenError("TypeError", f"cannot read `.{name}` of null",
                         hint=f"use `?.{name}` to get null instead")
    if name.isdigit() and obj.__class__ in (tuple, list):
        try:
            return obj[int(name)]
        except IndexError:
            raise LumenError("IndexError", f"index {name} out of range for "
                                           f"{type_name(obj)} of {len(obj)}") from None
    try:
        return getattr(obj, name)
    except AttributeError:
        raise LumenError("RuntimeError",
                         f"value of type {type_name(obj)} has no field `{name}`") from None


def unwrap(value):
    """The value of `ok(v)` for `?` (an `err` has already been returned)."""
    if value.__class__ is Ok:
        return value.value
    raise LumenError("TypeError", f"`?` needs a result (ok/err), got {type_name(value)} "
                                  f"({short_display(value)})")


def failure(exc: BaseException):
    """The `Failure` record for an error caught by `try`."""
    return failure_of(translate(exc))


def failure_of(error: LumenError) -> Failure:
    """The `Failure` record `try` wraps in `err(...)`."""
    return Failure(error.kind, error.message, error.line or 0)


def emit(value) -> None:
    """`emit v`: print the value and send it to the run's event stream."""
    text = to_string(value)
    sys.stdout.write(text + "\n")
    run = runs.current()
    if run.listeners:
        run.emit("emit", {"value": value})


def halt(message) -> None:  # never returns
    """`halt "message"`: stop with kind Halt; the message is kept exactly as given."""
    if type(message) is not str:
        message = to_string(message)
    raise LumenError("Halt", message)


def assertion(cond, message=None) -> None:
    """`assert(cond, message?)`: kind AssertionFailed when `cond` is false."""
    if not cond:
        if message is None:
            message = "assertion failed"
        elif type(message) is not str:
            message = to_string(message)
        raise LumenError("AssertionFailed", message)


def constraint_error(record_name: str, field: str, constraint_text: str,
                     value) -> None:  # never returns
    """A record field's `where` constraint failed at construction (kind ConstraintViolation)."""
    raise LumenError("ConstraintViolation",
                     f"{record_name}.{field} violates `where {constraint_text}` "
                     f"(got {short_display(value)})")


def no_body(cell: str) -> None:  # never returns
    raise LumenError("RuntimeError", f"cell `{cell}` has no body")


def no_match(value, what: str = "match") -> None:
    if what == "destructuring":
        raise LumenError("RuntimeError",
                         f"value {short_display(value)} does not fit the pattern")
    raise LumenError("RuntimeError", f"no match arm matches value {short_display(value)}")


def missing_field(record: str, field: str) -> None:
    raise LumenError("TypeError", f"record `{record}` needs field `{field}`")


def unknown_name(name: str) -> None:
    raise LumenError("RuntimeError", f"unknown name `{name}`",
                     hint="it was reported as a warning because of `@strict false`")


class Agent:
    """Base of the classes generated for `agent` and `orchestration` declarations."""

    __slots__ = ()
    _lumen_name = "Agent"
    _lumen_kind = "agent"

    def _lumen_display(self) -> str:
        return f"{self._lumen_name}()"

    def __repr__(self) -> str:
        return self._lumen_display()

    def __eq__(self, other) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    @property
    def _lumen_type_name(self) -> str:
        return self._lumen_name
