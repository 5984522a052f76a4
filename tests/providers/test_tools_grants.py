"""Grants against real servers: a violation sends nothing (the server counts requests),
`max_concurrency` bounds calls in flight across the run, `max_calls` counts calls, and
`domain` is checked at every redirect hop (LANGUAGE.md 8.3)."""

import asyncio

import pytest
from harness import call, chat_toml, handle, run

from lumen.runtime.errors import LumenError
from lumen.runtime.tool_calls import call_tool


def violation(h, **arguments) -> LumenError:
    with pytest.raises(LumenError) as info:
        call(h, **arguments)
    assert info.value.kind == "PolicyViolation"
    return info.value


@pytest.mark.parametrize("grants, arguments, message", [
    ({"model": "gpt-4o"}, {"model": "gpt-3.5"},
     'Chat: grant `model` allows "gpt-4o", the call asked for "gpt-3.5"'),
    ({"max_tokens": 50}, {"max_tokens": 51},
     "Chat: grant `max_tokens` allows at most 50, the call asked for 51"),
    ({"temperature": 0.0}, {"temperature": 0.7},
     "Chat: grant `temperature` allows 0.0, the call asked for 0.7"),
    ({"top_p": 0.5}, {"top_p": 1},
     "Chat: grant `top_p` allows 0.5, the call asked for 1"),
])
def test_violations_send_nothing(project, chat_server, grants, arguments, message):
    project.toml(chat_toml(chat_server)).session()
    error = violation(handle("llm.chat", "Chat", **grants), prompt="hi", **arguments)
    assert error.message == message
    assert chat_server.count == 0


def test_unknown_grant_key_is_an_error_at_the_first_call(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    error = violation(handle("llm.chat", "Chat", modle="gpt-4o"), prompt="hi")
    assert error.message == "Chat: `modle` is not a grant key"
    assert error.hint == "did you mean `model`?"
    assert chat_server.count == 0


def test_max_calls(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    h = handle("llm.chat", "Chat", max_calls=2)
    call(h, prompt="1")
    call(h, prompt="2")
    error = violation(h, prompt="3")
    assert error.message == "Chat: grant `max_calls` allows 2 calls, this is call 3"
    assert chat_server.count == 2
    other = handle("llm.chat", "Other", max_calls=2)   # counted per handle
    assert call(other, prompt="4") == "echo: 4"


def test_max_concurrency_bounds_calls_in_flight(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.default = ("delay", 0.15, ("echo",))
    h = handle("llm.chat", "Chat", max_concurrency=2)

    async def main():
        return await asyncio.gather(*(call_tool(h, {"prompt": str(i)}, 1, None)
                                      for i in range(6)))

    answers = run(main)
    assert answers == [f"echo: {i}" for i in range(6)]
    assert chat_server.max_in_flight == 2


def test_without_max_concurrency_calls_overlap(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    chat_server.default = ("delay", 0.15, ("echo",))
    h = handle("llm.chat", "Chat")

    async def main():
        return await asyncio.gather(*(call_tool(h, {"prompt": str(i)}, 1, None)
                                      for i in range(4)))

    run(main)
    assert chat_server.max_in_flight == 4


# ------------------------------------------------------------------------ domain


def test_domain_allows_matching_hosts(project, web_server):
    project.session()
    h = handle("http.get", "Fetch", domain=["example.org", "127.0.0.*"])
    assert call(h, url=web_server.url("/text")) == "hello, world"


def test_domain_violation_sends_nothing(project, web_server):
    project.session()
    h = handle("http.get", "Fetch", domain="127.0.0.1")
    url = web_server.url("/text", host="localhost")
    error = violation(h, url=url)
    assert error.message == (f'Fetch: grant `domain` allows "127.0.0.1", the call asked for '
                             f'"localhost" ({url})')
    assert web_server.count == 0


def test_redirect_to_an_allowed_host_is_followed(project, web_server):
    project.session()
    h = handle("http.get", "Fetch", domain=["127.0.0.1", "localhost"])
    target = web_server.url("/text", host="localhost")
    assert call(h, url=web_server.url(f"/redirect?to={target}")) == "hello, world"
    assert [r["host"].split(":")[0] for r in web_server.requests] == ["127.0.0.1", "localhost"]


def test_redirect_to_a_host_not_allowed_is_never_requested(project, web_server):
    project.session()
    h = handle("http.get", "Fetch", domain="127.0.0.1")
    target = web_server.url("/text", host="localhost")
    start = web_server.url(f"/redirect?to={target}")
    error = violation(h, url=start)
    assert error.message == (f'Fetch: grant `domain` allows "127.0.0.1", the redirect from '
                             f'{start} goes to "localhost" ({target})')
    assert [r["path"] for r in web_server.requests] == [f"/redirect?to={target}"]


def test_domain_glob_with_subdomains_and_ports():
    from lumen.tools.policy import host_allowed
    assert host_allowed("api.example.com", None, ["*.example.com"])
    assert host_allowed("a.b.example.com", 443, ["*.example.com"])
    assert not host_allowed("example.com", None, ["*.example.com"])
    assert not host_allowed("evil-example.com", None, ["*.example.com"])
    assert host_allowed("localhost", 8080, ["localhost:8080"])
    assert not host_allowed("localhost", 9090, ["localhost:8080"])
    assert host_allowed("API.Example.com", None, ["api.example.com"])


def test_domain_does_not_apply_to_chat(project, chat_server):
    project.toml(chat_toml(chat_server)).session()
    error = violation(handle("llm.chat", "Chat", domain="x.com"), prompt="hi")
    assert "does not apply" in error.message and chat_server.count == 0
