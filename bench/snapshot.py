#!/usr/bin/env python3
"""Measure checkpoint and resume costs, and how they grow with the size of the program's state.

    python3 bench/snapshot.py                     # heap, deep and loop, 3 runs each
    python3 bench/snapshot.py --only heap,deep --runs 5
    python3 bench/snapshot.py --sizes 100000,200000,400000 --depths 1000,2000,4000
    python3 bench/snapshot.py --vm --markdown

heap  bench/snapshot_heap.nt builds an array of N numbers (SNAPSHOT_SIZE) and checkpoints.
deep  bench/snapshot_deep.nt recurses D frames deep (SNAPSHOT_DEPTH), each frame holding 10 small objects
      (half object literals, half class instances), and checkpoints at the bottom.
loop  bench/resume_loop.nt runs a 10,000,000-iteration loop that checkpoints at iteration 1000; the resumed run
      does the remaining 9,999,000 iterations, so its time should be close to the uninterrupted run's.

For heap and deep, each size is run and then resumed from its snapshot, in a fresh temporary folder:
- checkpoint ms: the duration of the sys.checkpoint call, as the program itself measures it with time.now();
- resume s: wall-clock time of the whole `neutron --resume` process (it exits right after the first statements
  that follow the checkpoint), and the same minus the time to resume a trivial snapshot ("net");
- snapshot size in bytes;
- the yardstick: the same shape as plain Python data (a list of floats; frames as objects holding their locals,
  each holding a list of dicts and class instances), pickled by CPython in this process with pickle.dumps and read
  back with pickle.loads (highest protocol, the garbage collector off, as Neutron's writer and reader have it), and
  the ratios checkpoint / pickle dump and resume net / pickle load.
The per-element (per-object) columns should stay roughly constant as the size grows: that is linear growth.
Each resumed run must report its data intact, or the row is marked as an error.
"""
from __future__ import annotations

import argparse
import gc
import os
import pickle
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
LOOP_ITERATIONS = 10_000_000
LOOP_CHECKPOINT_AT = 1000


class Failure(Exception):
    pass


# ---- the yardstick: the same shapes as plain Python data, pickled ----------------------------------------------

class Point:
    """snapshot_deep.nt's class."""

    def __init__(self, depth, i):
        self.depth = depth
        self.i = i


class PyFrame:
    """A Neutron frame as Python data: its function, instruction index, locals and operand stack."""

    def __init__(self, func, ip, locals_, stack):
        self.func = func
        self.ip = ip
        self.locals = locals_
        self.stack = stack


def heap_shape(n):
    return [i * 3 + 0.5 for i in range(n)]


def deep_shape(depth, per_frame):
    """descend()'s frames at the bottom of the recursion: each holds its arguments, locals and `held` list."""
    func = {"name": "descend"}          # the one function all frames run
    frames = []
    for d in range(1, depth + 1):
        held = [{"depth": float(d), "i": float(i)} if i % 2 == 0 else Point(float(d), float(i))
                for i in range(per_frame)]
        frames.append(PyFrame(func, 40, [float(d), float(depth), float(per_frame), "state.snap", held,
                                         float(per_frame), 0.0, None, None], []))
    return frames


def timed(fn, arg):
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        result = fn(arg)
        return time.perf_counter() - start, result
    finally:
        gc.enable()


def pickle_yardstick(shape, runs):
    """Medians of pickle.dumps and pickle.loads of `shape` in ms, and the pickle's size in bytes."""
    dumps, loads = [], []
    for _ in range(runs):
        seconds, data = timed(lambda x: pickle.dumps(x, pickle.HIGHEST_PROTOCOL), shape)
        dumps.append(seconds * 1000)
        seconds, _ = timed(pickle.loads, data)
        loads.append(seconds * 1000)
    return statistics.median(dumps), statistics.median(loads), len(data)


def run(cmd, cwd, env, timeout):
    """Run cmd; return (wall seconds, stdout). Raise Failure on a non-zero exit or a time-out."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"timed out after {timeout} s: {shlex.join(cmd)}") from None
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Failure(f"exit status {proc.returncode}: {shlex.join(cmd)}\n" +
                      "\n".join("    " + line for line in stderr[-10:]))
    return elapsed, proc.stdout.decode("utf-8", "replace")


def parse_ms(stdout, cmd_desc):
    m = re.match(r"\s*(-?[0-9.e+]+) ms,", stdout)
    if not m:
        raise Failure(f"unexpected output from {cmd_desc}: {stdout.strip()[:200]!r}")
    return float(m.group(1))


class Bench:
    def __init__(self, args):
        self.args = args
        self.neutron = shlex.split(args.neutron) if args.neutron else [sys.executable, "-m", "neutron"]
        env = dict(os.environ)
        env["PYTHONPATH"] = REPO_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.pop("NEUTRON_VM", None)
        if args.vm:
            env["NEUTRON_VM"] = "1"
        for name in ("SNAPSHOT_SIZE", "SNAPSHOT_DEPTH", "SNAPSHOT_PER_FRAME", "SNAPSHOT_PATH"):
            env.pop(name, None)
        self.env = env

    def log(self, msg):
        if not self.args.quiet:
            print(msg, file=sys.stderr, flush=True)

    def startup(self):
        """Median wall time of resuming a trivial snapshot: the fixed cost inside every resume time."""
        with tempfile.TemporaryDirectory(prefix="neutron-bench-") as tmp:
            path = os.path.join(tmp, "tiny.nt")
            snap = os.path.join(tmp, "tiny.snap")
            with open(path, "w") as f:
                f.write('use sys;\nsys.checkpoint("tiny.snap");\nsay("ok");\n')
            run(self.neutron + [path], tmp, self.env, self.args.timeout)
            if not os.path.isfile(snap):
                raise Failure("a trivial program that calls sys.checkpoint left no snapshot")
            times = [run(self.neutron + ["--resume", snap], tmp, self.env, self.args.timeout)[0]
                     for _ in range(max(self.args.runs, 5))]
        return statistics.median(times)

    def checkpoint_and_resume(self, program, extra_env, check):
        """Run `program` and resume its snapshot, args.runs times. Return medians (ckpt ms, resume s, bytes)."""
        ckpt, resume, sizes = [], [], []
        for _ in range(self.args.runs):
            with tempfile.TemporaryDirectory(prefix="neutron-bench-") as tmp:
                snap = os.path.join(tmp, "state.snap")
                env = dict(self.env, SNAPSHOT_PATH=snap, **extra_env)
                _, out = run(self.neutron + [os.path.join(BENCH_DIR, program)], tmp, env, self.args.timeout)
                ckpt.append(parse_ms(out, program))
                check(out, "first run")
                if not os.path.isfile(snap):
                    raise Failure(f"{program} left no snapshot at {snap}")
                sizes.append(os.path.getsize(snap))
                seconds, out = run(self.neutron + ["--resume", snap], tmp, self.env, self.args.timeout)
                check(out, "resumed run")
                resume.append(seconds)
        return statistics.median(ckpt), statistics.median(resume), int(statistics.median(sizes))

    def heap(self, startup):
        rows = []
        for n in self.args.sizes:
            last = "%.15g" % ((n - 1) * 3 + 0.5)

            def check(out, which, n=n, last=last):
                if not re.search(rf", {n} elements, last {re.escape(last)}\s*$", out):
                    raise Failure(f"snapshot_heap.nt {which} with {n} elements printed {out.strip()[:200]!r}")
            self.log(f"  heap: {n} elements")
            rows.append(self.row(f"{n:,}", n, "snapshot_heap.nt", {"SNAPSHOT_SIZE": str(n)}, check, startup,
                                 lambda n=n: heap_shape(n)))
        return rows

    def deep(self, startup):
        rows = []
        per_frame = self.args.per_frame
        for depth in self.args.depths:
            objects = depth * per_frame

            def check(out, which, depth=depth, objects=objects):
                if not re.search(rf", {objects} objects intact, depth {depth}\s*$", out):
                    raise Failure(f"snapshot_deep.nt {which} at depth {depth} printed {out.strip()[:200]!r}")
            self.log(f"  deep: {depth} frames, {objects} objects")
            rows.append(self.row(f"{depth:,} frames / {objects:,} objects", objects, "snapshot_deep.nt",
                                 {"SNAPSHOT_DEPTH": str(depth), "SNAPSHOT_PER_FRAME": str(per_frame)}, check,
                                 startup, lambda depth=depth: deep_shape(depth, per_frame)))
        return rows

    def row(self, label, units, program, extra_env, check, startup, shape):
        try:
            ckpt_ms, resume_s, size = self.checkpoint_and_resume(program, extra_env, check)
        except Failure as e:
            return {"label": label, "error": str(e)}
        net = max(resume_s - startup, 0.0)
        dump_ms, load_ms, pickle_size = pickle_yardstick(shape(), self.args.runs)
        return {"label": label, "error": None, "ckpt_ms": ckpt_ms, "resume_s": resume_s, "net_s": net,
                "size": size, "ckpt_us": ckpt_ms * 1000 / units, "net_us": net * 1e6 / units,
                "bytes": size / units, "dump_ms": dump_ms, "load_ms": load_ms, "pickle_size": pickle_size}

    def loop(self):
        """Median wall times of resume_loop.nt run straight through, and resumed from its early checkpoint."""
        full, resumed = [], []
        for _ in range(self.args.runs):
            with tempfile.TemporaryDirectory(prefix="neutron-bench-") as tmp:
                self.log("  loop: uninterrupted run")
                t_full, out_full = run(self.neutron + [os.path.join(BENCH_DIR, "resume_loop.nt")], tmp, self.env,
                                       self.args.timeout)
                snap = os.path.join(tmp, "resume_loop.snap")
                if not os.path.isfile(snap):
                    raise Failure("resume_loop.nt left no resume_loop.snap")
                self.log("  loop: resumed run")
                t_res, out_res = run(self.neutron + ["--resume", snap], tmp, self.env, self.args.timeout)
                if not out_full.startswith("checksum ") or out_res != out_full:
                    raise Failure(f"resumed run printed {out_res.strip()!r}, uninterrupted run {out_full.strip()!r}")
                full.append(t_full)
                resumed.append(t_res)
        return statistics.median(full), statistics.median(resumed), out_full.strip()


def table(header, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[c]) for r in [header] + rows) for c in range(len(header))]

    def line(r):
        return "  ".join(r[0].ljust(widths[0]) if c == 0 else r[c].rjust(widths[c]) for c in range(len(r))).rstrip()
    return "\n".join([line(header), "-" * len(line(header))] + [line(r) for r in rows])


def growth_table(rows, unit, markdown):
    header = ["size", "checkpoint ms", "resume s", "resume net s", "snapshot bytes",
              f"ckpt us/{unit}", f"resume us/{unit}", f"bytes/{unit}",
              "pickle dump ms", "pickle load ms", "pickle bytes", "ckpt/dump", "resume net/load"]
    body, errors = [], []
    for r in rows:
        if r["error"]:
            body.append([r["label"], "ERROR"] + ["-"] * (len(header) - 2))
            errors.append(f"{r['label']}: {r['error']}")
            continue
        body.append([r["label"], f"{r['ckpt_ms']:.0f}", f"{r['resume_s']:.3f}", f"{r['net_s']:.3f}",
                     f"{r['size']:,}", f"{r['ckpt_us']:.2f}", f"{r['net_us']:.2f}", f"{r['bytes']:.1f}",
                     f"{r['dump_ms']:.0f}", f"{r['load_ms']:.0f}", f"{r['pickle_size']:,}",
                     f"{r['ckpt_ms'] / max(r['dump_ms'], 1e-3):.1f}x",
                     f"{r['net_s'] * 1000 / max(r['load_ms'], 1e-3):.1f}x"])
    text = table(header, body, markdown)
    if errors:
        text += "\n\n" + "\n".join(errors)
    return text, not errors


def int_list(text):
    try:
        values = [int(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description="Measure Neutron's checkpoint and resume costs.")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement; medians are shown (3)")
    parser.add_argument("--only", default="heap,deep,loop", help="comma-separated parts: heap, deep, loop")
    parser.add_argument("--sizes", type=int_list, default=[250_000, 500_000, 1_000_000],
                        help="array sizes for heap (default 250000,500000,1000000)")
    parser.add_argument("--depths", type=int_list, default=[2500, 5000, 10_000],
                        help="recursion depths for deep (default 2500,5000,10000)")
    parser.add_argument("--per-frame", type=int, default=10, help="objects held by each frame in deep (10)")
    parser.add_argument("--vm", action="store_true", help="run Neutron's VM alone (sets NEUTRON_VM=1)")
    parser.add_argument("--neutron", help="command that runs Neutron (default: this Python -m neutron)")
    parser.add_argument("--markdown", action="store_true", help="print the tables in Markdown")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed for one run (default 900)")
    parser.add_argument("--quiet", action="store_true", help="do not print progress on stderr")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    bad = [p for p in parts if p not in ("heap", "deep", "loop")]
    if bad or args.runs < 1:
        parser.error(f"unknown part(s) {bad}" if bad else "--runs must be at least 1")

    bench = Bench(args)
    mode = "VM only (NEUTRON_VM=1)" if args.vm else "default"
    bench.log(f"neutron: {shlex.join(bench.neutron)} [{mode}]; {args.runs} runs of each measurement")
    ok = True
    try:
        startup = bench.startup() if ("heap" in parts or "deep" in parts) else None
    except Failure as e:
        print(f"cannot checkpoint and resume a trivial program: {e}")
        return 1
    heading = "### " if args.markdown else ""
    sections = []
    if startup is not None:
        sections.append(f"resume time of a trivial snapshot: {startup:.3f} s (subtracted in 'resume net s')")
    if "heap" in parts:
        text, good = growth_table(bench.heap(startup), "element", args.markdown)
        ok &= good
        sections.append(f"{heading}snapshot_heap.nt: an array of N numbers\n\n{text}")
    if "deep" in parts:
        text, good = growth_table(bench.deep(startup), "object", args.markdown)
        ok &= good
        sections.append(f"{heading}snapshot_deep.nt: recursion D deep, {args.per_frame} objects per frame\n\n{text}")
    if "loop" in parts:
        try:
            full, resumed, output = bench.loop()
        except Failure as e:
            ok = False
            sections.append(f"{heading}resume_loop.nt\n\nERROR: {e}")
        else:
            done = LOOP_ITERATIONS - LOOP_CHECKPOINT_AT - 1
            body = [["uninterrupted", f"{LOOP_ITERATIONS:,}", f"{full:.3f}", f"{full * 1e9 / LOOP_ITERATIONS:.0f}"],
                    ["resumed", f"{done:,}", f"{resumed:.3f}", f"{resumed * 1e9 / done:.0f}"]]
            text = table(["run", "iterations", "wall s", "ns/iteration"], body, args.markdown)
            sections.append(f"{heading}resume_loop.nt ({output})\n\n{text}\n\n"
                            f"resumed / uninterrupted: {resumed / full:.2f}x")
    print("\n\n".join(sections))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
