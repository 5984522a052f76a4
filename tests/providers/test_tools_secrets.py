"""No secret appears in any trace, recording or error message (LANGUAGE.md 8.2): a fake
key in the variable named by `api_key_env` is sent to the server, echoed back by it in
errors and bodies, and must be masked everywhere Lumen writes."""

import json

import pytest
from harness import call, chat_toml, handle

from lumen.runtime.errors import LumenError

SECRET = "sk-lumen-FAKE-secret-0123456789"
HEADER_SECRET = "hdr-FAKE-token-9876543210"


def test_secrets_never_leave(project, chat_server, web_server, monkeypatch):
    monkeypatch.setenv("LUMEN_TEST_API_KEY", SECRET)
    project.toml(chat_toml(chat_server, api_key_env="LUMEN_TEST_API_KEY"))
    trace, recording = project.path / "trace.jsonl", project.path / "calls.jsonl"
    session = project.session(trace=trace, record=recording)
    messages = []

    assert call(handle("llm.chat", "Chat"), prompt=f"my key is {SECRET}") == \
        f"echo: my key is {SECRET}"                    # the program itself sees it
    chat_server.queue(("reject_key",))
    with pytest.raises(LumenError) as info:
        call(handle("llm.chat", "Chat"), prompt="hi")
    messages.append(info.value.message + str(info.value.hint))
    body = call(handle("http.get", "Fetch"), url=web_server.url("/echo"),
                headers={"X-Api-Key": HEADER_SECRET})
    assert HEADER_SECRET in body                       # the echo server saw the header
    with pytest.raises(LumenError) as info:
        call(handle("http.get", "Fetch"), url=web_server.url("/status/500") + "?k=" + SECRET,
             headers={"Authorization": f"Bearer {HEADER_SECRET}"})
    messages.append(info.value.message + str(info.value.hint))
    session.close("error", error=info.value)

    assert chat_server.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    assert "invalid key" in messages[0]
    written = trace.read_text() + recording.read_text()
    for text in [written, *messages]:
        assert SECRET not in text and HEADER_SECRET not in text
    assert "***" in written
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    fetch = [e for e in events if e.get("alias") == "Fetch"][0]
    assert fetch["request"]["headers"]["X-Api-Key"] == "***"
