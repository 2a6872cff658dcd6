#!/usr/bin/env python3
"""The cost of `neutron --snapshot PATH --checkpoint-every D` on the benchmarks, side by side with plain runs.

    python3 bench/checkpoint_every.py                       # every benchmark, 3 runs of each variant
    python3 bench/checkpoint_every.py --only fib,loops --runs 5
    python3 bench/checkpoint_every.py --vm

For each benchmark, runs alternate between three variants (so that the machine's load falls on all alike):
- plain:  neutron NAME.nt
- every 30s: neutron --snapshot PATH --checkpoint-every 30s NAME.nt (the safepoint checks; a run shorter than 30 s
  writes no snapshot)
- every 0.5s: the same with --checkpoint-every 0.5s and NEUTRON_CHECKPOINT_LOG=1, which counts the snapshots
  written: (its time - the 30s variant's) / snapshots = the cost of one checkpoint of this program's state.
Times are the processes' CPU time (user + system), which the machine's other work disturbs less than wall-clock
time. Reported: medians, the safepoint overhead (30s vs plain), the cost of one checkpoint, and the estimated overhead at
30 s: safepoint overhead + one checkpoint's cost / 30 s. Each variant's output must equal the plain run's.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT = ["fib", "loops", "nbody", "mandelbrot", "strings", "sieve", "sort", "wordcount", "vectors", "binarytrees",
           "closures", "exceptions", "json_roundtrip", "matrix", "script_strbuild", "script_csv", "script_logscan",
           "script_json", "script_wordmap", "script_pipeline"]


def run(args, env):
    """(CPU seconds of the process, user and system: steadier than wall-clock time on a shared machine, the run)"""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "neutron", *args], env=env, capture_output=True, cwd=HERE)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(DEFAULT))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--vm", action="store_true", help="the bytecode VM alone (NEUTRON_VM=1)")
    opts = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("NEUTRON_CHECKPOINT_LOG", None)
    if opts.vm:
        env["NEUTRON_VM"] = "1"
    log_env = dict(env, NEUTRON_CHECKPOINT_LOG="1")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        snap = os.path.join(tmp, "bench.snap")
        print(f"{'benchmark':<16} {'plain':>8} {'30s':>8} {'checks':>8} {'0.5s':>8} {'snaps':>6} "
              f"{'ms/snap':>8} {'at 30s':>8}")
        for name in opts.only.split(","):
            prog = f"{name}.nt"
            times = {"plain": [], "30s": [], "fast": []}
            counts = []
            expected = None
            for _ in range(opts.runs):
                t, done = run([prog], env)
                times["plain"].append(t)
                expected = done.stdout
                t, done = run(["--snapshot", snap, "--checkpoint-every", "30s", prog], env)
                times["30s"].append(t)
                if done.stdout != expected or done.returncode != 0:
                    sys.exit(f"{name}: --checkpoint-every 30s changed the output or failed: {done.stderr[-500:]!r}")
                t, done = run(["--snapshot", snap, "--checkpoint-every", "0.5s", prog], log_env)
                times["fast"].append(t)
                if done.stdout != expected or done.returncode != 0:
                    sys.exit(f"{name}: --checkpoint-every 0.5s changed the output or failed: {done.stderr[-500:]!r}")
                counts.append(done.stderr.count(b"checkpoint written"))
            plain, every, fast = (statistics.median(times[k]) for k in ("plain", "30s", "fast"))
            n = statistics.median(counts)
            checks = every / plain - 1
            per = (fast - every) / n if n else 0.0
            at30 = checks + max(per, 0.0) / 30.0
            rows.append((name, checks, per, at30))
            print(f"{name:<16} {plain:8.2f} {every:8.2f} {checks:+8.1%} {fast:8.2f} {n:6.0f} {per * 1000:8.1f} "
                  f"{at30:+8.1%}", flush=True)
    print(f"\nmedian over the benchmarks: safepoint checks {statistics.median(r[1] for r in rows):+.1%}, "
          f"estimated overhead at 30 s {statistics.median(r[3] for r in rows):+.1%}")


if __name__ == "__main__":
    main()
