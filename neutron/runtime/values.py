"""Runtime values.

Neutron value      Python representation
nil                None
true/false         True/False
number             float (always float; natives must return floats, never ints)
string             str (immutable Unicode; length and indexing count code points)
array              list
object             dict with str keys (insertion order)
function           Function (a closure: code object + captured cells + its globals)
native function    Native
class / instance   Class / Instance
bound method       BoundMethod (receiver + Function, or receiver + built-in method name)
module             Module
buffer             Buffer
resource           Resource (a socket, process or server; it does not survive a resume)
"""
from __future__ import annotations

import math

from ..errors import NeutronError


class Cell:
    """A captured variable, shared by reference between the closures that capture it."""
    __slots__ = ("value",)

    def __init__(self, value=None):
        self.value = value


class Function:
    __slots__ = ("code", "cells", "globals", "name")

    def __init__(self, code, cells, globals_, name=None):
        self.code = code
        self.cells = cells              # tuple/list of Cell
        self.globals = globals_         # the dict of the file or module that defined it
        self.name = name if name is not None else code.name


class Native:
    """A built-in function. `fn(vm, args)` gets the argument list; arity checked by the VM from min/max."""
    __slots__ = ("qualname", "fn", "min_args", "max_args", "fast")

    def __init__(self, qualname, fn, min_args=0, max_args=None, fast=None):
        self.qualname = qualname        # e.g. 'math.sqrt': the name a snapshot stores
        self.fn = fn
        self.min_args = min_args
        self.max_args = max_args        # None = variadic
        # A pure function of one number (math.sqrt): the same result as fn for a float argument, or ValueError or
        # OverflowError where fn reports an error. Such a call has no effect a snapshot could miss, so it is not a
        # checkpointable point, and compiled code calls `fast` directly.
        self.fast = fast


class Class:
    __slots__ = ("name", "methods", "fields", "field_types")

    def __init__(self, name, methods, fields):
        self.name = name
        self.methods = methods          # dict name -> Function
        self.fields = fields            # declared fields: list of (name, type or None)
        self.field_types = {name: t for name, t in fields if t is not None and t != "any"}

    def add_field(self, name, type_):
        self.fields.append((name, type_))
        if type_ is not None and type_ != "any":
            self.field_types[name] = type_


class Instance:
    __slots__ = ("klass", "fields")

    def __init__(self, klass, fields=None):
        self.klass = klass
        self.fields = fields if fields is not None else {}


class BoundMethod:
    __slots__ = ("receiver", "method")

    def __init__(self, receiver, method):
        self.receiver = receiver
        self.method = method            # Function, or str naming a built-in method of strings/arrays


class Module:
    __slots__ = ("name", "members", "native")

    def __init__(self, name, members, native=True):
        self.name = name
        self.members = members          # dict name -> value
        self.native = native            # True for Python modules, False for a `use`d .nt file


class Buffer:
    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data                # bytearray


class Resource:
    """An operating-system resource (socket, process, server). It does not survive a resume: after one,
    `handle` is None and any use raises a clear error."""
    __slots__ = ("kind", "handle", "info")

    def __init__(self, kind, handle, info=None):
        self.kind = kind
        self.handle = handle
        self.info = info if info is not None else {}

    def get(self):
        if self.handle is None:
            raise NeutronError(f"This {self.kind} was opened before the program was resumed from a checkpoint; "
                               f"open it again.")
        return self.handle


# ---- printing ------------------------------------------------------------------------------------------------

def format_number(n) -> str:
    if -1e15 < n < 1e15:                # (not NaN or an infinity) whole numbers here print all their digits
        i = int(n)
        if i == n:
            if i == 0 and math.copysign(1.0, n) < 0:
                return "-0"
            return str(i)
        return "%.15g" % n
    if n != n:
        return "nan"
    if n == math.inf:
        return "inf"
    if n == -math.inf:
        return "-inf"
    return "%.15g" % n


def to_str(v, _depth=0) -> str:
    """How `say`, string concatenation, `join` and interpolation show a value."""
    cls = v.__class__
    if cls is str:
        return v
    if cls is float or cls is int:
        return format_number(v)
    if v is None:
        return "nil"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if _depth > 100:
        return "..."
    if cls is list:
        return "[" + ", ".join(to_str(x, _depth + 1) for x in v) + "]"
    if cls is dict:
        return "{" + ", ".join(k + ": " + to_str(x, _depth + 1) for k, x in v.items()) + "}"
    if cls is Function:
        return "<fn " + ("<anonymous>" if v.name == "<anonymous>" else v.name) + ">"
    if cls is Native:
        return "<native fn " + v.qualname + ">"
    if cls is Class:
        return v.name
    if cls is Instance:
        return "<" + v.klass.name + " instance>"
    if cls is BoundMethod:
        if isinstance(v.method, str):
            kind = "string" if isinstance(v.receiver, str) else "array"
            return f"<bound {kind} method '{v.method}'>"
        return "<bound method " + v.method.name + ">"
    if cls is Module:
        return "<module " + v.name + ">"
    if cls is Buffer:
        return f"<buffer size={len(v.data)}>"
    if cls is Resource:
        return f"<{v.kind}>"
    return str(v)


def type_name(v) -> str:
    """A value's type as error messages name it ("boolean", "class", "instance", "buffer", "resource"). `fmt.type`
    answers differently on purpose, as the reference implementation does: see stdlib/fmt.py neutron_type."""
    cls = v.__class__
    if v is None:
        return "nil"
    if cls is bool:
        return "boolean"
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
    if cls is Class:
        return "class"
    if cls is Instance:
        return "instance"
    if cls is Module:
        return "module"
    if cls is Buffer:
        return "buffer"
    return "resource"


def equals(a, b, _depth=0) -> bool:
    """`==`: values of different types are never equal; arrays and objects compare by contents."""
    if a is b:
        return True
    ca, cb = a.__class__, b.__class__
    if ca is not cb:
        if (ca is float or ca is int) and (cb is float or cb is int):
            return a == b
        return False
    if ca is float or ca is str or ca is bool:
        return a == b
    if ca is list or ca is dict:
        if _depth > 200:
            raise NeutronError("Cannot compare values nested more than 200 levels deep.")
        if ca is list:
            return len(a) == len(b) and all(equals(x, y, _depth + 1) for x, y in zip(a, b))
        return len(a) == len(b) and all(k in b and equals(v, b[k], _depth + 1) for k, v in a.items())
    if ca is BoundMethod:
        return a.receiver is b.receiver and a.method == b.method
    if ca is Buffer:
        return a.data == b.data
    return False


TYPE_CHECKS = {
    "int": lambda v: v.__class__ is float or v.__class__ is int,
    "float": lambda v: v.__class__ is float or v.__class__ is int,
    "number": lambda v: v.__class__ is float or v.__class__ is int,
    "string": lambda v: v.__class__ is str,
    "bool": lambda v: v.__class__ is bool,
    "array": lambda v: v.__class__ is list,
    "object": lambda v: v.__class__ is dict,
    "any": lambda v: True,
}

# How messages name each type annotation (the keys of TYPE_CHECKS): `var x: int` expects a 'number'.
TYPE_DISPLAY = {"int": "number", "float": "number", "number": "number", "string": "string", "bool": "boolean",
                "array": "array", "object": "object", "any": "any"}


def check_type(type_, v) -> bool:
    return TYPE_CHECKS[type_](v)
