#!/usr/bin/env python3
"""Run each benchmark NAME.nt under Neutron and its twin NAME.py under CPython, and compare the times.

    python3 bench/compare.py                    # every benchmark, 5 runs of each
    python3 bench/compare.py --runs 3 --only fib,sieve
    python3 bench/compare.py --vm               # Neutron's VM alone (NEUTRON_VM=1)
    python3 bench/compare.py --markdown         # the table in Markdown
    python3 bench/compare.py --neutron "neutron"   # another command to run .nt files
    python3 bench/compare.py --against ../old      # also another checkout of Neutron, in the same rounds

The two programs of a pair run alternately (Python, Neutron, Neutron, Python, ...) so that a slow phase of the
machine hits both. Each run's standard output must be identical to the Python program's; otherwise the benchmark
is reported as a mismatch (with a diff) instead of a ratio. Times are wall-clock seconds of the whole process,
start-up included (with --cpu: its user+sys CPU seconds, which a busy machine disturbs less). The ratio is Neutron time / Python time of the same round; the table shows its minimum,
median and maximum over the rounds, and the last line the geometric mean of the median ratios.
"""
from __future__ import annotations

import argparse
import difflib
import math
import os
import resource
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


CPU_TIME = False  # set by --cpu: measure the child's user+sys CPU time instead of wall time


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd, env, timeout):
    """Run cmd; return (seconds, stdout). Raise Failure on a non-zero exit or a time-out."""
    start = time.perf_counter()
    cpu_start = children_cpu()
    try:
        proc = subprocess.run(cmd, cwd=REPO_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"timed out after {timeout} s: {shlex.join(cmd)}") from None
    elapsed = time.perf_counter() - start
    if CPU_TIME:
        elapsed = children_cpu() - cpu_start
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


def measure(name, runs, neutron_cmds, env, timeout, log):
    """Run Python and each Neutron command `runs` times, in a rotating order. Return (python times, [times of
    each Neutron command]). Raise Failure on a problem."""
    py_cmd = [sys.executable, os.path.join(BENCH_DIR, name + ".py")]
    programs = [(py_cmd, env)] + [(cmd + [os.path.join(BENCH_DIR, name + ".nt")], e) for cmd, e in neutron_cmds]
    times = [[] for _ in programs]
    expected = None
    for i in range(runs):
        # Rotate the order so that no program always runs first.
        k = i % len(programs)
        for which in list(range(k, len(programs))) + list(range(k)):
            cmd, e = programs[which]
            seconds, out = run(cmd, e, timeout)
            if which == 0:
                if expected is not None and out != expected:
                    raise Failure("the Python program printed something different from one run to the next")
                expected = out
            elif expected is not None and out != expected:
                raise Failure("output differs from the Python program's:\n" + indent(output_diff(expected, out)))
            times[which].append(seconds)
        log(f"  {name}: round {i + 1}/{runs}: " + ", ".join(f"{label} {t[-1]:.3f} s" for label, t in
                                                            zip(["python"] + [f"neutron{j or ''}" for j in
                                                                              range(len(programs) - 1)], times)))
    return times[0], times[1:]


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


def format_against(rows, other, markdown):
    """This build next to the other checkout: each one's median ratio to Python, and this / other per round."""
    ok = [r for r in rows if not r["error"]]
    header = ["benchmark", "ratio (this)", f"ratio ({other})", "this / other"]
    body = [[r["name"], fmt_r(r["rmed"]), fmt_r(r["other_rmed"]), fmt_r(r["vs"])] for r in ok]
    if ok:
        def gm(key):
            return math.exp(sum(math.log(r[key]) for r in ok) / len(ok))
        body.append(["geometric mean", fmt_r(gm("rmed")), fmt_r(gm("other_rmed")), fmt_r(gm("vs"))])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---|---:|---:|---:|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])
    widths = [max(len(r[c]) for r in [header] + body) for c in range(len(header))]
    return "\n".join("  ".join(r[0].ljust(widths[0]) if c == 0 else r[c].rjust(widths[c]) for c in range(len(r)))
                     for r in [header] + body)


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
    parser.add_argument("--against", metavar="DIR", help="another Neutron checkout, run in the same rounds; the "
                        "table adds its ratio and this build's time / its time")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed for one run (default 600)")
    parser.add_argument("--cpu", action="store_true", help="compare CPU time (user+sys of each run) instead of "
                        "wall-clock time: steadier on a shared machine")
    parser.add_argument("--quiet", action="store_true", help="do not print progress on stderr")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    global CPU_TIME
    CPU_TIME = args.cpu

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

    neutron_cmds = [(neutron_cmd, env)]
    if args.against:
        other = os.path.abspath(args.against)
        other_env = dict(env, PYTHONPATH=other)
        # -P: the runs start in this checkout, whose folder `python -m` would otherwise put before PYTHONPATH
        neutron_cmds.append(([sys.executable, "-P", "-m", "neutron"], other_env))
        import compileall
        compileall.compile_dir(os.path.join(other, "neutron"), quiet=1)
    if not args.neutron:
        # byte-compile Neutron's own modules first, as pip does when it installs a package: start-up is then
        # measured as an installed Neutron has it (with PYTHONDONTWRITEBYTECODE set nothing else would cache them)
        import compileall
        compileall.compile_dir(os.path.join(REPO_DIR, "neutron"), quiet=1)
    mode = ("VM only (NEUTRON_VM=1)" if args.vm else "default") + (", CPU time" if args.cpu else ", wall time")
    log(f"neutron: {shlex.join(neutron_cmd)} [{mode}]; python: {sys.executable}; {args.runs} runs each")
    rows, failures = [], []
    for name in names:
        row = {"name": name, "error": None}
        try:
            py_times, nt_all = measure(name, args.runs, neutron_cmds, env, args.timeout, log)
            nt_times = nt_all[0]
        except Failure as e:
            row["error"] = "MISMATCH" if str(e).startswith("output differs") else "ERROR"
            failures.append((name, str(e)))
            log(f"  {name}: {row['error']}")
        else:
            ratios = sorted(n / p for p, n in zip(py_times, nt_times))
            row.update(py=statistics.median(py_times), nt=statistics.median(nt_times), rmin=ratios[0],
                       rmed=statistics.median(ratios), rmax=ratios[-1])
            if args.against:
                other_times = nt_all[1]
                row.update(other=statistics.median(other_times),
                           other_rmed=statistics.median(o / p for p, o in zip(py_times, other_times)),
                           vs=statistics.median(n / o for n, o in zip(nt_times, other_times)))
        rows.append(row)

    medians = [r["rmed"] for r in rows if not r["error"]]
    geomean = math.exp(sum(math.log(r) for r in medians) / len(medians)) if medians else None
    print(format_table(rows, geomean, args.markdown))
    if args.against:
        print()
        print(format_against(rows, args.against, args.markdown))
    if failures:
        print()
        for name, message in failures:
            print(f"{name}: {message}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
