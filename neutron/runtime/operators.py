"""Operators shared by the VM and the compiled tier: every binary operator's slow path (the types the fast paths
do not cover), 64-bit integer conversions for the bitwise operators, indexing, and an instance's method lookup."""
from __future__ import annotations

import math

from ..bytecode import opcodes as O
from ..errors import NeutronError, argument_count_error
from .values import Buffer, Instance, Module, equals, near_name, to_str, type_name

ADD, SUB, MUL, DIV, MOD, LT, LE, GT, GE, EQ, NE = O.ADD, O.SUB, O.MUL, O.DIV, O.MOD, O.LT, O.LE, O.GT, O.GE, O.EQ, \
    O.NE


def i64(x):
    if x != x or x in (math.inf, -math.inf):
        return 0
    v = int(x) & 0xFFFFFFFFFFFFFFFF
    return v - (1 << 64) if v >= (1 << 63) else v


def wrap(v):
    v &= 0xFFFFFFFFFFFFFFFF
    return float(v - (1 << 64) if v >= (1 << 63) else v)


def repeat(s, n):
    k = int(n) if n == n and n not in (math.inf, -math.inf) else 0
    if k <= 0 or not s:
        return ""
    if len(s) * k > 500_000_000:
        raise NeutronError("String repetition result is too large.")
    return s * k


def operand_error(message, *operands):
    """An operator that needs numbers got something else; when that is a string, the report says how to convert it
    (the catchable message stays the one the reference gives)."""
    s = next((v for v in operands if v.__class__ is str), None)
    if s is None:
        return NeutronError(message)
    shown = s if len(s) <= 20 else s[:20] + "..."
    return NeutronError(message, f"\"{shown}\" is a string: fmt.to_int or fmt.to_float turns a string into a number.")


def binary_slow(o, a, b):
    """Every binary operator for the operand types the fast paths do not cover."""
    ca, cb = a.__class__, b.__class__
    num_a = ca is float or ca is int
    num_b = cb is float or cb is int
    if o == ADD:
        if num_a and num_b:
            return float(a + b)
        if ca is str:
            return a + to_str(b)
        if cb is str:
            return to_str(a) + b
        return to_str(a) + to_str(b)
    if o == MUL:
        if num_a and num_b:
            return float(a * b)
        if ca is str and num_b:
            return repeat(a, b)
        if num_a and cb is str:
            return repeat(b, a)
        if ca is str and cb is str:
            raise operand_error("Unsupported operand types for multiplication.", a, b)
        raise NeutronError("Unsupported operand types for multiplication.")
    if o == EQ:
        return equals(a, b)
    if o == NE:
        return not equals(a, b)
    if o in (LT, LE, GT, GE):
        if (num_a and num_b) or (ca is str and cb is str):
            if o == LT:
                return a < b
            if o == LE:
                return a <= b
            if o == GT:
                return a > b
            return a >= b
        raise operand_error("Operands must be numbers.", a, b)
    if not (num_a and num_b) or ca is bool or cb is bool:
        raise operand_error("Operands must be numbers.", a, b)
    if o == SUB:
        return float(a - b)
    if o == DIV:
        if b == 0:
            raise NeutronError("Division by zero.")
        r = a / b
        if r - r != 0 and (a - a == 0 and b - b == 0):     # finite operands overflowing to inf
            raise NeutronError("Division resulted in NaN or Infinity.")
        return float(r)
    if o == MOD:
        if b == 0:
            raise NeutronError("Modulo by zero.")
        if a - a != 0:          # an infinite or NaN dividend gives NaN, as C's fmod does (Python's raises)
            return math.nan
        return math.fmod(a, b)
    if o == O.BAND:
        return wrap(i64(a) & i64(b))
    if o == O.BOR:
        return wrap(i64(a) | i64(b))
    if o == O.BXOR:
        return wrap(i64(a) ^ i64(b))
    if o == O.SHL:
        n = i64(b)
        return wrap(i64(a) << n) if 0 <= n < 64 else 0.0
    if o == O.SHR:
        n = i64(b)
        return wrap(i64(a) >> n) if 0 <= n < 64 else (-1.0 if a < 0 else 0.0)
    raise NeutronError("Unknown operator.")


def instance_method(recv, name, nargs):
    """The method `recv.name(nargs arguments)` calls (no field of that name), or the error it is."""
    m = recv.klass.methods.get(name)
    if m is None:
        raise NeutronError(f"Undefined method '{name}' on {recv.klass.name} instance.",
                           lambda: near_name(name, [*recv.klass.methods, *recv.fields]))
    if nargs != len(m.code.params):
        raise argument_count_error(len(m.code.params), nargs, f"method '{name}'")
    return m


_FAR = 1 << 64      # where an infinite or NaN index points: outside every array, string and buffer


def _int_index(idx):
    return int(idx) if idx - idx == 0 else _FAR


def _shown_index(idx):
    return to_str(float(int(idx))) if idx - idx == 0 else to_str(idx)


def index_get(obj, idx):
    cls = obj.__class__
    if cls is list:
        if idx.__class__ is not float and idx.__class__ is not int:
            raise NeutronError("Array index must be a number.")
        n = len(obj)
        i = _int_index(idx)
        if i < 0:
            i += n
        if 0 <= i < n:
            return obj[i]
        raise NeutronError(f"Array index out of bounds: index {_shown_index(idx)} is not within "
                           + (f"[0, {n - 1}]" if n else "[]"))
    if cls is dict:
        if idx.__class__ is not str:
            raise NeutronError("Object key must be a string.")
        return obj.get(idx)
    if cls is str:
        if idx.__class__ is not float and idx.__class__ is not int:
            raise NeutronError("String index must be a number.")
        n = len(obj)
        i = _int_index(idx)
        j = i + n if i < 0 else i
        if 0 <= j < n:
            return obj[j]
        raise NeutronError(f"String index out of bounds: index {_shown_index(idx)} is not within "
                           + (f"[{-n}, {n - 1}]" if n else "[]"))
    if cls is Instance:
        if idx.__class__ is not str:
            raise NeutronError("Instance field name must be a string.")
        return obj.fields.get(idx)
    if cls is Buffer:
        if idx.__class__ is not float:
            raise NeutronError("Buffer index must be a number.")
        i = _int_index(idx)
        if 0 <= i < len(obj.data):
            return float(obj.data[i])
        raise NeutronError("Buffer index out of bounds.")
    if cls is Module:
        if idx.__class__ is not str:
            raise NeutronError("Module member name must be a string.")
        return obj.members.get(idx)
    raise NeutronError(f"Cannot index a value of type {type_name(obj)}.")


def index_set(obj, idx, value):
    cls = obj.__class__
    if cls is list:
        if idx.__class__ is not float and idx.__class__ is not int:
            raise NeutronError("Array index must be a number.")
        n = len(obj)
        i = _int_index(idx)
        if i < 0:
            i += n
        if 0 <= i < n:
            obj[i] = value
            return
        raise NeutronError(f"Array index out of bounds: index {_shown_index(idx)} is not within "
                           + (f"[0, {n - 1}]" if n else "[]"))
    if cls is dict:
        if idx.__class__ is not str:
            raise NeutronError("Object key must be a string.")
        obj[idx] = value
        return
    if cls is Instance:
        if idx.__class__ is not str:
            raise NeutronError("Instance field name must be a string.")
        obj.fields[idx] = value
        return
    if cls is Buffer:
        if idx.__class__ is not float:
            raise NeutronError("Buffer index must be a number.")
        if value.__class__ is not float:
            raise NeutronError("Buffer value must be a number (byte).")
        if not (0 <= value <= 255):
            raise NeutronError("Buffer value must be a byte (0-255).")
        i = _int_index(idx)
        if 0 <= i < len(obj.data):
            obj.data[i] = int(value)
            return
        raise NeutronError("Buffer index out of bounds.")
    if cls is str:
        raise NeutronError("Strings are immutable: cannot assign to an index of a string.")
    raise NeutronError(f"Cannot assign to an index of a value of type {type_name(obj)}.")
