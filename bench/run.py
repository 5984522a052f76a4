"""The benchmark harness: every `bench/NAME.lm` against its plain-Python twin `bench/NAME.py`.

    python bench/run.py [--runs N] [--filter TEXT ...] [--memory] [--cpu] [--quiet]

Each benchmark runs as whole processes, `lumen run bench/NAME.lm` and
`python bench/NAME.py`, alternating the two (and which goes first) N times (default 5).
Both must exit with 0 and print the same standard output. The table gives, per
benchmark, the median whole-process wall time of each side and the ratio lumen/python.

In-process times: a program may also report the time of its measured section on a line
`bench-time SECONDS`, on stderr or on stdout (Lumen has no way to write to stderr).
Such lines are taken out of stdout before the outputs are compared, and their medians
and ratio get columns of their own: they leave out interpreter start-up and, for Lumen,
compiling the program.

`--memory` adds the peak resident set size of each side (ru_maxrss of the child
process itself, read with os.wait4, so one run's peak never hides another's). `--cpu`
adds the processes' CPU time (user + system), which a loaded machine disturbs less
than wall time.

Exit status: 0 when every benchmark ran and the outputs matched, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
MARK = "bench-time "


@dataclass
class Run:
    wall: float          # seconds, whole process
    section: float | None  # seconds, the program's own `bench-time`, if it reports one
    rss_kb: int          # peak resident set size of the process
    cpu: float           # seconds of CPU, user + system, of the process
    stdout: str          # without the `bench-time` lines


@dataclass
class Side:
    runs: list[Run] = field(default_factory=list)

    def median(self, attribute: str) -> float | None:
        values = [getattr(r, attribute) for r in self.runs]
        if not values or any(v is None for v in values):
            return None
        return statistics.median(values)


def lumen_command() -> list[str]:
    """`lumen`: the console script installed next to this Python, else on PATH (a
    version-manager shim on PATH would add its own start-up time), else the module."""
    script = Path(sys.executable).with_name("lumen")
    if script.exists():
        return [str(script)]
    found = shutil.which("lumen")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from lumen.cli import main; sys.exit(main())"]


def discover(filters: list[str]) -> list[str]:
    names = sorted(p.stem for p in BENCH.glob("*.lm") if p.with_suffix(".py").exists())
    if filters:
        names = [n for n in names if any(f in n for f in filters)]
    return names


def split_marks(text: str) -> tuple[str, float | None]:
    """(text without `bench-time` lines, the last reported time or None)."""
    kept, seconds = [], None
    for line in text.splitlines(keepends=True):
        if line.startswith(MARK):
            seconds = float(line[len(MARK):].strip())
        else:
            kept.append(line)
    return "".join(kept), seconds


def run_once(command: list[str]) -> Run:
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}:\n{stderr}")
    stdout, from_stdout = split_marks(stdout)
    _, from_stderr = split_marks(stderr)
    section = from_stderr if from_stderr is not None else from_stdout
    return Run(wall, section, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, stdout)


def bench(name: str, runs: int, log) -> tuple[Side, Side]:
    lumen = [*lumen_command(), "run", str(BENCH / f"{name}.lm")]
    python = [sys.executable, str(BENCH / f"{name}.py")]
    lumen_side, python_side = Side(), Side()
    for i in range(runs):
        order = [(lumen, lumen_side), (python, python_side)]
        if i % 2:
            order.reverse()  # alternate who goes first, so drifting load hits both alike
        for command, side in order:
            side.runs.append(run_once(command))
        log(".")
    expected = python_side.runs[0].stdout
    for run in lumen_side.runs + python_side.runs:
        if run.stdout != expected:
            raise RuntimeError(f"the outputs differ\n--- python:\n{expected}"
                               f"--- lumen:\n{lumen_side.runs[0].stdout}")
    return lumen_side, python_side


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


def seconds(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "-"


def megabytes(kb: float | None) -> str:
    return f"{kb / 1024:.1f}" if kb is not None else "-"


def table(results: list[tuple[str, Side, Side]], memory: bool, cpu: bool) -> str:
    header = ["benchmark", "lumen s", "python s", "ratio", "lumen in-process s",
              "python in-process s", "ratio"]
    if memory:
        header += ["lumen MB", "python MB", "ratio"]
    if cpu:
        header += ["lumen cpu s", "python cpu s", "ratio"]
    rows = []
    for name, lumen, python in results:
        row = [name, seconds(lumen.median("wall")), seconds(python.median("wall")),
               ratio(lumen.median("wall"), python.median("wall")),
               seconds(lumen.median("section")), seconds(python.median("section")),
               ratio(lumen.median("section"), python.median("section"))]
        if memory:
            row += [megabytes(lumen.median("rss_kb")), megabytes(python.median("rss_kb")),
                    ratio(lumen.median("rss_kb"), python.median("rss_kb"))]
        if cpu:
            row += [seconds(lumen.median("cpu")), seconds(python.median("cpu")),
                    ratio(lumen.median("cpu"), python.median("cpu"))]
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), separator] + [line(r) for r in rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each side (default 5)")
    parser.add_argument("--filter", action="append", default=[], metavar="TEXT",
                        help="only benchmarks whose name contains TEXT (repeatable)")
    parser.add_argument("--memory", action="store_true", help="report peak RSS too")
    parser.add_argument("--cpu", action="store_true", help="report CPU time too")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    options = parser.parse_args(argv)
    if options.runs < 1:
        parser.error("--runs must be at least 1")
    names = discover(options.filter)
    if not names:
        print("no benchmark matches", file=sys.stderr)
        return 1

    def log(text: str) -> None:
        if not options.quiet:
            sys.stderr.write(text)
            sys.stderr.flush()

    results, failed = [], False
    for name in names:
        log(f"{name} ")
        try:
            lumen, python = bench(name, options.runs, log)
        except RuntimeError as exc:
            log(" failed\n")
            print(f"{name}: {exc}", file=sys.stderr)
            failed = True
            continue
        log("\n")
        results.append((name, lumen, python))
    if results:
        print(f"medians of {options.runs} runs; ratio = lumen / python")
        print(table(results, options.memory, options.cpu))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
