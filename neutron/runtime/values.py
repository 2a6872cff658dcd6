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
task               Task (an async task, a process or the main program: runtime/tasks.py runs them)
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
    __slots__ = ("qualname", "fn", "min_args", "max_args", "fast", "fast_takes", "fast2", "pure")
    code = None     # (the callable values other than Function have no code: compiled call sites read it)

    def __init__(self, qualname, fn, min_args=0, max_args=None, fast=None, fast_takes=(float,), fast2=None):
        self.qualname = qualname        # e.g. 'math.sqrt': the name a snapshot stores
        self.fn = fn
        self.min_args = min_args
        self.max_args = max_args        # None = variadic
        # A pure function of one argument (math.sqrt): the same result as fn for an argument whose class is in
        # fast_takes, or ValueError or OverflowError where fn's result may differ (fn then says what is wrong).
        # Such a call has no effect a snapshot could miss, so it is not a checkpointable point, and compiled code
        # calls `fast` directly.
        self.fast = fast
        self.fast_takes = fast_takes
        self.fast2 = fast2              # the same for a call with two floats (math.max)
        self.pure = fast is not None or fast2 is not None


class Class:
    __slots__ = ("name", "methods", "fields", "field_types")
    code = None

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
    code = None

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


class Task:
    """A line of execution with its own frames: the main program, an `async.run`/`async.timer` task or a process.
    Plain data, like a frame: runtime/tasks.py schedules them, a snapshot writes every field."""
    __slots__ = ("id", "kind", "pid", "state", "frames", "fresh", "wake", "waiting_on", "deadline", "timer_seq",
                 "result", "error", "observed", "waiters", "mailbox", "receivers", "placement")

    def __init__(self, id_, kind, pid, frames):
        self.id = id_
        self.kind = kind            # "main", "task", "timer" or "process"
        self.pid = pid              # the process it belongs to (0: the main program)
        self.state = "ready"        # ready, running, sleeping, awaiting, receiving, done, failed, killed
        self.frames = frames        # while it waits: the frames to go on with (the running one's are the VM's)
        self.fresh = True           # its frames have not started (not waiting for a call's result)
        self.wake = None            # what the waiting call returns: ("value", v), or ("throw", v, is_error)
        self.waiting_on = None      # the task it awaits
        self.deadline = None        # absolute time (seconds since the epoch) its sleep or timeout ends
        self.timer_seq = None       # its entry in the scheduler's timers (a later entry replaces it)
        self.result = None
        self.error = None           # (value, is_error, trace) once failed
        self.observed = False       # its failure was seen by an await
        self.waiters = []           # tasks awaiting it
        self.mailbox = []           # processes and the main program: messages not received yet
        self.receivers = []         # tasks of this process waiting in process.receive
        self.placement = None       # a process: None (a worker may run it), "local" (its next step here), "never"

    def __str__(self):
        what = "process" if self.kind == "process" else "task"
        return f"<{what} {self.pid if self.kind == 'process' else self.id} {self.state}>"


# ---- printing ------------------------------------------------------------------------------------------------

# The text of whole numbers already printed: most programs print the same few (counters, codes, small sizes) many
# times, and "%d" of a double costs a conversion to an integer each time. Zero is never kept (-0.0 == 0.0).
NUMBER_TEXT = {}
NUMBER_TEXT_MAX = 4096


def small_number_texts():
    """NUMBER_TEXT with 1 to 1023 in it (compiled code looks a number up there and otherwise formats it inline, so
    the table does not grow from it)."""
    if 1023.0 not in NUMBER_TEXT:
        NUMBER_TEXT.update(zip(map(float, range(1, 1024)), map(str, range(1, 1024))))
    return NUMBER_TEXT


def format_number(n) -> str:
    s = NUMBER_TEXT.get(n)
    if s is not None:
        return s
    if -1e15 < n < 1e15:                # (not NaN or an infinity) whole numbers here print all their digits
        i = int(n)
        if i == n:
            if i == 0:
                return "-0" if math.copysign(1.0, n) < 0 else "0"
            s = str(i)
            if len(NUMBER_TEXT) < NUMBER_TEXT_MAX:
                NUMBER_TEXT[n] = s
            return s
        return "%.15g" % n
    if n != n:
        return "nan"
    if n == math.inf:
        return "inf"
    if n == -math.inf:
        return "-inf"
    return "%.15g" % n


# The longest text one value is shown as. Only a value with shared parts (an array holding the same array twice, a
# cycle) can come near it without being as large in memory: its parts are written out at each place they occur, so
# 40 levels of `x = [x, x]` are a few hundred bytes but 2**40 elements of text. Such a value is met by counting: after
# WALK_CHECK arrays and objects, to_str measures the whole text once (a lower bound, each part measured once) and
# equals starts remembering the pairs it found equal; below that, nothing is spent on it.
MAX_TEXT = 100_000_000
WALK_CHECK = 100_000


class _Walk:
    """The arrays and objects one to_str or equals call has met."""
    __slots__ = ("n", "root", "same")

    def __init__(self, root):
        self.n = 0
        self.root = root
        self.same = None        # equals: the (id, id) pairs found equal, once counting has reached WALK_CHECK

    def check_text(self):
        if _text_size(self.root, 0, {}) > MAX_TEXT:
            raise NeutronError(f"Value too large to convert to text: it would be longer than {MAX_TEXT:,} "
                               f"characters (its shared parts are written out at every place they occur).")


def _text_size(v, depth, memo):
    """At most len(to_str(v)) at nesting `depth` (numbers and other values count 1), each array or object measured
    once per depth."""
    cls = v.__class__
    if cls is str:
        return len(v)
    if cls is not list and cls is not dict:
        return 1
    if depth > 100:
        return 3
    key = (id(v), depth)
    n = memo.get(key)
    if n is None:
        if cls is list:
            n = sum(_text_size(x, depth + 1, memo) for x in v)
        else:
            n = sum(len(k) + 2 + _text_size(x, depth + 1, memo) for k, x in v.items())
        n += 2 + 2 * max(len(v) - 1, 0)
        memo[key] = n
    return n


def to_str(v, _depth=0, _walk=None) -> str:
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
    if cls is list or cls is dict:
        if _walk is None:
            _walk = _Walk(v)
        else:
            _walk.n += 1
            if _walk.n == WALK_CHECK:
                _walk.check_text()
        if cls is list:
            return "[" + ", ".join(to_str(x, _depth + 1, _walk) for x in v) + "]"
        return "{" + ", ".join(k + ": " + to_str(x, _depth + 1, _walk) for k, x in v.items()) + "}"
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
    if cls is Task:
        return "task"
    return "resource"


def described(v) -> str:
    """A value's type with its article, as messages name it: "a number", "an array", "nil", "an instance of P"."""
    if v.__class__ is Instance:
        return f"an instance of {v.klass.name}"
    t = type_name(v)
    return t if t == "nil" else ("an " if t[0] in "aeiou" else "a ") + t


def near_name(name, candidates):
    """The advice "Did you mean 'x'?" when `name` looks like a misspelling of one of `candidates`, else None."""
    import difflib      # lazy: only error reports need it
    names = [c for c in candidates if c.__class__ is str and c != name]
    same = [c for c in names if c.lower() == name.lower()]
    found = same or difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return f"Did you mean '{found[0]}'?" if found else None


def equals(a, b, _depth=0, _walk=None) -> bool:
    """`==`: values of different types are never equal; arrays and objects compare by contents. In a long walk,
    pairs of arrays or objects found equal are remembered, so that shared parts are compared once (see _Walk)."""
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
        if len(a) != len(b):
            return False
        if _walk is None:
            _walk = _Walk(None)
        else:
            _walk.n += 1
            if _walk.same is not None:
                if (id(a), id(b)) in _walk.same:
                    return True
            elif _walk.n == WALK_CHECK:
                _walk.same = set()
        if ca is list:
            same = all(equals(x, y, _depth + 1, _walk) for x, y in zip(a, b))
        else:
            same = all(k in b and equals(v, b[k], _depth + 1, _walk) for k, v in a.items())
        if same and _walk.same is not None:
            _walk.same.add((id(a), id(b)))
        return same
    if ca is BoundMethod:
        return a.receiver is b.receiver and a.method == b.method
    if ca is Buffer:
        return a.data == b.data
    return False


TYPE_CHECKS = {
    "int": lambda v: v.__class__ is int or v.__class__ is float and v.is_integer(),
    "float": lambda v: v.__class__ is float or v.__class__ is int,
    "number": lambda v: v.__class__ is float or v.__class__ is int,
    "string": lambda v: v.__class__ is str,
    "bool": lambda v: v.__class__ is bool,
    "array": lambda v: v.__class__ is list,
    "object": lambda v: v.__class__ is dict,
    "any": lambda v: True,
}

# How messages name each type annotation (the keys of TYPE_CHECKS): `var int x` expects an 'int' (a whole number).
TYPE_DISPLAY = {"int": "int", "float": "number", "number": "number", "string": "string", "bool": "boolean",
                "array": "array", "object": "object", "any": "any"}


def check_type(type_, v) -> bool:
    return TYPE_CHECKS[type_](v)
