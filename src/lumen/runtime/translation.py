"""Translation: the `LumenError` for a Python exception raised inside compiled Lumen code.

This module owns `translate` and the wording it uses: Lumen's names for Python types
(`Int`/`String`, not `int`/`str`), the rewording of CPython's TypeError and unpacking
messages (`lumen_type_error_message`, which builtins use for their own errors too), the
kinds (`RecursionError`, `KeyError`, `Cancelled`, `InternalError`, ...) and the hints
given with them. An exception group becomes its first error, with the others as details.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

from .display import short_display
from .errors import LumenError
from .values import type_name

_LUMEN_TYPE_NAMES = {
    "int": "Int", "float": "Float", "str": "String", "bool": "Bool", "NoneType": "Null",
    "bytes": "Bytes", "list": "list", "dict": "map", "tuple": "tuple", "LumenSet": "set",
    "function": "fn", "builtin_function_or_method": "fn", "method": "fn",
    "Ok": "result", "Err": "result",
    "string": "String",  # "string indices must be integers"
}


def lumen_type_of_python_name(name: str) -> str:
    """Lumen's name for a Python type name found in an error message."""
    return _LUMEN_TYPE_NAMES.get(name, name)


def _t(name: str) -> str:
    return lumen_type_of_python_name(name)


# Each rule: (regex over the Python message, function of the match -> Lumen message).
@lru_cache(maxsize=None)
def _type_error_rules() -> list:
    """Compiled on first use: most runs never format a Python error."""
    return [
        (re.compile(r"unsupported operand type\(s\) for (\*\*|[^:]+?)(?: or pow\(\))?: "
                    r"'([^']+)' and '([^']+)'"),
         lambda m: f"cannot apply `{m[1]}` to {_t(m[2])} and {_t(m[3])}"),
        (re.compile(r"bad operand type for unary (\S+?): '([^']+)'"),
         lambda m: f"cannot apply `{m[1]}` to {_t(m[2])}"),
        (re.compile(r"'([^']+)' not supported between instances of '([^']+)' and '([^']+)'"),
         lambda m: f"cannot compare {_t(m[2])} and {_t(m[3])} with `{m[1]}`"),
        (re.compile(r'can only concatenate (\w+) \(not "([^"]+)"\) to \w+'),
         lambda m: f"cannot apply `+` to {_t(m[1])} and {_t(m[2])}"),
        (re.compile(r"can't multiply sequence by non-int of type '([^']+)'"),
         lambda m: f"cannot apply `*` to a sequence and {_t(m[1])}"),
        (re.compile(r"'([^']+)' object is not callable"),
         lambda m: f"a value of type {_t(m[1])} is not a function and cannot be called"),
        (re.compile(r"'([^']+)' object is not subscriptable"),
         lambda m: f"a value of type {_t(m[1])} cannot be indexed with `[...]`"),
        (re.compile(r"cannot unpack non-iterable (\S+) object"),
         lambda m: f"cannot destructure a value of type {_t(m[1])}"),
        (re.compile(r"'([^']+)' object is not iterable"),
         lambda m: f"cannot iterate over a value of type {_t(m[1])}"),
        (re.compile(r"'([^']+)' object does not support item assignment"),
         lambda m: f"cannot assign to an element of a value of type {_t(m[1])}"),
        (re.compile(r"'([^']+)' object doesn't support item deletion"),
         lambda m: f"cannot remove an element of a value of type {_t(m[1])}"),
        (re.compile(r"(\w+) indices must be integers(?: or slices)?(?:, not '?([^']+?)'?)?$"),
         lambda m: f"{_t(m[1])} index must be an Int"
                   + (f", got {_t(m[2])}" if m[2] else "")),
        (re.compile(r"unhashable type: '([^']+)'"),
         lambda m: f"a value of type {_t(m[1])} cannot be a map key or a set element"),
        (re.compile(r"'in <string>' requires string as left operand, not (\S+)"),
         lambda m: f"`in` on a String needs a String on the left, got {_t(m[1])}"),
        (re.compile(r"object of type '([^']+)' has no len\(\)"),
         lambda m: f"a value of type {_t(m[1])} has no length"),
        (re.compile(r"([\w.<>]+)\(\) takes (from \d+ to \d+|\d+) positional arguments? "
                    r"but (\d+) (?:was|were) given"),
         lambda m: f"`{_callable_name(m[1])}` takes {m[2]} argument{'s' * (m[2] != '1')} "
                   f"but {m[3]} {'was' if m[3] == '1' else 'were'} given"),
        (re.compile(r"([\w.<>]+)\(\) missing \d+ required (?:positional|keyword-only) "
                    r"arguments?: (.+)"),
         lambda m: f"`{_callable_name(m[1])}` is missing argument "
                   + m[2].replace("'", "`")),
        (re.compile(r"([\w.<>]+)\(\) got an unexpected keyword argument '([^']+)'"),
         lambda m: f"`{_callable_name(m[1])}` has no parameter `{m[2]}`"),
        (re.compile(r"([\w.<>]+)\(\) got multiple values for argument '([^']+)'"),
         lambda m: f"`{_callable_name(m[1])}` got argument `{m[2]}` twice"),
    ]


@lru_cache(maxsize=None)
def _unpack_rules() -> list:
    return [
        (re.compile(r"too many values to unpack \(expected (\d+)\)"),
         lambda m: f"cannot destructure: expected {m[1]} values, got more"),
        (re.compile(r"not enough values to unpack \(expected (\d+), got (\d+)\)"),
         lambda m: f"cannot destructure: expected {m[1]} values, got {m[2]}"),
    ]


def _callable_name(name: str) -> str:
    # Python names callables by qualname: `main.<locals>.<lambda>`, `Point.__init__`.
    name = name.replace(".<locals>", "").removesuffix(".__init__")
    return "fn" if name.endswith("<lambda>") else name


def lumen_type_error_message(python_message: str) -> str:
    """Lumen wording of a Python TypeError message (unchanged when no rule applies)."""
    return _reword(_type_error_rules(), python_message) or python_message


def _reword(rules, message: str) -> str | None:
    for pattern, wording in rules:
        match = pattern.search(message)
        if match:
            return wording(match)
    return None


RECURSION_HINT = ("a cell probably calls itself without reaching a base case; if the "
                  "recursion is intended, rewrite it as a loop")
INTERNAL_HINT = ("this is a bug in Lumen, not in your program: please report it with the "
                 "output of `lumen run --debug`")


def translate(exc: BaseException) -> LumenError:
    """The `LumenError` for any exception raised while running Lumen code.

    A `LumenError` is returned as is. Others get Lumen wording, keep the original
    traceback (so the Lumen frames are still there) and the original as `__cause__`.
    """
    if isinstance(exc, LumenError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        return _translate_group(exc)
    kind, message, hint = _classify(exc)
    error = LumenError(kind, message, hint=hint)
    error.__cause__ = exc
    error.__suppress_context__ = True
    return error.with_traceback(exc.__traceback__)


def _classify(exc: BaseException) -> tuple[str, str, str | None]:
    # RecursionError is a RuntimeError subclass: test it before anything generic.
    if isinstance(exc, RecursionError):
        return ("RecursionError",
                f"recursion too deep (more than {_recursion_depth(exc)} nested calls)",
                RECURSION_HINT)
    if isinstance(exc, ZeroDivisionError):
        return "RuntimeError", "division by zero", None
    if isinstance(exc, TypeError):
        return "TypeError", lumen_type_error_message(str(exc)), None
    if isinstance(exc, IndexError):
        if "pop from empty" in str(exc):
            return "IndexError", "pop from an empty list", None
        return "IndexError", "index out of range", None
    if isinstance(exc, KeyError):
        return "KeyError", _key_error_message(exc), None
    if isinstance(exc, AttributeError):
        return "RuntimeError", _attribute_error_message(exc), None
    if isinstance(exc, ValueError):
        message = str(exc)
        if message == "math domain error":   # `sqrt` of a negative number, compiled inline
            return "RuntimeError", "math domain error: `sqrt` of a negative number", None
        return "RuntimeError", _reword(_unpack_rules(), message) or message, None
    if isinstance(exc, OverflowError):
        return "RuntimeError", f"number too large ({exc.args[-1] if exc.args else exc})", None
    if isinstance(exc, MemoryError):
        return "RuntimeError", "out of memory", None
    asyncio = sys.modules.get("asyncio")  # not imported: nothing can be cancelled
    if asyncio is not None and isinstance(exc, asyncio.CancelledError):
        return "Cancelled", "the task was cancelled", None
    if isinstance(exc, TimeoutError):
        return "Timeout", str(exc) or "timed out", None
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted", "interrupted", None
    return ("InternalError", f"internal error: {type(exc).__name__}: {exc}", INTERNAL_HINT)


def _recursion_depth(exc: RecursionError) -> int:
    # The limit in force when the error was raised: the driver raises it for the run
    # and restores it before the error is reported, so the traceback's depth is the
    # better witness. Rounded down to two significant digits, so "more than" holds.
    depth = 0
    tb = exc.__traceback__
    while tb is not None:
        depth += 1
        tb = tb.tb_next
    if depth <= sys.getrecursionlimit():
        return sys.getrecursionlimit()
    unit = 10 ** max(len(str(depth)) - 2, 0)
    return depth // unit * unit


def _key_error_message(exc: KeyError) -> str:
    if not exc.args:
        return "key not found in map"
    return f"key {short_display(exc.args[0])} not found in map"


def _attribute_error_message(exc: AttributeError) -> str:
    name = getattr(exc, "name", None)
    owner = getattr(exc, "obj", None)
    if name is not None and owner is not None:
        return f"value of type {type_name(owner)} has no field `{name}`"
    match = re.search(r"'([^']+)' object has no attribute '([^']+)'", str(exc))
    if match:
        return f"value of type {_t(match[1])} has no field `{match[2]}`"
    return str(exc)


def _translate_group(group: BaseExceptionGroup) -> LumenError:
    # A task group may fail with several errors: the first one is the error, the
    # others are kept as details so nothing is lost.
    leaves = _leaves(group)
    first, rest = translate(leaves[0]), [translate(e) for e in leaves[1:]]
    if rest:
        first.details = list(first.details) + rest
    return first


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    leaves: list[BaseException] = []
    for exc in group.exceptions:
        leaves.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return leaves
