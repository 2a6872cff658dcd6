"""map, filter and forEach with a compiled one-parameter callback, reduce with a two-parameter one, looped in Python
rather than in the prelude's Neutron code (by Python's map, filter and reduce for a callback that cannot reach a
checkpoint); sort with a comparator that cannot reach a checkpoint, by Python's sort."""
from __future__ import annotations

from functools import cmp_to_key as _cmp_to_key, partial as _partial, reduce as _reduce
from itertools import islice as _islice

from ..bytecode import opcodes as O
from ..bytecode.code import Code, compute_depths
from ..errors import NeutronError
from ..runtime import frames as FR
from ..runtime.values import type_name
from .exceptions import Unsupported
from .tags import BOO, FLT
from .typeflow import type_flow

# A capture inside the callback turns such a loop into the prelude function's frame at its callback call. Which
# local slot holds what is read from the prelude's code (layout), so a change of its slot order is followed; a prelude
# whose code no longer has the expected shape is run as Neutron code instead (Tier.fast_loop).

def map_loop(d, arr, f, p, n):
    out = []
    for x in _islice(arr, n):       # reads arr[i] afresh, stops at the first length or the current one
        out.append(p(d, f, x))
    return out


def filter_loop(d, arr, f, p, n):
    out = []
    i = 0
    for i, x in enumerate(_islice(arr, n)):
        r = p(d, f, x)
        if r is not None and r is not False:
            out.append(x)
    return out


def for_each_loop(d, arr, f, p, n):
    i = 0
    for i, x in enumerate(_islice(arr, n)):
        p(d, f, x)
    return None


def reduce_loop(d, arr, f, p, n, init):
    acc = init
    i = 0
    for i, x in enumerate(_islice(arr, n)):
        acc = p(d, f, acc, x)
    return acc


# The same loops for a pure callback (PURE_CALLBACK): Python's map, filter and reduce call it, with nothing to
# describe to a capture in between. filter's test is Python's truth of the answer, Neutron's for the booleans alone
# (returns_bools).

def map_pure(d, arr, f, p, n):
    return list(map(_partial(p, d, f), _islice(arr, n)))


def filter_pure(d, arr, f, p, n):
    return list(filter(_partial(p, d, f), _islice(arr, n)))


def reduce_pure(d, arr, f, p, n, init):
    return _reduce(_partial(p, d, f), _islice(arr, n), init)


PURE_LOOPS = {"map": map_pure, "filter": filter_pure, "reduce": reduce_pure}


def fast_pure(tier, name, code, F, ip):
    """map_pure, filter_pure or reduce_pure for a callback of this code that may be called by them (the prelude
    function F calls its callback at ip), else False."""
    key = ("pure", name, code)
    entry = tier.fast.get(key)
    if entry is None:
        entry = False
        loop = PURE_LOOPS.get(name)
        if loop is not None and pure_callback(code) and (name != "filter" or returns_bools(tier, code)):
            tier.fast_codes[loop.__code__] = (F, ip, _no_capture)
            entry = loop
        tier.fast[key] = entry
    return entry


def sort_pure(d, arr, f, p):
    """arr.sort(f) for a comparator that makes no call and stores nothing but its own locals: no checkpoint can
    happen inside it and nothing sees how often or in which order it runs, so Python's sort (stable, as the
    prelude's merge sort) asks it, through the same test of its answer as __before. The array changes only once
    every comparison is done, as in the prelude."""
    def c(x, y):
        r = p(d, f, x, y)
        cls = r.__class__
        if cls is float or cls is int:
            return r
        if cls is bool:
            return -1 if r else 0
        raise NeutronError(f"sort() comparator must return a number or a boolean, got {type_name(r)}.")
    arr[:] = sorted(arr, key=_cmp_to_key(c))
    return None


def sort_numeric(d, arr, f, p):
    """sort_pure for a comparator that can only return numbers (returns_numbers): Python's sort calls it directly,
    with no test of its answer in between (`answer < 0` is what that test leaves to the sort for a number)."""
    arr[:] = sorted(arr, key=_cmp_to_key(_partial(p, d, f)))
    return None


def sort_keyed(d, arr, f, p, kp, sign):
    """arr.sort(f) for a pure comparator `g(a) - g(b)` (sign 1) or `g(b) - g(a)` (sign -1), kp compiled from g
    (key_code): when g gives a number for every element, Python's sort by the key sign * g(x). `c(x, y) < 0`, what
    sort_numeric asks of each pair, is then `sign * g(x) < sign * g(y)` for any two doubles (a difference of two
    finite doubles is 0 only when they are equal; infinities and NaN make both false; -0.0 equals 0.0), so the sort
    (the same algorithm, asked the same questions) puts the array in the same order, asking g once per element
    rather than the comparator once per comparison. Anything else (an error, a value that is not a number) sorts
    by the comparator, as sort_numeric, which meets it again where it would have."""
    try:
        keys = [kp(d, f, x) for x in arr]
    except Exception:           # (pure code: run again by the comparator, it fails where it fails)
        keys = None
    if keys is not None:
        for k in keys:
            if k.__class__ is not float:
                keys = None
                break
    if keys is None:
        arr[:] = sorted(arr, key=_cmp_to_key(_partial(p, d, f)))
        return None
    if sign < 0:
        keys = [-k for k in keys]
    order = sorted(range(len(arr)), key=keys.__getitem__)
    arr[:] = [arr[i] for i in order]
    return None


def _keyed(tier, kcode, sign, d, arr, f, p):
    """sort_keyed with the key's function compiled (once, with the globals of the comparator's function); by the
    comparator when that cannot be compiled."""
    kp = tier.fast.get(kcode)
    if kp is None:
        try:
            kp = tier.build(kcode, None, f.globals)
        except Unsupported:
            kp = False
        tier.fast[kcode] = kp
    if kp is False:
        return sort_numeric(d, arr, f, p)
    return sort_keyed(d, arr, f, p, kp, sign)


def key_code(code):
    """For a comparator whose code is `return E(a) - E(b);` with E a straight expression of one parameter alone
    (the same instructions for both): (a one-parameter code object computing E, 1), or -1 for `E(b) - E(a)`;
    else None."""
    instrs = code.instrs
    ops = [o for o, _ in instrs]
    if len(code.params) != 2 or code.cell_params or O.RETURN not in ops:
        return None
    r = ops.index(O.RETURN)
    if r < 3 or ops[r - 1] != O.SUB or (r - 1) % 2 or ops[r + 1:] not in ([], [O.NIL, O.RETURN]):
        return None
    m = (r - 1) // 2
    x, y = instrs[:m], instrs[m:2 * m]
    slots = {a for o, a in x if o == O.LOAD_LOCAL}
    if len(slots) != 1 or any(o in O.JUMPS or o not in PURE_CALLBACK or o in (O.STORE_LOCAL, O.RETURN)
                              for o, _ in x):
        return None
    s = slots.pop()
    if s not in (0, 1) or [(o, (1 - s) if o == O.LOAD_LOCAL else a) for o, a in x] != y:
        return None
    k = Code(code.name, code.filename)
    k.params = [code.params[s]]
    k.param_types = [None]
    k.instrs = [(o, 0 if o == O.LOAD_LOCAL else a) for o, a in x] + [(O.RETURN, None)]
    k.consts = code.consts
    k.names = code.names
    k.lines = list(code.lines[:m]) + [code.lines[r]]
    k.cols = list(code.cols[:m]) + [-1]
    k.nlocals = 1
    k.freevars = code.freevars
    try:
        depth = compute_depths(k)
    except AssertionError:
        return None
    if depth[m] != 1:
        return None
    return k, (1 if s == 0 else -1)


def returns_numbers(tier, code, tag=FLT):
    """Whether every return of `code` returns a number (a value of this tag), by the type analysis (whatever its
    arguments)."""
    state = type_flow(tier.analysis(code), [(0, {}, ())])
    returns = [ip for ip, (o, _a) in enumerate(code.instrs) if o == O.RETURN]
    return bool(returns) and all(ip not in state or state[ip][1][-1:] == (tag,) for ip in returns)


def returns_bools(tier, code):
    return returns_numbers(tier, code, BOO)


# What a callback may do to be called by Python's own sort, map, filter or reduce (sort_pure, map_pure, ...): read
# locals, captured variables, globals, fields and elements, compute, branch, return. It makes no call, so no checkpoint
# can happen inside it (a request from outside waits: _no_capture), and an error ends the loop as in the prelude.
PURE_CALLBACK = {O.CONST, O.NIL, O.TRUE, O.FALSE, O.POP, O.DUP, O.LOAD_LOCAL, O.STORE_LOCAL, O.LOAD_FREE,
                   O.LOAD_GLOBAL, O.GET_PROP, O.GET_PROP_OPT, O.GET_INDEX, O.ADD, O.SUB, O.MUL, O.DIV, O.MOD, O.EQ,
                   O.NE, O.LT, O.LE, O.GT, O.GE, O.BAND, O.BOR, O.BXOR, O.SHL, O.SHR, O.NEG, O.NOT, O.BNOT, O.JUMP,
                   O.JUMP_IF_FALSE, O.JUMP_IF_TRUE, O.JUMP_IF_FALSE_KEEP, O.JUMP_IF_TRUE_KEEP, O.JUMP_IF_NIL_KEEP,
                   O.RETURN}


def pure_callback(code):
    return not code.cell_params and all(o in PURE_CALLBACK for o, _ in code.instrs)


def callback_call(code, depth, nargs, fslot=1):
    """The index of the CALL that calls the local `fslot` with nargs arguments, or None."""
    instrs = code.instrs
    for ip, (o, a) in enumerate(instrs):
        if o == O.CALL and a == nargs and depth[ip] is not None:
            want = depth[ip] - nargs - 1
            j = ip - 1
            while j >= 0 and depth[j] != want:
                j -= 1
            if j >= 0 and instrs[j] == (O.LOAD_LOCAL, fslot):
                return ip
    return None


# What stores a local first tells what it holds: the prelude functions begin
# `var n = __callback_arity(f, ...); var len = arr.length; var out = []; for (var i = 0; ...) { var x = arr[i];
# var keep; ...`, and their parameters are (arr, f).
FIRST_STORE = {O.CALL: "n", O.GET_PROP: "len", O.BUILD_LIST: "out", O.CONST: "i", O.GET_INDEX: "x", O.NIL: "keep"}


REDUCE_FIRST_STORE = {O.CALL: "n", O.LOAD_LOCAL: "acc", O.CONST: "i", O.GET_PROP: "len"}


def layout(code, params=("arr", "f"), first_store=FIRST_STORE):
    """[role of each local slot] of a prelude function, from the instruction before each slot's first store; None
    when a slot has no known role or a role two slots."""
    roles = list(params) + [None] * (code.nlocals - len(params))
    instrs = code.instrs
    for i in range(1, len(instrs)):
        o, a = instrs[i]
        if o == O.STORE_LOCAL and a < code.nlocals and roles[a] is None:
            roles[a] = first_store.get(instrs[i - 1][0])
            if roles[a] is None:
                return None
    return roles if None not in roles and len(set(roles)) == len(roles) else None


# name -> (loop function, prelude function, the roles of the operand-stack entries below the callee at the
# callback call, values(f_locals of the loop) -> {role: the prelude frame's value})
FAST_LOOPS = {
    "map": (map_loop, "__array_map", ["out"],
            lambda L: {"arr": L["arr"], "f": L["f"], "n": 1.0, "len": float(L["n"]), "out": L["out"],
                       "i": float(len(L["out"]))}),
    "filter": (filter_loop, "__array_filter", [],
               lambda L: {"arr": L["arr"], "f": L["f"], "n": 1.0, "len": float(L["n"]), "out": L["out"],
                          "i": float(L["i"]), "x": L["x"], "keep": None}),
    "forEach": (for_each_loop, "__array_for_each", [],
                lambda L: {"arr": L["arr"], "f": L["f"], "n": 1.0, "len": float(L["n"]), "i": float(L["i"])}),
}

# reduce with an initial value and a two-parameter callback: (loop, prelude function, its parameters, first stores,
# stack entries below the callee, values)
REDUCE_LOOP = (reduce_loop, "__array_reduce", ("arr", "f", "init", "has_init"), REDUCE_FIRST_STORE, [],
               lambda L: {"arr": L["arr"], "f": L["f"], "init": L["init"], "has_init": True, "n": 2.0,
                          "len": float(L["n"]), "acc": L["acc"], "i": float(L["i"])})


def frame_state(roles, below, values):
    """state(f_locals) -> (the prelude frame's locals, its stack entries below the callee)."""
    def state(L):
        v = values(L)
        return [v[r] for r in roles], [v[r] for r in below]
    return state


def _no_capture(L):
    raise FR.NotASafepoint("compiled tier: a checkpoint inside a callback that makes no call")


def fast_reduce(tier):
    """reduce_loop, or False when the prelude's __array_reduce no longer has the expected shape."""
    entry = tier.fast.get("reduce")
    if entry is None:
        entry = False
        loop, pname, params, first, below, values = REDUCE_LOOP
        F = tier.vm.prelude_function(pname)
        code = F.code
        depth = tier.analysis(code).depth
        ip = callback_call(code, depth, 2)
        roles = layout(code, params, first)
        if ip is not None and roles is not None and depth[ip] == len(below) + 3 and \
                set(roles) == {"arr", "f", "init", "has_init", "n", "len", "acc", "i"}:
            tier.fast_codes[loop.__code__] = (F, ip, frame_state(roles, below, values))
            entry = loop
        tier.fast["reduce"] = entry
    return entry


def fast_sort(tier, code):
    """sort_pure when `code` (a two-parameter comparator) is pure and the prelude's __array_sort calls its
    comparator where expected (the line a stack trace shows); else False."""
    key = ("sort", code)
    entry = tier.fast.get(key)
    if entry is None:
        entry = False
        if pure_callback(code):
            F = tier.vm.prelude_function("__array_sort")
            ip = callback_call(F.code, tier.analysis(F.code).depth, 2)
            if ip is not None:
                entry = sort_numeric if returns_numbers(tier, code) else sort_pure
                tier.fast_codes[entry.__code__] = (F, ip, _no_capture)
                kc = key_code(code) if entry is sort_numeric else None
                if kc is not None:
                    entry = _partial(_keyed, tier, kc[0], kc[1])
                    tier.fast_codes[sort_keyed.__code__] = (F, ip, _no_capture)
        tier.fast[key] = entry
    return entry
