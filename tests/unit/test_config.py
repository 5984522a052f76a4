"""lumen.toml: discovery from the program's directory upward, the reference format,
defaults, and errors that name file and line (lumen.config)."""

import pytest

from lumen import config
from lumen.config import ConfigError, parse

REFERENCE = """
[providers]
"llm.chat" = "openai-compatible"
"http.get" = "builtin-http"
"my.tool" = "python:pkg.mod:func"
"fs.read" = "mcp:files/read_file"
"ollama.*" = "ollama"

[providers.config.openai-compatible]
base_url = "http://127.0.0.1:8080/v1"
api_key_env = "OPENAI_API_KEY"
default_model = "gpt-4o-mini"

[providers.config.ollama]
type = "openai-compatible"
base_url = "http://127.0.0.1:11434/v1"

[providers.mcp.files]
command = "python"
args = ["server.py"]
env = { ROOT = "/tmp" }
"""


def test_reference_format():
    cfg = parse(REFERENCE, "/p/lumen.toml")
    chat = cfg.provider_for("llm.chat")
    assert (chat.type, chat.name) == ("openai-compatible", "openai-compatible")
    assert chat.options["default_model"] == "gpt-4o-mini"
    python = cfg.provider_for("my.tool")
    assert (python.type, python.target) == ("python", "pkg.mod:func")
    mcp = cfg.provider_for("fs.read")
    assert (mcp.type, mcp.name, mcp.target, mcp.remote_tool) == \
        ("mcp", "mcp:files", "files", "read_file")
    assert cfg.secret_env_names() == ["OPENAI_API_KEY"]


def test_named_instances_patterns_and_server_namespaces():
    cfg = parse(REFERENCE)
    ollama = cfg.provider_for("ollama.chat")
    assert (ollama.type, ollama.name) == ("openai-compatible", "ollama")
    assert ollama.options == {"base_url": "http://127.0.0.1:11434/v1"}
    implicit = cfg.provider_for("files.list_dir")
    assert (implicit.type, implicit.target, implicit.remote_tool) == \
        ("mcp", "files", "list_dir")


def test_defaults_without_a_file(tmp_path):
    cfg = config.load_for(tmp_path / "program.lm")
    assert cfg.path is None and cfg.root == tmp_path.resolve()
    assert cfg.provider_for("http.post").type == "builtin-http"
    assert cfg.provider_for("llm.chat").type == "local"
    assert cfg.provider_for("llm.embed").type == "local"
    assert cfg.provider_for("search.web") is None


def test_defaults_fill_what_the_file_leaves_out():
    cfg = parse('[providers]\n"llm.chat" = "openai-compatible"\n')
    assert cfg.provider_for("llm.chat").type == "openai-compatible"
    assert cfg.provider_for("llm.embed").type == "local"
    assert cfg.provider_for("http.get").type == "builtin-http"


def test_found_from_the_program_directory_upward(tmp_path):
    (tmp_path / "lumen.toml").write_text('[providers]\n"x.y" = "python:m:f"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    program = deep / "prog.lm"
    program.write_text("")
    assert config.find(program) == tmp_path / "lumen.toml"
    cfg = config.load_for(program)
    assert cfg.root == tmp_path.resolve() and cfg.provider_for("x.y").type == "python"


@pytest.mark.parametrize("text, message", [
    ('[providers]\n"llm.chat" = \n', "lumen.toml:2:14: invalid TOML"),
    ('[providers]\n"llm.chat" = "nope"\n', 'lumen.toml:2: `llm.chat` = "nope": unknown provider'),
    ('[providers]\n"llm.chat" = 3\n', "lumen.toml:2: provider of `llm.chat` must be a string"),
    ('[providers]\n"chat" = "local"\n', "lumen.toml:2: `chat` is not a tool name"),
    ('[provider]\n"llm.chat" = "local"\n', "lumen.toml:1: unknown table `[provider]`"),
    ('[providers]\n"a.b" = "python:mod"\n', 'lumen.toml:2: `a.b` = "python:mod": a Python'),
    ('[providers]\n"a.b" = "mcp:srv"\n', "lumen.toml:2: `a.b` uses MCP server `srv`"),
    ('[providers.config.openai-compatible]\nbase_ur = "x"\n',
     "lumen.toml:2: unknown key `base_ur` in [providers.config.openai-compatible]"),
    ('[providers.config.openai-compatible]\nbase_url = "x"\ntimeout_ms = "5"\n',
     "lumen.toml:3: `timeout_ms` in [providers.config.openai-compatible] must be a "
     "non-negative integer"),
    ('[providers.config.fast]\ntype = "warp"\n', "unknown provider type `warp`"),
    ('[providers.mcp.files]\nargs = []\n', "[providers.mcp.files] needs `command"),
    ('[providers.mcp.files]\ncommand = "x"\nargs = "y"\n', "`args` in [providers.mcp.files]"),
])
def test_errors_name_file_and_line(text, message):
    with pytest.raises(ConfigError) as info:
        parse(text, "lumen.toml")
    assert info.value.kind == "ConfigError"
    assert message in info.value.message


def test_the_key_itself_is_refused_without_echoing_it():
    with pytest.raises(ConfigError) as info:
        parse('[providers.config.openai-compatible]\napi_key = "sk-very-secret"\n')
    assert "api_key_env" in info.value.hint
    assert "sk-very-secret" not in info.value.message + info.value.hint


def test_registered_python_tools_win(tmp_path):
    from lumen.tools import registry
    cfg = config.load_for(tmp_path)
    registry.register("llm.chat", lambda prompt: prompt)
    try:
        assert registry.DEFAULT.resolve("llm.chat", cfg).type == "python"
    finally:
        registry.unregister("llm.chat")
    assert registry.DEFAULT.resolve("llm.chat", cfg).type == "local"
