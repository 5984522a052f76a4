"""The scope every module starts from: builtin functions (from `builtin_signatures`), the
built-in records `Failure` and `HttpResponse`, and the built-in enum `FutureState`."""

from __future__ import annotations

from functools import lru_cache

from ..diagnostics import DiagnosticSink
from ..source import SourceFile
from . import types as T
from .builtin_signatures import METHOD_SIGNATURES, SIGNATURES
from .scopes import Binding, EnumInfo, RecordInfo, Scope, VariantInfo

# Names that are part of the language rather than the library.
LANGUAGE_BUILTINS = {
    "ok": ("value",), "err": ("error",),
}

FAILURE = RecordInfo(None, "Failure", {"kind": (T.STRING, False), "message": (T.STRING, False),
                                        "line": (T.INT, False)}, builtin=True)
HTTP_RESPONSE = RecordInfo(None, "HttpResponse", {
    "status": (T.INT, False), "headers": (T.map_of(T.STRING, T.STRING), False),
    "body": (T.STRING, False)}, builtin=True)
FUTURE_STATE = EnumInfo(None, "FutureState", {}, builtin=True)
for _name, _fields in (("Pending", ()), ("Completed", (T.ANY,)), ("Error", (T.STRING,))):
    FUTURE_STATE.variants[_name] = VariantInfo(_name, FUTURE_STATE, _fields,
                                               tuple(None for _ in _fields))
FUTURE_STATE_TYPE = T.Named("enum", "FutureState", FUTURE_STATE)
BUILTIN_RECORDS = {"Failure": FAILURE, "HttpResponse": HTTP_RESPONSE}


@lru_cache(maxsize=None)
def type_from_text(text: str) -> T.Ty:
    """A checker type from a type written in Lumen syntax (as the signature table holds)."""
    from ..syntax.lexer import lex
    from ..syntax.parser import Parser

    sink = DiagnosticSink(SourceFile("<builtin>", text))
    parser = Parser(lex(text, sink), sink)
    texpr = parser.parse_type()
    return _resolve_builtin(texpr)


def _resolve_builtin(texpr) -> T.Ty:
    from ..syntax import ast as A

    if isinstance(texpr, A.OptionalType):
        return T.union(_resolve_builtin(texpr.inner), T.NULL)
    if isinstance(texpr, A.UnionType):
        return T.union(*(_resolve_builtin(m) for m in texpr.members))
    if isinstance(texpr, A.FnType):
        return T.FnTy(None, _resolve_builtin(texpr.ret) if texpr.ret else T.ANY)
    name = texpr.name
    if name in T.PRIMS:
        return T.PRIMS[name]
    if name in T.LOWERCASE_PRIMS:
        return T.LOWERCASE_PRIMS[name]
    generic = T.GENERIC_ALIASES.get(name, name)
    if generic in T.GENERICS:
        return T.Generic(generic, tuple(_resolve_builtin(a) for a in texpr.args))
    if name in BUILTIN_RECORDS:
        info = BUILTIN_RECORDS[name]
        return T.Named("record", name, info)
    if name == "FutureState":
        return FUTURE_STATE_TYPE
    return T.ANY


def signature_params(sig) -> tuple:
    """(name, type, has_default) triples, as cells have."""
    return tuple((p.name, type_from_text(p.type), p.optional) for p in sig.params)


def builtin_scope(checker) -> Scope:
    scope = Scope(None, None, kind="builtins")
    for name, sig in SIGNATURES.items():
        fn_type = T.FnTy(None, type_from_text(sig.returns))
        scope.names[name] = Binding(name, "builtin", name, None, info=sig, type=fn_type)
    for name in LANGUAGE_BUILTINS:
        scope.names[name] = Binding(name, "builtin", name, None, info=None,
                                    type=T.FnTy(None, T.Generic("result", ())))
    for name, info in BUILTIN_RECORDS.items():
        rtype = T.Named("record", name, info)
        scope.names[name] = Binding(name, "record", name, None, info=info, type=rtype)
        checker.type_names.setdefault(name, rtype)
    scope.names["FutureState"] = Binding("FutureState", "enum", "FutureState", None,
                                         info=FUTURE_STATE, type=FUTURE_STATE_TYPE)
    checker.type_names.setdefault("FutureState", FUTURE_STATE_TYPE)
    for name, variant in FUTURE_STATE.variants.items():
        scope.names[name] = Binding(name, "variant", name, None, info=variant,
                                    type=FUTURE_STATE_TYPE)
    return scope


def method_signature(type_name: str, method: str):
    return METHOD_SIGNATURES.get(type_name, {}).get(method)


def methods_of(type_name: str) -> list[str]:
    return list(METHOD_SIGNATURES.get(type_name, {}))
