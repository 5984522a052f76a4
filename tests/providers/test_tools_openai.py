"""openai-compatible against a real HTTP server: chat, embeddings, structured output,
retries and every scripted fault (LANGUAGE.md 8.1-8.3)."""

import pytest
from harness import call, chat_toml, handle
from records import Analysis
from servers import closed_port

from lumen.runtime.errors import LumenError


def error_of(h, **arguments) -> LumenError:
    with pytest.raises(LumenError) as info:
        call(h, **arguments)
    return info.value


# ------------------------------------------------------------------------ chat


def test_chat_sends_system_role_lines_and_prompt_in_order(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    answer = call(handle("llm.chat", "Chat"), [("system", "Be brief."), ("user", "Ctx.")],
                  prompt="Why?", system="You are a tutor.")
    assert answer == "echo: Why?"
    sent = chat_server.requests[-1]["json"]
    assert sent["messages"] == [
        {"role": "system", "content": "You are a tutor."},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Ctx."},
        {"role": "user", "content": "Why?"}]
    assert sent["model"] == "test-model"          # the provider's default_model


def test_chat_without_api_key_env_sends_no_authorization(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    call(handle("llm.chat"), prompt="hi")
    assert "authorization" not in chat_server.requests[-1]["headers"]


def test_chat_with_api_key_env_sends_bearer(project, chat_server, monkeypatch):
    monkeypatch.setenv("LUMEN_TEST_KEY", "sk-test-0123456789")
    project.toml(chat_toml(chat_server, api_key_env="LUMEN_TEST_KEY")).session()
    call(handle("llm.chat"), prompt="hi")
    assert chat_server.requests[-1]["headers"]["authorization"] == "Bearer sk-test-0123456789"


def test_missing_key_variable_is_a_tool_error_naming_it(project, chat_server, monkeypatch):
    monkeypatch.delenv("LUMEN_TEST_KEY", raising=False)
    project.toml(chat_toml(chat_server, api_key_env="LUMEN_TEST_KEY")).session()
    error = error_of(handle("llm.chat", "Chat"), prompt="hi")
    assert error.kind == "ToolError"
    assert "LUMEN_TEST_KEY" in error.message and chat_server.count == 0


def test_grants_shape_the_request(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    h = handle("llm.chat", model="gpt-4o", max_tokens=50, temperature=0.2, top_p=0.9)
    call(h, prompt="hi")
    sent = chat_server.requests[-1]["json"]
    assert (sent["model"], sent["max_tokens"], sent["temperature"], sent["top_p"]) == \
        ("gpt-4o", 50, 0.2, 0.9)
    call(h, prompt="hi", max_tokens=10)           # below the bound: the call's value
    assert chat_server.requests[-1]["json"]["max_tokens"] == 10


# ---------------------------------------------------------------------- faults


def test_500_is_retried_then_a_tool_error(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.default = ("status", 500)
    error = error_of(handle("llm.chat", "Chat"), prompt="hi")
    assert error.kind == "ToolError"
    assert error.message == "Chat (llm.chat): server returned 500 after 3 attempts"
    assert chat_server.count == 3                 # 1 + max_retries (default 2)


def test_429_then_success(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.queue(("status", 429, {"Retry-After": "0"}), ("status", 503))
    assert call(handle("llm.chat"), prompt="again") == "echo: again"
    assert chat_server.count == 3


def test_max_retries_grant_bounds_attempts(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.default = ("status", 502)
    error = error_of(handle("llm.chat", "Chat", max_retries=0), prompt="hi")
    assert error.message == "Chat (llm.chat): server returned 502"
    assert chat_server.count == 1


def test_4xx_is_not_retried(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.default = ("status", 400)
    error = error_of(handle("llm.chat", "Chat"), prompt="hi")
    assert error.kind == "ToolError" and "returned 400" in error.message
    assert "scripted status 400" in error.message and chat_server.count == 1


def test_hang_past_timeout_is_a_timeout(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.default = ("hang",)
    error = error_of(handle("llm.chat", "Chat", timeout_ms=300), prompt="hi")
    assert error.kind == "Timeout"
    assert error.message == "Chat (llm.chat): no answer within 300 ms (grant `timeout_ms`)"


def test_timeout_covers_retries(project, chat_server):
    project.toml(chat_toml(chat_server, retry_base_ms=400)).session()
    chat_server.default = ("status", 500)
    error = error_of(handle("llm.chat", "Chat", timeout_ms=250, max_retries=5), prompt="x")
    assert error.kind == "Timeout" and chat_server.count == 1


def test_connection_refused(project):
    port = closed_port()
    project.toml(f"""[providers]\n"llm.chat" = "openai-compatible"\n
[providers.config.openai-compatible]\nbase_url = "http://127.0.0.1:{port}/v1"
default_model = "m"\nretry_base_ms = 1\n""").session()
    error = error_of(handle("llm.chat", "Chat"), prompt="hi")
    assert error.kind == "ToolError"
    assert error.message.startswith(f"Chat (llm.chat): cannot connect to http://127.0.0.1:{port}")
    assert error.message.endswith("after 3 attempts")


def test_malformed_json(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.queue(("malformed",))
    error = error_of(handle("llm.chat", "Chat"), prompt="hi")
    assert error.kind == "ToolError"
    assert error.message == "Chat (llm.chat): the server's answer is not valid JSON"


def test_no_model_anywhere(project, chat_server):
    project.toml(f"""[providers]\n"llm.chat" = "openai-compatible"\n
[providers.config.openai-compatible]\nbase_url = "{chat_server.base_url}"\n""").session()
    error = error_of(handle("llm.chat", "Chat"), prompt="hi")
    assert "no model" in error.message and "default_model" in error.hint
    assert chat_server.count == 0


# ------------------------------------------------------------ structured output


def test_structured_output_builds_the_record(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.queue(("json", {"sentiment": "positive", "score": 1, "summary": "Nice."}))
    value = call(handle("llm.chat"), prompt="Rate it.", schema=Analysis)
    assert value == Analysis(sentiment="positive", score=1.0, summary="Nice.")
    assert type(value.score) is float             # Int in JSON, Float field
    fmt = chat_server.requests[-1]["json"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == "Analysis"
    assert fmt["json_schema"]["schema"] == Analysis._lumen_json_schema


def test_invalid_output_is_retried_with_feedback(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.queue(("reply", "not json at all"),
                      ("json", {"sentiment": "ok", "score": 0.5, "summary": "Fine."}))
    value = call(handle("llm.chat"), prompt="Rate it.", schema=Analysis)
    assert value.summary == "Fine." and chat_server.count == 2
    retry = chat_server.requests[-1]["json"]["messages"]
    assert retry[-2] == {"role": "assistant", "content": "not json at all"}
    assert "not JSON" in retry[-1]["content"]


def test_invalid_output_after_retries_is_a_tool_error(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.default = ("json", {"sentiment": "ok", "score": 0.5, "summary": ""})
    error = error_of(handle("llm.chat", "Chat", max_retries=1), prompt="x", schema=Analysis)
    assert error.kind == "ToolError"
    assert error.message == ("Chat (llm.chat): the model's answer does not fit record "
                             "Analysis after 2 attempts: Analysis.summary violates "
                             "`where length(summary) > 0` (got \"\")")
    assert chat_server.count == 2


@pytest.mark.parametrize("answer, problem", [
    ({"sentiment": 3, "score": 0.5, "summary": "x"}, "expects String"),
    ({"sentiment": "a", "summary": "x", "mood": "?"}, "has no field `mood`"),
    ({"score": 0.5, "summary": "x"}, "needs field `sentiment`"),
    ([1, 2], "expected a JSON object"),
])
def test_invalid_output_names_the_problem(project, chat_server, answer, problem):
    project.toml(chat_toml(chat_server)).session()
    chat_server.default = ("json", answer)
    error = error_of(handle("llm.chat", "Chat", max_retries=0), prompt="x", schema=Analysis)
    assert problem in error.message and chat_server.count == 1


# ------------------------------------------------------------------ embeddings


def test_embeddings(project, chat_server):
    project.toml(chat_toml(chat_server, embedding_model="embed-small")).session()
    vector = call(handle("llm.embed", "Embed"), text="hello")
    assert vector == [5.0, 0.5, -1.0]
    sent = chat_server.requests[-1]
    assert sent["path"] == "/v1/embeddings"
    assert sent["json"]["model"] == "embed-small" and sent["json"]["input"] == "hello"


def test_unknown_argument_is_an_error_before_sending(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    error = error_of(handle("llm.chat", "Chat"), promt="hi")
    assert error.kind == "ToolError" and "unknown argument `promt`" in error.message
    assert chat_server.count == 0
