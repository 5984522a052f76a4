"""`lumen.toml`: finding it (from the program's directory upward) and reading it.

The format is the reference implementation's (LANGUAGE.md 8.2, docs/tools.md):

    [providers]
    "llm.chat" = "openai-compatible"     # tool name (or "ns.*") -> provider
    "my.tool"  = "python:pkg.mod:func"
    "fs.read"  = "mcp:files/read_file"

    [providers.config.openai-compatible] # options of a provider (by name)
    base_url = "http://127.0.0.1:8080/v1"
    api_key_env = "OPENAI_API_KEY"

    [providers.config.ollama]            # a second instance of a provider type
    type = "openai-compatible"

    [providers.mcp.files]                # an MCP server started over stdio
    command = "python"
    args = ["server.py"]

This module only reads and validates; it creates nothing. `Config.provider_for(tool)`
answers which provider serves a tool, as a `ProviderSpec` (type, name, options).
Without a file (or for tools it does not mention) the defaults apply: `http.*` tools use
`builtin-http` and `llm.*` tools use `local`.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .runtime.errors import LumenError

FILE_NAME = "lumen.toml"

# Provider types, and the keys each accepts in [providers.config.NAME].
PROVIDER_TYPES = {
    "openai-compatible": {"base_url", "api_key_env", "default_model", "embedding_model",
                          "timeout_ms", "retry_base_ms", "max_tokens"},
    "local": {"model_path", "default_model", "threads", "context", "parallel", "timeout_ms",
              "retry_base_ms", "max_tokens", "startup_timeout_ms"},
    "builtin-http": {"timeout_ms", "retry_base_ms", "max_redirects", "user_agent"},
}
MCP_KEYS = {"command", "args", "env", "cwd", "startup_timeout_ms"}
DEFAULTS = {"http.*": "builtin-http", "llm.*": "local"}


class ConfigError(LumenError):
    """A malformed `lumen.toml` (kind `ConfigError`); the message starts with file:line."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__("ConfigError", message, hint=hint)


@dataclass(frozen=True)
class ProviderSpec:
    """Which provider serves a tool. `name` identifies the provider instance (one per
    run); `target` is a Python callable path or an MCP server name; `remote_tool` the
    MCP tool's own name."""
    type: str                      # openai-compatible | local | builtin-http | python | mcp
    name: str
    options: dict = field(default_factory=dict, hash=False, compare=False)
    target: str | None = None
    remote_tool: str | None = None


@dataclass
class Config:
    path: Path | None = None                                 # the lumen.toml read, if any
    root: Path = field(default_factory=Path.cwd)              # relative paths start here
    providers: dict[str, str] = field(default_factory=dict)   # tool or "ns.*" -> provider
    provider_options: dict[str, dict] = field(default_factory=dict)
    mcp_servers: dict[str, dict] = field(default_factory=dict)
    effects: dict[str, str] = field(default_factory=dict)      # tool -> its declared effect

    def provider_for(self, tool: str) -> ProviderSpec | None:
        """The provider of `tool`: an exact entry, else the longest matching pattern,
        else an MCP server named like the tool's namespace, else the defaults."""
        choice = self.providers.get(tool) or _best_pattern(self.providers, tool)
        if choice is not None:
            return self.spec(choice, tool)
        namespace, _, rest = tool.partition(".")
        if namespace in self.mcp_servers and rest:
            return ProviderSpec("mcp", f"mcp:{namespace}", self.mcp_servers[namespace],
                                namespace, rest)
        default = _best_pattern(DEFAULTS, tool)
        return self.spec(default, tool) if default else None

    def spec(self, choice: str, tool: str) -> ProviderSpec:
        """The `ProviderSpec` for provider `choice` (as written in [providers])."""
        if choice.startswith("python:"):
            return ProviderSpec("python", choice, {}, choice[len("python:"):])
        if choice.startswith("mcp:"):
            server, _, remote = choice[len("mcp:"):].partition("/")
            remote = remote or tool.partition(".")[2] or tool
            return ProviderSpec("mcp", f"mcp:{server}", self.mcp_servers.get(server, {}),
                                server, remote)
        options = self.provider_options.get(choice, {})
        kind = options.get("type", choice)
        return ProviderSpec(kind, choice, {k: v for k, v in options.items() if k != "type"})

    def secret_env_names(self) -> list[str]:
        """Names of the environment variables that hold secrets (`api_key_env`)."""
        names = [o["api_key_env"] for o in self.provider_options.values()
                 if isinstance(o.get("api_key_env"), str)]
        return sorted(set(names))

    def describe(self) -> str:
        return str(self.path) if self.path else "no lumen.toml (defaults)"


def _best_pattern(table: dict[str, str], tool: str) -> str | None:
    matches = [p for p in table if "*" in p and fnmatch.fnmatchcase(tool, p)]
    if not matches:
        return None
    return table[max(matches, key=len)]


# --------------------------------------------------------------------------- finding


def find(start: str | os.PathLike) -> Path | None:
    """The nearest `lumen.toml` in `start` (a directory, or a file's directory) or above."""
    here = Path(start).resolve()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def load_for(program_path: str | os.PathLike | None) -> Config:
    """The configuration that applies to a program (defaults when there is no file)."""
    start = Path(program_path) if program_path is not None else Path.cwd()
    path = find(start)
    if path is None:
        root = start.resolve() if start.is_dir() else start.resolve().parent
        return Config(None, root)
    return load(path)


def load(path: str | os.PathLike) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc})") from None
    return parse(text, path)


# --------------------------------------------------------------------------- parsing


def parse(text: str, path: str | os.PathLike = FILE_NAME) -> Config:
    """Parse and validate the text of a `lumen.toml`; errors name file and line."""
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        where = f"{path}:{found[1]}:{found[2]}" if found else str(path)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise ConfigError(f"{where}: invalid TOML: {reason}",
                          hint="see docs/tools.md for the lumen.toml format") from None
    return _Reader(text, path).read(data)


class _Reader:
    def __init__(self, text: str, path: Path):
        self.lines = text.split("\n")
        self.path = path

    def error(self, message: str, needle: str | None = None, hint: str | None = None):
        line = self.line_of(needle) if needle else None
        where = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{where}: {message}",
                           hint=hint or "see docs/tools.md for the lumen.toml format")

    def line_of(self, needle: str) -> int | None:
        for number, text in enumerate(self.lines, 1):
            if needle in text:
                return number
        return None

    def read(self, data: dict) -> Config:
        config = Config(self.path.resolve(), self.path.resolve().parent)
        unknown = sorted(set(data) - {"providers"})
        if unknown:
            raise self.error(f"unknown table `[{unknown[0]}]` (only [providers] is read)",
                             unknown[0])
        providers = data.get("providers", {})
        if not isinstance(providers, dict):
            raise self.error("`providers` must be a table", "providers")
        for key, value in providers.items():
            if key == "config":
                config.provider_options = self.provider_options(value)
            elif key == "mcp":
                config.mcp_servers = self.mcp_servers(value)
            elif key == "effects":
                config.effects = self.effects(value)
            else:
                config.providers[key] = self.mapping(key, value)
        for tool, choice in config.providers.items():
            self.check_choice(config, tool, choice)
        return config

    def effects(self, value) -> dict[str, str]:
        """`[providers.effects]`: `"weather.today" = "http"` — the effect a tool's calls
        bring (LANGUAGE.md 8.1: the namespace's first part unless the provider says)."""
        if not isinstance(value, dict):
            raise self.error("`providers.effects` must be a table", "effects")
        for tool, effect in value.items():
            if not isinstance(effect, str) or not effect.isidentifier():
                raise self.error(f"the effect of `{tool}` must be a name like \"http\", got "
                                 f"{effect!r}", tool)
        return dict(value)

    def mapping(self, tool: str, value) -> str:
        if not isinstance(value, str):
            raise self.error(f"provider of `{tool}` must be a string, got {value!r}", tool)
        if "." not in tool and tool != "*":
            raise self.error(f"`{tool}` is not a tool name (tools are NAMESPACE.NAME, "
                             f"e.g. \"llm.chat\" or \"llm.*\")", tool)
        return value

    def provider_options(self, value) -> dict[str, dict]:
        if not isinstance(value, dict):
            raise self.error("`providers.config` must hold tables", "providers.config")
        out = {}
        for name, options in value.items():
            if not isinstance(options, dict):
                raise self.error(f"`providers.config.{name}` must be a table", name)
            kind = options.get("type", name)
            if kind not in PROVIDER_TYPES:
                raise self.error(f"unknown provider type `{kind}` in "
                                 f"[providers.config.{name}]", f"{name}",
                                 hint="provider types: " + ", ".join(PROVIDER_TYPES)
                                 + " (python: and mcp: providers need no config table)")
            allowed = PROVIDER_TYPES[kind] | {"type"}
            for key in options:
                if key == "api_key":
                    raise self.error(f"[providers.config.{name}] must not hold the key "
                                     f"itself", "api_key",
                                     hint="put the key in an environment variable and name "
                                          "the variable with `api_key_env = \"VAR\"`")
                if key not in allowed:
                    raise self.error(f"unknown key `{key}` in [providers.config.{name}]",
                                     f"{key}", hint="known keys: " + ", ".join(sorted(allowed)))
            self.check_types(name, options)
            out[name] = dict(options)
        return out

    def check_types(self, name: str, options: dict) -> None:
        for key, value in options.items():
            numeric = key.endswith("_ms") or key in ("threads", "context", "parallel",
                                                     "max_tokens", "max_redirects")
            if numeric and (type(value) is not int or value < 0):
                raise self.error(f"`{key}` in [providers.config.{name}] must be a "
                                 f"non-negative integer, got {value!r}", key)
            if not numeric and not isinstance(value, str):
                raise self.error(f"`{key}` in [providers.config.{name}] must be a string, "
                                 f"got {value!r}", key)

    def mcp_servers(self, value) -> dict[str, dict]:
        if not isinstance(value, dict):
            raise self.error("`providers.mcp` must hold tables", "providers.mcp")
        out = {}
        for name, server in value.items():
            if not isinstance(server, dict):
                raise self.error(f"`providers.mcp.{name}` must be a table", name)
            for key in server:
                if key not in MCP_KEYS:
                    raise self.error(f"unknown key `{key}` in [providers.mcp.{name}]", key,
                                     hint="known keys: " + ", ".join(sorted(MCP_KEYS)))
            if not isinstance(server.get("command"), str):
                raise self.error(f"[providers.mcp.{name}] needs `command = \"...\"`",
                                 f"providers.mcp.{name}")
            args = server.get("args", [])
            if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
                raise self.error(f"`args` in [providers.mcp.{name}] must be a list of "
                                 f"strings", "args")
            env = server.get("env", {})
            if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
                raise self.error(f"`env` in [providers.mcp.{name}] must be a table of "
                                 f"strings", "env")
            out[name] = dict(server)
        return out

    def check_choice(self, config: Config, tool: str, choice: str) -> None:
        if choice.startswith("python:"):
            target = choice[len("python:"):]
            module, sep, function = target.partition(":")
            if not sep or not module or not function:
                raise self.error(f"`{tool}` = \"{choice}\": a Python provider is written "
                                 f"\"python:package.module:function\"", tool)
        elif choice.startswith("mcp:"):
            server = choice[len("mcp:"):].partition("/")[0]
            if server not in config.mcp_servers:
                raise self.error(f"`{tool}` uses MCP server `{server}`, but there is no "
                                 f"[providers.mcp.{server}] table", tool)
        elif choice not in PROVIDER_TYPES and choice not in config.provider_options:
            raise self.error(f"`{tool}` = \"{choice}\": unknown provider", tool,
                             hint="providers: " + ", ".join(PROVIDER_TYPES)
                             + ", python:MODULE:FUNCTION, mcp:SERVER, or a name defined in "
                               "[providers.config.NAME] with `type = ...`")
