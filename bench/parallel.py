"""The process module's two promises, measured: parallel_fib.nt (fib(27) in each of two processes) against
serial_fib.nt (both in one process), reporting the speedup and whether two processes took at most 0.6x the time
of one; and many_processes.nt (10,000 processes each receiving one message and replying), its time and peak memory.

    python3 bench/parallel.py [runs]        (median of `runs` runs each, default 3)
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(name):
    """(seconds, peak resident KiB, stdout) of one run of bench/NAME.nt."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "neutron", os.path.join(HERE, name + ".nt")], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{name}.nt failed ({done.returncode}):\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, max(peak, before), done.stdout.strip()


def median_of(name, runs):
    results = [run(name) for _ in range(runs)]
    outs = {r[2] for r in results}
    if len(outs) != 1:
        sys.exit(f"{name}.nt printed different results: {outs}")
    return statistics.median(r[0] for r in results), max(r[1] for r in results), outs.pop()


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    serial, parallel = [], []
    for _ in range(runs):       # alternated, so that a change in the machine's load touches both alike
        serial.append(run("serial_fib"))
        parallel.append(run("parallel_fib"))
    outs = {r[2] for r in serial + parallel}
    if len(outs) != 1:
        sys.exit(f"the programs disagree: {outs}")
    s, p = [r[0] for r in serial], [r[0] for r in parallel]
    ratios = sorted(b / a for a, b in zip(s, p))
    ratio = statistics.median(ratios)
    print(f"fib(27) twice in one process:   median {statistics.median(s):.2f} s (runs: "
          f"{', '.join(f'{x:.2f}' for x in s)})")
    print(f"fib(27) in each of two:         median {statistics.median(p):.2f} s (runs: "
          f"{', '.join(f'{x:.2f}' for x in p)})")
    print(f"two processes took {ratio:.2f}x the time of one (median of the runs' ratios; best {ratios[0]:.2f}x), "
          f"speedup {1 / ratio:.2f}x: {'meets' if ratio <= 0.6 else 'does not meet'} the 0.6x goal "
          f"({os.cpu_count()} cores)")
    many, peak, out = median_of("many_processes", runs)
    print(f"10,000 processes, one message each and a reply: {many:.2f} s, peak memory {peak / 1024:.0f} MiB "
          f"(result {out})")


if __name__ == "__main__":
    main()
