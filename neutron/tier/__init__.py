"""The compiled tier: every code object becomes one Python function, generated as source text and compiled by
CPython once per code object (and once more per resumed frame position, see continuations below).

Code. Neutron locals are Python locals (`l0`, `l1`, ...); operand-stack slots are named temporaries (`s3` at merge
points, `t17` elsewhere; the sides of a branch number theirs from the same point, since a frame clears every local at
each return). Arithmetic and comparisons over locals and constants are evaluated as one Python
expression behind a single test that every operand of unknown type is a float; everything else calls the VM's own
helpers (binary_slow, index_get, get_prop, ...), so error messages and odd cases stay the VM's. Control flow is
rebuilt from the bytecode: loops become `while True:`, branches `if`/`else` joined at their post-dominator (code is
copied where paths do not join), and each try block a Python `try` whose handler checks a flag that POP_TRY clears.

Types. A forward analysis (typeflow.type_flow) knows which locals and stack slots hold floats, strings, lists,
objects or instances; known operands need no test. A function whose parameters feed operators or indexing directly
gets a second copy of its body, entered when those parameters have the expected types (that copy is also a
function of its own, `nt_name_s`); the first property access on a local of unknown type may split the rest of the
path on `is Instance`.

Calls. The generated functions take (depth, function, arguments...); the depth gives the VM's "Stack overflow." at
the same depth. A call site remembers the first function (or class) it called and the codes of the first two
functions (other closures of them), a method call the first class; a site whose argument types match a callee's
speculated copy calls that copy. Their Python globals are the program's globals, so a Neutron global is a Python
global lookup; their Python builtins are the helpers, constants and those call-site caches.

Globals. Inside a loop of a file's top level, the globals the loop uses live in Python locals (promote.py): a
shadow of the code object reads them as local slots after the code's own, so types and loop counters are tracked
as for locals; the globals dict is written before anything that could look at it (a call, `say`, the loop's end,
an exception leaving it) and read again after a call.

Loops. A float counter a loop indexes with and steps by 1 (or by a local the loop does not change) keeps its int()
beside it, its "mirror": equal to it, an int when it is a whole number (not -0.0) within 2**52, else the float.
Comparisons with lengths, `%` and bitwise operators over mirrors run on ints (Emitter.mixed); an innermost loop
without handlers whose counter only indexes and meets its bound keeps the mirror alone (int_only): its call sites
tell a capture to make the counter's float from it. map,
filter and forEach with a compiled one-parameter callback loop in Python (FAST_LOOPS); an innermost loop indexing
(or computing with) a local of unknown type it never changes gets a second copy for when it is an array (a number).

State. The VM stays the reference and the snapshot format is its own:
- a checkpoint (or a test-only stop at a checkpointable point) walks the live Python stack: a generated frame's
  current line names its call site, whose operand-stack entries and handlers are known statically, and its Python
  locals hold the Neutron locals. These become VM frames for snapshot.write_snapshot; the program goes on running
  compiled, nothing is unwound.
- a resume (of either mode's snapshot) runs each restored frame, innermost first, through a continuation: the code
  object compiled from the frame's position, inside the frame's handlers. A loop the frame was in is finished as a
  whole compiled loop after the current iteration.
- a code object the tier cannot compile deoptimizes the program: its frames are captured and the VM runs the rest.

Programs run in a worker thread with a large stack and a raised recursion limit (deep recursion is deep Python
recursion here).

When. By default a program starts in the VM, which counts each code object's calls and loop back-edges (VM.heat);
at runner.HOT_AT the VM stops with its frames consistent (Hot) and warm() attaches the tier, which goes on from
there as after a resume: the running frames through continuations (a hot loop becomes compiled code in the middle
of its run), every function called from then on compiled on its first call. One-shot code (a script's functions
called once, straight-line top-level code) never pays for compiling. The test suite's "compiled" mode and
NEUTRON_TIER=eager attach the tier before the first instruction.
"""
from __future__ import annotations

from .runtime import Tier


MAX_INSTRS = 20_000     # tiered running: a larger code object (huge generated top-level code) stays in the VM


def attach(vm):
    """Run this VM's program through the compiled tier (runner.execute then calls vm.tier.execute)."""
    return Tier(vm)


def warm(vm):
    """The watching VM raised Hot: attach the tier to go on compiled from there (True), unless code on the stack is
    too large to compile, which the VM keeps running (False): a too large hot code object is no longer counted, a
    too large caller (huge top-level code) ends the watch."""
    frames = vm.frames
    if len(frames[-1].code.instrs) > MAX_INSTRS:
        vm.heat[frames[-1].code] = float("-inf")
        return False
    if any(len(f.code.instrs) > MAX_INSTRS for f in frames):
        vm.heat = None
        return False
    vm.heat = None
    Tier(vm).max_instrs = MAX_INSTRS
    return True
