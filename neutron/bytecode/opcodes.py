"""The opcode table: one line per instruction. The disassembler, the stack-depth computation (call-site table) and
the snapshot's code reader all read it.

An instruction is a tuple (op, arg). `effect` is the operand-stack effect; None means it depends on the argument
and is given by `stack_effect`. Jump targets are absolute instruction indexes.
"""
from __future__ import annotations

# name, operand, effect, meaning
TABLE = [
    ("CONST", "const", +1, "push consts[arg]"),
    ("NIL", None, +1, "push nil"),
    ("TRUE", None, +1, "push true"),
    ("FALSE", None, +1, "push false"),
    ("POP", None, -1, "drop the top of the stack"),
    ("DUP", None, +1, "push a copy of the top"),
    ("DUP2", None, +2, "push copies of the top two (a b -> a b a b)"),
    ("ROT3", None, 0, "a b c -> c a b (move the top under the next two)"),
    ("LOAD_LOCAL", "slot", +1, "push locals[arg]"),
    ("STORE_LOCAL", "slot", -1, "pop into locals[arg]"),
    ("LOAD_CELL", "slot", +1, "push locals[arg].value (a captured local)"),
    ("STORE_CELL", "slot", -1, "pop into locals[arg].value"),
    ("MAKE_CELL", "slot", 0, "locals[arg] = Cell(locals[arg])"),
    ("NEW_CELL", "slot", 0, "locals[arg] = Cell(nil) (a fresh binding, e.g. each loop iteration)"),
    ("LOAD_FREE", "free", +1, "push function.cells[arg].value"),
    ("STORE_FREE", "free", -1, "pop into function.cells[arg].value"),
    ("LOAD_GLOBAL", "name", +1, "push globals[names[arg]] or fail 'Undefined variable'"),
    ("STORE_GLOBAL", "name", -1, "pop into an existing global names[arg]"),
    ("DEFINE_GLOBAL", "name", -1, "pop into global names[arg], creating it"),
    ("GET_PROP", "name", 0, "obj -> obj.names[arg]"),
    ("GET_PROP_OPT", "name", 0, "obj -> obj?.names[arg] (nil when obj is nil or has no such member)"),
    ("SET_PROP", "name", -1, "obj value -> value, after obj.names[arg] = value"),
    ("GET_INDEX", None, -1, "obj index -> obj[index]"),
    ("SET_INDEX", None, -2, "obj index value -> value, after obj[index] = value"),
    ("ADD", None, -1, "a b -> a + b"),
    ("SUB", None, -1, "a b -> a - b"),
    ("MUL", None, -1, "a b -> a * b"),
    ("DIV", None, -1, "a b -> a / b"),
    ("MOD", None, -1, "a b -> a % b (C fmod)"),
    ("EQ", None, -1, "a b -> a == b"),
    ("NE", None, -1, "a b -> a != b"),
    ("LT", None, -1, "a b -> a < b"),
    ("LE", None, -1, "a b -> a <= b"),
    ("GT", None, -1, "a b -> a > b"),
    ("GE", None, -1, "a b -> a >= b"),
    ("BAND", None, -1, "a b -> a & b"),
    ("BOR", None, -1, "a b -> a | b"),
    ("BXOR", None, -1, "a b -> a ^ b"),
    ("SHL", None, -1, "a b -> a << b"),
    ("SHR", None, -1, "a b -> a >> b"),
    ("NEG", None, 0, "a -> -a"),
    ("NOT", None, 0, "a -> !a"),
    ("BNOT", None, 0, "a -> ~a"),
    ("TO_STR", None, 0, "a -> a printed (string interpolation)"),
    ("CONCAT", "count", None, "arg strings -> their concatenation"),
    ("JUMP", "target", 0, "ip = arg"),
    ("JUMP_IF_FALSE", "target", -1, "pop; if falsy, ip = arg"),
    ("JUMP_IF_TRUE", "target", -1, "pop; if truthy, ip = arg"),
    ("JUMP_IF_FALSE_KEEP", "target", None, "if top falsy: ip = arg, keep it; else pop it (and)"),
    ("JUMP_IF_TRUE_KEEP", "target", None, "if top truthy: ip = arg, keep it; else pop it (or)"),
    ("JUMP_IF_NIL_KEEP", "target", None, "if top is nil: ip = arg, keep it (?. chains)"),
    ("CALL", "argc", None, "callee args... -> result"),
    ("CALL_ARRAY", None, -1, "callee argsarray -> result (calls with spread)"),
    ("INVOKE", "name,argc", None, "obj args... -> obj.names[name](args...)"),
    ("RETURN", None, -1, "return the top from this frame"),
    ("BUILD_LIST", "count", None, "arg values -> array"),
    ("BUILD_OBJECT", "count", None, "arg (key, value) pairs -> object"),
    ("LIST_APPEND", None, -1, "array value -> array (value appended)"),
    ("LIST_EXTEND", None, -1, "array iterable -> array (spread)"),
    ("CLOSURE", "const", +1, "push a function of the code consts[arg], capturing cells"),
    ("MAKE_CLASS", "name", +1, "push a new class named names[arg]"),
    ("ADD_METHOD", "name", -1, "class function -> class, with method names[arg]"),
    ("ADD_FIELD", "const", -1, "class initfn -> class, with field consts[arg] = (name, type); initfn may be nil"),
    ("SETUP_TRY", "target", 0, "push a handler: on a throw, unwind to here and jump to arg with the value"),
    ("POP_TRY", None, 0, "drop the innermost handler"),
    ("THROW", None, -1, "throw the top"),
    ("END_FINALLY", None, -2, "value kind -> (kind 1: rethrow value; kind 0: go on)"),
    ("GET_ITER", None, 0, "iterable -> iterator (array/string: indexes; object: keys)"),
    ("FOR_ITER", "target", None, "iterator -> iterator next; when exhausted pop it and ip = arg"),
    ("SAY", None, -1, "print the top"),
    ("USE", "name", +1, "push the module names[arg] (may run a .nt module first)"),
    ("USING", "const", +1, "run the file consts[arg] in these globals; push nil"),
    ("USING_ISOLATED", "const", +1, "run the file consts[arg] in fresh globals; push them as a module"),
    ("GET_MEMBER", "name", 0, "module -> module member names[arg] or nil (selective imports)"),
    ("CHECK_TYPE", "const", 0, "fail unless the top matches consts[arg] = (type, variable name)"),
    ("ERROR", "const", 0, "raise a runtime error with the message consts[arg]"),
]

NAMES = [row[0] for row in TABLE]
EFFECT = [row[2] for row in TABLE]
OPERAND = [row[1] for row in TABLE]
MEANING = [row[3] for row in TABLE]
for _i, _name in enumerate(NAMES):
    globals()[_name] = _i

JUMPS = {JUMP, JUMP_IF_FALSE, JUMP_IF_TRUE, JUMP_IF_FALSE_KEEP, JUMP_IF_TRUE_KEEP, JUMP_IF_NIL_KEEP,  # noqa: F821
         SETUP_TRY, FOR_ITER}  # noqa: F821
CALLS = {CALL, CALL_ARRAY, INVOKE}  # noqa: F821


def stack_effect(op, arg, jump=False):
    """Stack effect of one instruction; `jump` selects the effect along the taken branch."""
    e = EFFECT[op]
    if e is not None:
        if op == SETUP_TRY and jump:  # noqa: F821
            return +1       # the handler starts with the thrown value pushed (depth measured at SETUP_TRY)
        return e
    if op == CONCAT or op == BUILD_LIST:  # noqa: F821
        return 1 - arg
    if op == BUILD_OBJECT:  # noqa: F821
        return 1 - 2 * arg
    if op == CALL:  # noqa: F821
        return -arg
    if op == INVOKE:  # noqa: F821
        return -arg[1]
    if op == JUMP_IF_FALSE_KEEP or op == JUMP_IF_TRUE_KEEP:  # noqa: F821
        return 0 if jump else -1
    if op == JUMP_IF_NIL_KEEP:  # noqa: F821
        return 0
    if op == FOR_ITER:  # noqa: F821
        return -1 if jump else +1
    raise ValueError(NAMES[op])
