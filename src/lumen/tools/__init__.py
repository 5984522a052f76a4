"""Lumen's tools layer: providers, grants, traces and record/replay (docs/tools.md).

* `session.Session` — one run's tools; installs the executor compiled code calls;
* `registry` — which provider serves a tool; `tool("ns.name")` registers a Python
  function (re-exported as `lumen.tool`);
* `policy` — grants, enforced in one place before anything is sent;
* `trace` / `trace_view` — `--trace FILE.jsonl` and `lumen trace show FILE`;
* `replay` — `--record FILE` / `--replay FILE`;
* `providers/` — openai-compatible, local, builtin-http, mcp, python;
* `models` — `lumen models install | status` for the local model.

Importing this package is cheap: the SDKs (openai, httpx, mcp, rich) are imported by
the providers that use them, on first use.
"""

from .registry import register, tool, unregister

__all__ = ["register", "tool", "unregister"]
