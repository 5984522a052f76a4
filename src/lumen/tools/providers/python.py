"""`python`: a Python callable as a tool — `"my.tool" = "python:package.module:function"`
in lumen.toml, or a function registered with `@lumen.tool("my.tool")`.

The module is imported from the program's directory first, then from installed
packages. A module found in the program's directory is imported under a name of its own
for that directory (`_lumen_dir_<hash>.tools` for `tools`), so two programs in two
directories, each with its own `tools.py`, never share a module — also when they run at
once in one process. (Modules that one imports by absolute name are looked up with the
program's directory at the front of `sys.path`, as usual.) The function receives the
call's named arguments as keyword arguments. An `async def` runs on the caller's loop;
a plain function runs in a worker thread (so a slow one does not stop other branches,
and `timeout_ms` can give up on it — the thread itself finishes on its own). The
result must be a Lumen value (str, int, float, bool, None, list, dict, tuple, a set, or
a Lumen record); a `LumenError` raised by the function propagates as is, any other
exception becomes a ToolError naming it.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import os
import sys
import threading

from ...runtime.errors import LumenError
from ..codec import to_lumen
from .base import Provider


class PythonProvider(Provider):
    type = "python"
    on_io_loop = False

    def __init__(self, spec, services):
        super().__init__(spec, services)
        self._function = spec.options.get("callable")

    def function(self, ctx):
        if self._function is None:
            self._function = import_target(self.spec.target, ctx)
        return self._function

    async def call(self, ctx):
        function = self.function(ctx)
        kwargs = dict(ctx.request.arguments)
        name = describe(function)
        try:
            inspect.signature(function).bind(**kwargs)
        except TypeError as exc:
            raise ctx.fail(f"{name} cannot take these arguments ({exc})") from None
        except ValueError:
            pass  # builtins without a signature: just call
        try:
            if _is_async(function):
                result = await function(**kwargs)
            else:
                result = await asyncio.to_thread(function, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
        except LumenError:
            raise
        except Exception as exc:
            raise ctx.fail(f"{name} raised {type(exc).__name__}: {exc}") from exc
        return to_lumen(result, ctx.request.label)


def _is_async(function) -> bool:
    target = getattr(function, "__call__", None) if not inspect.isroutine(function) else None
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(target)


def describe(function) -> str:
    module = getattr(function, "__module__", None)
    if module and module.startswith(_LOCAL_PREFIX):
        module = module.partition(".")[2]   # as the user named it in lumen.toml
    name = getattr(function, "__qualname__", None) or repr(function)
    return f"{module}.{name}" if module else name


_packages_lock = threading.Lock()
_LOCAL_PREFIX = "_lumen_dir_"


def _local_name(root: str, module_name: str) -> str:
    """The name to import `module_name` by: under the directory's own package when the
    module's top level is found in `root`, else the name itself (an installed module)."""
    top = module_name.split(".")[0]
    if not (os.path.isfile(os.path.join(root, top + ".py"))
            or os.path.isdir(os.path.join(root, top))):
        return module_name
    import hashlib

    package = _LOCAL_PREFIX + hashlib.sha256(os.path.abspath(root).encode()).hexdigest()[:16]
    with _packages_lock:
        if package not in sys.modules:
            spec = importlib.util.spec_from_loader(package, loader=None, is_package=True)
            holder = importlib.util.module_from_spec(spec)
            holder.__path__ = [root]
            sys.modules[package] = holder
    return f"{package}.{module_name}"


def import_target(target: str, ctx):
    """`package.module:function` (the function may be `Class.attr`), imported from the
    program's directory first."""
    module_name, _, attribute = target.partition(":")
    root = str(ctx.root)
    added = root not in sys.path
    if added:
        sys.path.insert(0, root)
    try:
        module = importlib.import_module(_local_name(root, module_name))
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ctx.fail(f"cannot import module `{module_name}` for python:{target}",
                           hint=f"looked in {root} (the program's directory) and in the "
                                f"installed packages") from None
        raise ctx.fail(f"importing `{module_name}` failed: {exc}") from exc
    except Exception as exc:
        raise ctx.fail(f"importing `{module_name}` raised {type(exc).__name__}: {exc}") \
            from exc
    finally:
        if added:
            try:
                sys.path.remove(root)
            except ValueError:
                pass
    value = module
    for part in attribute.split("."):
        value = getattr(value, part, None)
        if value is None:
            raise ctx.fail(f"module `{module_name}` has no `{attribute}` "
                           f"(from python:{target})")
    if not callable(value):
        raise ctx.fail(f"`{module_name}:{attribute}` is not callable")
    return value
