"""Number, conversion and data builtins: `abs`, `round`, `sqrt`, `pow`, `to_int`,
`to_float`, `json_parse`, `json_stringify`, `uuid`, `timestamp`, `random`.

Numbers follow LANGUAGE.md: Int is arbitrary precision, Float is a 64-bit float; Bool
is not a number here (`abs(true)` is a TypeError), except that `to_int`/`to_float`
convert it explicitly.
"""

from __future__ import annotations

import json
import math
import time

from .builtins_support import expects, runtime_error
from .display import display, to_string
from .values import Err, LumenSet, Ok, Record, Variant

_NUMBER_TYPES = (int, float)  # tested with `type(x) in`, so Bool is excluded


def _require_number(builtin: str, value, param: str | None = None) -> None:
    if type(value) not in _NUMBER_TYPES:
        raise expects(builtin, "Int or Float", value, param)


def abs_(x):
    """Same type as `x`."""
    if type(x) in _NUMBER_TYPES:
        return abs(x)
    raise expects("abs", "Int or Float", x)


# ---------------------------------------------------------------------------- rounding

# Enough precision that quantizing any finite double to up to 17 decimals is exact.
_PRECISION = 420


def round_(x, digits=None):
    """Half away from zero. Without `digits`: an Int. With `digits`: a Float rounded
    to that many decimals (negative: tens, hundreds, ...), on the decimal value shown
    (`round(2.675, 2)` is 2.68)."""
    _require_number("round", x, "x")
    if digits is None:
        return x if type(x) is int else _round_to_int(x)
    if type(digits) is not int:
        raise expects("round", "Int", digits, "digits")
    return _round_to_digits(x, digits)


def _round_to_int(x: float) -> int:
    if not math.isfinite(x):
        raise runtime_error(f"cannot round {display(x)} to an Int")
    magnitude = abs(x)
    whole = math.floor(magnitude)
    # `magnitude - whole` is exact for doubles, so the half-way test is exact too.
    rounded = whole + (magnitude - whole >= 0.5)
    return rounded if x >= 0 else -rounded


def _round_to_digits(x, digits: int) -> float:
    if type(x) is float and not math.isfinite(x):
        return x
    if digits > 17 and type(x) is float:
        return x  # a double has no more decimals than that
    import decimal  # only rounding to decimals needs it: keep startup light

    exact = decimal.Decimal(repr(x)) if type(x) is float else decimal.Decimal(x)
    quantum = decimal.Decimal(1).scaleb(-digits)
    context = decimal.Context(prec=_PRECISION, rounding=decimal.ROUND_HALF_UP)
    return float(exact.quantize(quantum, context=context))


def floor(x) -> int:
    _require_number("floor", x)
    return _to_int_checked("floor", math.floor, x)


def ceil(x) -> int:
    _require_number("ceil", x)
    return _to_int_checked("ceil", math.ceil, x)


def _to_int_checked(builtin: str, operation, x) -> int:
    try:
        return operation(x)
    except (OverflowError, ValueError):
        raise runtime_error(f"`{builtin}` cannot convert {display(x)} to an Int") from None


def sqrt(x) -> float:
    _require_number("sqrt", x)
    if x < 0:
        raise runtime_error(f"`sqrt` of a negative number ({display(x)})")
    try:
        return math.sqrt(x)
    except OverflowError:
        raise runtime_error("`sqrt`: number too large for a Float") from None


def pow_(base, exponent):
    """Like `**`: Int to a non-negative Int power is an Int, otherwise a Float."""
    _require_number("pow", base, "base")
    _require_number("pow", exponent, "exponent")
    if type(base) is int and type(exponent) is int and exponent >= 0:
        return base ** exponent
    if base == 0 and exponent < 0:
        raise runtime_error("division by zero")
    try:
        return math.pow(base, exponent)
    except ValueError:
        raise runtime_error(f"`pow({display(base)}, {display(exponent)})` is not a real "
                            "number") from None
    except OverflowError:
        raise runtime_error("`pow`: result too large for a Float") from None


# ------------------------------------------------------------------------- conversions


def to_int(value) -> int:
    """Int as is; Float truncated toward zero; Bool 1/0; a String holding an Int
    literal (surrounding whitespace and `_` separators allowed)."""
    cls = type(value)
    if cls is int:
        return value
    if cls is float:
        if not math.isfinite(value):
            raise runtime_error(f"cannot convert {display(value)} to Int")
        return int(value)
    if cls is str:
        try:
            return int(value)
        except ValueError:
            raise runtime_error(f"cannot convert {display(value)} to Int") from None
    if cls is bool:
        return int(value)
    raise expects("to_int", "Int, Float, String or Bool", value)


def to_float(value) -> float:
    """Float as is; Int and Bool converted; a String holding a number."""
    cls = type(value)
    if cls is float:
        return value
    if cls is int or cls is bool:
        try:
            return float(value)
        except OverflowError:
            raise runtime_error("Int too large to convert to Float") from None
    if cls is str:
        try:
            return float(value)
        except ValueError:
            raise runtime_error(f"cannot convert {display(value)} to Float") from None
    raise expects("to_float", "Int, Float, String or Bool", value)


# -------------------------------------------------------------------------------- JSON


def json_parse(text: str):
    """The Json value of `text`: maps, lists, Strings, Ints, Floats, Bools, null."""
    if type(text) is not str:
        raise expects("json_parse", "String", text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise runtime_error(f"invalid JSON: {error.msg} at line {error.lineno} "
                            f"column {error.colno}") from None


def json_stringify(value, indent=None) -> str:
    """Compact JSON (`{"a":1}`), or pretty-printed with `indent` spaces. Non-ASCII
    text is kept. See docs/builtins.md for how records, variants and results map."""
    if indent is not None and type(indent) is not int:
        raise expects("json_stringify", "Int", indent, "indent")
    data = _jsonable(value, set())
    separators = (",", ":") if indent is None else (",", ": ")
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=indent,
                          separators=separators)
    except ValueError:
        raise runtime_error("`json_stringify` cannot encode nan or inf (JSON has no such "
                            "numbers)") from None


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _jsonable(value, active: set):
    cls = type(value)
    if cls in _JSON_SCALARS:
        return value
    if cls in (list, tuple, LumenSet, dict) or isinstance(value, (Record, Variant)):
        key = id(value)
        if key in active:
            raise runtime_error("`json_stringify` cannot encode a value that contains "
                                "itself")
        active.add(key)
        converted = _jsonable_container(value, active)
        active.discard(key)
        return converted
    if cls is Ok:
        return {"ok": _jsonable(value.value, active)}
    if cls is Err:
        return {"err": _jsonable(value.error, active)}
    if cls is bytes:
        return list(value)
    raise expects("json_stringify", "a value made of Strings, numbers, Bools, null, "
                                    "lists, maps, sets, tuples, records and enums", value)


def _jsonable_container(value, active: set):
    if type(value) is dict:
        return {_json_key(k): _jsonable(v, active) for k, v in value.items()}
    if isinstance(value, Record):
        return {name: _jsonable(v, active)
                for name, v in zip(type(value)._lumen_fields, value._lumen_values())}
    if isinstance(value, Variant):
        return _jsonable_variant(value, active)
    return [_jsonable(item, active) for item in value]


def _jsonable_variant(variant: Variant, active: set):
    cls = type(variant)
    if not cls._lumen_fields:
        return cls._lumen_name
    labels, payload = cls._lumen_field_names, variant._lumen_values()
    if all(label is not None for label in labels):
        return {cls._lumen_name: {label: _jsonable(v, active)
                                  for label, v in zip(labels, payload)}}
    return {cls._lumen_name: [_jsonable(v, active) for v in payload]}


def _json_key(key) -> str:
    return key if type(key) is str else to_string(key)


# ------------------------------------------------------------------- nondeterministic


def uuid() -> str:
    """A random (version 4) UUID."""
    import uuid
    return str(uuid.uuid4())


def timestamp() -> float:
    """Seconds since the Unix epoch."""
    return time.time()


def random() -> float:
    """A Float in [0, 1)."""
    import random
    return random.random()

