"""map, filter and forEach with a compiled one-parameter callback, looped in Python rather than in the prelude's
Neutron code."""
from __future__ import annotations

from itertools import islice as _islice

# map, filter and forEach given a compiled one-parameter function loop here rather than in the prelude's Neutron
# code. A capture inside the callback turns such a loop into the prelude function's frame at its callback call:
# (loop function, prelude function, its local count, operand-stack entries below the callee, state(f_locals) ->
# (locals, those entries)). The prelude's own layout is checked against these on first use (Tier.fast_loop).

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


FAST_LOOPS = {
    "map": (map_loop, "__array_map", 6, 1,
            lambda L: ([L["arr"], L["f"], 1.0, float(L["n"]), L["out"], float(len(L["out"]))], [L["out"]])),
    "filter": (filter_loop, "__array_filter", 8, 0,
               lambda L: ([L["arr"], L["f"], 1.0, float(L["n"]), L["out"], float(L["i"]), L["x"], None], [])),
    "forEach": (for_each_loop, "__array_for_each", 5, 0,
                lambda L: ([L["arr"], L["f"], 1.0, float(L["n"]), float(L["i"])], [])),
}
