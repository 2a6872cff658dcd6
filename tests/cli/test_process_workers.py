"""Processes in worker processes (procpool.py): the same results as in the main process alone, output brought
back, a killed process that never waits, and a checkpoint taken while a worker runs a process."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from neutron import runner

PROGRAM = """use process;
fun fib(n) { if (n < 2) return n; return fib(n - 1) + fib(n - 2); }
fun worker(k) {
    var n = process.receive();
    say("worker " + k + " computes fib(" + n + ")");
    process.send(0, [k, fib(n)]);
}
var pids = [];
for (var k = 0; k < 4; k = k + 1) pids.push(process.spawn(worker, k));
for (var k = 0; k < 4; k = k + 1) process.send(pids[k], 15 + k);
var got = [];
for (var k = 0; k < 4; k = k + 1) got.push(process.receive());
got.sort(fun(a, b) { return a[0] - b[0]; });
say(got);
"""


def run_with_workers(tmp_path, source, workers, monkeypatch):
    prog = tmp_path / "prog.nt"
    prog.write_text(source, encoding="utf-8")
    monkeypatch.setenv("NEUTRON_PROCESS_WORKERS", str(workers))
    out, err = io.StringIO(), io.StringIO()
    vm, status = runner.run_file(str(prog), (), out, err, mode="vm")
    return vm, status, out.getvalue(), err.getvalue()


def test_workers_compute_what_the_main_process_alone_computes(tmp_path, monkeypatch):
    vm, status, out, err = run_with_workers(tmp_path, PROGRAM, 2, monkeypatch)
    assert (status, err) == (0, "")
    assert vm.scheduler.shipped > 0             # some steps did run in workers
    vm0, status0, out0, err0 = run_with_workers(tmp_path, PROGRAM, 0, monkeypatch)
    assert vm0.scheduler.shipped == 0
    lines, lines0 = out.splitlines(), out0.splitlines()
    assert lines[-1] == lines0[-1] == "[[0, 610], [1, 987], [2, 1597], [3, 2584]]"
    assert sorted(lines[:-1]) == sorted(lines0[:-1]) == [f"worker {k} computes fib({15 + k})" for k in range(4)]


KILL = """use process;
fun spin() { var n = 0; while (true) { n = n + 1; } }
fun quick() { process.send(0, "quick done"); }
var s = process.spawn(spin);
process.spawn(quick);
say(process.receive());
say(process.is_alive(s));
process.kill(s);
say(process.is_alive(s));
say(process.process_count());
"""


def test_a_process_that_never_waits_can_be_killed_in_its_worker(tmp_path, monkeypatch):
    vm, status, out, err = run_with_workers(tmp_path, KILL, 1, monkeypatch)
    assert (status, err) == (0, "")
    assert out == "quick done\ntrue\nfalse\n0\n"


CHECKPOINT = """use process;
use sys;
fun fib(n) { if (n < 2) return n; return fib(n - 1) + fib(n - 2); }
fun heavy() { process.send(0, "heavy " + fib(20)); }
fun light() { process.send(0, "light"); }
process.spawn(heavy);
process.spawn(light);
say(process.receive());
sys.checkpoint(sys.args()[1]);
say(process.receive() + " " + sys.resumed());
"""


def test_a_checkpoint_waits_for_the_processes_in_workers(tmp_path):
    prog = tmp_path / "ckpt.nt"
    prog.write_text(CHECKPOINT, encoding="utf-8")
    snap = tmp_path / "ckpt.snap"
    env = dict(os.environ, NEUTRON_PROCESS_WORKERS="1")
    first = subprocess.run([sys.executable, "-m", "neutron", str(prog), str(snap)], capture_output=True, text=True,
                           env=env)
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == "light\nheavy 6765 false\n"
    again = subprocess.run([sys.executable, "-m", "neutron", "--resume", str(snap), str(snap)], capture_output=True,
                           text=True, env=env)
    assert (again.returncode, again.stdout, again.stderr) == (0, "heavy 6765 true\n", "")
