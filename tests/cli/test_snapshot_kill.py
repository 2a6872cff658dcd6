"""Fault injection: a process killed with SIGKILL while it writes checkpoints never leaves an unreadable snapshot.

A Neutron program grows its heap and writes a checkpoint after each step, forever. It is killed at random moments
(~20 times, always on the same target path, so that most kills hit a process that is replacing a good snapshot).
After each kill the file at the target path either does not exist yet or loads; some of them are also resumed,
and the resumed program checks that its heap is consistent with its step counter.
"""
from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from neutron import durable as S
from neutron.runner import new_vm

WRITER = """use sys;
var P = sys.args()[1];
var heap = [];
var step = 0;
fun fmtStep(k) { return (k - k % 150) / 150; }
while (true) {
    for (var j = 0; j < 150; j++) {
        heap.push({step: step, text: "item " + step + "/" + j + " ✓", pair: [step, j], f: step + 0.5});
    }
    step = step + 1;
    sys.checkpoint(P);
    if (sys.resumed()) {
        var ok = heap.length == step * 150;
        for (var k = 0; k < heap.length; k = k + 149) {
            if (heap[k].step != fmtStep(k)) ok = false;
        }
        say("resumed step=" + step + " consistent=" + ok);
        sys.exit(0);
    }
}
"""

KILLS = 20
TIME_BUDGET = 25.0


@pytest.mark.fuzz      # random kills for up to 25 s
def test_sigkill_while_checkpointing_never_leaves_a_bad_file(tmp_path):
    prog = tmp_path / "writer.nt"
    prog.write_text(WRITER, encoding="utf-8")
    target = tmp_path / "loop.snap"
    rnd = random.Random(20240531)
    start = time.monotonic()
    loaded = resumed = 0
    kills = 0
    while kills < KILLS and time.monotonic() - start < TIME_BUDGET:
        proc = subprocess.Popen([sys.executable, "-m", "neutron", str(prog), str(target)], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rnd.uniform(0.05, 0.9))
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, err)
        assert out == b"" and b"Traceback" not in err
        kills += 1
        if not target.exists():
            continue
        data = target.read_bytes()
        S.load_snapshot(new_vm(out=io.StringIO()), data)        # raises SnapshotError if the file is damaged
        loaded += 1
        leftovers = [n for n in os.listdir(tmp_path) if n not in ("writer.nt", "loop.snap")]
        assert all(n.startswith(".loop.snap.tmp-") for n in leftovers), leftovers
        if kills % 4 == 0:
            done = subprocess.run([sys.executable, "-m", "neutron", "--resume", str(target)], cwd=tmp_path,
                                  capture_output=True, timeout=60)
            assert done.returncode == 0, done.stderr
            text = done.stdout.decode()
            assert text.startswith("resumed step=") and text.endswith(" consistent=true\n"), text
            resumed += 1
    assert kills >= 10
    assert loaded >= 5, "the writer never got to its first checkpoint: raise the delays"
