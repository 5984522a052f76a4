"""The compiled-program cache: a rerun of an unchanged program skips parsing, checking and
compiling — and does not even import the front end.

An entry is keyed by the program's path and content, the Lumen version, the Python
bytecode version, a stamp of the compiler's own files and the fingerprint of the tools
registered through the embedding API (their names and effects, which the check reads:
a program checked with `@lumen.tool("w.today", effect="http")` registered is another
entry than the same program checked without it); it lists every imported
module with its content hash, re-verified on lookup, so an edit anywhere is a miss.
The program's own content — its `@deterministic` directive included, under which every
imported module was checked — is in the key, so an entry never serves the other mode.
Entries are written to a temporary file and renamed into place, so concurrent runs never
see half an entry; anything unreadable is a miss. `LUMEN_CACHE_DIR` chooses the
directory (default `$XDG_CACHE_HOME/lumen`, else `~/.cache/lumen`); `LUMEN_NO_CACHE=1`
turns the cache off.
"""

from __future__ import annotations

import marshal
import os
import sys

try:  # the built-in SHA-256: `hashlib` would load OpenSSL, a fair share of start-up
    from _sha2 import sha256 as _sha256
except ImportError:
    try:
        from _sha256 import sha256 as _sha256
    except ImportError:
        from hashlib import sha256 as _sha256

from . import __version__

FORMAT = 1
_COMPILER_PARTS = ("syntax", "check", "compile")


def directory() -> str | None:
    if os.environ.get("LUMEN_NO_CACHE"):
        return None
    chosen = os.environ.get("LUMEN_CACHE_DIR")
    if chosen:
        return chosen
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "lumen")


_stamp: str | None = None


def _compiler_stamp() -> str:
    """Changes whenever a file of the compiler changes (an editable install, a checkout).
    Taken once per process, so a long-running process that loaded the compiler before
    an edit never files its output under the edited compiler's stamp."""
    global _stamp
    if _stamp is None:
        _stamp = _files_stamp()
    return _stamp


def _files_stamp() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    latest = 0
    for part in _COMPILER_PARTS:
        with os.scandir(os.path.join(here, part)) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    latest = max(latest, entry.stat().st_mtime_ns)
    return str(latest)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _key(path: str, content: bytes, tools: str) -> str:
    digest = _sha256()
    for part in (str(FORMAT), __version__, sys.implementation.cache_tag or "",
                 _compiler_stamp(), path, os.path.abspath(path), tools):
        digest.update(part.encode() + b"\0")
    digest.update(content)
    return digest.hexdigest()


def lookup(path: str, tools: str = ""):
    """The cached `Program` for `path` checked with the registered `tools` (a
    `ToolRegistry.fingerprint()`), or None."""
    folder = directory()
    if folder is None:
        return None
    try:
        content = _read(path)
        entry_path = os.path.join(folder, _key(path, content, tools) + ".lmc")
        with open(entry_path, "rb") as handle:
            entry = marshal.load(handle)
        if entry.get("format") != FORMAT:
            return None
        contents = {entry["units"][-1][0]: content}   # read once: verified, then used
        for dep_path, dep_hash in entry["deps"]:
            contents[dep_path] = _read(dep_path)
            if _sha256(contents[dep_path]).hexdigest() != dep_hash:
                return None
        if entry["uses_tools"] and _config_stamp(path) != entry.get("config"):
            return None   # lumen.toml declares tools' effects, which the check used
        return _program(entry, contents)
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None


def _config_stamp(path: str):
    """The lumen.toml that applies to `path` and its content hash (or None)."""
    from .config import find

    found = find(path)
    return None if found is None else (str(found), _sha256(_read(str(found))).hexdigest())


def _program(entry: dict, contents: dict):
    from .program import CompiledUnit, Program

    units = []
    for unit_path, code, imports in entry["units"]:
        unit = CompiledUnit(unit_path, contents[unit_path].decode("utf-8"), code)
        unit.imports = [(units[index], dict(mapping)) for index, mapping in imports]
        units.append(unit)
    warnings = [_warning(w, contents) for w in entry["warnings"]]
    return Program(units, deterministic=entry["deterministic"],
                   uses_tools=entry["uses_tools"], warnings=warnings)


def _warning(saved, contents: dict):
    from .diagnostics import Diagnostic
    from .source import SourceFile, Span

    path, code, message, span, hint = saved
    text = contents[path] if path in contents else _read(path)
    source = SourceFile(path, text.decode("utf-8"))
    return Diagnostic("warning", code, message, Span(*span), source, hint)


def store(path: str, program, tools: str = "") -> None:
    """Remember a freshly built program (best effort: a cache that cannot be written is
    simply not used)."""
    folder = directory()
    if folder is None:
        return
    try:
        index = {id(unit): i for i, unit in enumerate(program.units)}
        entry = {
            "format": FORMAT,
            "deps": [(u.path, _sha256(u.text.encode("utf-8")).hexdigest())
                     for u in program.units[:-1]],   # `text` is each file's exact content
            "units": [(u.path, u.code, [(index[id(other)], mapping)
                                        for other, mapping in u.imports])
                      for u in program.units],
            "deterministic": program.deterministic,
            "uses_tools": program.uses_tools(),
            "config": _config_stamp(path) if program.uses_tools() else None,
            "warnings": [(w.source.path, w.code, w.message,
                          (w.span.line, w.span.col, w.span.end_line, w.span.end_col), w.hint)
                         for w in program.warnings],
        }
        import tempfile

        os.makedirs(folder, exist_ok=True)
        content = program.unit.text.encode("utf-8")
        target = os.path.join(folder, _key(path, content, tools) + ".lmc")
        fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            marshal.dump(entry, handle)
        os.replace(temporary, target)
    except (OSError, ValueError):
        return
