"""The globals compiled Lumen code runs with.

Generated code reaches the runtime through names starting with `_L_`. `module_globals`
resolves exactly the names a compiled module uses, importing each provider module only
when one of its names is needed — so a program that never orchestrates never imports
asyncio, and `lumen run hello.lm` starts fast.
"""

from __future__ import annotations

import builtins as _py
import functools
import importlib
import re
import types

# Names a compiled module defines itself: checked wrappers, the script, the entry
# table, type descriptors, tool handles and temporaries.
_MODULE_LOCAL = re.compile(r"_L_(c_.*|script|entry|[A-Za-z]+\d+)$")

_VALUES = "lumen.runtime.values"
_SUPPORT = "lumen.runtime.support"
_ERRORS = "lumen.runtime.errors"
_ORCH = "lumen.runtime.orchestration"
_FUTURES = "lumen.runtime.futures"

# name -> (module, attribute), or a plain value.
_PROVIDERS: dict[str, object] = {
    "_L_int": int, "_L_float": float, "_L_str": str, "_L_bool": bool, "_L_bytes": bytes,
    "_L_list": list, "_L_dict": dict, "_L_tuple": tuple, "_L_len": len, "_L_range": range,
    "_L_isinstance": isinstance, "_L_callable": callable, "_L_abs": abs,
    "_L_sqrt": ("math", "sqrt"), "_L_BaseException": BaseException,
    "_L_BranchErrors": (_ORCH, "BRANCH_ERRORS"),   # translation words its "math domain error"
    "_L_coroutine": types.CoroutineType, "_L_Exception": Exception,
    "_L_partial": functools.partial, "_L_staticmethod": staticmethod,
    "_L_HttpResponse": (_VALUES, "HttpResponse"),
    "_L_MISSING": (_SUPPORT, "MISSING"), "_L_NEVER": (_SUPPORT, "NEVER"),
    "_L_Record": (_VALUES, "Record"), "_L_Agent": (_SUPPORT, "Agent"),
    "_L_make_enum": (_VALUES, "make_enum"),
    "_L_make_variant_class": (_VALUES, "make_variant_class"),
    "_L_make_unit_variant": (_VALUES, "make_unit_variant"),
    "_L_LumenSet": (_VALUES, "LumenSet"), "_L_Ok": (_VALUES, "Ok"), "_L_Err": (_VALUES, "Err"),
    "_L_ok": (_VALUES, "ok"), "_L_err": (_VALUES, "err"),
    "_L_Result": (_VALUES, "Result"), "_L_Failure": (_VALUES, "Failure"),
    "_L_FutureState": (_VALUES, "FutureState"), "_L_Pending": (_VALUES, "Pending"),
    "_L_Completed": (_VALUES, "Completed"), "_L_ErrorState": (_VALUES, "ErrorState"),
    "_L_T_INT": (_VALUES, "T_INT"), "_L_T_FLOAT": (_VALUES, "T_FLOAT"),
    "_L_T_STRING": (_VALUES, "T_STRING"), "_L_T_BOOL": (_VALUES, "T_BOOL"),
    "_L_T_NULL": (_VALUES, "T_NULL"), "_L_T_BYTES": (_VALUES, "T_BYTES"),
    "_L_T_ANY": (_VALUES, "T_ANY"), "_L_T_JSON": (_VALUES, "T_JSON"),
    "_L_list_of": (_VALUES, "list_of"), "_L_map_of": (_VALUES, "map_of"),
    "_L_set_of": (_VALUES, "set_of"), "_L_tuple_of": (_VALUES, "tuple_of"),
    "_L_result_of": (_VALUES, "result_of"), "_L_union_of": (_VALUES, "union_of"),
    "_L_named": (_VALUES, "named"), "_L_fn_type": (_VALUES, "fn_type"),
    "_L_future_of": (_VALUES, "future_of"), "_L_channel_of": (_VALUES, "channel_of"),
    "_L_check_arg": (_VALUES, "check_arg"), "_L_check_return": (_VALUES, "check_return"),
    "_L_check_field": (_VALUES, "check_field"),
    "_L_constraint_error": (_SUPPORT, "constraint_error"), "_L_halt": (_SUPPORT, "halt"),
    "_L_no_body": (_SUPPORT, "no_body"), "_L_LumenError": (_ERRORS, "LumenError"),
    "_L_to_string": ("lumen.runtime.display", "to_string"),
    "_L_no_match": (_SUPPORT, "no_match"), "_L_missing_field": (_SUPPORT, "missing_field"),
    "_L_unknown_name": (_SUPPORT, "unknown_name"), "_L_emit": (_SUPPORT, "emit"),
    "_L_member": (_SUPPORT, "member"), "_L_idiv": (_SUPPORT, "idiv"),
    "_L_div": (_SUPPORT, "div"), "_L_concat": (_SUPPORT, "concat"),
    "_L_unwrap": (_SUPPORT, "unwrap"), "_L_failure": (_SUPPORT, "failure"),
    "_L_call_method": ("lumen.runtime.builtins", "call_method"),
    "_L_acall_method": ("lumen.runtime.builtins", "acall_method"),
    "_L_parallel_for": (_ORCH, "parallel_for"), "_L_parallel": (_ORCH, "parallel"),
    "_L_race": (_ORCH, "race"), "_L_vote": (_ORCH, "vote"), "_L_select": (_ORCH, "select"),
    "_L_timeout": (_ORCH, "timeout"), "_L_b_sleep": (_ORCH, "sleep"),
    "_L_b_channel": ("lumen.runtime.channels", "channel"),
    "_L_Channel": ("lumen.runtime.channels", "Channel"),
    "_L_spawn": (_FUTURES, "spawn"), "_L_await": (_FUTURES, "await_value"),
    "_L_Owner": (_FUTURES, "Owner"), "_L_Future": (_FUTURES, "Future"),
    "_L_make_tool": ("lumen.runtime.tool_calls", "make_tool"),
    "_L_call_tool": ("lumen.runtime.tool_calls", "call_tool"),
}

_METHOD_PREFIXES = {list: "list", str: "str", dict: "map", tuple: "tuple", bytes: "bytes",
                    int: "int", float: "float", bool: "bool"}


def _root_owner():
    from .run import current
    return current().root_owner


def _resolve_builtin(name: str):
    from . import builtins as B
    if name.startswith("_L_ab_"):
        return B.ASYNC_BUILTINS[name[6:]]
    if name.startswith("_L_b_"):
        return B.BUILTINS[name[5:]]
    is_async = name.startswith("_L_am_")   # `_L_am_list_map`, else `_L_m_list_map`
    prefix, _, method = name[len("_L_am_") if is_async else len("_L_m_"):].partition("_")
    tables = B.ASYNC_METHODS if is_async else B.METHODS
    for cls, table in tables.items():
        if _prefix(cls) == prefix:
            return table[method]
    raise KeyError(name)


def _prefix(cls) -> str:
    return _METHOD_PREFIXES.get(cls) or ("set" if cls.__name__ == "LumenSet" else cls.__name__)


def resolve(name: str):
    """The runtime value behind one `_L_` name."""
    if name == "_L_root_owner":
        return _root_owner
    provider = _PROVIDERS.get(name)
    if provider is None:
        return _resolve_builtin(name)
    if isinstance(provider, tuple):
        module, attribute = provider
        return getattr(importlib.import_module(module), attribute)
    return provider


def module_globals(names, module_name: str) -> dict:
    """Fresh globals for a compiled module that uses the runtime `names`."""
    namespace = {"__name__": module_name, "__builtins__": _py}
    for name in names:
        namespace[name] = resolve(name)
    return namespace


def runtime_names(code) -> set[str]:
    """The `_L_` names a code object (and the code nested in it) reads as globals."""
    found: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        found.update(n for n in current.co_names
                     if n.startswith("_L_") and not _MODULE_LOCAL.match(n))
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return found
