"""Distrust of code read from a file: every instruction is checked before anything runs."""
from __future__ import annotations

from ..bytecode import opcodes as O
from ..bytecode.code import Code, compute_depths


def check_code(c, fail):
    """Every instruction of a code object read from a file must be well-formed before it runs."""
    n = len(c.instrs)
    nops = len(O.NAMES)
    for s in c.cell_params:
        if s >= c.nlocals:
            fail()
    if len(c.params) + (1 if c.is_method else 0) > c.nlocals:
        fail()
    for o, a in c.instrs:
        if o >= nops:
            fail()
        kind = O.OPERAND[o]
        if kind is None:
            if a is not None:
                fail()
            continue
        if kind == "name,argc":
            if a.__class__ is not tuple or a[0] >= len(c.names):
                fail()
            continue
        if a.__class__ is not int:
            fail()
        if kind == "const":
            if a >= len(c.consts):
                fail()
            k = c.consts[a]
            if o == O.CLOSURE and k.__class__ is not Code:
                fail()
            if o == O.CHECK_TYPE and not (k.__class__ is tuple and len(k) == 2 and k[0] in _TYPES
                                          and k[1].__class__ is str):
                fail()
            if o == O.ADD_FIELD and not (k.__class__ is tuple and len(k) == 2):
                fail()
            if o in (O.USING, O.USING_ISOLATED, O.ERROR) and k.__class__ is not str:
                fail()
        elif kind == "name":
            if a >= len(c.names):
                fail()
        elif kind == "slot":
            if a >= c.nlocals:
                fail()
        elif kind == "free":
            if a >= len(c.freevars):
                fail()
        elif kind == "target":
            if a > n:
                fail()
    for is_local, i in c.freevars:
        pass
    if not c.instrs or c.instrs[-1][0] not in (O.RETURN, O.JUMP, O.THROW):
        fail()
    try:
        return compute_depths(c)
    except (AssertionError, IndexError, TypeError):
        fail()


_TYPES = ("int", "float", "string", "bool", "array", "object", "any", "number")

