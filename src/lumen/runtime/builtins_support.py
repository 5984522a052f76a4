"""Shared pieces of the builtins: argument errors worded for Lumen, and awaiting.

Builtins try the Python operation first and only inspect their arguments once it has
failed, so the error path pays for good messages and the hot path pays nothing.
"""

from __future__ import annotations

import types

from .display import short_display
from .errors import LumenError
from .translation import lumen_type_error_message
from .values import LumenSet, type_name

_COROUTINE = types.CoroutineType
# Results of these types are never awaitable: skip the `hasattr` probe for them.
_PLAIN_TYPES = frozenset({int, float, str, bool, type(None), list, dict, tuple, bytes,
                          LumenSet})

_COLLECTION_TYPES = frozenset({list, tuple, str, dict, LumenSet, bytes})


def expects(builtin: str, expected: str, value, param: str | None = None) -> LumenError:
    """"`upper` expects String, got Int (5)" (naming the parameter when useful)."""
    where = f" for `{param}`" if param else ""
    return LumenError("TypeError", f"`{builtin}` expects {expected}{where}, "
                                   f"got {type_name(value)} ({short_display(value)})")


def runtime_error(message: str) -> LumenError:
    return LumenError("RuntimeError", message)


def is_iterable(value) -> bool:
    return type(value) in _COLLECTION_TYPES or hasattr(value, "__iter__")


def is_awaitable(result) -> bool:
    # `inspect.isawaitable` is slow; coroutines are by far the common case.
    cls = type(result)
    return cls is _COROUTINE or (cls not in _PLAIN_TYPES and hasattr(result, "__await__"))


_NO_FUNCTION = object()


def check_collection_and_function(builtin: str, items, function=_NO_FUNCTION,
                                  expected: str = "a list",
                                  function_param: str = "f") -> None:
    """Raise the Lumen TypeError if a higher-order builtin got bad arguments.

    Called after a Python TypeError: when the arguments are fine, the error came from
    inside the user's function, and the caller re-raises it unchanged.
    """
    if not is_iterable(items):
        raise expects(builtin, expected, items, "xs")
    if function is not _NO_FUNCTION and not callable(function):
        raise expects(builtin, "a function", function, function_param)


def comparison_error(builtin: str, error: TypeError) -> LumenError | None:
    """"`sort` cannot compare Int and String" for a failed `<`, else None."""
    message = lumen_type_error_message(str(error))
    if message.startswith("cannot compare "):
        pair = message[len("cannot compare "):].split(" with ")[0]
        return LumenError("TypeError", f"`{builtin}` cannot compare {pair}")
    return None
