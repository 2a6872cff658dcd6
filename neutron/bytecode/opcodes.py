"""The opcode table: one line per instruction, the one source of its number, operand, stack effect and meaning.
The compiler's stack-depth check (code.py compute_depths), the disassembler (disasm.py) and the snapshot's code
reader all read it.

An instruction is a tuple (op, arg). The operand kinds: `const` indexes the code object's consts, `name` its
names, `slot` the frame's locals, `free` the function's captured cells; `target` is an absolute instruction index;
`count` and `argc` are plain numbers; `name,argc` is a pair (names index, argc).

`pops` and `pushes` count the operand-stack entries an instruction takes and leaves when it goes on to the next
instruction: a number, or a function of the argument. ON_JUMP gives them along a taken jump where they differ.
"""
from __future__ import annotations

# The numbers are how code objects and snapshots encode instructions: never renumber (a snapshot written before
# would be misread). They follow TABLE's order; tests/unit/test_disasm.py checks that.
CONST = 0
NIL = 1
TRUE = 2
FALSE = 3
POP = 4
DUP = 5
DUP2 = 6
ROT3 = 7
LOAD_LOCAL = 8
STORE_LOCAL = 9
LOAD_CELL = 10
STORE_CELL = 11
MAKE_CELL = 12
NEW_CELL = 13
LOAD_FREE = 14
STORE_FREE = 15
LOAD_GLOBAL = 16
STORE_GLOBAL = 17
DEFINE_GLOBAL = 18
GET_PROP = 19
GET_PROP_OPT = 20
SET_PROP = 21
GET_INDEX = 22
SET_INDEX = 23
ADD = 24
SUB = 25
MUL = 26
DIV = 27
MOD = 28
EQ = 29
NE = 30
LT = 31
LE = 32
GT = 33
GE = 34
BAND = 35
BOR = 36
BXOR = 37
SHL = 38
SHR = 39
NEG = 40
NOT = 41
BNOT = 42
TO_STR = 43
CONCAT = 44
JUMP = 45
JUMP_IF_FALSE = 46
JUMP_IF_TRUE = 47
JUMP_IF_FALSE_KEEP = 48
JUMP_IF_TRUE_KEEP = 49
JUMP_IF_NIL_KEEP = 50
CALL = 51
CALL_ARRAY = 52
INVOKE = 53
RETURN = 54
BUILD_LIST = 55
BUILD_OBJECT = 56
LIST_APPEND = 57
LIST_EXTEND = 58
CLOSURE = 59
MAKE_CLASS = 60
ADD_METHOD = 61
ADD_FIELD = 62
SETUP_TRY = 63
POP_TRY = 64
THROW = 65
END_FINALLY = 66
GET_ITER = 67
FOR_ITER = 68
SAY = 69
USE = 70
USING = 71
USING_ISOLATED = 72
GET_MEMBER = 73
CHECK_TYPE = 74
ERROR = 75

# name, operand, pops, pushes, meaning
TABLE = [
    ("CONST", "const", 0, 1, "push consts[arg]"),
    ("NIL", None, 0, 1, "push nil"),
    ("TRUE", None, 0, 1, "push true"),
    ("FALSE", None, 0, 1, "push false"),
    ("POP", None, 1, 0, "drop the top of the stack"),
    ("DUP", None, 1, 2, "push a copy of the top"),
    ("DUP2", None, 2, 4, "push copies of the top two (a b -> a b a b)"),
    ("ROT3", None, 3, 3, "a b c -> c a b (move the top under the next two)"),
    ("LOAD_LOCAL", "slot", 0, 1, "push locals[arg]"),
    ("STORE_LOCAL", "slot", 1, 0, "pop into locals[arg]"),
    ("LOAD_CELL", "slot", 0, 1, "push locals[arg].value (a captured local)"),
    ("STORE_CELL", "slot", 1, 0, "pop into locals[arg].value"),
    ("MAKE_CELL", "slot", 0, 0, "locals[arg] = Cell(locals[arg])"),
    ("NEW_CELL", "slot", 0, 0, "locals[arg] = Cell(nil) (a fresh binding, e.g. each loop iteration)"),
    ("LOAD_FREE", "free", 0, 1, "push function.cells[arg].value"),
    ("STORE_FREE", "free", 1, 0, "pop into function.cells[arg].value"),
    ("LOAD_GLOBAL", "name", 0, 1, "push globals[names[arg]] or fail 'Undefined variable'"),
    ("STORE_GLOBAL", "name", 1, 0, "pop into an existing global names[arg]"),
    ("DEFINE_GLOBAL", "name", 1, 0, "pop into global names[arg], creating it"),
    ("GET_PROP", "name", 1, 1, "obj -> obj.names[arg]"),
    ("GET_PROP_OPT", "name", 1, 1, "obj -> obj?.names[arg] (nil when obj is nil or has no such member)"),
    ("SET_PROP", "name", 2, 1, "obj value -> value, after obj.names[arg] = value"),
    ("GET_INDEX", None, 2, 1, "obj index -> obj[index]"),
    ("SET_INDEX", None, 3, 1, "obj index value -> value, after obj[index] = value"),
    ("ADD", None, 2, 1, "a b -> a + b"),
    ("SUB", None, 2, 1, "a b -> a - b"),
    ("MUL", None, 2, 1, "a b -> a * b"),
    ("DIV", None, 2, 1, "a b -> a / b"),
    ("MOD", None, 2, 1, "a b -> a % b (C fmod)"),
    ("EQ", None, 2, 1, "a b -> a == b"),
    ("NE", None, 2, 1, "a b -> a != b"),
    ("LT", None, 2, 1, "a b -> a < b"),
    ("LE", None, 2, 1, "a b -> a <= b"),
    ("GT", None, 2, 1, "a b -> a > b"),
    ("GE", None, 2, 1, "a b -> a >= b"),
    ("BAND", None, 2, 1, "a b -> a & b"),
    ("BOR", None, 2, 1, "a b -> a | b"),
    ("BXOR", None, 2, 1, "a b -> a ^ b"),
    ("SHL", None, 2, 1, "a b -> a << b"),
    ("SHR", None, 2, 1, "a b -> a >> b"),
    ("NEG", None, 1, 1, "a -> -a"),
    ("NOT", None, 1, 1, "a -> !a"),
    ("BNOT", None, 1, 1, "a -> ~a"),
    ("TO_STR", None, 1, 1, "a -> a printed (string interpolation)"),
    ("CONCAT", "count", lambda n: n, 1, "arg strings -> their concatenation"),
    ("JUMP", "target", 0, 0, "ip = arg"),
    ("JUMP_IF_FALSE", "target", 1, 0, "pop; if falsy, ip = arg"),
    ("JUMP_IF_TRUE", "target", 1, 0, "pop; if truthy, ip = arg"),
    ("JUMP_IF_FALSE_KEEP", "target", 1, 0, "if top falsy: ip = arg, keep it; else pop it (and)"),
    ("JUMP_IF_TRUE_KEEP", "target", 1, 0, "if top truthy: ip = arg, keep it; else pop it (or)"),
    ("JUMP_IF_NIL_KEEP", "target", 1, 1, "if top is nil: ip = arg, keep it (?. chains)"),
    ("CALL", "argc", lambda n: n + 1, 1, "callee args... -> result"),
    ("CALL_ARRAY", None, 2, 1, "callee argsarray -> result (calls with spread)"),
    ("INVOKE", "name,argc", lambda a: a[1] + 1, 1, "obj args... -> obj.names[name](args...)"),
    ("RETURN", None, 1, 0, "return the top from this frame"),
    ("BUILD_LIST", "count", lambda n: n, 1, "arg values -> array"),
    ("BUILD_OBJECT", "count", lambda n: 2 * n, 1, "arg (key, value) pairs -> object"),
    ("LIST_APPEND", None, 2, 1, "array value -> array (value appended)"),
    ("LIST_EXTEND", None, 2, 1, "array iterable -> array (spread)"),
    ("CLOSURE", "const", 0, 1, "push a function of the code consts[arg], capturing cells"),
    ("MAKE_CLASS", "name", 0, 1, "push a new class named names[arg]"),
    ("ADD_METHOD", "name", 2, 1, "class function -> class, with method names[arg]"),
    ("ADD_FIELD", "const", 2, 1, "class initfn -> class, with field consts[arg] = (name, type); initfn may be nil"),
    ("SETUP_TRY", "target", 0, 0, "push a handler: on a throw, unwind to here and jump to arg with the value"),
    ("POP_TRY", None, 0, 0, "drop the innermost handler"),
    ("THROW", None, 1, 0, "throw the top"),
    ("END_FINALLY", None, 2, 0, "value kind -> (kind 1: rethrow value; kind 0: go on)"),
    ("GET_ITER", None, 1, 1, "iterable -> iterator (array/string: indexes; object: keys)"),
    ("FOR_ITER", "target", 1, 2, "iterator -> iterator next; when exhausted pop it and ip = arg"),
    ("SAY", None, 1, 0, "print the top"),
    ("USE", "name", 0, 1, "push the module names[arg] (may run a .nt module first)"),
    ("USING", "const", 0, 1, "run the file consts[arg] in these globals; push nil"),
    ("USING_ISOLATED", "const", 0, 1, "run the file consts[arg] in fresh globals; push them as a module"),
    ("GET_MEMBER", "name", 1, 1, "module -> module member names[arg] or nil (selective imports)"),
    ("CHECK_TYPE", "const", 1, 1, "fail unless the top matches consts[arg] = (type, message)"),
    ("ERROR", "const", 0, 0, "raise a runtime error with the message consts[arg]"),
]

# (pops, pushes) along a taken jump, where they differ from going on: a handler starts with the thrown value
# pushed (depth measured at SETUP_TRY); the KEEP jumps leave the value they tested; an exhausted loop drops its
# iterator.
ON_JUMP = {SETUP_TRY: (0, 1), JUMP_IF_FALSE_KEEP: (1, 1), JUMP_IF_TRUE_KEEP: (1, 1), FOR_ITER: (1, 0)}

NAMES = [row[0] for row in TABLE]
OPERAND = [row[1] for row in TABLE]
POPS = [row[2] for row in TABLE]
PUSHES = [row[3] for row in TABLE]
MEANING = [row[4] for row in TABLE]
# net effect going on to the next instruction; None where it depends on the argument (see stack_effect)
EFFECT = [pu - po if po.__class__ is int and pu.__class__ is int else None for po, pu in zip(POPS, PUSHES)]

JUMPS = {JUMP, JUMP_IF_FALSE, JUMP_IF_TRUE, JUMP_IF_FALSE_KEEP, JUMP_IF_TRUE_KEEP, JUMP_IF_NIL_KEEP, SETUP_TRY,
         FOR_ITER}
CALLS = {CALL, CALL_ARRAY, INVOKE}


def pops(op, arg):
    """How many operand-stack entries the instruction takes."""
    n = POPS[op]
    return n if n.__class__ is int else n(arg)


def pushes(op, arg):
    """How many operand-stack entries the instruction leaves."""
    n = PUSHES[op]
    return n if n.__class__ is int else n(arg)


def stack_effect(op, arg, jump=False):
    """Net stack effect of one instruction; `jump` selects the effect along the taken branch."""
    if jump and op in ON_JUMP:
        taken = ON_JUMP[op]
        return taken[1] - taken[0]
    e = EFFECT[op]
    if e is not None:
        return e
    return pushes(op, arg) - pops(op, arg)
