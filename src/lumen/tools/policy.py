"""Grants, enforced in one place, before anything is sent (LANGUAGE.md 8.3).

`Grants.of(handle)` validates a `ToolHandle`'s merged grants once (unknown keys and
ill-typed values are errors the first time the tool is called). `Policy` holds the
run's per-handle state — the call counter for `max_calls` and the semaphore for
`max_concurrency` — and `Policy.admit` + `apply` turn a request into the effective
request or raise `PolicyViolation`:

| key             | effect                                                               |
|-----------------|----------------------------------------------------------------------|
| model           | the model sent; a call asking another model is a violation           |
| max_tokens      | upper bound; sent when the call gives none; asking more is a violation|
| temperature     | the value sent; a call asking another value is a violation           |
| top_p           | likewise                                                             |
| timeout_ms      | deadline of one call (all attempts); expiry raises `Timeout`         |
| max_retries     | retries of transient failures and of invalid structured output       |
| domain          | host globs a `url` may reach (every redirect hop is checked too)     |
| max_concurrency | calls of this handle in flight at once, across the run               |
| max_calls       | calls of this handle in the whole run                                |

For chat/embed tools `model`, `max_tokens`, `temperature`, `top_p` shape the request;
for Python and MCP tools they only constrain arguments of the same name. `domain`
applies to a tool's `url` argument; it cannot be granted to chat/embed tools, and the
sampling keys cannot be granted to http tools.
"""

from __future__ import annotations

import asyncio
import difflib
import fnmatch
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..runtime.errors import LumenError

SAMPLING_KEYS = ("model", "max_tokens", "temperature", "top_p")
KNOWN_KEYS = SAMPLING_KEYS + ("timeout_ms", "max_retries", "domain", "max_concurrency",
                              "max_calls")
DEFAULT_MAX_RETRIES = 2


def quoted(value) -> str:
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
        for key in grants:
            if key not in KNOWN_KEYS:
                close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
                raise LumenError("PolicyViolation",
                                 f"{alias}: `{key}` is not a grant key",
                                 hint=f"did you mean `{close[0]}`?" if close
                                 else "grant keys: " + ", ".join(KNOWN_KEYS))
        domain = grants.get("domain")
        domains = [domain] if isinstance(domain, str) else list(domain or ())
        for item in domains:
            if not isinstance(item, str) or not item:
                raise _bad(alias, "domain", item, "a host glob such as \"*.example.com\"")
        return cls(
            model=_typed(alias, grants, "model", (str,), "a String"),
            max_tokens=_count(alias, grants, "max_tokens", minimum=1),
            temperature=_number(alias, grants, "temperature"),
            top_p=_number(alias, grants, "top_p"),
            timeout_ms=_count(alias, grants, "timeout_ms", minimum=1),
            max_retries=_count(alias, grants, "max_retries", minimum=0),
            domains=tuple(d.lower() for d in domains),
            max_concurrency=_count(alias, grants, "max_concurrency", minimum=1),
            max_calls=_count(alias, grants, "max_calls", minimum=0),
        )


def _bad(alias, key, value, what):
    return LumenError("PolicyViolation",
                      f"{alias}: grant `{key}` must be {what}, got {quoted(value)}")


def _typed(alias, grants, key, types, what):
    value = grants.get(key)
    if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
        raise _bad(alias, key, value, what)
    return value


def _count(alias, grants, key, minimum):
    value = _typed(alias, grants, key, (int,), f"an Int >= {minimum}")
    if value is not None and value < minimum:
        raise _bad(alias, key, value, f"an Int >= {minimum}")
    return value


def _number(alias, grants, key):
    value = _typed(alias, grants, key, (int, float), "a number")
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
    if request.kind in ("chat", "embed") and grants.domains:
        raise LumenError("PolicyViolation", f"{request.alias}: grant `domain` does not apply "
                                            f"to {request.tool} (it has no `url`)")
    inapplicable = {"http": SAMPLING_KEYS, "embed": ("max_tokens", "temperature", "top_p")}
    for key in inapplicable.get(request.kind, ()):
        if getattr(grants, key) is not None:
            raise LumenError("PolicyViolation",
                             f"{request.alias}: grant `{key}` does not apply to {request.tool}")


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
