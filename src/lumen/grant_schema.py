"""The grant keys (LANGUAGE.md 8.3), described once: each key's value type, the kinds of
tool it applies to, and what it does. The checker reads this table to reject a grant
before the program runs, the tools layer's policy to validate one when a tool is first
called, and docs/tools.md shows it (`python -m lumen.grant_schema` prints the table;
a test keeps the page equal to it).

A leaf module: it imports nothing from Lumen, so the front end and the tools layer can
both read it without either importing the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# ------------------------------------------------------------------- tool kinds

# What a tool is, as far as grants are concerned. A tool's kind follows from its
# provider (see `kind_of`).
TOOL_KINDS = {
    "chat": "a chat tool of an LLM provider (`openai-compatible`, `local`): `llm.chat`, "
            "and any such tool not named like an embedding tool",
    "embed": "an embedding tool of an LLM provider: `llm.embed`, or any such tool whose "
             "name ends in `.embed` or `.embeddings`",
    "http": "a tool of `builtin-http`: `http.get`, `http.post`, `http.request`",
    "call": "a Python or MCP tool (and a tool no provider serves)",
}
LLM_PROVIDER_TYPES = ("openai-compatible", "local")


def kind_of(tool: str, provider_type: str | None) -> str:
    """Whether a tool chats, embeds, fetches or is a plain call, from its provider's
    type (or, with no provider, from its name: replay needs no provider)."""
    operation = tool.rpartition(".")[2]
    if provider_type is None:
        provider_type = {"llm": "local", "http": "builtin-http"}.get(tool.partition(".")[0])
    if provider_type in LLM_PROVIDER_TYPES:
        return "embed" if operation in ("embed", "embeddings") else "chat"
    if provider_type == "builtin-http":
        return "http"
    return "call"


# ------------------------------------------------------------------ value types


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class ValueType:
    """What one grant value must be."""
    name: str                          # short, for the table: "Int >= 1"
    described: str                     # for messages: "an Int >= 1"
    lumen_types: tuple[str, ...]       # the static types the checker accepts
    accepts: Callable[[object], bool]  # whether a value (a Python value at run time) is one


def count(minimum: int) -> ValueType:
    return ValueType(f"Int >= {minimum}", f"an Int >= {minimum}", ("Int",),
                     lambda value: _is_int(value) and value >= minimum)


STRING = ValueType("String", "a String", ("String",), lambda value: isinstance(value, str))
NUMBER = ValueType("Float (or Int)", "a number (Int or Float)", ("Float",),
                   lambda value: _is_int(value) or isinstance(value, float))
HOST_GLOB = ValueType("String host glob, or a list of them",
                      'a host glob String such as "*.example.com"',
                      ("String", "list[String]"),
                      lambda value: isinstance(value, str) and value != "")

# --------------------------------------------------------------------- the keys

ALL_KINDS = frozenset(TOOL_KINDS)


@dataclass(frozen=True)
class GrantKey:
    name: str
    value: ValueType
    kinds: frozenset                  # the tool kinds it applies to
    description: str                  # one line
    example: str                      # a grant line's `key value`
    accumulates: bool = False         # several grants (or a list) add up instead of the
                                      # later one winning

    def applies_to(self, kind: str) -> bool:
        return kind in self.kinds


def _key(name, value, kinds, description, example, accumulates=False) -> GrantKey:
    return GrantKey(name, value, frozenset(kinds), description, example, accumulates)


KEYS: dict[str, GrantKey] = {key.name: key for key in (
    _key("model", STRING, ("chat", "embed", "call"),
         "the model sent; a call asking for another model is a violation",
         'model "gpt-4o"'),
    _key("max_tokens", count(1), ("chat", "call"),
         "upper bound on the answer's tokens, sent when the call gives none; asking more "
         "is a violation", "max_tokens 200"),
    _key("temperature", NUMBER, ("chat", "call"),
         "the temperature sent; a call asking for another value is a violation",
         "temperature 0.2"),
    _key("top_p", NUMBER, ("chat", "call"),
         "the `top_p` sent; a call asking for another value is a violation", "top_p 0.9"),
    _key("timeout_ms", count(1), ALL_KINDS,
         "deadline of one call, every attempt included; expiry raises `Timeout`",
         "timeout_ms 20000"),
    _key("max_retries", count(0), ALL_KINDS,
         "retries of transient failures and of invalid structured output (default 2)",
         "max_retries 3"),
    _key("domain", HOST_GLOB, ("http", "call"),
         "a host glob a `url` argument (and every redirect hop) may reach; several "
         "grants allow any of them", 'domain "*.example.com"', accumulates=True),
    _key("max_concurrency", count(1), ALL_KINDS,
         "calls through this tool declaration in flight at once, across the run",
         "max_concurrency 4"),
    _key("max_calls", count(0), ALL_KINDS,
         "calls through this tool declaration in the whole run", "max_calls 10"),
)}

def kinds_of(key: GrantKey) -> str:
    """The kinds a key applies to, in the order of TOOL_KINDS: "chat, call"."""
    return ", ".join(kind for kind in TOOL_KINDS if kind in key.kinds)


# ------------------------------------------------------------------ the docs table


def markdown_table() -> str:
    """The table docs/tools.md shows: the tool kinds, then the keys."""
    lines = ["| tool kind | what it is |", "|---|---|"]
    lines += [f"| `{kind}` | {what} |" for kind, what in TOOL_KINDS.items()]
    lines += ["", "| key | value | applies to | meaning |", "|---|---|---|---|"]
    for key in KEYS.values():
        lines.append(f"| `{key.name}` | {key.value.name} | {kinds_of(key)} | "
                     f"{key.description} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
