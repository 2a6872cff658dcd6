"""Running out of memory is a catchable "Out of memory." error in both modes (issue 15, item 22): programs run with
a cap on their address space. In the compiled tier, CPython reports a call that finds no memory for its frame as a
SystemError, the worker thread may find no memory for its large first frame chunk or for its stack at all: none of
that may end the program (or hang it) where the VM would let it catch the error."""
from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

# The memory is taken in functions: their frames, and what they hold, are gone once the error is caught. (In a
# top-level loop the compiled tier's temporaries would still hold it after the catch.)
PROGRAM = """
fun deep(n, acc) { var a = [acc, acc, acc, acc, acc, acc, acc, acc]; return deep(n + 1, a) + 1; }
try { deep(0, [1]); } catch (e) { say("caught: " + e); }
fun fill() { var keep = []; while (true) { keep.push([1, 2, 3, 4, 5, 6, 7, 8]); } }
try { fill(); } catch (e) { say("caught: " + e); }
say("after");
"""


def run_capped(tmp_path, megabytes, vm, program=PROGRAM, tier="1"):
    prog = tmp_path / "p.nt"
    prog.write_text(program, encoding="utf-8")
    limit = megabytes << 20

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    env = dict(os.environ, NEUTRON_VM="1" if vm else "", NEUTRON_TIER=tier)
    return subprocess.run([sys.executable, "-m", "neutron", str(prog)], capture_output=True, text=True, timeout=120,
                          preexec_fn=cap, env=env)


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_AS"), reason="needs an address-space limit")
@pytest.mark.parametrize("megabytes", [250, 400, 700])
@pytest.mark.parametrize("vm", [True, False], ids=["vm", "compiled"])
def test_running_out_of_memory_is_catchable(tmp_path, megabytes, vm):
    done = run_capped(tmp_path, megabytes, vm)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "after" and len(lines) == 3, done.stdout
    assert all(line in ("caught: Out of memory.", "caught: Stack overflow.") for line in lines[:2]), done.stdout
    assert lines[1] == "caught: Out of memory."


# A string that grows until memory runs out, in a function (caught there) and in a top-level loop that holds globals
# in locals (not caught): the variable appended to is nil after the failed append, in both modes, and the globals go
# back to their dict as the error leaves the loop.
APPENDS = """
fun grow() {
    var s = "x";
    try {
        while (true) s = s + s;
    } catch (e) {
        say("caught: " + e + ", s is " + s);
    }
}
grow();
var n = 0;
var seen = "x";
while (n < 3) {
    n = n + 0;
    seen = seen + seen;
}
"""


@pytest.mark.parametrize("vm", [True, False], ids=["vm", "compiled"])
def test_a_string_append_that_runs_out_of_memory(tmp_path, vm):
    done = run_capped(tmp_path, 400, vm, APPENDS, tier="eager")     # (the loops run out of memory before hot)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.stdout == "caught: Out of memory., s is nil\n"
    assert done.returncode == 1 and "Out of memory." in done.stderr and "line 15" in done.stderr, done.stderr
