#!/usr/bin/env python3
"""Measure what running a script costs before (or besides) its hot loops: start-up, one-shot code, huge code.

    python3 bench/startup.py                       # every case, 5 runs each (huge: 1 run)
    python3 bench/startup.py --only empty,hundred --runs 9
    python3 bench/startup.py --huge 1,4            # straight-line scripts of 1 MB and 4 MB (default: 1)

empty    an empty program against `python3 -c pass`;
hundred  a script of 100 small functions (about 1,100 lines), each called once, against the same script in Python;
huge     N MB of generated straight-line top-level code (assignments, arithmetic, an `if` per line), in the default
         (tiered) mode against the VM alone (NEUTRON_VM=1).
Each case's programs run alternately; the table shows the fastest wall time, the fastest CPU time (user + system,
steadier than wall time on a busy machine) and the largest resident memory of each, and the ratios of the first
program's CPU time to the second's. Neutron's modules are byte-compiled first, as an installed copy has them.
"""
from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)


def hundred_functions():
    """(Neutron source, Python source) of 100 small functions, each called once."""
    nt, py = [], []
    for i in range(100):
        nt += [f"fun f{i}(a, b) {{", f"    var x = a + {i};", "    var y = b * 2;", "    if (x > y) {",
               "        return x - y;", "    }", '    var s = "v" + x;', "    return s.length + y;", "}", ""]
        py += [f"def f{i}(a, b):", f"    x = a + {i}", "    y = b * 2", "    if x > y:", "        return x - y",
               "    s = 'v' + str(x)", "    return len(s) + y", ""]
    nt.append("var total = 0;")
    py.append("total = 0")
    for i in range(100):
        nt.append(f"total = total + f{i}({i}, {i + 1});")
        py.append(f"total = total + f{i}({i}, {i + 1})")
    nt.append("say(total);")
    py.append("print(total)")
    return "\n".join(nt) + "\n", "\n".join(py) + "\n"


def straight_line(megabytes):
    lines = ["var a = 0;", "var b = 1;"]
    size = i = 0
    while size < megabytes << 20:
        line = f"a = a + {i % 97}; b = (b * 3 + a) % 1000003; if (b > 500000) {{ a = a - 1; }}"
        lines.append(line)
        size += len(line) + 1
        i += 1
    lines.append("say(a); say(b);")
    return "\n".join(lines) + "\n"


def measure(cmd, env, cwd):
    """(wall s, CPU s, max RSS in MB) of one run; raises RuntimeError when it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def compare(label, programs, runs, cwd):
    """programs: [(name, cmd, env)], run alternately `runs` times; one table row each."""
    results = [[] for _ in programs]
    for _ in range(runs):
        for k, (_, cmd, env) in enumerate(programs):
            results[k].append(measure(cmd, env, cwd))
    rows = []
    first_cpu = min(r[1] for r in results[0])
    for (name, _, _), res in zip(programs, results):
        wall, cpu, rss = min(r[0] for r in res), min(r[1] for r in res), max(r[2] for r in res)
        rows.append(f"| {label} | {name} | {wall:.3f} | {cpu:.3f} | {rss:.0f} | {first_cpu / cpu:.2f}x |")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description="Measure Neutron's start-up and the cost of one-shot code.")
    parser.add_argument("--runs", type=int, default=5, help="runs of each small program (default 5)")
    parser.add_argument("--only", default="empty,hundred,huge", help="comma-separated cases: empty, hundred, huge")
    parser.add_argument("--huge", default="1", help="sizes in MB of the straight-line scripts (default 1)")
    args = parser.parse_args(argv)
    cases = {c.strip() for c in args.only.split(",") if c.strip()}
    compileall.compile_dir(os.path.join(REPO_DIR, "neutron"), quiet=1)
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for name in ("NEUTRON_VM", "NEUTRON_TIER"):
        env.pop(name, None)
    vm_env = dict(env, NEUTRON_VM="1")
    neutron = [sys.executable, "-m", "neutron"]
    rows = ["| case | program | wall s | CPU s | max RSS MB | CPU of the first / this |", "|---|---|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory(prefix="neutron-startup-") as tmp:
        if "empty" in cases:
            with open(os.path.join(tmp, "empty.nt"), "w") as f:
                f.write("")
            rows += compare("empty program", [("neutron", neutron + ["empty.nt"], env),
                                              ("python3 -c pass", [sys.executable, "-c", "pass"], env)],
                            args.runs, tmp)
        if "hundred" in cases:
            nt, py = hundred_functions()
            with open(os.path.join(tmp, "hundred.nt"), "w") as f:
                f.write(nt)
            with open(os.path.join(tmp, "hundred.py"), "w") as f:
                f.write(py)
            rows += compare("100 functions called once", [("neutron", neutron + ["hundred.nt"], env),
                                                          ("python3", [sys.executable, "hundred.py"], env)],
                            args.runs, tmp)
        if "huge" in cases:
            for mb in [int(x) for x in args.huge.split(",") if x.strip()]:
                name = f"straight{mb}.nt"
                with open(os.path.join(tmp, name), "w") as f:
                    f.write(straight_line(mb))
                rows += compare(f"{mb} MB straight-line", [("neutron", neutron + [name], env),
                                                           ("NEUTRON_VM=1", neutron + [name], vm_env)], 1, tmp)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
