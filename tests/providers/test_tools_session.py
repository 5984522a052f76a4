"""The Session lifecycle: programs on other threads and loops (the driver's big-stack
thread, deterministic mode), cancellation aborting requests, and a clean close."""

import json
import threading
import time

import pytest
from harness import call, chat_toml, handle, run

from lumen.program import run_on_big_stack
from lumen.runtime.errors import LumenError
from lumen.runtime.orchestration import race, sleep
from lumen.runtime.tool_calls import call_tool


def io_threads():
    return [t for t in threading.enumerate() if t.name == "lumen-tools-io"]


def test_program_on_a_big_stack_thread(project, chat_server):
    session = project.toml(chat_toml(chat_server)).session()
    h = handle("llm.chat")
    result = run_on_big_stack(lambda: call(h, prompt="from a thread"))
    assert result == "echo: from a thread"
    assert run_on_big_stack(lambda: call(h, prompt="again", deterministic=True)) == \
        "echo: again"
    session.close()
    assert io_threads() == []


def test_race_cancels_a_hanging_call_and_traces_it(project, chat_server):
    trace = project.path / "trace.jsonl"
    session = project.toml(chat_toml(chat_server)).session(trace=trace)
    chat_server.default = ("hang",)
    h = handle("llm.chat", "Chat")

    async def main():
        return await race([lambda: call_tool(h, {"prompt": "slow"}, 3, None),
                           lambda: sleep(200)], lines=[3, 4], line=2)

    started = time.perf_counter()
    assert run(main) is None
    assert time.perf_counter() - started < 5
    session.close()
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    cancelled = [e for e in events if e["event"] == "tool_call"][0]
    assert cancelled["error"]["kind"] == "Cancelled"


def test_calls_after_close_are_refused(project):
    session = project.session()
    session.close()
    with pytest.raises(LumenError) as info:
        session.enter()
        call(handle("http.get", "Fetch"), url="http://127.0.0.1:9/")
    session.close()
    assert "the run has ended" in info.value.message


def test_context_manager_enters_a_run_and_leaves_it(project):
    from lumen.runtime import run as runs
    from lumen.tools.session import Session

    before = runs.current()
    with Session.open(project.program, trace=project.path / "t.jsonl") as session:
        assert runs.current().tools == session.execute
        assert runs.current().listeners == (session.trace.on_event,)
    assert runs.current() is before and before is runs.NO_RUN
    last = json.loads((project.path / "t.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "run_end" and last["outcome"] == "ok"
