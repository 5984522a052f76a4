"""Lumen values <-> JSON, for traces, recordings and request identity.

`encode` turns any Lumen value into JSON-shaped data without losing what tells values
apart: plain JSON types stay as they are, and the rest are tagged objects —

    tuple  {"$tuple": [...]}          set     {"$set": [...]}
    bytes  {"$bytes": "base64"}       record  {"$record": "Name", "fields": {...}}
    ok(v)  {"$ok": v}   err(e) {"$err": e}     enum variant {"$variant": "Enum.Name", "values": [...]}
    a map whose keys are not all strings, or has a key starting with "$":
           {"$map": [[key, value], ...]}
    a record type (e.g. a `schema:` argument) {"$type": "Name"}
    NaN / infinities {"$float": "nan" | "inf" | "-inf"}

`decode` reverses it; records are rebuilt through their class (so `where` constraints
are checked again), looked up by name in the classes the caller supplies. `to_lumen`
checks that a value coming from Python code (a Python tool, an MCP server) is one Lumen
can hold.
"""

from __future__ import annotations

import base64
import json
import math

from ..runtime.errors import LumenError


class DecodeError(Exception):
    """Recorded data that cannot be turned back into a Lumen value."""


def encode(value):
    """JSON-shaped data for a Lumen value (see the module docstring)."""
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if kind is list:
        return [encode(item) for item in value]
    if kind is dict:
        if all(type(k) is str and not k.startswith("$") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"$map": [[encode(k), encode(v)] for k, v in value.items()]}
    if kind is tuple:
        return {"$tuple": [encode(item) for item in value]}
    if kind is bytes:
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    return _encode_object(value)


def _encode_object(value):
    from ..runtime import values as V

    if isinstance(value, V.Record):
        fields = type(value)._lumen_fields
        return {"$record": type(value)._lumen_name,
                "fields": {f: encode(v) for f, v in zip(fields, value._lumen_values())}}
    if isinstance(value, V.LumenSet):
        return {"$set": [encode(item) for item in value]}
    if isinstance(value, V.Ok):
        return {"$ok": encode(value.value)}
    if isinstance(value, V.Err):
        return {"$err": encode(value.error)}
    if isinstance(value, V.Variant):
        cls = type(value)
        return {"$variant": f"{cls._lumen_enum}.{cls._lumen_name}",
                "values": [encode(v) for v in value._lumen_values()]}
    if isinstance(value, type) and issubclass(value, V.Record):
        return {"$type": value._lumen_name}
    if isinstance(value, (set, frozenset)):
        return {"$set": [encode(item) for item in value]}
    return {"$repr": repr(value)[:200]}


def decode(data, records: dict | None = None):
    """The Lumen value of `encode`d data. `records` maps record names to classes."""
    kind = type(data)
    if data is None or kind in (bool, int, float, str):
        return data
    if kind is list:
        return [decode(item, records) for item in data]
    if kind is not dict:
        raise DecodeError(f"unexpected {kind.__name__} in recorded data")
    if len(data) >= 1:
        tag = next(iter(data))
        if tag.startswith("$"):
            return _decode_tagged(tag, data, records or {})
    return {k: decode(v, records) for k, v in data.items()}


def _decode_tagged(tag: str, data: dict, records: dict):
    from ..runtime import values as V

    body = data[tag]
    if tag == "$tuple":
        return tuple(decode(item, records) for item in body)
    if tag == "$set":
        return V.LumenSet(decode(item, records) for item in body)
    if tag == "$map":
        return {decode(k, records): decode(v, records) for k, v in body}
    if tag == "$bytes":
        return base64.b64decode(body)
    if tag == "$float":
        return float(body)
    if tag == "$ok":
        return V.Ok(decode(body, records))
    if tag == "$err":
        return V.Err(decode(body, records))
    if tag == "$record":
        cls = records.get(body)
        if cls is None:
            raise DecodeError(f"cannot rebuild a record of type {body} (its type is not "
                              f"known to this call)")
        fields = {k: decode(v, records) for k, v in data.get("fields", {}).items()}
        return cls(**fields)
    if tag == "$variant":
        cls = records.get(body)
        if cls is None:
            raise DecodeError(f"cannot rebuild variant {body} (its enum is not known to "
                              f"this call)")
        return cls(*(decode(v, records) for v in data.get("values", [])))
    raise DecodeError(f"cannot rebuild a recorded value tagged {tag}")


def shown(data) -> str:
    """`encode`d data as Lumen displays the value (for `lumen trace show`), without
    needing the classes: `Insight(point: "a", score: 2)`, `Happy`, `ok(1)`."""
    kind = type(data)
    if data is None:
        return "null"
    if kind is bool:
        return "true" if data else "false"
    if kind in (int, float):
        return repr(data)
    if kind is str:
        return json.dumps(data, ensure_ascii=False)
    if kind is list:
        return "[" + ", ".join(shown(item) for item in data) + "]"
    tag = next(iter(data), "") if kind is dict else ""
    if tag == "$record":
        fields = ", ".join(f"{k}: {shown(v)}" for k, v in data.get("fields", {}).items())
        return f"{data[tag]}({fields})"
    if tag == "$variant":
        name = data[tag].rpartition(".")[2]
        values = data.get("values") or []
        return f"{name}({', '.join(shown(v) for v in values)})" if values else name
    if tag in ("$ok", "$err"):
        return f"{tag[1:]}({shown(data[tag])})"
    if tag == "$tuple":
        items = [shown(v) for v in data[tag]]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if tag == "$set":
        return "set([" + ", ".join(shown(v) for v in data[tag]) + "])"
    if kind is dict:
        return "{" + ", ".join(f"{json.dumps(k)}: {shown(v)}" for k, v in data.items()) + "}"
    return str(data)


# ------------------------------------------------------------------ values from Python


def to_lumen(value, where: str):
    """`value` as a Lumen value: Python sets become Lumen sets; anything Lumen cannot
    hold raises a ToolError naming `where` (the tool) and the Python type."""
    from ..runtime import values as V

    kind = type(value)
    if value is None or kind in (bool, int, float, str, bytes):
        return value
    if kind is list:
        return [to_lumen(item, where) for item in value]
    if kind is tuple:
        return tuple(to_lumen(item, where) for item in value)
    if kind is dict:
        return {to_lumen(k, where): to_lumen(v, where) for k, v in value.items()}
    if kind in (set, frozenset):
        return V.LumenSet(to_lumen(item, where) for item in value)
    if isinstance(value, (V.Record, V.Variant, V.Result, V.LumenSet)):
        return value
    if isinstance(value, (list, dict, tuple, str, int, float)):  # subclasses
        base = next(b for b in (bool, int, float, str, list, dict, tuple) if isinstance(value, b))
        return to_lumen(base(value), where)
    raise LumenError("ToolError", f"{where}: returned a Python {kind.__name__}, which is "
                                  f"not a Lumen value",
                     hint="return str, int, float, bool, None, list, dict, tuple or a "
                          "Lumen record")
