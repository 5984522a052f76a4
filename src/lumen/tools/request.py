"""A tool call's request, normalized: what is asked, before and after grants.

`build_request` turns a call's named arguments (and the pending `role` lines) into a
`ToolRequest` whose `arguments` are what will be sent, in a form that does not depend on
the provider:

* kind `chat` (`llm.chat` and every other chat tool of an LLM provider):
  `{"model", "messages": [{"role", "content"}...], "max_tokens"?, "temperature"?, "top_p"?}`;
  messages are the `system:` argument, then the role lines, then the `prompt`. A
  `schema:` record type is kept in `request.schema`.
* kind `embed` (`llm.embed`): `{"model", "input"}`.
* kind `http` (`http.get`, `http.post`, `http.request`):
  `{"method", "url", "headers", "body"?}`.
* kind `call` (Python and MCP tools): the named arguments as given.

`asked` keeps the call's own arguments so the policy can tell what the program asked
for from what defaults filled in. `policy.apply` then applies the grants in place.
`identity()` is the canonical JSON form used by traces and record/replay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..grant_schema import kind_of  # noqa: F401 -- asked here; defined with the grant keys
from ..runtime.errors import LumenError
from . import codec

CHAT_ARGS = {"prompt", "system", "model", "temperature", "max_tokens", "top_p", "schema"}
EMBED_ARGS = {"text", "model"}
HTTP_ARGS = {  # operation -> (required, optional)
    "get": (("url",), ("headers",)),
    "post": (("url", "body"), ("headers",)),
    "request": (("method", "url"), ("headers", "body")),
}


@dataclass
class ToolRequest:
    tool: str
    alias: str
    kind: str                      # chat | embed | http | call
    operation: str                 # last part of the tool name (chat, embed, get, ...)
    arguments: dict                # the effective request (see the module docstring)
    asked: dict                    # the call's own arguments
    schema: type | None = None     # record class for structured output
    extra: dict = field(default_factory=dict)
    # Keys of `arguments` that only a provider default filled (`default_model`, the
    # local model's `max_tokens`): not part of the call's identity, so a recording
    # replays whatever lumen.toml says (or without one).
    defaulted: set = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"{self.alias} ({self.tool})"

    def error(self, message: str, kind: str = "ToolError", hint: str | None = None):
        return LumenError(kind, f"{self.label}: {message}", hint=hint)

    def view(self) -> dict:
        """JSON-shaped effective request (before redaction): what traces show and what
        a call's identity is computed from."""
        out = dict(codec.encode(self.arguments))
        if self.schema is not None:
            out["schema"] = {"record": self.schema._lumen_name,
                             "json_schema": json_schema_of(self.schema)}
        return out

    def identity(self, redactor) -> str:
        """Canonical JSON of tool + effective request (secrets masked), without what only
        provider defaults filled in."""
        view = {k: v for k, v in self.view().items() if k not in self.defaulted}
        body = {"tool": self.tool, "request": redactor.redact(view)}
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def json_schema_of(cls) -> dict:
    schema = getattr(cls, "_lumen_json_schema", None)
    if isinstance(schema, dict):
        return schema
    fields = list(getattr(cls, "_lumen_fields", ()))
    return {"type": "object", "properties": {f: {} for f in fields}, "required": fields,
            "additionalProperties": False}


def build_request(handle, arguments: dict, prompt, kind: str, defaults: dict) -> ToolRequest:
    """The request of one call, before grants. `defaults` are the provider's
    (`default_model`, `embedding_model`, `max_tokens`)."""
    operation = handle.tool.rpartition(".")[2]
    request = ToolRequest(handle.tool, handle.alias, kind, operation, {}, dict(arguments))
    builder = {"chat": _chat, "embed": _embed, "http": _http}.get(kind)
    if builder is None:
        request.arguments = dict(arguments)
    else:
        builder(request, arguments, prompt or (), defaults)
    return request


def _check_names(request: ToolRequest, arguments: dict, allowed, required) -> None:
    for name in arguments:
        if name not in allowed:
            raise request.error(f"unknown argument `{name}`",
                                hint="arguments: " + ", ".join(sorted(allowed)))
    for name in required:
        if arguments.get(name) is None:
            raise request.error(f"missing argument `{name}`")


def _expect(request: ToolRequest, name: str, value, types, what: str):
    if value is not None and (not isinstance(value, types) or
                              (isinstance(value, bool) and bool not in types)):
        raise request.error(f"argument `{name}` must be {what}, got {type(value).__name__}")
    return value


def _chat(request: ToolRequest, arguments: dict, prompt, defaults: dict) -> None:
    _check_names(request, arguments, CHAT_ARGS, ("prompt",))
    text = _expect(request, "prompt", arguments.get("prompt"), (str,), "a String")
    system = _expect(request, "system", arguments.get("system"), (str,), "a String")
    messages = []
    if system is not None:
        messages.append({"role": "system", "content": system})
    for role, content in prompt:
        messages.append({"role": "system" if role == "system" else "user",
                         "content": str(content)})
    messages.append({"role": "user", "content": text})
    model = _expect(request, "model", arguments.get("model"), (str,), "a String")
    out = {"model": model or defaults.get("default_model"), "messages": messages}
    if model is None:
        request.defaulted.add("model")
    max_tokens = _expect(request, "max_tokens", arguments.get("max_tokens"), (int,), "an Int")
    if max_tokens is None:
        max_tokens = defaults.get("max_tokens")
        request.defaulted.add("max_tokens")
    if max_tokens is not None:
        out["max_tokens"] = max_tokens
    for name in ("temperature", "top_p"):
        value = _expect(request, name, arguments.get(name), (int, float), "a Float")
        if value is not None:
            out[name] = float(value)
    schema = arguments.get("schema")
    if schema is not None:
        from ..runtime.values import Record
        if not (isinstance(schema, type) and issubclass(schema, Record)):
            raise request.error("argument `schema` must be a record type, e.g. "
                                "`schema: Analysis`")
        request.schema = schema
    request.arguments = out


def _embed(request: ToolRequest, arguments: dict, prompt, defaults: dict) -> None:
    _check_names(request, arguments, EMBED_ARGS, ("text",))
    text = _expect(request, "text", arguments.get("text"), (str,), "a String")
    model = _expect(request, "model", arguments.get("model"), (str,), "a String")
    request.arguments = {"model": model or defaults.get("embedding_model")
                         or defaults.get("default_model"), "input": text}
    if model is None:
        request.defaulted.add("model")


def _http(request: ToolRequest, arguments: dict, prompt, defaults: dict) -> None:
    spec = HTTP_ARGS.get(request.operation)
    if spec is None:
        raise request.error(f"builtin-http has no tool `{request.operation}`",
                            hint="http tools: " + ", ".join(f"http.{n}" for n in HTTP_ARGS))
    required, optional = spec
    _check_names(request, arguments, set(required) | set(optional), required)
    url = _expect(request, "url", arguments.get("url"), (str,), "a String")
    headers = arguments.get("headers") or {}
    if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise request.error("argument `headers` must be a map[String, String]")
    method = request.operation.upper()
    if request.operation == "request":
        method = _expect(request, "method", arguments["method"], (str,), "a String").upper()
    out = {"method": method, "url": url, "headers": dict(headers)}
    if "body" in arguments and arguments["body"] is not None:
        out["body"] = arguments["body"]
    request.arguments = out
