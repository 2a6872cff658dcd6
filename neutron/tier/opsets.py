"""What the tier knows of the opcodes, by group: jumps, operators and their Python forms, the stack behaviour the
type analysis and the use scan need, and the instructions an int-only loop body may hold."""
from __future__ import annotations

from ..bytecode import opcodes as O

COND_JUMPS = {O.JUMP_IF_FALSE, O.JUMP_IF_TRUE, O.JUMP_IF_FALSE_KEEP, O.JUMP_IF_TRUE_KEEP, O.JUMP_IF_NIL_KEEP,
              O.FOR_ITER}
ARITH = {O.ADD: "+", O.SUB: "-", O.MUL: "*", O.DIV: "/", O.MOD: None, O.BAND: None, O.BOR: None, O.BXOR: None,
         O.SHL: None, O.SHR: None}
COMPARE = {O.LT: "<", O.LE: "<=", O.GT: ">", O.GE: ">=", O.EQ: "==", O.NE: "!="}
GENERIC = {O.ADD: "_add", O.SUB: "_sub", O.MUL: "_mul", O.DIV: "_div", O.MOD: "_mod", O.LT: "_lt", O.LE: "_le",
           O.GT: "_gt", O.GE: "_ge", O.EQ: "_eq", O.NE: "_ne"}
PUSH_UNKNOWN = {O.NIL, O.TRUE, O.FALSE, O.LOAD_CELL, O.LOAD_FREE, O.LOAD_GLOBAL, O.CLOSURE, O.MAKE_CLASS, O.USE,
                O.USING, O.USING_ISOLATED}
POP_ONE = {O.STORE_CELL, O.STORE_FREE, O.STORE_GLOBAL, O.DEFINE_GLOBAL, O.SAY, O.LIST_APPEND, O.LIST_EXTEND,
           O.ADD_METHOD, O.ADD_FIELD}
REPLACE_TOP = {O.GET_PROP_OPT, O.GET_ITER, O.GET_MEMBER}
BITWISE = {O.BAND: "&", O.BOR: "|", O.BXOR: "^"}
# what the body of a loop whose counter is kept as an int alone may contain: nothing that calls (no call site,
# so no checkpoint or stop sees the counter) or converts a value to a string
INT_ONLY_BODY = {O.LOAD_LOCAL, O.STORE_LOCAL, O.CONST, O.NIL, O.TRUE, O.FALSE, O.POP, O.DUP, O.JUMP, O.JUMP_IF_FALSE,
                 O.JUMP_IF_TRUE, O.JUMP_IF_FALSE_KEEP, O.JUMP_IF_TRUE_KEEP, O.ADD, O.SUB, O.MUL, O.DIV, O.MOD, O.LT,
                 O.LE, O.GT, O.GE, O.EQ, O.NE, O.NOT, O.NEG, O.BAND, O.BOR, O.BXOR, O.GET_INDEX, O.SET_INDEX,
                 O.GET_PROP, O.LOAD_CELL, O.LOAD_FREE}
MIXED_ROOTS = {O.ADD, O.SUB, O.MUL, O.MOD, O.LT, O.LE, O.GT, O.GE, O.EQ, O.NE}
RECEIVER_AT = {O.GET_PROP, O.SET_PROP, O.INVOKE}
STORES = {O.STORE_LOCAL, O.STORE_CELL, O.STORE_FREE, O.STORE_GLOBAL, O.DEFINE_GLOBAL}


def pops(o, a):
    """How many operands an instruction that leaves one result takes (None: not such an instruction)."""
    if o in ARITH or o in COMPARE or o == O.SET_PROP:
        return 2
    if o in (O.NEG, O.NOT, O.BNOT, O.TO_STR, O.GET_PROP, O.CHECK_TYPE):
        return 1
    if o == O.CALL:
        return a + 1
    if o == O.INVOKE:
        return a[1] + 1
    return None
