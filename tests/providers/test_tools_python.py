"""The python provider: `python:module:function` imported from the program's directory
first, and functions registered with `lumen.tools.tool` (the embedding API's
`@lumen.tool`), sync and async."""

import asyncio
import threading
import time

import pytest
from harness import call, handle, run

import lumen.tools
from lumen.runtime.errors import LumenError
from lumen.runtime.tool_calls import call_tool
from lumen.runtime.values import LumenSet


def error_of(h, **arguments) -> LumenError:
    with pytest.raises(LumenError) as info:
        call(h, **arguments)
    return info.value


@pytest.fixture
def registered():
    names = []

    def register(name):
        names.append(name)
        return lumen.tools.tool(name)

    yield register
    for name in names:
        lumen.tools.unregister(name)


def test_module_next_to_the_program(project):
    (project.path / "lumen_test_helpers.py").write_text(
        "def shout(text, times=1):\n    return (text.upper() + '!') * times\n\n"
        "async def later(x):\n    import asyncio\n    await asyncio.sleep(0)\n"
        "    return {'x': x, 'tags': {'a', 'b'}}\n")
    project.toml('[providers]\n"text.shout" = "python:lumen_test_helpers:shout"\n'
                 '"text.later" = "python:lumen_test_helpers:later"\n').session()
    assert call(handle("text.shout"), text="hi", times=2) == "HI!HI!"
    value = call(handle("text.later"), x=[1, 2])
    assert value["x"] == [1, 2] and isinstance(value["tags"], LumenSet)


def test_missing_module_is_a_clear_error(project):
    project.toml('[providers]\n"x.y" = "python:no_such_module_here:f"\n').session()
    error = error_of(handle("x.y", "X"))
    assert error.kind == "ToolError"
    assert error.message == ("X (x.y): cannot import module `no_such_module_here` for "
                             "python:no_such_module_here:f")
    assert str(project.path) in error.hint


def test_registered_sync_and_async(project, registered):
    @registered("test.double")
    def double(x: int) -> int:
        return x * 2

    @registered("test.hello")
    async def hello(name: str, punctuation: str = "!") -> str:
        await asyncio.sleep(0)
        return f"hello {name}{punctuation}"

    project.session()
    assert call(handle("test.double"), x=21) == 42
    assert call(handle("test.hello"), name="Ada") == "hello Ada!"


def test_registration_wins_over_lumen_toml(project, registered):
    registered("http.get")(lambda url: f"fake {url}")
    project.session()
    assert call(handle("http.get"), url="http://example.invalid/") == \
        "fake http://example.invalid/"


def test_sync_tools_run_off_the_loop_and_concurrently(project, registered):
    threads = set()

    @registered("test.block")
    def block(ms: int) -> str:
        threads.add(threading.current_thread().name)
        time.sleep(ms / 1000)
        return "done"

    project.session()
    h = handle("test.block")

    async def main():
        return await asyncio.gather(*(call_tool(h, {"ms": 200}, 1, None) for _ in range(3)))

    started = time.perf_counter()
    assert run(main) == ["done"] * 3
    assert time.perf_counter() - started < 0.5
    assert threading.main_thread().name not in threads


def test_exceptions_become_tool_errors(project, registered):
    @registered("test.broken")
    def broken(n):
        raise ValueError(f"bad n {n}")

    @registered("test.lumen_error")
    def lumen_error():
        raise LumenError("Halt", "stopped by the tool")

    project.session()
    error = error_of(handle("test.broken", "Broken"), n=3)
    assert error.kind == "ToolError"
    assert error.message.startswith("Broken (test.broken): ")
    assert error.message.endswith("broken raised ValueError: bad n 3")
    error = error_of(handle("test.lumen_error"))
    assert (error.kind, error.message) == ("Halt", "stopped by the tool")


def test_wrong_arguments_are_reported_before_calling(project, registered):
    seen = []
    registered("test.strict")(lambda a: seen.append(a))
    project.session()
    error = error_of(handle("test.strict", "S"), b=1)
    assert "cannot take these arguments" in error.message and seen == []


def test_values_lumen_cannot_hold(project, registered):
    registered("test.obj")(lambda: object())
    project.session()
    error = error_of(handle("test.obj", "O"))
    assert error.message == "O (test.obj): returned a Python object, which is not a Lumen value"


def test_timeout_applies_to_python_tools(project, registered):
    @registered("test.sleepy")
    async def sleepy():
        await asyncio.sleep(5)

    project.session()
    assert error_of(handle("test.sleepy", timeout_ms=50)).kind == "Timeout"


def test_grants_constrain_same_named_arguments(project, registered):
    registered("test.gen")(lambda model, max_tokens=10: f"{model}/{max_tokens}")
    project.session()
    h = handle("test.gen", "Gen", model="m1", max_tokens=20)
    assert call(h, model="m1", max_tokens=5) == "m1/5"
    error = error_of(h, model="m2")
    assert error.kind == "PolicyViolation" and 'allows "m1"' in error.message


def test_bad_registration_names():
    with pytest.raises(ValueError):
        lumen.tools.register("nodot", print)
    with pytest.raises(TypeError):
        lumen.tools.register("a.b", 42)
