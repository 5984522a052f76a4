"""Traces (lumen.tools.trace): every event and field, form nesting, identical traces for
deterministic runs, and `lumen trace show` (rich). Tools are Python functions registered
through the embedding API, so no server is needed."""

import io
import json

import pytest

import lumen.tools
from lumen.runtime import clock
from lumen.runtime.errors import LumenError
from lumen.runtime.orchestration import parallel, race, sleep
from lumen.runtime.support import emit
from lumen.runtime.tool_calls import ToolHandle, call_tool
from lumen.tools.session import Session


@pytest.fixture(autouse=True)
def tools():
    lumen.tools.register("test.upper", lambda text: text.upper())

    async def slow(ms):
        import asyncio
        await asyncio.sleep(ms / 1000)
        return ms

    lumen.tools.register("test.slow", slow)
    lumen.tools.register("test.fail", lambda: (_ for _ in ()).throw(ValueError("nope")))
    yield
    for name in ("test.upper", "test.slow", "test.fail"):
        lumen.tools.unregister(name)


UPPER = ToolHandle("test.upper", "Upper", [("max_calls", 10)], "Writer")
SLOW = ToolHandle("test.slow", "Slow", [], None)
FAIL = ToolHandle("test.fail", "Fail", [], None)


async def program():
    async def branch(text):
        return await call_tool(UPPER, {"text": text}, 12, None)

    async def nested():
        return await race([lambda: call_tool(SLOW, {"ms": 5}, 21, None),
                           lambda: sleep(1000)], lines=[21, 22], line=20)

    values = await parallel([lambda: branch("a"), lambda: branch("b"), nested],
                            lines=[11, 12, 13], line=10)
    emit({"done": list(values)})
    try:
        await call_tool(FAIL, {}, 30, None)
    except LumenError:
        pass
    return values


def traced_run(tmp_path, name, deterministic=True):
    path = tmp_path / name
    program_file = tmp_path / "prog.lm"
    program_file.write_text("")
    session = Session.open(program_file, trace=path, deterministic=deterministic).enter()
    try:
        result = clock.run(program, deterministic=deterministic)
    finally:
        session.close("ok")
    return result, path


def events_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_trace_events_and_fields(tmp_path, capsys):
    result, path = traced_run(tmp_path, "trace.jsonl")
    assert result == ("A", "B", 5)
    events = events_of(path)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_start" and kinds[-1] == "run_end"
    start = events[0]
    assert start["deterministic"] is True and start["time"] is None
    assert start["lumen"] == lumen.__version__ and start["program"].endswith("prog.lm")

    calls = [e for e in events if e["event"] == "tool_call"]
    upper = calls[0]
    assert upper["alias"] == "Upper" and upper["tool"] == "test.upper"
    assert upper["provider"] == "python:@test.upper" and upper["scope"] == "Writer"
    assert upper["line"] == 12 and upper["request"] == {"text": "a"}
    assert upper["result"] == "A" and upper["duration_ms"] == 0.0
    assert isinstance(upper["task"], int) and upper["start"] == 0.0

    forms = {e["form"]: e for e in events if e["event"] == "form_start"}
    outer, inner = forms["parallel"], forms["race"]
    assert outer["parent"] is None and outer["line"] == 10 and outer["branches"] == 3
    assert inner["parent"] == outer["id"]
    assert upper["parent"] == outer["id"]
    slow = [c for c in calls if c["alias"] == "Slow"][0]
    assert slow["parent"] == inner["id"] and slow["result"] == 5
    race_end = [e for e in events if e["event"] == "form_end" and e["form"] == "race"][0]
    assert race_end["winner"] == 0 and race_end["cancelled"] == [1]
    assert race_end["outcome"] == "ok" and race_end["id"] == inner["id"]

    emitted = [e for e in events if e["event"] == "emit"][0]
    assert emitted["value"] == {"done": ["A", "B", 5]} and emitted["parent"] is None

    failed = [c for c in calls if c["alias"] == "Fail"][0]
    assert failed["error"]["kind"] == "ToolError" and "nope" in failed["error"]["message"]
    end = events[-1]
    assert end["outcome"] == "ok" and end["tool_calls"] == 4 and end["errors"] == 1
    assert capsys.readouterr().out.strip() == '{"done": ["A", "B", 5]}'


def test_deterministic_traces_are_identical(tmp_path):
    _, first = traced_run(tmp_path, "one.jsonl")
    _, second = traced_run(tmp_path, "two.jsonl")
    assert first.read_text() == second.read_text()


def test_policy_violations_are_traced(tmp_path):
    program_file = tmp_path / "prog.lm"
    program_file.write_text("")
    session = Session.open(program_file, trace=tmp_path / "t.jsonl").enter()
    h = ToolHandle("test.upper", "Upper", [("max_calls", 0)], None)

    async def main():
        await call_tool(h, {"text": "x"}, 3, None)

    with pytest.raises(LumenError):
        clock.run(main)
    session.close("error", error=LumenError("PolicyViolation", "stopped"))
    events = events_of(tmp_path / "t.jsonl")
    assert events[1]["error"]["kind"] == "PolicyViolation"
    assert events[-1]["outcome"] == "error"
    assert events[-1]["error"] == {"kind": "PolicyViolation", "message": "stopped"}
    assert events[0]["time"] is not None                # not deterministic: wall clock


def test_trace_show_renders_a_tree(tmp_path):
    from rich.console import Console

    from lumen.tools.trace import show

    _, path = traced_run(tmp_path, "trace.jsonl")
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="standard", width=120,
                      no_color=False)
    assert show(path, console) == 0
    text = out.getvalue()
    for needle in ("run", "parallel", "race", "Upper", "test.upper", "branch · task",
                   "winner 0", "cancelled [1]", "emit", "Fail", "ToolError"):
        assert needle in text, needle
    error_line = [line for line in text.splitlines() if "ToolError" in line][0]
    assert "\x1b[31m" in error_line                      # errors in red


def test_trace_show_reports_unreadable_files(tmp_path):
    from rich.console import Console

    from lumen.tools.trace import show

    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    out = io.StringIO()
    assert show(bad, Console(file=out, width=100)) == 1
    assert "cannot read" in out.getvalue()


FORMS = """\
@deterministic true
cell main()
  let w = await race
    sleep(10) |> fn(_) => "slow"
    "fast"
  end
  let all = await parallel
    a = 1
    2
  end
  let v = await vote
    1
    1
  end
  let s = await select
    x = sleep(5)
  end
  let xs = await parallel for i in [1, 2]
    i
  end
  let t = await timeout(100,
    sleep(1))
  print(w, all, v, s, xs, t)
end
"""


def test_block_forms_are_traced_at_the_line_of_the_form(tmp_path, capsys):
    # `let w = await race` is line 3: its branches (lines 4, 5) are not the form's line.
    program = tmp_path / "forms.lm"
    program.write_text(FORMS)
    trace = tmp_path / "t.json"
    from lumen import cli
    assert cli.main(["run", str(program), "--trace", str(trace)]) == 0
    assert capsys.readouterr().out == 'fast (1, 2) 1 null [1, 2] null\n'
    events = events_of(trace)
    for kind in ("form_start", "form_end"):
        lines = [(e["form"], e["line"]) for e in events if e["event"] == kind]
        assert lines == [("race", 3), ("parallel", 7), ("vote", 11), ("select", 15),
                         ("parallel_for", 18), ("timeout", 21)], kind
