"""Type tags: what the tier knows statically of a value's type, and what operators and built-in methods make of
known operand types."""
from __future__ import annotations

from ..bytecode import opcodes as O
from ..runtime.values import Instance

FLT, STR, LST, DCT, INS, BOO, SEQ = "f", "s", "l", "d", "i", "b", "q"     # SEQ: a list or a string
CHECKED_TAG = {"string": STR, "array": LST, "object": DCT, "bool": BOO}
SPEC_TEST = {FLT: "{0}.__class__ is float", SEQ: "({0}.__class__ is list or {0}.__class__ is str)",
             STR: "{0}.__class__ is str", DCT: "{0}.__class__ is dict"}
TAG_OF_CLASS = {float: FLT, str: STR, list: LST, dict: DCT, bool: BOO}


# What some built-in methods return, for a receiver known to be a string or an array (a wrong argument is an error).
STR_RESULTS = {"split": LST, "lines": LST, "toUpperCase": STR, "toLowerCase": STR, "upper": STR, "lower": STR,
               "trim": STR, "strip": STR, "replace": STR, "replaceAll": STR, "substring": STR, "slice": STR,
               "repeat": STR, "charAt": STR, "indexOf": FLT, "startsWith": BOO, "endsWith": BOO, "contains": BOO,
               "includes": BOO}
LIST_RESULTS = {"join": STR, "indexOf": FLT, "slice": LST, "concat": LST, "includes": BOO, "contains": BOO,
                "copy": LST, "clone": LST}


STRING_ONLY = {"split", "lines", "toUpperCase", "toLowerCase", "upper", "lower", "trim", "strip", "replace",
               "replaceAll", "substring", "repeat", "charAt", "startsWith", "endsWith"}


def string_method(name):
    """Whether strings have a built-in method of this name."""
    from ..runtime import methods as B    # lazy: start-up, on first use as the VM does
    return name in B.STRING_METHODS


def _fits(entry, n):
    _fn, lo, hi = entry
    return lo <= n and (hi is None or n <= hi)


def builtin_methods(name, argc):
    """[(receiver type name, function)] of the built-in string and array methods that `recv.name(argc
    arguments)` calls directly, as the VM would after its table look-up and arity check. None of them runs
    Neutron code (the array methods that take a callback are left out)."""
    from ..runtime import methods as B    # lazy: start-up, on first use as the VM does
    out = []
    entry = B.ARRAY_METHODS.get(name)
    if entry is not None and name not in B.ARRAY_CALLBACK_METHODS and _fits(entry, argc):
        if entry[0] is B.a_push and argc == 1:
            out.append(("list", "append"))      # a_push: extend by the arguments, return nil
        else:
            out.append(("list", entry[0]))
    entry = B.STRING_METHODS.get(name)
    if entry is not None and _fits(entry, argc):
        out.append(("str", entry[0]))
    return out


def pure_invoke(receiver, name, argc):
    """Whether `recv.name(args)` with a receiver of this tag calls a built-in method directly (no Neutron code
    runs: Calls.invoke)."""
    if receiver != LST and receiver != STR:
        return False
    kind = "list" if receiver == LST else "str"
    return any(k == kind for k, _fn in builtin_methods(name, argc))


def method_result_tag(receiver, name):
    if receiver == STR:
        return STR_RESULTS.get(name)
    if receiver == LST:
        return LIST_RESULTS.get(name)
    return None


def tag_of(v):
    """The type tag of a value (None for the types the tier does not track)."""
    t = TAG_OF_CLASS.get(v.__class__)
    if t is None and v.__class__ is Instance:
        return INS
    return t


TAG_OF_VALUE = {**TAG_OF_CLASS, Instance: INS}


def tags_of(values):
    """tag_of of each value, as a tuple (one C-level loop: a resume makes a continuation for each of its frames)."""
    return tuple(map(TAG_OF_VALUE.get, map(type, values)))


def binary_tag(o, a, b):
    """The tag of `a o b` from its operands' tags, as binary_slow computes it (or fails)."""
    if o == O.ADD:
        if a == FLT and b == FLT:
            return FLT
        if a is not None and b is not None and (a != FLT or b != FLT):
            return STR          # not two numbers: both are printed and joined
        return STR if a == STR or b == STR else None
    if o == O.MUL:
        if a == FLT and b == FLT:
            return FLT
        return STR if a == STR or b == STR else None
    return FLT                  # -, /, % and bitwise operators return numbers or fail
