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
BITWISE = {O.BAND: "&", O.BOR: "|", O.BXOR: "^"}
# what the body of a loop whose counter is kept as an int alone may contain: no handler (an exception caught in the
# function would find the float stale), and calls only at call sites, which tell a capture the counter's int()
# (Calls.site)
INT_ONLY_BODY = {O.LOAD_LOCAL, O.STORE_LOCAL, O.CONST, O.NIL, O.TRUE, O.FALSE, O.POP, O.DUP, O.JUMP, O.JUMP_IF_FALSE,
                 O.JUMP_IF_TRUE, O.JUMP_IF_FALSE_KEEP, O.JUMP_IF_TRUE_KEEP, O.ADD, O.SUB, O.MUL, O.DIV, O.MOD, O.LT,
                 O.LE, O.GT, O.GE, O.EQ, O.NE, O.NOT, O.NEG, O.BAND, O.BOR, O.BXOR, O.GET_INDEX, O.SET_INDEX,
                 O.GET_PROP, O.LOAD_CELL, O.LOAD_FREE,
                 O.CALL, O.INVOKE, O.LOAD_GLOBAL, O.STORE_GLOBAL, O.SET_PROP, O.GET_PROP_OPT, O.SAY, O.TO_STR,
                 O.CONCAT, O.BUILD_LIST, O.BUILD_OBJECT, O.LIST_APPEND, O.DUP2, O.ROT3, O.BNOT, O.SHL, O.SHR}
MIXED_ROOTS = {O.ADD, O.SUB, O.MUL, O.MOD, O.LT, O.LE, O.GT, O.GE, O.EQ, O.NE}
RECEIVER_AT = {O.GET_PROP, O.SET_PROP, O.INVOKE}
STORES = {O.STORE_LOCAL, O.STORE_CELL, O.STORE_FREE, O.STORE_GLOBAL, O.DEFINE_GLOBAL}
# instructions after which a global may have changed (the program's Neutron code, or a native, may have run)
OBSERVERS = {O.CALL, O.INVOKE, O.CALL_ARRAY, O.USE, O.USING, O.USING_ISOLATED}
# instructions that change no object's or instance's property (nor run code that could): a property read before
# them holds after them (Translation._path's pcache); a store to a local forgets what was read from it
KEEPS_PROPERTIES = {O.LOAD_LOCAL, O.STORE_LOCAL, O.LOAD_CELL, O.LOAD_FREE, O.LOAD_GLOBAL, O.CONST, O.NIL, O.TRUE,
                    O.FALSE, O.POP, O.DUP, O.DUP2, O.ROT3, O.GET_PROP, O.GET_INDEX, O.ADD, O.SUB, O.MUL, O.DIV, O.MOD,
                    O.EQ, O.NE, O.LT, O.LE, O.GT, O.GE, O.BAND, O.BOR, O.BXOR, O.SHL, O.SHR, O.NEG, O.NOT, O.BNOT,
                    O.TO_STR, O.CONCAT, O.JUMP, O.JUMP_IF_FALSE, O.JUMP_IF_TRUE, O.JUMP_IF_FALSE_KEEP,
                    O.JUMP_IF_TRUE_KEEP, O.JUMP_IF_NIL_KEEP, O.RETURN}
# instructions with a call site, where a capture may find the frame (a stop at `say` too)
SITES = OBSERVERS | {O.SAY}


def operands(o, a):
    """How many operands an instruction that leaves one value takes: 1 - its stack effect in the opcode table (an
    explicit pops column, when the table has one, says it directly)."""
    return 1 - O.stack_effect(o, a)


# instructions that take their operands and leave one value
ONE_RESULT = set(ARITH) | set(COMPARE) | {O.SET_PROP, O.NEG, O.NOT, O.BNOT, O.TO_STR, O.GET_PROP, O.CHECK_TYPE,
                                          O.CALL, O.INVOKE}


def pops(o, a):
    """How many operands an instruction that leaves one result takes (None: not such an instruction)."""
    return operands(o, a) if o in ONE_RESULT else None


# The type analysis (typeflow.py) follows these instructions one by one; every other instruction of a fixed stack
# effect in the opcode table pushes a value of unknown type (+1), drops the top (-1) or replaces it (0).
TYPED_BY_NAME = O.JUMPS | set(ARITH) | set(COMPARE) | {
    O.CONST, O.LOAD_LOCAL, O.STORE_LOCAL, O.MAKE_CELL, O.NEW_CELL, O.POP, O.DUP, O.DUP2, O.ROT3, O.NEG, O.BNOT, O.NOT,
    O.TO_STR, O.GET_PROP, O.GET_INDEX, O.SET_PROP, O.SET_INDEX, O.CHECK_TYPE, O.POP_TRY, O.CALL_ARRAY, O.CONCAT,
    O.BUILD_LIST, O.BUILD_OBJECT, O.CALL, O.INVOKE, O.END_FINALLY, O.RETURN, O.THROW, O.ERROR}


def _by_effect(effect):
    return {o for o, e in enumerate(O.EFFECT) if e == effect} - TYPED_BY_NAME


PUSH_UNKNOWN = _by_effect(+1)
POP_ONE = _by_effect(-1)
REPLACE_TOP = _by_effect(0)
