"""Running a test program in-process, in a chosen mode, optionally through a checkpoint/resume round trip."""
from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass

from .runner import resume_file, run_file

MODES = ("vm", "compiled")       # compiled: the tier of neutron/tier/, from the first instruction
OTHER_MODES = ("tiered",)        # the VM until code runs hot, then compiled (the default of `neutron`)


@dataclass
class Outcome:
    stdout: str
    stderr: str
    status: int
    points: int


def run(path, mode="vm", checkpoint_at=None, cwd=None, argv=()) -> Outcome:
    """Run `path`. With checkpoint_at=k the run stops at its k-th checkpointable point by writing a snapshot
    (the code path of sys.checkpoint), and a fresh VM resumes from that file; the outcome joins both halves."""
    if mode not in MODES and mode not in OTHER_MODES:
        raise ValueError(f"unknown mode {mode}")
    path = os.path.abspath(path)
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        out, err = io.StringIO(), io.StringIO()
        if checkpoint_at is None:
            vm, status = run_file(path, argv, out, err, mode=mode)
            return Outcome(out.getvalue(), err.getvalue(), status, vm.points)
        with tempfile.TemporaryDirectory() as tmp:
            snap = os.path.join(tmp, "roundtrip.snap")
            vm, status = run_file(path, argv, out, err, stop_at=checkpoint_at, stop_path=snap, mode=mode)
            points = vm.points
            if status == "stopped":
                vm2, status = resume_file(snap, argv, out, err, mode=mode)
                points = points + (vm2.points if vm2 is not None else 0) - 1
            return Outcome(out.getvalue(), err.getvalue(), status, points)
    finally:
        os.chdir(old)
