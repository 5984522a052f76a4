"""What every provider shares: the `Provider` base class, the per-call `CallContext`,
transient failures with retries (exponential backoff and jitter), and the deadline.

A provider is a small class: `async call(ctx) -> value` does one tool call, where
`ctx.request` is the effective request (grants applied) and `ctx.grants` the handle's
grants. Providers raise `Transient` for failures worth retrying (connection errors, 429,
5xx) inside `with_retries`, and `LumenError("ToolError", ...)` (via `ctx.fail`) for the
rest. `aclose()` releases what the provider holds; it runs on the session's I/O loop.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from pathlib import Path

from ...runtime.errors import LumenError

MAX_BACKOFF = 10.0       # seconds
MAX_RETRY_AFTER = 30.0   # seconds: a server asking for longer is not waited for that long


class Transient(Exception):
    """A failure worth retrying. `description` completes "Alias (tool): ..."."""

    def __init__(self, description: str, retry_after: float | None = None):
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after


@dataclass
class CallContext:
    request: object                 # ToolRequest
    grants: object                  # policy.Grants
    redactor: object                # redaction.Redactor
    rng: random.Random
    root: Path                      # the program's directory
    spec: object = None             # the ProviderSpec that routed this call

    def fail(self, message: str, hint: str | None = None) -> LumenError:
        return self.request.error(message, hint=hint)


@dataclass
class Services:
    """What the session gives every provider."""
    redactor: object                # redaction.Redactor
    root: Path                      # the program's directory (Python tools import from it)
    config_root: Path               # the directory of lumen.toml (relative paths in it)
    processes: list = field(default_factory=list)   # subprocesses to stop at exit


class Provider:
    """Base of providers. `on_io_loop`: run on the session's I/O loop (True for
    providers holding network clients); Python tools run on the caller's loop."""

    type = "provider"
    on_io_loop = True

    def __init__(self, spec, services):
        self.spec = spec
        self.options = dict(spec.options)
        self.services = services      # session services: redactor, root, rng

    @classmethod
    def defaults(cls, options: dict) -> dict:
        """Defaults the request builder needs (default_model, max_tokens, ...)."""
        return {}

    @property
    def retry_base(self) -> float:
        return self.options.get("retry_base_ms", 250) / 1000.0

    async def call(self, ctx: CallContext):
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def backoff_delay(failures: int, base: float, retry_after: float | None,
                  rng: random.Random) -> float:
    """Exponential backoff with jitter: base * 2^(failures-1), scaled by [0.5, 1.0);
    a server's Retry-After (capped) wins when it asks for longer."""
    delay = min(MAX_BACKOFF, base * (2 ** (failures - 1))) * (0.5 + rng.random() / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


async def with_retries(ctx: CallContext, attempt, base: float):
    """`await attempt()`, retrying `Transient` failures up to the `max_retries` grant."""
    failures = 0
    while True:
        try:
            return await attempt()
        except Transient as exc:
            failures += 1
            if failures > ctx.grants.retries:
                suffix = f" after {failures} attempts" if failures > 1 else ""
                raise ctx.fail(f"{exc.description}{suffix}",
                               hint=None if failures > 1 else
                               "transient failures are retried when the grant "
                               "`max_retries` allows it") from None
            await asyncio.sleep(backoff_delay(failures, base, exc.retry_after, ctx.rng))


async def with_deadline(ctx: CallContext, factory):
    """`await factory()` within the `timeout_ms` grant (if any): expiry cancels the
    call and raises `Timeout`."""
    seconds = ctx.grants.timeout
    if seconds is None:
        return await factory()
    try:
        async with asyncio.timeout(seconds) as scope:
            return await factory()
    except TimeoutError:
        if not scope.expired():
            raise
        ms = ctx.grants.timeout_ms
        raise LumenError("Timeout", f"{ctx.request.label}: no answer within {ms} ms "
                                    f"(grant `timeout_ms`)",
                         hint="the call was cancelled; raise `timeout_ms` or use "
                              "`try` to handle it") from None


def parse_retry_after(value) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
