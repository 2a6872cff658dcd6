"""The VM's long_sleep hook: a sleep with at least long_sleep_threshold seconds left calls long_sleep(vm, deadline);
a checkpoint the hook makes resumes inside the same sleep, with the same absolute deadline."""
from __future__ import annotations

import io
import time

import pytest

from neutron import runner
from neutron.errors import ProgramExit

PROGRAM = """use sys;
use time;
fun nap(ms) { var r = sys.sleep(ms); return "woke " + r; }
say(nap(5));
say(nap(3600000));
say(time.sleep(1));
"""


def with_hook(monkeypatch, calls, snap):
    made = runner.new_vm

    def new_vm(*args, **kwargs):
        vm = made(*args, **kwargs)

        def hook(vm, deadline):
            calls.append(deadline)
            vm.checkpoint(str(snap))
            raise ProgramExit(0)
        vm.long_sleep = hook
        vm.long_sleep_threshold = 60.0
        return vm
    monkeypatch.setattr(runner, "new_vm", new_vm)


@pytest.mark.parametrize("mode", ["compiled", "vm"])
def test_the_hook_checkpoints_inside_the_sleep_and_the_deadline_travels(tmp_path, monkeypatch, mode):
    prog = tmp_path / "nap.nt"
    prog.write_text(PROGRAM)
    snap = tmp_path / "nap.snap"
    calls = []
    with_hook(monkeypatch, calls, snap)
    out = io.StringIO()
    before = time.time()
    _, status = runner.run_file(str(prog), out=out, mode=mode)
    assert (status, out.getvalue()) == (0, "woke true\n")      # the 5 ms nap is below the threshold
    assert len(calls) == 1 and before + 3600 <= calls[0] <= time.time() + 3600
    # resumed (the deadline still an hour away): the same sleep, the same deadline, so the hook again
    out = io.StringIO()
    _, status = runner.resume_file(str(snap), out=out, mode=mode)
    assert (status, out.getvalue()) == (0, "")
    assert calls[1] == calls[0]
    # past the deadline the sleep ends at once: the program goes on after it
    vm_made = runner.new_vm

    def early(*args, **kwargs):
        vm = vm_made(*args, **kwargs)
        vm.long_sleep = None
        return vm
    monkeypatch.setattr(runner, "new_vm", early)
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + 7200)     # two hours later
    out = io.StringIO()
    _, status = runner.resume_file(str(snap), out=out, mode=mode)
    assert (status, out.getvalue()) == (0, "woke true\nnil\n")
