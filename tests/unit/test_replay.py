"""Record/replay (lumen.tools.replay) with Python tools that count their invocations:
the replayed run contacts no provider, gets the same values (records, tuples, sets,
maps with Int keys), and — in deterministic mode — writes the same trace."""

import json

import pytest

import lumen.tools
from lumen.runtime import clock
from lumen.runtime.errors import LumenError
from lumen.runtime.orchestration import parallel
from lumen.runtime.tool_calls import ToolHandle, call_tool
from lumen.runtime.values import LumenSet, Record
from lumen.tools import codec
from lumen.tools.session import Session


class Point(Record):
    __slots__ = ("x", "y")
    _lumen_name = "Point"
    _lumen_fields = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y


calls = []


@pytest.fixture(autouse=True)
def tools():
    calls.clear()

    def answer(question, model="default"):
        calls.append((question, model))
        return f"{model}: {question} #{len(calls)}"

    lumen.tools.register("test.answer", answer)
    lumen.tools.register("test.shapes", lambda p: {"point": Point(p.x + 1, p.y), "pair": (1, "a"),
                                                   "tags": {"x"}, "by_id": {1: "one"}})
    yield
    lumen.tools.unregister("test.answer")
    lumen.tools.unregister("test.shapes")


A = ToolHandle("test.answer", "AgentA", [("model", "m-a")], "A")
B = ToolHandle("test.answer", "AgentB", [("model", "m-b")], "B")
SHAPES = ToolHandle("test.shapes", "Shapes", [], None)


async def program():
    first = await parallel([lambda: call_tool(A, {"question": "q", "model": "m-a"}, 5, None),
                            lambda: call_tool(B, {"question": "q", "model": "m-b"}, 6, None)],
                           lines=[5, 6], line=4)
    again = await call_tool(A, {"question": "q", "model": "m-a"}, 7, None)
    shapes = await call_tool(SHAPES, {"p": Point(1, 2)}, 8, None)
    return first, again, shapes


def run(tmp_path, name, **options):
    program_file = tmp_path / "prog.lm"
    program_file.write_text("")
    session = Session.open(program_file, trace=tmp_path / f"{name}.trace.jsonl",
                           deterministic=True, **options).enter()
    try:
        return clock.run(program, deterministic=True)
    finally:
        session.close()


def test_replay_gives_the_recorded_values_without_calling(tmp_path):
    recording = tmp_path / "calls.jsonl"
    recorded = run(tmp_path, "record", record=recording)
    assert len(calls) == 3
    (a, b), again, shapes = recorded
    assert a.startswith("m-a:") and b.startswith("m-b:") and again.startswith("m-a:")
    calls.clear()
    replayed = run(tmp_path, "replay", replay=recording)
    assert calls == []
    assert replayed == recorded
    shapes = replayed[2]
    assert shapes["point"] == Point(2, 2) and shapes["pair"] == (1, "a")
    assert shapes["tags"] == LumenSet(["x"]) and shapes["by_id"] == {1: "one"}


def test_replayed_deterministic_run_writes_the_same_trace(tmp_path):
    recording = tmp_path / "calls.jsonl"
    run(tmp_path, "record", record=recording)
    run(tmp_path, "replay", replay=recording)
    assert (tmp_path / "record.trace.jsonl").read_text() == \
        (tmp_path / "replay.trace.jsonl").read_text()


def test_identity_is_tool_effective_request_and_occurrence(tmp_path):
    recording = tmp_path / "calls.jsonl"
    run(tmp_path, "record", record=recording)
    entries = [json.loads(line) for line in recording.read_text().splitlines()[1:]]
    answers = [e for e in entries if e["tool"] == "test.answer"]
    by_model = {(e["request"]["model"], e["occurrence"]) for e in answers}
    assert by_model == {("m-a", 0), ("m-b", 0), ("m-a", 1)}
    keys = {e["request"]["model"]: e["key"] for e in answers}
    assert keys["m-a"] != keys["m-b"]
    assert len({e["key"] for e in answers if e["request"]["model"] == "m-a"}) == 1


def test_recording_is_not_a_recording(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"hello": 1}\n')
    with pytest.raises(LumenError) as info:
        Session.open(tmp_path / "p.lm", replay=bad)
    assert "is not a Lumen recording" in info.value.message


def test_record_and_replay_together_are_refused(tmp_path):
    with pytest.raises(ValueError):
        Session.open(tmp_path / "p.lm", record=tmp_path / "a", replay=tmp_path / "b")


@pytest.mark.parametrize("value", [
    None, True, 3, 2.5, "s", [1, [2]], (1, "a"), {"k": [1]}, {1: "one"}, {"$odd": 1},
    b"bytes", float("inf"),
])
def test_codec_round_trip(value):
    assert codec.decode(json.loads(json.dumps(codec.encode(value)))) == value


def test_codec_records_need_their_class():
    data = codec.encode(Point(1, 2))
    assert data == {"$record": "Point", "fields": {"x": 1, "y": 2}}
    assert codec.decode(data, {"Point": Point}) == Point(1, 2)
    with pytest.raises(codec.DecodeError):
        codec.decode(data)
