"""The command line: the quick reading of plain `lumen run` lines agrees with argparse."""

import pytest

from lumen import cli

LINES = [
    ["run", "x.lm"],
    ["run", "x.lm", "--cell", "main"],
    ["run", "--cell", "Team", "x.lm", "--arg", "a=1", "--arg", "b=two", "--debug"],
    ["run", "x.lm.md", "--trace", "t.jsonl", "--record", "r.json"],
    ["run", "x.lm", "--replay", "r.json"],
]


@pytest.mark.parametrize("argv", LINES)
def test_quick_reading_matches_argparse(argv):
    quick = cli.quick_run_options(argv)
    full = cli.parser().parse_args(argv)
    assert quick is not None
    for name in ("file", "cell", "arg", "trace", "record", "replay", "debug"):
        assert getattr(quick, name) == getattr(full, name), name


@pytest.mark.parametrize("argv", [
    ["run"], ["run", "--help"], ["run", "x.lm", "--cell"], ["run", "x.lm", "y.lm"],
    ["run", "x.lm", "--unknown"], ["check", "x.lm"], ["run", "x.lm", "--cell", "a",
                                                      "--cell", "b"],
])
def test_anything_else_goes_to_argparse(argv):
    assert cli.quick_run_options(argv) is None


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("lumen ")


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "run" in capsys.readouterr().out


def test_missing_file_is_a_usage_error(capsys):
    assert cli.main(["run", "does/not/exist.lm"]) == 2
    assert "no such file" in capsys.readouterr().err
