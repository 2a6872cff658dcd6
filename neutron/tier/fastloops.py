"""map, filter and forEach with a compiled one-parameter callback, looped in Python rather than in the prelude's
Neutron code."""
from __future__ import annotations

from itertools import islice as _islice

from ..bytecode import opcodes as O

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


# What stores a local first tells what it holds: the prelude functions begin
# `var n = __callback_arity(f, ...); var len = arr.length; var out = []; for (var i = 0; ...) { var x = arr[i];
# var keep; ...`, and their parameters are (arr, f).
FIRST_STORE = {O.CALL: "n", O.GET_PROP: "len", O.BUILD_LIST: "out", O.CONST: "i", O.GET_INDEX: "x", O.NIL: "keep"}


def layout(code):
    """[role of each local slot] of a prelude function, from the instruction before each slot's first store; None
    when a slot has no known role or a role two slots."""
    roles = ["arr", "f"] + [None] * (code.nlocals - 2)
    instrs = code.instrs
    for i in range(1, len(instrs)):
        o, a = instrs[i]
        if o == O.STORE_LOCAL and a < code.nlocals and roles[a] is None:
            roles[a] = FIRST_STORE.get(instrs[i - 1][0])
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


def frame_state(roles, below, values):
    """state(f_locals) -> (the prelude frame's locals, its stack entries below the callee)."""
    def state(L):
        v = values(L)
        return [v[r] for r in roles], [v[r] for r in below]
    return state
