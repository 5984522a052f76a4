"""Structured output: a model's JSON answer validated into a Lumen record.

`response_format(cls)` is the OpenAI `json_schema` response format for a record type
(its compiler-built `_lumen_json_schema`). `build_record(cls, text)` parses the answer,
conforms numbers to the schema (an integer where a `Float` is expected becomes a float),
and builds the record through its class, so field types and `where` constraints are
checked by the same code as `Analysis(...)` in Lumen. Anything wrong raises
`InvalidOutput` with a message saying what (the provider retries, then reports it).
"""

from __future__ import annotations

import json
import re

from ..runtime.errors import LumenError
from .request import json_schema_of


class InvalidOutput(Exception):
    """The model's answer does not fit the record; the message says why."""


def response_format(cls) -> dict:
    name = re.sub(r"[^A-Za-z0-9_-]", "_", cls._lumen_name)[:64] or "Record"
    return {"type": "json_schema",
            "json_schema": {"name": name, "schema": json_schema_of(cls), "strict": True}}


def parse_json(text: str):
    """The JSON value in a model's answer (tolerating a ```json fence around it)."""
    stripped = (text or "").strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", stripped, re.DOTALL)
    if fence:
        stripped = fence[1]
    try:
        return json.loads(stripped)
    except ValueError as exc:
        raise InvalidOutput(f"the answer is not JSON ({exc.msg} at character {exc.pos})") \
            from None


def build_record(cls, text: str):
    data = parse_json(text)
    if not isinstance(data, dict):
        raise InvalidOutput(f"expected a JSON object, got {type(data).__name__}")
    return record_from_data(cls, data)


def record_from_data(cls, data: dict):
    fields = tuple(cls._lumen_fields)
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise InvalidOutput(f"record {cls._lumen_name} has no field `{unknown[0]}`")
    schema = json_schema_of(cls)
    properties = schema.get("properties", {})
    values = {k: conform(v, properties.get(k, {})) for k, v in data.items()}
    from_json = getattr(cls, "_lumen_from_json", None)
    try:
        if from_json is not None:
            return from_json(values)
        return cls(**values)
    except LumenError as exc:
        raise InvalidOutput(exc.message) from None
    except TypeError as exc:
        missing = re.search(r"missing \d+ required .*?: (.*)", str(exc))
        reason = f"missing field {missing[1]}" if missing else str(exc)
        raise InvalidOutput(reason) from None


def conform(value, schema: dict):
    """`value` with integers turned into floats where `schema` expects a number."""
    if not isinstance(schema, dict):
        return value
    kind = schema.get("type")
    if kind == "number" and type(value) is int:
        return float(value)
    if kind == "array" and isinstance(value, list):
        items = schema.get("items", {})
        prefix = schema.get("prefixItems")
        if prefix:
            return tuple(conform(v, s) for v, s in zip(value, prefix))
        return [conform(v, items) for v in value]
    if kind == "object" and isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {k: conform(v, properties.get(k, extra if isinstance(extra, dict) else {}))
                for k, v in value.items()}
    if "anyOf" in schema and type(value) is int:
        if any(isinstance(s, dict) and s.get("type") == "number" for s in schema["anyOf"]) \
                and not any(isinstance(s, dict) and s.get("type") == "integer"
                            for s in schema["anyOf"]):
            return float(value)
    return value
