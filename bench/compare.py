#!/usr/bin/env python3
"""Run each benchmark NAME.nt under Neutron and its twin NAME.py under CPython, and compare the times.

    python3 bench/compare.py                    # every benchmark, 5 runs of each
    python3 bench/compare.py --runs 3 --only fib,sieve
    python3 bench/compare.py --vm               # Neutron's VM alone (NEUTRON_VM=1)
    python3 bench/compare.py --markdown         # the table in Markdown
    python3 bench/compare.py --neutron "neutron"   # another command to run .nt files

The two programs of a pair run alternately (Python, Neutron, Neutron, Python, ...) so that a slow phase of the
machine hits both. Each run's standard output must be identical to the Python program's; otherwise the benchmark
is reported as a mismatch (with a diff) instead of a ratio. Times are wall-clock seconds of the whole process,
start-up included. The ratio is Neutron time / Python time of the same round; the table shows its minimum,
median and maximum over the rounds, and the last line the geometric mean of the median ratios.
"""
from __future__ import annotations

import argparse
import difflib
import math
import os
import shlex
import statistics
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)


def discover():
    """Names of the benchmarks: every NAME.nt in bench/ that has a NAME.py beside it."""
    names = []
    for entry in sorted(os.listdir(BENCH_DIR)):
        name, ext = os.path.splitext(entry)
        if ext == ".nt" and os.path.isfile(os.path.join(BENCH_DIR, name + ".py")):
            names.append(name)
    return names


class Failure(Exception):
    """A run that failed or whose output differs from the Python program's."""


def run(cmd, env, timeout):
    """Run cmd; return (seconds, stdout). Raise Failure on a non-zero exit or a time-out."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=REPO_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"timed out after {timeout} s: {shlex.join(cmd)}") from None
    elapsed = time.perf_counter() - start
    stdout = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        tail = "\n".join(stderr.splitlines()[-15:])
        raise Failure(f"exit status {proc.returncode}: {shlex.join(cmd)}\n{indent(tail)}")
    return elapsed, stdout


def indent(text, prefix="    "):
    return "\n".join(prefix + line for line in text.splitlines())


def output_diff(expected, got, limit=20):
    lines = list(difflib.unified_diff(expected.splitlines(), got.splitlines(), "python output", "neutron output",
                                      lineterm="", n=1))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more diff lines)"]
    return "\n".join(lines)


def measure(name, runs, neutron_cmd, env, timeout, log):
    """Run the pair `runs` times. Return (python times, neutron times). Raise Failure on a problem."""
    py_cmd = [sys.executable, os.path.join(BENCH_DIR, name + ".py")]
    nt_cmd = neutron_cmd + [os.path.join(BENCH_DIR, name + ".nt")]
    py_times, nt_times = [], []
    expected = None
    for i in range(runs):
        # Alternate the order so that neither program always runs first.
        order = ("py", "nt") if i % 2 == 0 else ("nt", "py")
        for which in order:
            if which == "py":
                seconds, out = run(py_cmd, env, timeout)
                if expected is None:
                    expected = out
                elif out != expected:
                    raise Failure("the Python program printed something different from one run to the next")
                py_times.append(seconds)
            else:
                seconds, out = run(nt_cmd, env, timeout)
                if out != expected:
                    raise Failure("output differs from the Python program's:\n" + indent(output_diff(expected, out)))
                nt_times.append(seconds)
        log(f"  {name}: round {i + 1}/{runs}: python {py_times[-1]:.3f} s, neutron {nt_times[-1]:.3f} s")
    return py_times, nt_times


def format_table(rows, geomean, markdown):
    header = ["benchmark", "python s", "neutron s", "ratio min", "ratio median", "ratio max"]
    body = []
    for row in rows:
        if row["error"]:
            body.append([row["name"], fmt_s(row.get("py")), "-", "-", "-", row["error"]])
        else:
            body.append([row["name"], fmt_s(row["py"]), fmt_s(row["nt"]), fmt_r(row["rmin"]), fmt_r(row["rmed"]),
                         fmt_r(row["rmax"])])
    footer = ["geometric mean", "", "", "", fmt_r(geomean) if geomean is not None else "-", ""]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * 5) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        lines.append("| **" + footer[0] + "** | | | | **" + footer[4] + "** | |")
        return "\n".join(lines)
    widths = [max(len(r[c]) for r in [header] + body + [footer]) for c in range(len(header))]

    def line(r):
        return "  ".join(r[0].ljust(widths[0]) if c == 0 else r[c].rjust(widths[c]) for c in range(len(r))).rstrip()
    rule = "-" * len(line(header))
    return "\n".join([line(header), rule] + [line(r) for r in body] + [rule, line(footer)])


def fmt_s(seconds):
    return "-" if seconds is None else f"{seconds:.3f}"


def fmt_r(ratio):
    return f"{ratio:.2f}x"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Compare Neutron with CPython on the benchmarks in bench/.")
    parser.add_argument("--runs", type=int, default=5, help="runs of each program (default 5)")
    parser.add_argument("--only", help="comma-separated benchmark names (default: all)")
    parser.add_argument("--vm", action="store_true", help="run Neutron's VM alone (sets NEUTRON_VM=1)")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    parser.add_argument("--neutron", help="command that runs a .nt file (default: this Python -m neutron)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed for one run (default 600)")
    parser.add_argument("--quiet", action="store_true", help="do not print progress on stderr")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    available = discover()
    if args.only:
        names = [n.strip().removesuffix(".nt").removesuffix(".py") for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in available]
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
    else:
        names = available

    neutron_cmd = shlex.split(args.neutron) if args.neutron else [sys.executable, "-m", "neutron"]
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("NEUTRON_VM", None)
    if args.vm:
        env["NEUTRON_VM"] = "1"

    def log(msg):
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    if not args.neutron:
        # byte-compile Neutron's own modules first, as pip does when it installs a package: start-up is then
        # measured as an installed Neutron has it (with PYTHONDONTWRITEBYTECODE set nothing else would cache them)
        import compileall
        compileall.compile_dir(os.path.join(REPO_DIR, "neutron"), quiet=1)
    mode = "VM only (NEUTRON_VM=1)" if args.vm else "default"
    log(f"neutron: {shlex.join(neutron_cmd)} [{mode}]; python: {sys.executable}; {args.runs} runs each")
    rows, failures = [], []
    for name in names:
        row = {"name": name, "error": None}
        try:
            py_times, nt_times = measure(name, args.runs, neutron_cmd, env, args.timeout, log)
        except Failure as e:
            row["error"] = "MISMATCH" if str(e).startswith("output differs") else "ERROR"
            failures.append((name, str(e)))
            log(f"  {name}: {row['error']}")
        else:
            ratios = sorted(n / p for p, n in zip(py_times, nt_times))
            row.update(py=statistics.median(py_times), nt=statistics.median(nt_times), rmin=ratios[0],
                       rmed=statistics.median(ratios), rmax=ratios[-1])
        rows.append(row)

    medians = [r["rmed"] for r in rows if not r["error"]]
    geomean = math.exp(sum(math.log(r) for r in medians) / len(medians)) if medians else None
    print(format_table(rows, geomean, args.markdown))
    if failures:
        print()
        for name, message in failures:
            print(f"{name}: {message}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
