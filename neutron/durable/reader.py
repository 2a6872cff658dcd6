"""Reading a snapshot body; the mirror of writer.py, function for function.

Every object gets an empty shell first, so that a reference can point anywhere in the table (this is what lets
cycles and aliasing survive); then each object's contents are filled in, then the roots and frames are read. Each
heap kind has a `load_<kind>` registered in LOAD right under it, with its shell maker (or, for natives and modules,
the function that makes the object from the name the file gives). Nothing read is trusted: every failure is a
SnapshotError with a one-line reason.
"""
from __future__ import annotations

import struct
from array import array
from typing import Callable, NamedTuple

from ..bytecode.code import Code
from ..errors import NeutronError
from ..runtime.frames import NO_RESULT, Frame, Iter
from ..runtime.values import Buffer, BoundMethod, Cell, Class, Function, Instance, Module, Native
from ..runtime.values import Resource
from ..stdlib import instantiate, native_module
from .format import BIG_ENDIAN, K_BOUND, K_BUFFER, K_CELL, K_CLASS, K_CODE, K_DICT, K_FLOATS, K_FUNC, K_INST, \
    K_ITER, K_LIST, K_MODULE, K_NATIVE, K_RESOURCE, MAX_COUNT, T_FALSE, T_FLOAT, T_INT, T_NIL, T_REF, T_STR, \
    T_TRUE, TUPLE_MARK, SnapshotError, shown
from .verify import check_code, check_frames, type_name


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.objects = []
        self.later = []         # (check, obj): checks that need the whole table filled

    def fail(self, why):
        raise SnapshotError(f"the file is damaged ({why})")

    def truncated(self):
        raise SnapshotError("truncated snapshot")

    def byte(self):
        try:
            b = self.data[self.pos]
        except IndexError:
            self.truncated()
        self.pos += 1
        return b

    def uint(self):
        pos = self.pos
        try:
            b = self.data[pos]
        except IndexError:
            self.truncated()
        if b < 0x80:            # most numbers in a snapshot fit in one byte
            self.pos = pos + 1
            return b
        return self.long_uint()

    def long_uint(self):
        data = self.data
        n = 0
        shift = 0
        pos = self.pos
        while True:
            if pos >= len(data):
                self.truncated()
            b = data[pos]
            pos += 1
            n |= (b & 0x7F) << shift
            if b < 0x80:
                break
            shift += 7
            if shift > 70:
                self.fail("number too long")
        self.pos = pos
        return n

    def count(self, limit=MAX_COUNT):
        n = self.uint()
        if n > limit or n > len(self.data):
            self.fail("count out of range")
        return n

    def raw(self, n):
        if self.pos + n > len(self.data):
            self.truncated()
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def string(self):
        data = self.data
        pos = self.pos
        try:
            n = data[pos]
        except IndexError:
            self.truncated()
        if n < 0x80:            # a short string: its length is one byte
            pos += 1
            end = pos + n
        else:
            n = self.count()
            pos = self.pos
            end = pos + n
        if end > len(data):
            self.truncated()
        self.pos = end
        try:
            return data[pos:end].decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            self.fail("bad UTF-8 in a string")

    def value(self):
        pos = self.pos
        try:
            t = self.data[pos]
        except IndexError:
            self.truncated()
        self.pos = pos + 1
        if t == T_INT:
            z = self.uint()
            return float(z >> 1) if not z & 1 else -float((z + 1) >> 1)
        if t == T_FLOAT:
            return struct.unpack("<d", self.raw(8))[0]
        if t == T_STR:
            return self.string()
        if t == T_REF:
            i = self.uint()
            if i >= len(self.objects):
                self.fail("reference out of range")
            return self.objects[i]
        if t == T_NIL:
            return None
        if t == T_TRUE:
            return True
        if t == T_FALSE:
            return False
        self.fail("bad value tag")

    def str_map(self, into):
        """Fill the dict `into` from a map written by Writer.str_map; returns it."""
        string, value = self.string, self.value
        for _ in range(self.count()):
            key = string()
            into[key] = value()
        return into

    def shells(self, vm):
        """The object table: one empty object per kind tag, then the named objects made by name."""
        kinds = self.raw(self.count())
        objs = self.objects
        for k in kinds:
            kind = LOAD.get(k)
            if kind is None:
                self.fail("bad kind tag")
            objs.append(kind.shell())
        for i, k in enumerate(kinds):
            make = LOAD[k].make
            if make is not None:
                objs[i] = make(self, vm)
        return kinds

    def fill(self, kinds):
        load = {k: kind.load for k, kind in LOAD.items()}
        for obj, k in zip(self.objects, kinds):
            load[k](self, obj)
        for check, obj in self.later:
            check(self, obj)


class Kind(NamedTuple):
    shell: Callable         # () -> an empty object of this kind (None for the named kinds: made by `make`)
    load: Callable          # (reader, obj): read its contents into it
    make: Callable = None   # (reader, vm) -> the object, made from the name the file gives, before any contents


LOAD = {}   # kind tag -> Kind


def no_shell():
    return None


def load_nothing(r, obj):
    pass


def load_list(r, lst):
    value = r.value
    lst.extend([value() for _ in range(r.count())])


LOAD[K_LIST] = Kind(list, load_list)


def load_floats(r, lst):
    a = array("d")
    a.frombytes(r.raw(8 * r.count()))
    if BIG_ENDIAN:
        a.byteswap()
    lst.extend(a.tolist())


LOAD[K_FLOATS] = Kind(list, load_floats)


def load_dict(r, d):
    r.str_map(d)


LOAD[K_DICT] = Kind(dict, load_dict)


def load_cell(r, c):
    c.value = r.value()


LOAD[K_CELL] = Kind(Cell, load_cell)


def load_function(r, f):
    value = r.value
    f.code = value()
    f.cells = tuple(value() for _ in range(r.count()))
    f.globals = value()
    f.name = r.string()
    r.later.append((check_function, f))


def check_function(r, f):
    code = f.code
    if code.__class__ is not Code or f.globals.__class__ is not dict or \
            not all(c.__class__ is Cell for c in f.cells):
        r.fail("bad function")
    if len(f.cells) != len(code.freevars):
        r.fail("a function's cells do not match its code")


LOAD[K_FUNC] = Kind(lambda: Function.__new__(Function), load_function)


def load_code(r, c):
    value, uint, string, count = r.value, r.uint, r.string, r.count
    c.name = string()
    c.filename = string()
    c.params, c.param_types = [], []
    for _ in range(count(1 << 16)):
        c.params.append(string())
        c.param_types.append(value())
    c.return_type = value()
    c.is_method = value() is True
    c.min_args = uint()            # 1 << 30 when every parameter is required: not a count
    if c.min_args > 1 << 30:
        r.fail("bad argument count")
    c.nlocals = count(1 << 20)
    c.cell_params = [uint() for _ in range(count(1 << 20))]
    c.freevars = []
    for _ in range(count(1 << 20)):
        is_local = value()
        c.freevars.append((is_local is True, uint()))
    c.names = [string() for _ in range(count())]
    consts = []
    data = r.data
    for _ in range(count()):
        if r.pos < len(data) and data[r.pos] == TUPLE_MARK:
            r.pos += 1
            consts.append(tuple(value() for _ in range(count(4))))
        else:
            consts.append(value())
    c.consts = consts
    instrs, lines, cols = [], [], []
    byte = r.byte
    for _ in range(count()):
        o = byte()
        form = byte()
        if form == 0:
            a = None
        elif form == 1:
            a = uint()
        elif form == 2:
            a = (uint(), uint())
        else:
            r.fail("bad operand form")
        instrs.append((o, a))
        lines.append(uint())
        cols.append(uint() - 1)
    c.instrs, c.lines, c.cols = instrs, lines, cols


LOAD[K_CODE] = Kind(lambda: Code("", ""), load_code)


def load_class(r, c):
    c.name = r.string()
    r.str_map(c.methods)
    for _ in range(r.count()):
        fname = r.string()
        ftype = r.value()
        if ftype is not None and not type_name(ftype):
            r.fail("bad field type")
        c.add_field(fname, ftype)


LOAD[K_CLASS] = Kind(lambda: Class("", {}, []), load_class)


def load_instance(r, inst):
    inst.klass = r.value()
    r.str_map(inst.fields)


LOAD[K_INST] = Kind(lambda: Instance(None), load_instance)


def load_bound(r, b):
    b.receiver = r.value()
    b.method = r.value()


LOAD[K_BOUND] = Kind(lambda: BoundMethod(None, None), load_bound)


def make_native(r, vm):
    """A native is found by its qualified name in the standard library's tables: the allow-list."""
    qualname = r.string()
    mod, _, name = qualname.partition(".")
    if mod == "prelude":
        from ..runtime import methods   # lazy: start-up (only snapshots taken inside a built-in method need it)
        entry = methods.PRELUDE_NATIVES.get(name)
        if entry is not None:
            fn, lo, hi = entry
            return Native(qualname, fn, lo, hi)
    else:
        nm = native_module(mod)
        if nm is not None and name in nm.functions:
            return nm.functions[name]
    raise SnapshotError(f"the snapshot names a built-in function this Neutron does not have: '{shown(qualname)}'")


LOAD[K_NATIVE] = Kind(no_shell, load_nothing, make_native)


def make_module(r, vm):
    """A native module is made by name, with its prelude's functions from the file (nothing is compiled); a file
    module gets a shell, filled with its members later."""
    name = r.string()
    native = r.value()
    if native is True:
        prelude = r.str_map({})
        if not all(f.__class__ is Function for f in prelude.values()):
            r.fail("bad module")
        m = vm.modules.get(name) or instantiate(vm, name, prelude)
        if m is None:
            raise SnapshotError(f"the snapshot uses a module this Neutron does not have: '{shown(name)}'")
        vm.modules[name] = m
        return m
    if native is False:
        return Module(name, {}, native=False)
    r.fail("bad module")


def load_module(r, m):
    if not m.native:
        members = r.value()
        if members.__class__ is not dict:
            r.fail("bad module members")
        m.members = members


LOAD[K_MODULE] = Kind(no_shell, load_module, make_module)


def load_buffer(r, b):
    b.data = bytearray(r.raw(r.count()))


LOAD[K_BUFFER] = Kind(lambda: Buffer(bytearray()), load_buffer)


def load_resource(r, res):
    res.kind = r.string()
    r.str_map(res.info)
    res.handle = None       # it does not survive a resume: using it raises a clear error


LOAD[K_RESOURCE] = Kind(lambda: Resource("", None), load_resource)


def load_iter(r, it):
    it.keys = r.value()
    it.n = r.uint()
    it.i = r.uint()
    r.later.append((check_iter, it))


def check_iter(r, it):
    if it.keys is not None and (it.keys.__class__ is not list or it.n > len(it.keys)) or it.i > it.n:
        r.fail("bad loop iterator")


LOAD[K_ITER] = Kind(lambda: Iter(None, 0), load_iter)


# ---- frames and roots -------------------------------------------------------------------------------------------

def read_frame(r):
    value = r.value
    func = value()
    if func.__class__ is not Function:
        r.fail("a frame without a function")
    code = func.code
    ip = r.uint()
    locals_ = [value() for _ in range(r.count())]
    stack = [value() for _ in range(r.count())]
    if ip >= len(code.instrs) or len(locals_) != code.nlocals:
        r.fail("bad frame")
    f = Frame(func, code, locals_, ip)
    f.stack = stack
    for _ in range(r.count()):
        target = r.uint()
        depth = r.uint()
        if target > len(code.instrs) or depth > len(stack) + 1:
            r.fail("bad handler")
        f.handlers.append((target, depth))
    has_result = r.byte()
    if has_result > 1:
        r.fail("bad frame")
    f.result = value() if has_result else NO_RESULT
    return f


def read_roots(r, vm):
    """The VM's state outside the object table; returns the frames."""
    vm.script_path = r.string()
    for _ in range(r.count()):
        name = r.string()
        vm.sources[name] = r.string()
    g = r.value()
    if g.__class__ is not dict:
        r.fail("bad globals")
    vm.globals = g
    p = r.value()
    if p is not None and p.__class__ is not dict:
        r.fail("bad prelude")
    vm.prelude = p
    for name, m in r.str_map({}).items():
        if m.__class__ is not Module:
            r.fail("bad module")
        vm.modules[name] = m
    for name, state in r.str_map({}).items():
        nm = native_module(name)
        if nm is None or nm.load_state is None:
            r.fail("state for a module that keeps none")
        try:
            nm.load_state(vm, state)
        except (NeutronError, TypeError, ValueError, KeyError, IndexError):
            r.fail(f"bad state for module {shown(name)}")
    return [read_frame(r) for _ in range(r.count())]


def load(vm, body):
    """Restore the VM's state from a snapshot body."""
    r = Reader(body)
    try:
        kinds = r.shells(vm)
        r.fill(kinds)
        depths = {id(c): check_code(c, r.fail) for c, k in zip(r.objects, kinds) if k == K_CODE}
        frames = read_roots(r, vm)
        check_frames(frames, depths, r.fail)
        if r.pos != len(body):
            r.fail("extra bytes after the roots")
    except RecursionError:
        raise SnapshotError("the file is damaged (nested too deeply)") from None
    vm.frames = frames
