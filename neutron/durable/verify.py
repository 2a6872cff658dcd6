"""Distrust of what a file says about code and execution: every instruction of every code object is checked, and each
frame's operand stack must have the depth its code has at that instruction, before anything runs."""
from __future__ import annotations

from ..bytecode import opcodes as O
from ..bytecode.code import Code, compute_depths
from ..runtime.values import TYPE_CHECKS

ENDS = (O.RETURN, O.JUMP, O.THROW)      # a code object's last instruction: control never runs off its end


def type_name(v):
    """Whether `v`, read from a file, names a type a declaration can carry."""
    return v.__class__ is str and v in TYPE_CHECKS


def check_code(c, fail):
    """The operand-stack depth before each instruction of `c` (None where unreachable), once every instruction is
    found well-formed; calls fail(reason) if one is not."""
    n = len(c.instrs)
    nops = len(O.NAMES)
    for s in c.cell_params:
        if s >= c.nlocals:
            fail("captured parameter out of range")
    if len(c.params) + (1 if c.is_method else 0) > c.nlocals:
        fail("more parameters than local slots")
    for o, a in c.instrs:
        if o >= nops:
            fail("unknown opcode")
        kind = O.OPERAND[o]
        if kind is None:
            if a is not None:
                fail("operand on an instruction that takes none")
            continue
        if kind == "name,argc":
            if a.__class__ is not tuple or a[0] >= len(c.names):
                fail("name out of range")
            continue
        if a.__class__ is not int:
            fail("bad operand")
        if kind == "const":
            if a >= len(c.consts):
                fail("constant out of range")
            check_const(c, o, c.consts[a], fail)
        elif kind == "name":
            if a >= len(c.names):
                fail("name out of range")
        elif kind == "slot":
            if a >= c.nlocals:
                fail("local slot out of range")
        elif kind == "free":
            if a >= len(c.freevars):
                fail("captured variable out of range")
        elif kind == "target":
            if a > n:
                fail("jump target out of range")
    if not c.instrs or c.instrs[-1][0] not in ENDS:
        fail("code runs off its end")
    try:
        return compute_depths(c)
    except (AssertionError, IndexError, TypeError):
        fail("inconsistent operand-stack depths")


def check_const(c, o, k, fail):
    """The constant `k` that instruction `o` of `c` uses must be of the kind `o` needs."""
    if o == O.CLOSURE:
        if k.__class__ is not Code:
            fail("closure of something other than code")
        for is_local, i in k.freevars:      # where the new closure's cells come from, in the enclosing frame
            if i >= (c.nlocals if is_local else len(c.freevars)):
                fail("captured variable out of range")
    elif o == O.CHECK_TYPE:
        if not (k.__class__ is tuple and len(k) == 2 and type_name(k[0]) and k[1].__class__ is str):
            fail("bad type check")
    elif o == O.ADD_FIELD:
        if not (k.__class__ is tuple and len(k) == 2 and k[0].__class__ is str and (k[1] is None or type_name(k[1]))):
            fail("bad field declaration")
    elif o == O.USING or o == O.USING_ISOLATED or o == O.ERROR:
        if k.__class__ is not str:
            fail("bad constant")


def check_frames(frames, depths, fail):
    """Each frame's operand stack must be what its code has at that instruction; the frames below the top wait for
    a call's result, which is not pushed yet. `depths` maps id(code) to check_code's answer."""
    if not frames:
        fail("no frames")
    last = len(frames) - 1
    for i, f in enumerate(frames):
        want = depths[id(f.code)][f.ip]
        if want is None or len(f.stack) != (want if i == last else want - 1):
            fail("operand stack does not match the code")
