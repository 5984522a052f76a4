"""Grants (lumen.tools.policy): validation, the effective request, violations, domains.
No server is involved: `Policy.apply` runs before anything could be sent."""

import pytest

from lumen.runtime.errors import LumenError
from lumen.runtime.tool_calls import ToolHandle
from lumen.tools.policy import Grants, Policy, check_url, host_allowed
from lumen.tools.request import build_request, kind_of


def handle(tool="llm.chat", alias="Chat", **grants):
    return ToolHandle(tool, alias, list(grants.items()), None)


def effective(h, roles=None, defaults=None, policy=None, **arguments):
    kind = kind_of(h.tool, None)
    request = build_request(h, arguments, roles, kind, defaults or {"default_model": "dflt"})
    policy = policy or Policy()
    policy.apply(policy.state(h), request)
    return request.arguments


def violation(h, **arguments) -> LumenError:
    with pytest.raises(LumenError) as info:
        effective(h, **arguments)
    assert info.value.kind == "PolicyViolation"
    return info.value


def test_grants_fix_what_is_sent():
    sent = effective(handle(model="gpt-4o", max_tokens=100, temperature=0, top_p=1),
                     prompt="hi")
    assert sent == {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}],
                    "max_tokens": 100, "temperature": 0.0, "top_p": 1.0}


def test_without_grants_the_call_and_defaults_decide():
    sent = effective(handle(), prompt="hi", max_tokens=7, temperature=0.5)
    assert sent["model"] == "dflt" and sent["max_tokens"] == 7 and sent["temperature"] == 0.5
    assert effective(handle(), prompt="hi", model="mine")["model"] == "mine"


def test_call_may_repeat_the_granted_value_or_ask_less():
    h = handle(model="m", max_tokens=100, temperature=0.2)
    sent = effective(h, prompt="x", model="m", max_tokens=30, temperature=0.2)
    assert (sent["model"], sent["max_tokens"], sent["temperature"]) == ("m", 30, 0.2)


def test_violation_messages_name_alias_key_and_both_values():
    assert violation(handle(model="gpt-4o"), prompt="x", model="gpt-3.5").message == \
        'Chat: grant `model` allows "gpt-4o", the call asked for "gpt-3.5"'
    assert violation(handle(max_tokens=10), prompt="x", max_tokens=11).message == \
        "Chat: grant `max_tokens` allows at most 10, the call asked for 11"
    error = violation(handle(temperature=0), prompt="x", temperature=1)
    assert error.message == "Chat: grant `temperature` allows 0.0, the call asked for 1"
    assert "nothing was sent" in error.hint


def test_role_lines_come_before_the_prompt():
    sent = effective(handle(), roles=[("system", "S1"), ("user", "U1")], prompt="P",
                     system="SYS")
    assert [m["content"] for m in sent["messages"]] == ["SYS", "S1", "U1", "P"]
    assert [m["role"] for m in sent["messages"]] == ["system", "system", "user", "user"]


@pytest.mark.parametrize("grants, message", [
    ({"modle": "x"}, "`modle` is not a grant key"),
    ({"max_tokens": "many"}, 'grant `max_tokens` must be an Int >= 1, got "many"'),
    ({"max_tokens": 0}, "grant `max_tokens` must be an Int >= 1, got 0"),
    ({"timeout_ms": True}, "grant `timeout_ms` must be an Int >= 1, got true"),
    ({"max_retries": -1}, "grant `max_retries` must be an Int >= 0"),
    ({"temperature": "hot"}, "grant `temperature` must be a number"),
    ({"model": 4}, "grant `model` must be a String"),
    ({"max_concurrency": 0}, "grant `max_concurrency` must be an Int >= 1"),
])
def test_bad_grants_are_errors_at_the_first_call(grants, message):
    assert message in violation(handle(**grants), prompt="x").message


def test_grants_that_do_not_apply():
    assert "`domain` does not apply to llm.chat" in \
        violation(handle(domain="x.com"), prompt="x").message
    h = handle("http.get", "Fetch", model="m")
    with pytest.raises(LumenError) as info:
        request = build_request(h, {"url": "http://x.com/"}, None, "http", {})
        Policy().apply(Policy().state(h), request)
    assert "grant `model` does not apply to http.get" in info.value.message


def test_max_calls_counts_per_handle():
    policy, h = Policy(), handle(max_calls=1)
    effective(h, policy=policy, prompt="1")
    error = violation_with(policy, h, prompt="2")
    assert error.message == "Chat: grant `max_calls` allows 1 calls, this is call 2"
    effective(handle(max_calls=1), policy=policy, prompt="3")   # another handle


def violation_with(policy, h, **arguments):
    with pytest.raises(LumenError) as info:
        effective(h, policy=policy, **arguments)
    return info.value


def test_grants_merge_later_keys_win_and_domains_accumulate():
    h = ToolHandle("http.get", "Fetch", [("timeout_ms", 5), ("domain", "a.com"),
                                         ("timeout_ms", 9), ("domain", "*.b.com")], None)
    grants = Grants.of(h)
    assert grants.timeout_ms == 9 and grants.domains == ("a.com", "*.b.com")
    assert grants.retries == 2 and Grants.of(handle(max_retries=0)).retries == 0


def test_domains():
    grants = Grants(domains=("api.example.com", "*.example.org"))
    check_url("F", grants, "https://api.example.com/v1?q=1")
    check_url("F", grants, "http://x.y.example.org/")
    for url in ("https://example.org/", "https://api.example.com.evil.net/", "not a url"):
        with pytest.raises(LumenError) as info:
            check_url("F", grants, url)
        assert info.value.kind == "PolicyViolation"
    check_url("F", Grants(), "http://anything.at.all/")       # no domain grant: any host
    assert host_allowed("127.0.0.1", 80, ["127.0.0.*"])
