"""arrays: functions on arrays (the array is always the first argument).

    new() length(a) push(a, v) -> nil  pop(a)  at(a, i)  set(a, i, v) -> v  insert(a, i, v) -> nil
    slice(a, start[, end])  (negative positions count from the end)   concat(a, b, ...) -> new array
    join(a[, sep = ","])  to_string(a)  clone(a) (shallow)  flat(a[, depth = 1])  unique(a) -> new array
    index_of(a, v) last_index_of(a, v) -> index or -1   contains(a, v)   remove(a, v) -> bool (first equal)
    remove_at(a, i) -> the removed element   range(end) range(start, end[, step]) -> [start, start+step, ...)
    In place, returning the array: reverse(a) clear(a) fill(a, v[, start[, end]]) shuffle(a)
    sort(a[, compare])   default order: numbers ascending, then strings, then the rest as they were;
                         compare(x, y) returns a number (< 0: x first) or a boolean (true: x first). Stable.
    With a callback: map(a, f) filter(a, f) find(a, f) -> element or nil  find_index(a, f) -> index or -1
                     every(a, f) some(a, f) flat_map(a, f) for_each(a, f) -> nil  reduce(a, f[, initial])
    A callback gets (element), (element, index) or (element, index, array), as many as it declares;
    reduce's gets (accumulator, element[, index[, array]]); an initial value of nil counts as none.
    Only nil and false count as false.
Elements are compared with `==`.
"""
from __future__ import annotations

import math

from ..errors import NeutronError
from ..runtime import methods
from .native import NativeModule, arg_error, arg_list, arg_num, opt
from ..runtime.values import BoundMethod, Class, Function, Native, format_number, to_str
from .math import random_float

module = NativeModule("arrays")

MAX_RANGE = 50_000_000


def _index(args, i, fname, name="index"):
    x = arg_num(args, i, fname, name)
    if not math.isfinite(x):
        raise NeutronError(f"{fname}: argument {i + 1} ({name}) must be a finite number.")
    return int(x)


def _out_of_bounds(fname, i, arr):
    return NeutronError(f"{fname}: index {i} is out of bounds for an array of length {len(arr)}.")


def _position(x, n):
    """A slice/fill position: negative counts from the end, then clamped to [0, n]."""
    if x < 0:
        x += n
    return 0 if x < 0 else n if x > n else x


@module.function("new", 0)
def new(vm, args):
    return []


@module.function("length", 1)
def length(vm, args):
    return float(len(arg_list(args, 0, "arrays.length")))


@module.function("push", 2)
def push(vm, args):
    arg_list(args, 0, "arrays.push").append(args[1])
    return None


@module.function("pop", 1)
def pop(vm, args):
    arr = arg_list(args, 0, "arrays.pop")
    if not arr:
        raise NeutronError("arrays.pop: cannot pop from an empty array.")
    return arr.pop()


@module.function("at", 2)
def at(vm, args):
    arr = arg_list(args, 0, "arrays.at")
    i = _index(args, 1, "arrays.at")
    if not 0 <= i < len(arr):
        raise _out_of_bounds("arrays.at", i, arr)
    return arr[i]


@module.function("set", 3)
def set_(vm, args):
    arr = arg_list(args, 0, "arrays.set")
    i = _index(args, 1, "arrays.set")
    if not 0 <= i < len(arr):
        raise _out_of_bounds("arrays.set", i, arr)
    arr[i] = args[2]
    return args[2]


@module.function("insert", 3)
def insert(vm, args):
    arr = arg_list(args, 0, "arrays.insert")
    i = _index(args, 1, "arrays.insert")
    if not 0 <= i <= len(arr):
        raise _out_of_bounds("arrays.insert", i, arr)
    arr.insert(i, args[2])
    return None


@module.function("slice", 2, 3)
def slice_(vm, args):
    arr = arg_list(args, 0, "arrays.slice")
    n = len(arr)
    start = _position(_index(args, 1, "arrays.slice", "start"), n)
    end = n if opt(args, 2) is None else _position(_index(args, 2, "arrays.slice", "end"), n)
    return arr[start:end]


@module.function("concat", 1, None)
def concat(vm, args):
    out = list(arg_list(args, 0, "arrays.concat"))
    for v in args[1:]:
        if v.__class__ is list:
            out.extend(v)
        else:
            out.append(v)
    return out


@module.function("join", 1, 2)
def join(vm, args):
    arr = arg_list(args, 0, "arrays.join")
    sep = opt(args, 1)
    sep = "," if sep is None else to_str(sep)
    return sep.join(to_str(x) for x in arr)


@module.function("to_string", 1)
def to_string(vm, args):
    return to_str(arg_list(args, 0, "arrays.to_string"))


@module.function("clone", 1)
def clone(vm, args):
    return list(arg_list(args, 0, "arrays.clone"))


@module.function("flat", 1, 2)
def flat(vm, args):
    arr = arg_list(args, 0, "arrays.flat")
    depth = opt(args, 1)
    if depth is None:
        depth = 1
    else:
        depth = arg_num(args, 1, "arrays.flat", "depth")
        if depth != depth or depth < 0:
            raise NeutronError("arrays.flat: depth must be a non-negative number.")
        depth = math.ceil(min(depth, 10_000))
    try:
        return methods.flatten(arr, depth)      # iterative, with a bound on the work (self-containing arrays)
    except NeutronError:
        raise NeutronError("arrays.flat: the result is too large.") from None


@module.function("unique", 1)
def unique(vm, args):
    return methods.unique(arg_list(args, 0, "arrays.unique"))


@module.function("index_of", 2)
def index_of(vm, args):
    return float(methods.find(arg_list(args, 0, "arrays.index_of"), args[1]))


@module.function("last_index_of", 2)
def last_index_of(vm, args):
    return float(methods.rfind(arg_list(args, 0, "arrays.last_index_of"), args[1]))


@module.function("contains", 2)
def contains(vm, args):
    return methods.find(arg_list(args, 0, "arrays.contains"), args[1]) >= 0


@module.function("remove", 2)
def remove(vm, args):
    arr = arg_list(args, 0, "arrays.remove")
    i = methods.find(arr, args[1])
    if i < 0:
        return False
    del arr[i]
    return True


@module.function("remove_at", 2)
def remove_at(vm, args):
    arr = arg_list(args, 0, "arrays.remove_at")
    i = _index(args, 1, "arrays.remove_at")
    if not 0 <= i < len(arr):
        raise _out_of_bounds("arrays.remove_at", i, arr)
    return arr.pop(i)


@module.function("reverse", 1)
def reverse(vm, args):
    arr = arg_list(args, 0, "arrays.reverse")
    arr.reverse()
    return arr


@module.function("clear", 1)
def clear(vm, args):
    arr = arg_list(args, 0, "arrays.clear")
    arr.clear()
    return arr


@module.function("fill", 2, 4)
def fill(vm, args):
    arr = arg_list(args, 0, "arrays.fill")
    n = len(arr)
    start = 0 if opt(args, 2) is None else _position(_index(args, 2, "arrays.fill", "start"), n)
    end = n if opt(args, 3) is None else _position(_index(args, 3, "arrays.fill", "end"), n)
    for i in range(start, end):
        arr[i] = args[1]
    return arr


@module.function("shuffle", 1)
def shuffle(vm, args):
    arr = arg_list(args, 0, "arrays.shuffle")
    # Fisher-Yates with the program's generator, so that a resumed program continues the same sequence
    for i in range(len(arr) - 1, 0, -1):
        j = int(random_float(vm) * (i + 1))
        if j > i:
            j = i
        arr[i], arr[j] = arr[j], arr[i]
    return arr


@module.function("range", 1, 3)
def range_(vm, args):
    if len(args) == 1 or opt(args, 1) is None:
        start, end = 0.0, arg_num(args, 0, "arrays.range", "end")
    else:
        start = arg_num(args, 0, "arrays.range", "start")
        end = arg_num(args, 1, "arrays.range", "end")
    step = opt(args, 2)
    step = 1.0 if step is None else arg_num(args, 2, "arrays.range", "step")
    if step == 0 or step != step:
        raise NeutronError("arrays.range: step must not be zero.")
    if not (math.isfinite(start) and math.isfinite(end) and math.isfinite(step)):
        raise NeutronError("arrays.range: start, end and step must be finite.")
    count = math.ceil((end - start) / step)
    if count <= 0:
        return []
    if count > MAX_RANGE:
        raise NeutronError(f"arrays.range: too many elements ({format_number(float(count))}).")
    return [start + i * step for i in range(count)]


def _sort_key(v):
    cls = v.__class__
    if cls is float or cls is int:
        return (0, 1, 0.0) if v != v else (0, 0, v)
    if cls is str:
        return (1, 0, v)
    return (2, 0, 0)


@module.function("_sort", 1)
def _sort(vm, args):
    arr = arg_list(args, 0, "arrays.sort")
    arr.sort(key=_sort_key)     # list.sort is stable: values of the third group keep their order
    return arr


# ---- helpers for the functions written in Neutron below ---------------------------------------------------------

def is_callable(v) -> bool:
    return v.__class__ in (Function, Native, BoundMethod, Class)


@module.function("_callback", 3)
def _callback(vm, args):
    fname = args[2]
    arg_list(args, 0, fname)
    f = args[1]
    if not is_callable(f):
        raise arg_error(f, 1, fname, "callback", "a function")
    return float(methods.param_count(f))  # how many of (element, index, array) it takes


@module.function("_fail", 1)
def _fail(vm, args):
    raise NeutronError(to_str(args[0]))


# Prelude functions whose trailing parameters may be left out (they are nil then): name -> minimum arguments.
module.prelude_min_args = {"sort": 1, "reduce": 2}

# The callback functions (arrays.nt) check their arguments, then use the built-in array methods, which are Neutron
# code too (runtime/prelude.nt): a checkpoint inside a callback resumes like any other call.
module.prelude = "arrays.nt"
