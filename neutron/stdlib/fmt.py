"""fmt: conversions between types, type tests, padding.

    to_int(v) to_float(v)    numbers, numeric strings ("42", " 3.5", "1e3", "12px" -> 12; "" -> 0), bools (1/0),
                             nil (0); to_int truncates toward zero
    to_str(v)                numbers as `say` prints them, strings unchanged, bools, nil -> "nil"
    to_bin(v) to_hex(v) to_oct(v)   the integer part in base 2/16/8 (to_bin: negatives as 32-bit two's complement;
                             to_hex and to_oct: non-negative only), lowercase, no prefix
    to_fixed(n, digits)      a number with exactly `digits` decimals ("3.14")
    type(v)                  "nil" "bool" "number" "string" "array" "object" "function" "module", else "unknown"
    is_int is_float is_string is_bool is_nil is_array is_object is_callable (v) -> bool
    pad_left(s, width[, pad]) pad_right(s, width[, pad])   pad (default " ") is repeated whole until the result
                             is at least `width` long; `s` may be any value (it is converted as to_str does)
Arrays, objects, functions and modules cannot be converted: an error.
"""
from __future__ import annotations

import math
import re

from ..errors import NeutronError
from .native import NativeModule, arg_error, arg_num, arg_str, opt
from ..runtime.values import (Buffer, BoundMethod, Class, Function, Instance, Module, Native, format_number, to_str,
                      type_name)

module = NativeModule("fmt")

# The longest numeric prefix, as C's strtod reads it (decimal only).
_NUM_PREFIX = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_SPECIAL = re.compile(r"\s*([+-]?)(inf|infinity|nan)\s*$", re.IGNORECASE)


def _number_from(fname, target, v):
    cls = v.__class__
    if cls is float or cls is int:
        return float(v)
    if cls is bool:
        return 1.0 if v else 0.0
    if v is None:
        return 0.0
    if cls is str:
        if "_" not in v:        # (Python's float reads 1_000, which C's strtod stops at)
            try:
                return float(v)     # the whole string a number: what the longest prefix would give
            except ValueError:
                pass
        if v.strip() == "":
            return 0.0
        m = _NUM_PREFIX.match(v)
        if m:
            return float(m.group(1))
        m = _SPECIAL.match(v)
        if m:
            return float(m.group(1) + m.group(2))
        # the reference's words
        raise NeutronError(f"Cannot convert string '{v}' to {'integer' if target == 'an integer' else 'float'}: "
                           f"invalid format.")
    raise NeutronError(f"{fname}: cannot convert {type_name(v)} to {target}.")


def _int_from(fname, v):
    x = _number_from(fname, "an integer", v)
    if not math.isfinite(x):
        raise NeutronError(f"{fname}: cannot convert {format_number(x)} to an integer.")
    return int(x)


def _fast_float(v):
    """to_float for a number, or a string that is a number as a whole (Python's float reads 1_000: not that)."""
    if v.__class__ is str and "_" in v:
        raise ValueError(v)
    return float(v)


def _fast_int(v):
    x = _fast_float(v)
    if x - x != 0.0:        # infinite or NaN: to_int's error
        raise ValueError(v)
    return float(int(x))


@module.function("to_int", 1, fast=_fast_int, fast_takes=(float, str))
def to_int(vm, args):
    return float(_int_from("fmt.to_int", args[0]))


@module.function("to_float", 1, fast=_fast_float, fast_takes=(float, str))
def to_float(vm, args):
    return _number_from("fmt.to_float", "a number", args[0])


@module.function("to_str", 1, fast=to_str, fast_takes=(float, str))
def to_str_(vm, args):
    v = args[0]
    if v is None or v.__class__ in (str, float, int, bool):
        return to_str(v)
    raise NeutronError(f"fmt.to_str: cannot convert {type_name(v)} to a string.")


@module.function("to_bin", 1)
def to_bin(vm, args):
    n = _int_from("fmt.to_bin", args[0])
    if n < 0:
        n &= 0xFFFFFFFF
    return format(n, "b")


def _non_negative(fname, v):
    n = _int_from(fname, v)
    if n < 0:
        raise NeutronError(f"{fname}: the number must not be negative, got {n}.")
    return n


@module.function("to_hex", 1)
def to_hex(vm, args):
    return format(_non_negative("fmt.to_hex", args[0]), "x")


@module.function("to_oct", 1)
def to_oct(vm, args):
    return format(_non_negative("fmt.to_oct", args[0]), "o")


@module.function("to_fixed", 2)
def to_fixed(vm, args):
    x = arg_num(args, 0, "fmt.to_fixed")
    d = arg_num(args, 1, "fmt.to_fixed", "digits")
    if not 0 <= d <= 100 or d != int(d):
        raise NeutronError("fmt.to_fixed: digits must be an integer between 0 and 100.")
    if not math.isfinite(x):
        return format_number(x)
    from decimal import Context, Decimal, ROUND_HALF_UP     # lazy: start-up
    # rounds the decimal form as written (2.675 -> 2.68), halves away from zero; the precision holds the 309
    # integer digits of the largest double plus 100 decimals
    return format(Decimal(repr(x)).quantize(Decimal(1).scaleb(-int(d)), rounding=ROUND_HALF_UP,
                                            context=Context(prec=420)), "f")


# ---- types ---------------------------------------------------------------------------------------------------

def neutron_type(v) -> str:
    """What `fmt.type(v)` returns: the reference implementation's names, which differ on purpose from the ones in
    error messages (values.type_name): "bool" not "boolean", and "unknown" for classes, instances, buffers and
    resources."""
    cls = v.__class__
    if v is None:
        return "nil"
    if cls is bool:
        return "bool"
    if cls is float or cls is int:
        return "number"
    if cls is str:
        return "string"
    if cls is list:
        return "array"
    if cls is dict:
        return "object"
    if cls is Function or cls is Native or cls is BoundMethod:
        return "function"
    if cls is Module:
        return "module"
    return "unknown"      # classes, instances, buffers, resources (as the reference reports them)


@module.function("type", 1)
def type_(vm, args):
    return neutron_type(args[0])


def _is(name, test):
    module.function(name, 1)(lambda vm, args: bool(test(args[0])))


_is("is_int", lambda v: (v.__class__ is float or v.__class__ is int) and math.isfinite(v) and v == int(v))
_is("is_float", lambda v: v.__class__ is float or v.__class__ is int)
_is("is_string", lambda v: v.__class__ is str)
_is("is_bool", lambda v: v.__class__ is bool)
_is("is_nil", lambda v: v is None)
_is("is_array", lambda v: v.__class__ is list)
_is("is_object", lambda v: v.__class__ is dict)
_is("is_callable", lambda v: v.__class__ in (Function, Native, BoundMethod, Class))


# ---- padding -------------------------------------------------------------------------------------------------

def _pad(fname, args, left):
    s = args[0]
    if s.__class__ in (list, dict, Function, Native, BoundMethod, Class, Instance, Module, Buffer):
        raise arg_error(s, 0, fname, None, "a string")
    s = to_str(s)
    width = arg_num(args, 1, fname, "width")
    pad = opt(args, 2)
    pad = " " if pad is None else arg_str(args, 2, fname, "pad")
    if pad == "":
        raise NeutronError(f"{fname}: the pad string must not be empty.")
    missing = int(width) - len(s) if math.isfinite(width) else 0
    if missing <= 0:
        return s
    if missing > 100_000_000:
        raise NeutronError(f"{fname}: the width is too large.")
    fill = pad * -(-missing // len(pad))
    return fill + s if left else s + fill


@module.function("pad_left", 2, 3)
def pad_left(vm, args):
    return _pad("fmt.pad_left", args, True)


@module.function("pad_right", 2, 3)
def pad_right(vm, args):
    return _pad("fmt.pad_right", args, False)
