"""One run's tools: configuration, providers, grants state, trace, record/replay.

    session = Session.open(program_path, trace=None, record=None, replay=None,
                           deterministic=False, registry=None)
    run = Run(tools=session.execute, listeners=session.listeners(), ...)
    ... run the program under `run` (runtime/run.py), on any thread and loop ...
    session.close(outcome="ok")  # or "error" (+ error=exc); writes run_end, stops servers

A session installs nothing anywhere: it provides the parts of a run object (the tool
executor `execute` and the trace listener), and `Program` builds the run from them. For
code that drives the runtime directly (tests, tools), `session.enter()` makes a run of
this session current in the calling context, and `with Session.open(...) as s:` enters
and closes.

A tool call (`execute`, the executor compiled code reaches through
`lumen.runtime.tool_calls.call_tool` and the current run) passes through:

    policy (grants; a violation sends nothing)
      → replay/record (a replayed call contacts no provider)
        → provider (on the session's I/O loop, inside `clock.io_call`, with the
          `timeout_ms` deadline and `max_retries` retries)

and the trace observes the whole chain: it records every call, violations and replayed
calls included, with the effective request, so a replayed deterministic run writes the
same trace as the run that was recorded.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from pathlib import Path

from .. import config as configuration
from ..runtime.errors import LumenError
from . import registry
from .iothread import IOLoop
from .policy import Policy
from .providers.base import CallContext, Services, with_deadline
from .redaction import Redactor
from .request import build_request, kind_of


class Session:
    def __init__(self, config: configuration.Config, *, program=None, root=None,
                 trace=None, record=None, replay=None, deterministic: bool = False,
                 redactor: Redactor | None = None, registry=None):
        from .. import __version__

        if record is not None and replay is not None:
            raise ValueError("--record and --replay cannot be used together")
        self.config = config
        self.program = program
        # The embedder's Python tools as they were when the run started.
        self.registry = registry if registry is not None else _default_registry()
        self.root = Path(root) if root is not None else config.root
        self.deterministic = deterministic
        self.redactor = redactor or Redactor()
        for name in config.secret_env_names():
            self.redactor.add_env(name)
        for server in config.mcp_servers.values():
            self.redactor.learn(server.get("env") or {})
        self.services = Services(self.redactor, self.root, config.root)
        self.policy = Policy()
        self.io = IOLoop()
        self.rng = random.Random(0)
        self._providers: dict[str, object] = {}
        self._lock = threading.Lock()
        self._entered = None   # (run token) while `enter()` has made a run current
        self._closed = False
        self._opened = time.perf_counter()
        self.trace = self.recorder = self.replayer = None
        from .replay import Recorder, Replayer
        if replay is not None:
            self.replayer = Replayer(replay)
        if record is not None:
            self.recorder = Recorder(record, self.redactor, program, __version__)
        if trace is not None:
            from .trace import TraceWriter
            self.trace = TraceWriter(trace, self.redactor)
            self.trace.run_start(program, deterministic, __version__)

    @classmethod
    def open(cls, program_path=None, *, trace=None, record=None, replay=None,
             deterministic: bool = False, registry=None) -> "Session":
        """A session for the program at `program_path` (lumen.toml is looked up from its
        directory). Raises `ConfigError` (a LumenError) for a malformed lumen.toml."""
        config = configuration.load_for(program_path)
        root = None
        if program_path is not None:
            path = Path(program_path).resolve()
            root = path if path.is_dir() else path.parent
        return cls(config, program=program_path, root=root, trace=trace, record=record,
                   replay=replay, deterministic=deterministic, registry=registry)

    # ------------------------------------------------------------- the run's parts

    def listeners(self) -> tuple:
        """The event listeners this session contributes to a run (its trace)."""
        return (self.trace.on_event,) if self.trace is not None else ()

    def enter(self) -> "Session":
        """Make a run of this session current in the calling context (for code that
        drives the runtime directly); `close` leaves it."""
        from ..runtime import run as runs

        if self._entered is None:
            self._entered = runs.entered(runs.Run(
                tools=self.execute, listeners=self.listeners(),
                deterministic=self.deterministic, registry=self.registry))
        return self

    def _leave(self) -> None:
        from ..runtime import run as runs

        token, self._entered = self._entered, None
        if token is not None:
            try:
                runs.left(token)
            except ValueError:   # closed from another context: that one ends with it
                pass

    def __enter__(self) -> "Session":
        return self.enter()

    def __exit__(self, kind, exc, tb) -> None:
        self.close("ok" if exc is None else "error", error=exc)

    # ------------------------------------------------------------------ closing

    def close(self, outcome: str = "ok", error=None) -> None:
        """End the run: leave it, close providers (clients, MCP servers, the local
        model server), write `run_end`, close the files. Idempotent; synchronous; call
        it from any thread except the session's own I/O thread."""
        self._leave()
        if self._closed:
            return
        self._closed = True
        try:
            if self.io.started:
                self.io.call(self._close_providers, timeout=60)
        except Exception:
            pass
        finally:
            self.io.stop()
        if self.trace is not None:
            if isinstance(error, LumenError):
                self.redactor.redact_error(error)
            self.trace.run_end(outcome, self._duration_ms(), error)
            self.trace.close()
        if self.recorder is not None:
            self.recorder.close()

    async def _close_providers(self) -> None:
        for provider in list(self._providers.values()):
            if getattr(provider, "on_io_loop", False):
                try:
                    await provider.aclose()
                except Exception:
                    pass

    def _duration_ms(self) -> float:
        loop = self.trace.loop if self.trace is not None else None
        if self.deterministic and loop is not None:
            return (loop.time() - getattr(loop, "_lumen_t0", 0.0)) * 1000.0
        if self.deterministic:
            return 0.0
        return (time.perf_counter() - self._opened) * 1000.0

    # -------------------------------------------------------------------- calls

    async def execute(self, handle, arguments: dict, line, prompt):
        """The tool-call executor: `await execute(handle, arguments, line, prompt)`."""
        if self._closed:
            raise LumenError("ToolError", f"{handle.alias} ({handle.tool}): the run has ended")
        loop = asyncio.get_running_loop()
        started = loop.time()
        start = _now_ms(loop)
        if self.trace is not None:
            self.trace.see_loop()
        spec = request = None
        value, error, done = None, None, False
        try:
            state = self.policy.state(handle)
            spec = self.registry.resolve(handle.tool, self.config)
            kind = kind_of(handle.tool, spec.type if spec else None)
            request = build_request(handle, arguments, prompt, kind, registry.defaults_for(spec))
            self.redactor.learn(request.arguments)
            self.policy.apply(state, request)
            if state.semaphore is not None:
                async with state.semaphore:
                    value = await self._dispatch(handle, request, state, spec)
            else:
                value = await self._dispatch(handle, request, state, spec)
            done = True
            return value
        except LumenError as exc:
            error = self.redactor.redact_error(exc)
            raise
        except asyncio.CancelledError:
            error = LumenError("Cancelled", "the call was cancelled")
            raise
        except Exception as exc:  # a provider bug: report it as the tool's failure
            error = self.redactor.redact_error(LumenError(
                "ToolError", f"{handle.alias} ({handle.tool}): {type(exc).__name__}: {exc}"))
            raise error from exc
        finally:
            if self.trace is not None:
                self._trace_call(handle, spec, request, arguments, line, start,
                                 (loop.time() - started) * 1000.0, value, error, done)

    async def _dispatch(self, handle, request, state, spec):
        identity = occurrence = None
        if self.replayer is not None or self.recorder is not None:
            identity = request.identity(self.redactor)
            keeper = self.replayer or self.recorder
            from .replay import key_of
            occurrence = keeper.occurrences.next(key_of(identity))
        if self.replayer is not None:
            return self.replayer.answer(request, identity, occurrence)
        if spec is None:
            raise registry.no_provider(handle, self.config)
        provider = self.provider(spec)
        ctx = CallContext(request, state.grants, self.redactor, self.rng, self.root, spec)
        try:
            value = await self._invoke(provider, ctx)
        except LumenError as exc:
            if self.recorder is not None and exc.kind != "Cancelled":
                self.recorder.record(request, identity, occurrence, spec.name,
                                     error=self.redactor.redact_error(exc))
            raise
        if self.recorder is not None:
            self.recorder.record(request, identity, occurrence, spec.name, value=value)
        return value

    async def _invoke(self, provider, ctx):
        from ..runtime.clock import io_call

        async def call():
            prepare = getattr(provider, "prepare", None)
            if prepare is not None:
                await prepare(ctx)
            return await with_deadline(ctx, lambda: provider.call(ctx))

        if provider.on_io_loop:
            return await io_call(lambda: self.io.run(call))
        return await io_call(call)

    def provider(self, spec):
        """The provider instance for `spec` (one per provider name per run)."""
        with self._lock:
            provider = self._providers.get(spec.name)
            if provider is None:
                provider = registry.provider_class(spec.type)(spec, self.services)
                self._providers[spec.name] = provider
            return provider

    def _trace_call(self, handle, spec, request, arguments, line, start, duration_ms,
                    value, error, done) -> None:
        if request is not None:
            view = request.view()
            provider = request.extra.get("provider") or (spec.name if spec else None)
        else:
            from . import codec
            view = codec.encode(dict(arguments))
            provider = spec.name if spec else None
        self.trace.tool_call(handle=handle, provider=provider, request_view=view,
                             line=line, start=start, duration_ms=duration_ms,
                             result=value, error=error, has_result=done)


def _default_registry():
    return registry.DEFAULT.snapshot()


def _now_ms(loop) -> float:
    return round((loop.time() - getattr(loop, "_lumen_t0", 0.0)) * 1000.0, 3)
