"""Grants, enforced in one place, before anything is sent (LANGUAGE.md 8.3).

`Grants.of(handle)` validates a `ToolHandle`'s merged grants once, against the grant
schema (`lumen.grant_schema`, which says what every key means, its value type and the
kinds of tool it applies to): an unknown key or an ill-typed value is an error the first
time the tool is called. The checker rejects both earlier; this is the check for values
it could not know. `Policy` holds the run's per-handle state — the call counter for
`max_calls` and the semaphore for `max_concurrency` — and `Policy.admit` + `apply` turn
a request into the effective request or raise `PolicyViolation`.

For chat/embed tools `model`, `max_tokens`, `temperature`, `top_p` shape the request;
for Python and MCP tools they only constrain arguments of the same name. `domain`
applies to a tool's `url` argument.
"""

from __future__ import annotations

import asyncio
import difflib
import fnmatch
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..grant_schema import KEYS, kinds_of
from ..runtime.errors import LumenError

DEFAULT_MAX_RETRIES = 2


def quoted(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(quoted(v) for v in value) + "]"
    return repr(value)


def violation(alias: str, key: str, allowed, asked, what: str = "the call asked for"):
    return LumenError("PolicyViolation",
                      f"{alias}: grant `{key}` allows {allowed}, {what} {asked}",
                      hint=f"nothing was sent; change the call or the grant on {alias}")


@dataclass(frozen=True)
class Grants:
    """A handle's grants, validated. `None` means "not granted"."""
    model: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    timeout_ms: int | None = None
    max_retries: int | None = None
    domains: tuple[str, ...] = ()
    max_concurrency: int | None = None
    max_calls: int | None = None

    @property
    def retries(self) -> int:
        return DEFAULT_MAX_RETRIES if self.max_retries is None else self.max_retries

    @property
    def timeout(self) -> float | None:
        return None if self.timeout_ms is None else self.timeout_ms / 1000.0

    @classmethod
    def of(cls, handle) -> "Grants":
        grants = dict(handle.grants)
        alias = handle.alias
        for key, value in grants.items():
            spec = KEYS.get(key)
            if spec is None:
                close = difflib.get_close_matches(key, list(KEYS), n=1)
                raise LumenError("PolicyViolation",
                                 f"{alias}: `{key}` is not a grant key",
                                 hint=f"did you mean `{close[0]}`?" if close
                                 else "grant keys: " + ", ".join(KEYS))
            # `domain` grants are merged into a list of host globs (tool_calls.merge_grants)
            items = value if spec.accumulates and isinstance(value, list) else [value]
            for item in items:
                if not spec.value.accepts(item):
                    raise LumenError("PolicyViolation", f"{alias}: grant `{key}` must be "
                                                        f"{spec.value.described}, got "
                                                        f"{quoted(item)}")
        domain = grants.get("domain")
        domains = [domain] if isinstance(domain, str) else list(domain or ())
        return cls(
            model=grants.get("model"),
            max_tokens=grants.get("max_tokens"),
            temperature=_float(grants.get("temperature")),
            top_p=_float(grants.get("top_p")),
            timeout_ms=grants.get("timeout_ms"),
            max_retries=grants.get("max_retries"),
            domains=tuple(d.lower() for d in domains),
            max_concurrency=grants.get("max_concurrency"),
            max_calls=grants.get("max_calls"),
        )


def _float(value):
    return None if value is None else float(value)


# ------------------------------------------------------------------ per-run state


@dataclass(eq=False)
class HandleState:
    """What the run remembers about one ToolHandle."""
    grants: Grants
    calls: int = 0
    semaphore: asyncio.Semaphore | None = None
    checked_kinds: set = field(default_factory=set)


class Policy:
    """The run's policy state: one `HandleState` per ToolHandle."""

    def __init__(self):
        self._states: dict[object, HandleState] = {}

    def state(self, handle) -> HandleState:
        state = self._states.get(handle)
        if state is None:
            grants = Grants.of(handle)
            semaphore = None
            if grants.max_concurrency is not None:
                semaphore = asyncio.Semaphore(grants.max_concurrency)
            state = HandleState(grants, semaphore=semaphore)
            self._states[handle] = state
        return state

    def apply(self, state: HandleState, request) -> None:
        """Apply the grants to `request` (in place); count the call for `max_calls`.
        Raises PolicyViolation, before anything is sent."""
        grants = state.grants
        if request.kind not in state.checked_kinds:
            _check_applicable(grants, request)
            state.checked_kinds.add(request.kind)
        if request.kind in ("chat", "embed"):
            _shape(grants, request)
        elif request.kind == "call":
            _constrain(grants, request)
        url = request.arguments.get("url")
        if grants.domains and isinstance(url, str):
            check_url(request.alias, grants, url)
        if grants.max_calls is not None and state.calls >= grants.max_calls:
            raise violation(request.alias, "max_calls", f"{grants.max_calls} calls",
                            f"call {state.calls + 1}", what="this is")
        state.calls += 1


def _check_applicable(grants: Grants, request) -> None:
    for key, spec in KEYS.items():
        granted = grants.domains if key == "domain" else getattr(grants, key)
        if granted not in (None, ()) and not spec.applies_to(request.kind):
            raise LumenError("PolicyViolation",
                             f"{request.alias}: grant `{key}` does not apply to "
                             f"{request.tool} (of kind `{request.kind}`)",
                             hint=f"`{key}` applies to {kinds_of(spec)} tools "
                                  f"(docs/tools.md, Grants)")


def _shape(grants: Grants, request) -> None:
    asked, out, alias = request.asked, request.arguments, request.alias
    if grants.model is not None:
        if asked.get("model") is not None and asked["model"] != grants.model:
            raise violation(alias, "model", quoted(grants.model), quoted(asked["model"]))
        out["model"] = grants.model
        request.defaulted.discard("model")
    if request.kind == "embed":
        return
    if grants.max_tokens is not None:
        wanted = asked.get("max_tokens")
        if wanted is not None and wanted > grants.max_tokens:
            raise violation(alias, "max_tokens", f"at most {grants.max_tokens}", wanted)
        out["max_tokens"] = wanted if wanted is not None else grants.max_tokens
        request.defaulted.discard("max_tokens")
    for key in ("temperature", "top_p"):
        fixed = getattr(grants, key)
        if fixed is None:
            continue
        wanted = asked.get(key)
        if wanted is not None and float(wanted) != fixed:
            raise violation(alias, key, quoted(fixed), quoted(wanted))
        out[key] = fixed


def _constrain(grants: Grants, request) -> None:
    asked, alias = request.arguments, request.alias
    if grants.model is not None and "model" in asked and asked["model"] != grants.model:
        raise violation(alias, "model", quoted(grants.model), quoted(asked["model"]))
    wanted = asked.get("max_tokens")
    if grants.max_tokens is not None and isinstance(wanted, int) and wanted > grants.max_tokens:
        raise violation(alias, "max_tokens", f"at most {grants.max_tokens}", wanted)
    for key in ("temperature", "top_p"):
        fixed, wanted = getattr(grants, key), asked.get(key)
        if fixed is not None and isinstance(wanted, (int, float)) and float(wanted) != fixed:
            raise violation(alias, key, quoted(fixed), quoted(wanted))


# ------------------------------------------------------------------------- domains


def host_allowed(host: str, port: int | None, globs) -> bool:
    """Whether `host` (and port) matches one of the `domain` globs. A glob with a port
    (`localhost:8080`) must match host:port; `*.example.com` matches subdomains only."""
    host = host.lower().rstrip(".")
    for glob in globs:
        if ":" in glob and not glob.startswith("["):
            if port is not None and fnmatch.fnmatchcase(f"{host}:{port}", glob):
                return True
        elif fnmatch.fnmatchcase(host, glob):
            return True
    return False


def check_url(alias: str, grants: Grants, url: str, redirect_from: str | None = None) -> None:
    """Raise PolicyViolation unless `url`'s host is allowed by the `domain` grants."""
    if not grants.domains:
        return
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        host, port = "", None
    if host and host_allowed(host, port, grants.domains):
        return
    allowed = " or ".join(quoted(d) for d in grants.domains)
    what = (f"the redirect from {redirect_from} goes to" if redirect_from
            else "the call asked for")
    raise violation(alias, "domain", allowed, f"{quoted(host or url)} ({url})", what=what)
