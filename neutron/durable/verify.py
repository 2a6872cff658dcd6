"""Distrust of what a file says about code and execution, before anything runs: every instruction of every code
object is checked, and every path through the code is followed with what each instruction takes and leaves on the
operand stack (the entries' kinds, not only their number), the cells it reads and the handlers it pops; each
frame's stack, locals and handlers must be what its code has at that instruction; the references between objects
must be of their kinds; a module's private built-ins stay in its own Neutron code."""
from __future__ import annotations

from itertools import chain, compress, repeat
from operator import attrgetter, is_, itemgetter

from ..bytecode import opcodes as O
from ..bytecode.code import Code, compute_depths
from ..runtime.frames import NO_RESULT, Iter
from ..runtime.values import TYPE_CHECKS, Buffer, BoundMethod, Cell, Class, Function, Instance, Module, Native, \
    Resource, Task

ENDS = (O.RETURN, O.JUMP, O.THROW)      # a code object's last instruction: control never runs off its end


def type_name(v):
    """Whether `v`, read from a file, names a type a declaration can carry."""
    return v.__class__ is str and v in TYPE_CHECKS


def check_code(c, fail):
    """The state before each instruction of `c` (None where unreachable; see flow), once every instruction is
    found well-formed; calls fail(reason) if one is not."""
    n = len(c.instrs)
    nops = len(O.NAMES)
    for s in c.cell_params:
        if s >= c.nlocals:
            fail("captured parameter out of range")
    if len(c.params) + (1 if c.is_method else 0) > c.nlocals:
        fail("more parameters than local slots")
    if not all(t is None or type_name(t) for t in (*c.param_types, c.return_type)):
        fail("bad type")
    for o, a in c.instrs:
        if o >= nops or o == O.END_FINALLY:       # END_FINALLY: in the table, never emitted nor run
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
            if a >= n:
                fail("jump target out of range")
        elif o == O.CONCAT and a < 2:     # the compiler joins two pieces or more (the VM takes arg entries)
            fail("bad operand")
    if not c.instrs or c.instrs[-1][0] not in ENDS:
        fail("code runs off its end")
    states = flow(c, fail)
    try:
        compute_depths(c)       # the call-site table and the deepest stack, which the VM and the tier read
    except (AssertionError, IndexError, TypeError):
        fail("inconsistent operand-stack depths")
    return states


# What is on the operand stack, one letter per entry: v any value, s a string, l an array, d an object, c a class,
# f a function, m a method (a function of code that takes `this`), i a for-in iterator (not a value). Instructions
# the compiler only emits after a known producer (CONCAT after TO_STR, LIST_APPEND on a BUILD_LIST, ADD_METHOD on a
# MAKE_CLASS and a method's CLOSURE, FOR_ITER on GET_ITER) may trust what they take only because this is checked.
VALUE_KINDS = frozenset("vsldcfm")
SIMPLE = {type(None), bool, float, str}     # what CONST may push


class State:
    """Before one instruction: the operand stack's kinds, the local slots sure to hold a cell, the handlers."""
    __slots__ = ("kinds", "cells", "handlers")

    def __init__(self, kinds, cells, handlers):
        self.kinds = kinds          # str, one letter per entry, bottom first
        self.cells = cells          # frozenset of slots
        self.handlers = handlers    # tuple of (target, depth), innermost last


def merged_kind(a, b):
    if a == b:
        return a
    if a in VALUE_KINDS and b in VALUE_KINDS:
        return "v"
    return None


def cell_slots(c):
    """The slots `c` uses as cells; every other slot holds a value (the compiler never mixes the two)."""
    out = set(c.cell_params)
    for o, a in c.instrs:
        if o in CELL_OPS:
            out.add(a)
        elif o == O.CLOSURE:
            k = c.consts[a]
            out.update(i for is_local, i in k.freevars if is_local)
    return out


CELL_OPS = {O.LOAD_CELL, O.STORE_CELL, O.MAKE_CELL, O.NEW_CELL}


def flow(c, fail):
    """Follows every path of `c` from its first instruction and from each handler: the State before each
    instruction (None where unreachable). Each instruction must find what it takes on the stack (the entries, not
    only their number), a cell where it reads one, and the handlers it pops; two paths meeting must agree."""
    instrs = c.instrs
    n = len(instrs)
    cells_used = cell_slots(c)
    if c.is_method and 0 in cells_used and 0 not in c.cell_params:
        fail("bad use of this")
    states = [None] * n
    work = []

    def reach(ip, kinds, cells, handlers):
        old = states[ip]
        if old is None:
            states[ip] = State(kinds, cells, handlers)
            work.append(ip)
            return
        if len(old.kinds) != len(kinds) or old.handlers != handlers:
            fail("inconsistent operand-stack depths")
        if old.kinds != kinds:
            ks = "".join(map(merged_kind, old.kinds, kinds))
            if len(ks) != len(kinds):
                fail("inconsistent operand stack")
            kinds = ks
        cells = old.cells & cells
        if kinds != old.kinds or cells != old.cells:
            states[ip] = State(kinds, cells, handlers)
            work.append(ip)

    reach(0, "", frozenset(c.cell_params), ())
    while work:
        ip = work.pop()
        st = states[ip]
        o, a = instrs[ip]
        kinds, cells, handlers = st.kinds, st.cells, st.handlers
        take = O.pops(o, a)
        if take > len(kinds) or (handlers and len(kinds) - take < handlers[-1][1]):
            fail("operand stack underflow")
        top = kinds[len(kinds) - take:]
        below = kinds[:len(kinds) - take]
        out = effect(c, o, a, top, fail)
        if o in CELL_OPS or o == O.LOAD_LOCAL or o == O.STORE_LOCAL:
            if (o in CELL_OPS) != (a in cells_used):
                fail("a local slot used both as a cell and as a value")
            if (o == O.LOAD_CELL or o == O.STORE_CELL) and a not in cells:
                fail("a cell read before it is made")
            if o == O.NEW_CELL or o == O.MAKE_CELL:
                cells = cells | {a}
        elif o == O.CLOSURE:
            if not all(i in cells for is_local, i in c.consts[a].freevars if is_local):
                fail("a closure captures a cell not made yet")
        elif o == O.SETUP_TRY:
            reach(a, kinds + "v", cells, handlers)
            handlers = handlers + ((a, len(kinds)),)
        elif o == O.POP_TRY:
            if not handlers:
                fail("a handler popped that was never set up")
            handlers = handlers[:-1]
        if o in O.JUMPS and o != O.SETUP_TRY:
            if o == O.JUMP_IF_FALSE_KEEP or o == O.JUMP_IF_TRUE_KEEP or o == O.JUMP_IF_NIL_KEEP:
                reach(a, kinds, cells, handlers)
            elif o == O.FOR_ITER:
                reach(a, below, cells, handlers)
            else:
                reach(a, below, cells, handlers)
        if o in ENDS:
            continue
        if ip + 1 >= n:
            fail("code runs off its end")
        reach(ip + 1, below + out, cells, handlers)
    return states


def effect(c, o, a, top, fail):
    """The kinds instruction `o` leaves going on, from the kinds `top` it takes."""
    if o == O.POP:
        return ""
    if o == O.DUP:
        return top + top
    if o == O.DUP2:
        return top + top
    if o == O.ROT3:
        return top[2] + top[:2]
    if o == O.FOR_ITER:
        if top != "i":
            fail("a loop step without an iterator")
        return "iv"
    if not all(k in VALUE_KINDS for k in top):
        fail("an iterator used as a value")
    if o == O.CONST:
        k = c.consts[a]
        if k.__class__ not in SIMPLE:
            fail("bad constant")
        return "s" if k.__class__ is str else "v"
    if o == O.TO_STR:
        return "s"
    if o == O.CONCAT:
        if top.strip("s"):
            fail("concatenation of something other than strings")
        return "s"
    if o == O.BUILD_LIST:
        return "l"
    if o == O.BUILD_OBJECT:
        if top[::2].strip("s"):
            fail("an object key that is not a string")
        return "d"
    if o == O.LIST_APPEND or o == O.LIST_EXTEND:
        if top[0] != "l":
            fail("appending to something other than an array")
        return "l"
    if o == O.CALL_ARRAY:
        if top[1] != "l":
            fail("spread call without an array")
        return "v"
    if o == O.CLOSURE:
        return "m" if c.consts[a].is_method else "f"
    if o == O.MAKE_CLASS:
        return "c"
    if o == O.ADD_METHOD:
        if top != "cm":
            fail("a method added to something other than a class")
        return "c"
    if o == O.ADD_FIELD:
        if top[0] != "c":
            fail("a field added to something other than a class")
        return "c"
    if o == O.GET_ITER:
        return "i"
    if o == O.JUMP_IF_NIL_KEEP:
        return top
    return "v" * O.pushes(o, a)


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


KIND_CLASSES = {"s": {str}, "l": {list}, "d": {dict}, "c": {Class}, "f": {Function}, "m": {Function},
                "i": {Iter}}
CELL, INSTANCE = {Cell}, {Instance}


def check_frames(frames, states, fail, is_value, home, top_waits=False):
    """Each frame's operand stack must be what its code has at that instruction, entry by entry; the frames below
    the top wait for a call's result, which is not pushed yet. Its locals: a cell where the code reads one, a value
    elsewhere, an instance as a method's `this`; its handlers the ones the code set up. `states` maps id(code) to
    check_code's answer; is_value(v) says whether v may be held where a value is; home maps a private built-in to
    the globals of the code that may call it (see check_graph). top_waits: the top frame waits for a call's result
    too (a task waiting in a built-in call).
    The frames stopped at one instruction of one code take the same checks: each such group is checked at once,
    column by column (a deep recursion is thousands of frames in a few groups)."""
    if not frames:
        fail("no frames")
    last = len(frames) if top_waits else len(frames) - 1
    groups = {}
    for f in frames[:last]:
        groups.setdefault((f.code, f.ip), []).append(f)
    for (code, ip), group in groups.items():
        check_group(code, ip, group, True, states, fail, is_value, home)
    for f in frames[last:]:
        check_group(f.code, f.ip, [f], False, states, fail, is_value, home)


def check_group(code, ip, group, waits, states, fail, is_value, home):
    """check_frames for frames of `code` stopped at `ip`; `waits`: they wait for a call's result."""
    st = states[id(code)][ip]
    if st is None:
        fail("operand stack does not match the code")
    kinds = st.kinds
    if waits:
        if not kinds or kinds[-1] != "v" or code.instrs[ip - 1][0] not in WAITS:
            fail("a frame below the top that is not waiting for a call")
        kinds = kinds[:-1]
    stacks = list(map(attrgetter("stack"), group))
    if not all(map(len(kinds).__eq__, map(len, stacks))):
        fail("operand stack does not match the code")
    for k, entries in zip(kinds, zip(*stacks)):        # an entry of every frame's stack at a time
        types = set(map(type, entries))
        if k == "v":
            if not types <= PLAIN_VALUES:
                for f, v in zip(group, entries):
                    if not is_value(v) and not (v.__class__ is Native and home.get(id(v)) == id(f.func.globals)):
                        fail("bad value on the operand stack")
        elif not types <= KIND_CLASSES[k] or k == "m" and not all(v.code.is_method for v in entries) or \
                k == "f" and any(v.code.is_method for v in entries):
            fail("operand stack does not match the code")
    if any(map(st.handlers.__ne__, map(tuple, map(attrgetter("handlers"), group)))):
        fail("bad handler")
    locals_ = list(map(attrgetter("locals"), group))
    if not all(map(code.nlocals.__eq__, map(len, locals_))):
        fail("bad local variable")
    cells_used = cell_slots(code)
    for s, slot in enumerate(zip(*locals_)):            # a slot of every frame at a time
        types = set(map(type, slot))
        if s in st.cells:
            if types != CELL:
                fail("a frame's cell is not a cell")
            continue
        if Cell in types:
            if s not in cells_used:
                fail("a cell where a frame holds a value")
            types.discard(Cell)
        if not types <= PLAIN_VALUES and not all(is_value(v) for v in slot if v.__class__ is not Cell):
            fail("bad local variable")
    if code.is_method:
        this = [v.value if v.__class__ is Cell else v for v in map(itemgetter(0), locals_)]
        if set(map(type, this)) != INSTANCE:
            fail("a method running on something other than an instance")
    results = [f.result for f in group if f.result is not NO_RESULT]
    if results and not set(map(type, results)) <= PLAIN_VALUES and not all(map(is_value, results)):
        fail("bad frame result")


# The instructions after which a frame waits for the frame above it: calls, and `use` of a file (its top level
# runs in a frame of its own).
WAITS = {O.CALL, O.CALL_ARRAY, O.INVOKE, O.USE, O.USING, O.USING_ISOLATED}


VALUES = frozenset({type(None), bool, float, str, list, dict, Function, Native, Class, Instance, BoundMethod, Module,
                    Buffer, Resource, Task})
PLAIN_VALUES = VALUES - {Native}    # a native may be private: see check_graph's is_value


def private(native):
    """A built-in that only a module's own Neutron code calls (`http._serve`, the methods' `prelude.__extend`): a
    program cannot name it."""
    mod, _, name = native.qualname.partition(".")
    return mod == "prelude" or name.startswith("_")


def check_graph(groups, homes, fail):
    """The kinds of the references between the objects read: a value where a value is held (never a cell, code
    or iterator), an instance's class a class, a class's methods methods, a bound method's receiver and function
    fit for each other, an iterator's keys strings. A private built-in may be held only by the globals of its
    module's own Neutron functions (`homes`: id of that dict -> (the module's name, 'prelude' for the methods'
    prelude; the ids of its functions' code, see home_codes; the dict)), under its own name, and only that code
    may run with those globals.
    `groups` maps each class to the objects of that class. Returns (is_value, home) for check_frames."""
    privates = {id(o): o for o in groups.get(Native, ()) if private(o)}
    home = {}
    for mod, codes, d in homes.values():
        for k, v in d.items():
            if v.__class__ is Native and id(v) in privates and v.qualname == f"{mod}.{k}":
                home[id(v)] = id(d)

    def is_value(v):
        return v.__class__ in VALUES and (v.__class__ is not Native or id(v) not in privates)

    def privates_in(seq):
        """The private built-ins among the items of the list `seq`; None if an item is not a value at all."""
        kinds = set(map(type, seq))
        if not kinds <= VALUES:
            return None
        if Native not in kinds or not privates:
            return ()
        return [v for v in compress(seq, map(is_, map(type, seq), repeat(Native))) if id(v) in privates]

    def all_values(seq):
        """Whether every item of `seq` (an iterable) may be held where a value is."""
        return privates_in(seq if seq.__class__ is list else list(seq)) == ()

    if not all_values(chain.from_iterable(groups.get(list, ()))):
        fail("bad array element")
    found = privates_in(list(chain.from_iterable(map(dict.values, groups.get(dict, ())))))
    # each private built-in at most once among the objects' members: in its home, under its name
    if found is None or found and not all(id(v) in home for v in found) or len(set(map(id, found))) != len(found):
        fail("bad object member")
    if not all_values(map(attrgetter("value"), groups.get(Cell, ()))):
        fail("bad captured variable")
    # (an instance's class is checked as it is read: reader.load_instance)
    if not all_values(chain.from_iterable(map(dict.values, map(attrgetter("fields"), groups.get(Instance, ()))))):
        fail("bad instance")
    for o in groups.get(Class, ()):
        if not all(m.__class__ is Function and m.code.is_method for m in o.methods.values()):
            fail("bad method")
    for o in groups.get(BoundMethod, ()):
        m = o.method
        if not is_value(o.receiver) or not (m.__class__ is str or m.__class__ is Function and m.code.is_method
                                             and o.receiver.__class__ is Instance):
            fail("bad bound method")
    for o in groups.get(Function, ()):
        if o.name.__class__ is not str:
            fail("bad function")
        if id(o.globals) in homes and id(o.code) not in homes[id(o.globals)][1]:
            fail("a function running in a built-in module's globals")
    for o in groups.get(Iter, ()):
        if o.keys is not None and not all(x.__class__ is str for x in o.keys):
            fail("bad loop iterator")
    if not all_values(chain.from_iterable(r.info.values() for r in groups.get(Resource, ()))):
        fail("bad resource")
    for t in groups.get(Task, ()):
        if not is_value(t.result) or not all_values(t.mailbox) or \
                t.wake is not None and not is_value(t.wake[1]) or t.error is not None and not is_value(t.error[0]):
            fail("bad task")
    return is_value, home


def home_codes(g):
    """The ids of the code of the functions in the globals `g` of a built-in module's Neutron part, and of the
    functions they make."""
    out = set()
    todo = [f.code for f in g.values() if f.__class__ is Function]
    while todo:
        c = todo.pop()
        if c.__class__ is Code and id(c) not in out:
            out.add(id(c))
            todo += [k for k in c.consts if k.__class__ is Code]
    return out
