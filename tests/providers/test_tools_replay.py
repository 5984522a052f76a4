"""Record against a real server, stop it, replay: the same results with no provider
contacted; an unrecorded call is a clear error (LANGUAGE.md 11)."""

import json

import pytest
from harness import call, chat_toml, handle
from records import Analysis

from lumen.runtime.errors import LumenError


def test_record_then_replay_with_the_server_stopped(project, chat_server, web_server):
    project.toml(chat_toml(chat_server))
    recording = project.path / "calls.jsonl"
    chat_a = handle("llm.chat", "ChatA", scope="ModelA", model="model-a")
    chat_b = handle("llm.chat", "ChatB", scope="ModelB", model="model-b")
    fetch = handle("http.request", "Fetch")
    chat_server.queue(("reply", "A says yes"), ("reply", "B says no"),
                      ("json", {"sentiment": "pos", "score": 2, "summary": "Good."}),
                      ("reply", "A again"))
    session = project.session(record=recording)
    first = [call(chat_a, prompt="Same question"), call(chat_b, prompt="Same question"),
             call(chat_a, prompt="Rate", schema=Analysis),
             call(chat_a, prompt="Same question"),
             call(fetch, method="GET", url=web_server.url("/text"))]
    session.close()
    contacted = (chat_server.count, web_server.count)
    chat_server.stop()
    web_server.stop()

    project.session(replay=recording)
    again = [call(chat_a, prompt="Same question"), call(chat_b, prompt="Same question"),
             call(chat_a, prompt="Rate", schema=Analysis),
             call(chat_a, prompt="Same question"),
             call(fetch, method="GET", url=web_server.url("/text"))]
    assert again == first
    assert first[:2] == ["A says yes", "B says no"]        # never each other's answers
    assert first[3] == "A again"                           # occurrence 2 of the request
    assert isinstance(again[2], Analysis) and again[4].status == 200
    assert (chat_server.count, web_server.count) == contacted


def test_unrecorded_call_names_the_tool_and_request(project, chat_server):
    project.toml(chat_toml(chat_server))
    recording = project.path / "calls.jsonl"
    project.session(record=recording)
    call(handle("llm.chat", "Chat"), prompt="recorded")
    project.close()
    project.session(replay=recording)
    before = chat_server.count
    with pytest.raises(LumenError) as info:
        call(handle("llm.chat", "Chat"), prompt="never recorded")
    error = info.value
    assert error.kind == "ToolError"
    assert error.message.startswith("Chat (llm.chat): no recorded result in ")
    assert "this request was never recorded" in error.message
    assert "never recorded\"" in error.message                    # the request is shown
    assert "record again" in error.hint
    call(handle("llm.chat", "Chat"), prompt="recorded")
    with pytest.raises(LumenError) as info:                       # a second occurrence
        call(handle("llm.chat", "Chat"), prompt="recorded")
    assert "occurrence 2 of this request; the recording has 1" in info.value.message
    assert chat_server.count == before


def test_failures_are_recorded_and_replayed(project, chat_server):
    project.toml(chat_toml(chat_server))
    recording = project.path / "calls.jsonl"
    chat_server.default = ("status", 500)
    project.session(record=recording)
    with pytest.raises(LumenError) as recorded:
        call(handle("llm.chat", "Chat", max_retries=0), prompt="x")
    project.close()
    project.session(replay=recording)
    with pytest.raises(LumenError) as replayed:
        call(handle("llm.chat", "Chat", max_retries=0), prompt="x")
    assert (replayed.value.kind, replayed.value.message) == \
        (recorded.value.kind, recorded.value.message)


def test_the_effective_request_is_the_identity(project, chat_server):
    """A grant that fixes the model changes the request, so a recording made under
    another grant does not answer."""
    project.toml(chat_toml(chat_server))
    recording = project.path / "calls.jsonl"
    project.session(record=recording)
    call(handle("llm.chat", "Chat", model="m1"), prompt="q")
    project.close()
    entries = [json.loads(line) for line in recording.read_text().splitlines()]
    assert entries[0]["lumen_recording"] == 1
    assert entries[1]["request"]["model"] == "m1" and entries[1]["occurrence"] == 0
    project.session(replay=recording)
    assert call(handle("llm.chat", "Renamed", model="m1"), prompt="q") == "echo: q"
    with pytest.raises(LumenError):
        call(handle("llm.chat", "Chat", model="m2"), prompt="q")
