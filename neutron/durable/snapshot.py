"""The snapshot file: the whole running program, written and read without pickle, marshal or eval.

Layout:
    header  MAGIC (8 bytes) | format version (u16) | body length (u64) |
            CRC-32 of the runtime version field and the body (u32) | runtime version (u8 length + ASCII)
    body    object count | one kind byte per object (so the reader can make empty shells first: this is what
            lets cycles and aliasing survive) | each object's contents in the same order | the roots
            (script path, sources, globals, modules, module state, frames)

Values inside contents are tagged: nil, true, false, integral number (zigzag varint), other number (8-byte
double), string (varint length + UTF-8), reference to a table object (varint index). Arrays made only of numbers
are written as one block of doubles. Natives are written by name and found again through the standard library's
tables (the allow-list); code objects are checked instruction by instruction when read.
"""
from __future__ import annotations

import gc
import os
import struct
import sys
import tempfile
import time
import zlib
from array import array

from .. import __version__
from ..bytecode import opcodes as O
from ..bytecode.code import Code, compute_depths
from ..errors import NeutronError
from ..runtime.frames import NO_RESULT, Frame, Iter
from ..stdlib import instantiate, native_module
from ..runtime.values import Buffer, BoundMethod, Cell, Class, Function, Instance, Module, Native, Resource

MAGIC = b"NTRNSNAP"
FORMAT_VERSION = 1
MAX_COUNT = 1 << 31

# value tags
T_NIL, T_TRUE, T_FALSE, T_INT, T_FLOAT, T_STR, T_REF = range(7)
# object kinds
K_LIST, K_DICT, K_CELL, K_FUNC, K_CODE, K_CLASS, K_INST, K_BOUND, K_NATIVE, K_MODULE, K_BUFFER, K_RESOURCE, \
    K_ITER, K_FLOATS = range(14)


class SnapshotError(Exception):
    """A snapshot file that cannot be used: the message is one line for the user."""


# ---- writing ------------------------------------------------------------------------------------------------

class Writer:
    def __init__(self):
        self.out = bytearray()
        self.memo = {}          # id(obj) -> index
        self.objects = []
        self.float_lists = set()    # ids of arrays written as one block of doubles

    # -- the object table: assign indexes to everything reachable, without recursion --
    def collect(self, roots):
        memo, objects = self.memo, self.objects
        work = list(roots)
        heap_types = (list, dict, Cell, Function, Code, Class, Instance, BoundMethod, Native, Module, Buffer,
                      Resource, Iter)
        while work:
            v = work.pop()
            cls = v.__class__
            if cls is float or cls is str or v is None or cls is bool or cls is int:
                continue
            if id(v) in memo:
                continue
            if not isinstance(v, heap_types):
                raise NeutronError(f"Cannot checkpoint a value of type {cls.__name__}.")
            memo[id(v)] = len(objects)
            objects.append(v)
            if cls is list:
                if _all_floats(v):
                    self.float_lists.add(id(v))
                else:
                    work.extend(v)
            elif cls is dict:
                work.extend(v.values())
            elif cls is Cell:
                work.append(v.value)
            elif cls is Function:
                work.append(v.code)
                work.extend(v.cells)
                work.append(v.globals)
            elif cls is Code:
                for k in v.consts:
                    if k.__class__ is tuple:    # (type, message) of CHECK_TYPE, (name, type) of ADD_FIELD
                        work.extend(k)
                    else:
                        work.append(k)
            elif cls is Class:
                work.extend(v.methods.values())
            elif cls is Instance:
                work.append(v.klass)
                work.extend(v.fields.values())
            elif cls is BoundMethod:
                work.append(v.receiver)
                work.append(v.method)
            elif cls is Module:
                if not v.native:
                    work.append(v.members)
            elif cls is Resource:
                work.extend(v.info.values())
            elif cls is Iter:
                if v.keys is not None:
                    work.append(v.keys)

    def uint(self, n):
        out = self.out
        while n >= 0x80:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)

    def string(self, s):
        b = s.encode("utf-8", "surrogatepass")
        self.uint(len(b))
        self.out += b

    def value(self, v):
        out = self.out
        cls = v.__class__
        if cls is float:
            if v.is_integer() and -9007199254740992.0 <= v <= 9007199254740992.0 and \
                    not (v == 0 and str(v)[0] == "-"):
                i = int(v)
                out.append(T_INT)
                self.uint((i << 1) if i >= 0 else ((-i << 1) - 1))
            else:
                out.append(T_FLOAT)
                out += struct.pack("<d", v)
        elif cls is str:
            out.append(T_STR)
            self.string(v)
        elif v is None:
            out.append(T_NIL)
        elif v is True:
            out.append(T_TRUE)
        elif v is False:
            out.append(T_FALSE)
        elif cls is int:
            self.value(float(v))
        else:
            out.append(T_REF)
            self.uint(self.memo[id(v)])

    def contents(self, obj):
        cls = obj.__class__
        value, uint, string = self.value, self.uint, self.string
        if cls is list:
            uint(len(obj))
            if id(obj) in self.float_lists:
                a = array("d")
                a.fromlist(obj)
                if _BIG_ENDIAN:
                    a.byteswap()
                self.out += a.tobytes()
            else:
                for x in obj:
                    value(x)
        elif cls is dict:
            uint(len(obj))
            for k, x in obj.items():
                string(k)
                value(x)
        elif cls is Cell:
            value(obj.value)
        elif cls is Function:
            value(obj.code)
            uint(len(obj.cells))
            for c in obj.cells:
                value(c)
            value(obj.globals)
            string(obj.name)
        elif cls is Code:
            self.code(obj)
        elif cls is Class:
            string(obj.name)
            uint(len(obj.methods))
            for k, m in obj.methods.items():
                string(k)
                value(m)
            uint(len(obj.fields))
            for fname, ftype in obj.fields:
                string(fname)
                value(ftype)
        elif cls is Instance:
            value(obj.klass)
            uint(len(obj.fields))
            for k, x in obj.fields.items():
                string(k)
                value(x)
        elif cls is BoundMethod:
            value(obj.receiver)
            value(obj.method)
        elif cls is Native:
            pass
        elif cls is Module:
            if not obj.native:
                value(obj.members)
        elif cls is Buffer:
            uint(len(obj.data))
            self.out += obj.data
        elif cls is Resource:
            string(obj.kind)
            uint(len(obj.info))
            for k, x in obj.info.items():
                string(k)
                value(x)
        elif cls is Iter:
            value(obj.keys)
            uint(obj.n)
            uint(obj.i)

    def code(self, c):
        value, uint, string = self.value, self.uint, self.string
        string(c.name)
        string(c.filename)
        uint(len(c.params))
        for p, t in zip(c.params, c.param_types):
            string(p)
            value(t)
        value(c.return_type)
        value(c.is_method)
        uint(min(c.min_args, 1 << 30))
        uint(c.nlocals)
        uint(len(c.cell_params))
        for s in c.cell_params:
            uint(s)
        uint(len(c.freevars))
        for is_local, i in c.freevars:
            value(is_local)
            uint(i)
        uint(len(c.names))
        for s in c.names:
            string(s)
        uint(len(c.consts))
        for k in c.consts:
            if k.__class__ is tuple:            # (type, message) of CHECK_TYPE, (name, type) of ADD_FIELD
                self.out.append(0xFF)
                uint(len(k))
                for x in k:
                    value(x)
            else:
                value(k)
        uint(len(c.instrs))
        out = self.out
        for (o, a), line in zip(c.instrs, c.lines):
            out.append(o)
            if a is None:
                out.append(0)
            elif a.__class__ is tuple:
                out.append(2)
                uint(a[0])
                uint(a[1])
            else:
                out.append(1)
                uint(a)
            uint(line)

    def frame(self, f, extra=None):
        value, uint = self.value, self.uint
        value(f.func)
        uint(f.ip)
        uint(len(f.locals))
        for x in f.locals:
            value(x)
        stack = f.stack if extra is None else f.stack + [extra[0]]
        uint(len(stack))
        for x in stack:
            value(x)
        uint(len(f.handlers))
        for target, depth in f.handlers:
            uint(target)
            uint(depth)
        if f.result is NO_RESULT:
            self.out.append(0)
        else:
            self.out.append(1)
            value(f.result)


_BIG_ENDIAN = sys.byteorder == "big"     # the file is little-endian on every machine


def _all_floats(lst):
    return len(lst) > 8 and set(map(type, lst)) == {float}


def state_roots(vm):
    module_state = {}
    names = [n for n, m in vm.modules.items() if m.native] + [n for n in vm.module_state if n not in vm.modules]
    for name in names:
        nm = native_module(name)
        if nm is not None and nm.save_state is not None and (name in vm.module_state or name in vm.modules):
            module_state[name] = nm.save_state(vm)
    return module_state


def encode(vm, frames, push_result, result=True):
    """The snapshot body for the VM's state with these frames."""
    w = Writer()
    module_state = state_roots(vm)
    roots = [vm.globals, vm.prelude, list(vm.modules.values())] + list(module_state.values())
    for f in frames:
        roots.append(f.func)
        roots.extend(f.locals)
        roots.extend(f.stack)
        if f.result is not None:
            roots.append(f.result)
    roots = [r for r in roots if r is not NO_RESULT]
    w.collect(roots)
    out = w.out
    w.uint(len(w.objects))
    kinds = bytearray()
    kind_of = {list: K_LIST, dict: K_DICT, Cell: K_CELL, Function: K_FUNC, Code: K_CODE, Class: K_CLASS,
               Instance: K_INST, BoundMethod: K_BOUND, Native: K_NATIVE, Module: K_MODULE, Buffer: K_BUFFER,
               Resource: K_RESOURCE, Iter: K_ITER}
    for obj in w.objects:
        k = kind_of[obj.__class__]
        if k == K_LIST and id(obj) in w.float_lists:
            k = K_FLOATS
        kinds.append(k)
    out += kinds
    for obj in w.objects:       # named objects are made by the reader before any contents refer to them
        if obj.__class__ is Native:
            w.string(obj.qualname)
        elif obj.__class__ is Module:
            w.string(obj.name)
            w.value(obj.native)
    for obj in w.objects:
        w.contents(obj)
    # roots
    w.string(vm.script_path)
    w.uint(len(vm.sources))
    for name, text in vm.sources.items():
        w.string(name)
        w.string(text)
    w.value(vm.globals)
    w.value(vm.prelude)
    w.uint(len(vm.modules))
    for name, m in vm.modules.items():
        w.string(name)
        w.value(m)
    w.uint(len(module_state))
    for name, st in module_state.items():
        w.string(name)
        w.value(st)
    w.uint(len(frames))
    for i, f in enumerate(frames):
        w.frame(f, (result,) if (push_result and i == len(frames) - 1) else None)
    return bytes(out)


def write_snapshot(vm, path, frames, push_result=True, result=True):
    """Write atomically: a temporary file in the same folder, flushed and fsync'd, renamed over the target."""
    if not isinstance(path, str) or not path:
        raise NeutronError("sys.checkpoint: the path must be a non-empty string.")
    enabled = gc.isenabled()
    gc.disable()
    try:
        body = encode(vm, frames, push_result, result)
    finally:
        if enabled:
            gc.enable()
    version = __version__.encode("ascii")
    vfield = bytes([len(version)]) + version
    header = MAGIC + struct.pack("<HQI", FORMAT_VERSION, len(body), zlib.crc32(body, zlib.crc32(vfield))) + vfield
    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        prefix = "." + os.path.basename(path) + ".tmp-"
        _remove_stale_temps(folder, prefix)
        fd, tmp = tempfile.mkstemp(prefix=prefix, dir=folder)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(header)
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            try:
                os.close(fd)
            except OSError:
                pass
            raise
        os.replace(tmp, path)
        tmp = None
        try:
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
    except OSError as e:
        raise NeutronError(f"sys.checkpoint: cannot write '{path}': {e.strerror or e}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _remove_stale_temps(folder, prefix, age=600):
    """Temporary files left by a process killed while writing this snapshot (older than `age` seconds, so that a
    write in progress in another process is left alone)."""
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix)]
    except OSError:
        return
    now = time.time()
    for name in names:
        full = os.path.join(folder, name)
        try:
            if now - os.stat(full).st_mtime > age:
                os.unlink(full)
        except OSError:
            pass


# ---- reading ------------------------------------------------------------------------------------------------

class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.objects = []

    def fail(self, why="the file is damaged"):
        raise SnapshotError(why)

    def byte(self):
        if self.pos >= len(self.data):
            self.fail("truncated snapshot")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uint(self):
        data = self.data
        n = 0
        shift = 0
        pos = self.pos
        while True:
            if pos >= len(data):
                self.fail("truncated snapshot")
            b = data[pos]
            pos += 1
            n |= (b & 0x7F) << shift
            if b < 0x80:
                break
            shift += 7
            if shift > 70:
                self.fail()
        self.pos = pos
        return n

    def count(self, limit=MAX_COUNT):
        n = self.uint()
        if n > limit or n > len(self.data):
            self.fail()
        return n

    def raw(self, n):
        if self.pos + n > len(self.data):
            self.fail("truncated snapshot")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def string(self):
        n = self.count()
        try:
            return self.raw(n).decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            self.fail()

    def value(self):
        t = self.byte()
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
                self.fail()
            return self.objects[i]
        if t == T_NIL:
            return None
        if t == T_TRUE:
            return True
        if t == T_FALSE:
            return False
        self.fail()

    def typed(self, cls):
        v = self.value()
        if v.__class__ is not cls:
            self.fail()
        return v

    def shells(self, vm):
        n = self.count()
        kinds = self.raw(n)
        objs = self.objects
        for k in kinds:
            if k == K_LIST or k == K_FLOATS:
                objs.append([])
            elif k == K_DICT:
                objs.append({})
            elif k == K_CELL:
                objs.append(Cell())
            elif k == K_FUNC:
                objs.append(Function.__new__(Function))
            elif k == K_CODE:
                objs.append(Code("", ""))
            elif k == K_CLASS:
                objs.append(Class("", {}, []))
            elif k == K_INST:
                objs.append(Instance(None))
            elif k == K_BOUND:
                objs.append(BoundMethod(None, None))
            elif k == K_NATIVE:
                objs.append(None)       # resolved by name below
            elif k == K_MODULE:
                objs.append(None)       # native modules are made by name; files get a shell below
            elif k == K_BUFFER:
                objs.append(Buffer(bytearray()))
            elif k == K_RESOURCE:
                objs.append(Resource("", None))
            elif k == K_ITER:
                objs.append(Iter(None, 0))
            else:
                self.fail()
        for i, k in enumerate(kinds):
            if k == K_NATIVE:
                objs[i] = resolve_native(self.string(), self)
            elif k == K_MODULE:
                name = self.string()
                native = self.value()
                if native is True:
                    m = vm.modules.get(name) or instantiate(vm, name)
                    if m is None:
                        self.fail(f"the snapshot uses a module this Neutron does not have: '{_shown(name)}'")
                    vm.modules[name] = m
                    objs[i] = m
                elif native is False:
                    objs[i] = Module(name, {}, native=False)
                else:
                    self.fail()
        return kinds

    def fill(self, vm, kinds):
        objs = self.objects
        value, uint, string = self.value, self.uint, self.string
        pending = []
        iters = []
        for i, k in enumerate(kinds):
            obj = objs[i]
            if k == K_FLOATS:
                n = self.count()
                a = array("d")
                a.frombytes(self.raw(8 * n))
                if _BIG_ENDIAN:
                    a.byteswap()
                obj.extend(a.tolist())
            elif k == K_LIST:
                n = self.count()
                obj.extend([value() for _ in range(n)])
            elif k == K_DICT:
                n = self.count()
                for _ in range(n):
                    key = string()
                    obj[key] = value()
            elif k == K_CELL:
                obj.value = value()
            elif k == K_FUNC:
                code = value()
                ncells = self.count()
                cells = tuple(value() for _ in range(ncells))
                g = value()
                name = string()
                pending.append((obj, code, cells, g, name))
            elif k == K_CODE:
                self.code(obj)
            elif k == K_CLASS:
                obj.name = string()
                n = self.count()
                for _ in range(n):
                    mname = string()
                    obj.methods[mname] = value()
                n = self.count()
                for _ in range(n):
                    fname = string()
                    ftype = value()
                    if ftype is not None and ftype not in _TYPES:
                        self.fail()
                    obj.add_field(fname, ftype)
            elif k == K_INST:
                obj.klass = value()
                n = self.count()
                for _ in range(n):
                    key = string()
                    obj.fields[key] = value()
            elif k == K_BOUND:
                obj.receiver = value()
                obj.method = value()
            elif k == K_NATIVE:
                pass
            elif k == K_MODULE:
                if not obj.native:
                    members = value()
                    if members.__class__ is not dict:
                        self.fail()
                    obj.members = members
            elif k == K_BUFFER:
                n = self.count()
                obj.data = bytearray(self.raw(n))
            elif k == K_RESOURCE:
                obj.kind = string()
                n = self.count()
                for _ in range(n):
                    key = string()
                    obj.info[key] = value()
                obj.handle = None
            elif k == K_ITER:
                keys = value()
                if keys is not None and keys.__class__ is not list:
                    self.fail()
                obj.keys = keys
                obj.n = uint()
                obj.i = uint()
                iters.append(obj)
        for obj in iters:           # after the loop: the keys list may come later in the table
            if obj.i > obj.n or (obj.keys is not None and obj.n > len(obj.keys)):
                self.fail()
        for obj, code, cells, g, name in pending:
            if code.__class__ is not Code or g.__class__ is not dict or not all(c.__class__ is Cell for c in cells):
                self.fail()
            if len(cells) != len(code.freevars):
                self.fail()
            obj.code, obj.cells, obj.globals, obj.name = code, cells, g, name
        return objs

    def code(self, c):
        value, uint, string = self.value, self.uint, self.string
        c.name = string()
        c.filename = string()
        n = self.count(1 << 16)
        c.params, c.param_types = [], []
        for _ in range(n):
            c.params.append(string())
            c.param_types.append(value())
        c.return_type = value()
        c.is_method = value() is True
        c.min_args = self.uint()            # 1 << 30 when every parameter is required: not a count
        if c.min_args > 1 << 30:
            self.fail()
        c.nlocals = self.count(1 << 20)
        c.cell_params = [uint() for _ in range(self.count(1 << 20))]
        c.freevars = []
        for _ in range(self.count(1 << 20)):
            is_local = value()
            c.freevars.append((is_local is True, uint()))
        c.names = [string() for _ in range(self.count())]
        consts = []
        for _ in range(self.count()):
            if self.pos < len(self.data) and self.data[self.pos] == 0xFF:
                self.pos += 1
                consts.append(tuple(value() for _ in range(self.count(4))))
            else:
                consts.append(value())
        c.consts = consts
        n = self.count()
        instrs, lines = [], []
        for _ in range(n):
            o = self.byte()
            form = self.byte()
            if form == 0:
                a = None
            elif form == 1:
                a = uint()
            elif form == 2:
                a = (uint(), uint())
            else:
                self.fail()
            instrs.append((o, a))
            lines.append(uint())
        c.instrs, c.lines = instrs, lines


def check_code(c, fail):
    """Every instruction of a code object read from a file must be well-formed before it runs."""
    n = len(c.instrs)
    nops = len(O.NAMES)
    for s in c.cell_params:
        if s >= c.nlocals:
            fail()
    if len(c.params) + (1 if c.is_method else 0) > c.nlocals:
        fail()
    for o, a in c.instrs:
        if o >= nops:
            fail()
        kind = O.OPERAND[o]
        if kind is None:
            if a is not None:
                fail()
            continue
        if kind == "name,argc":
            if a.__class__ is not tuple or a[0] >= len(c.names):
                fail()
            continue
        if a.__class__ is not int:
            fail()
        if kind == "const":
            if a >= len(c.consts):
                fail()
            k = c.consts[a]
            if o == O.CLOSURE and k.__class__ is not Code:
                fail()
            if o == O.CHECK_TYPE and not (k.__class__ is tuple and len(k) == 2 and k[0] in _TYPES
                                          and k[1].__class__ is str):
                fail()
            if o == O.ADD_FIELD and not (k.__class__ is tuple and len(k) == 2):
                fail()
            if o in (O.USING, O.USING_ISOLATED, O.ERROR) and k.__class__ is not str:
                fail()
        elif kind == "name":
            if a >= len(c.names):
                fail()
        elif kind == "slot":
            if a >= c.nlocals:
                fail()
        elif kind == "free":
            if a >= len(c.freevars):
                fail()
        elif kind == "target":
            if a > n:
                fail()
    for is_local, i in c.freevars:
        pass
    if not c.instrs or c.instrs[-1][0] not in (O.RETURN, O.JUMP, O.THROW):
        fail()
    try:
        return compute_depths(c)
    except (AssertionError, IndexError, TypeError):
        fail()


_TYPES = ("int", "float", "string", "bool", "array", "object", "any", "number")


def resolve_native(qualname, reader):
    from ..runtime import methods as B
    mod, _, name = qualname.partition(".")
    if mod == "prelude":
        entry = getattr(B, "PRELUDE_NATIVES", {}).get(name)
        if entry is not None:
            fn, lo, hi = entry
            return Native(qualname, fn, lo, hi)
    else:
        nm = native_module(mod)
        if nm is not None and name in nm.functions:
            return nm.functions[name]
    reader.fail(f"the snapshot names a built-in function this Neutron does not have: '{_shown(qualname)}'")


def _shown(name):
    """A name read from the file, fit for a one-line message: control characters escaped, long names cut."""
    if not name.isprintable():
        name = name.encode("unicode_escape", "backslashreplace").decode("ascii")
    return name if len(name) <= 60 else name[:57] + "..."


def read_header(data):
    if len(data) == 0:
        raise SnapshotError("the file is empty")
    if len(data) < 8 or data[:8] != MAGIC:
        raise SnapshotError("not a Neutron snapshot")
    if len(data) < 23:
        raise SnapshotError("truncated snapshot")
    version, length, crc = struct.unpack("<HQI", data[8:22])
    if version > FORMAT_VERSION:
        raise SnapshotError(f"the snapshot was written by a newer Neutron (format {version}; this one reads "
                            f"format {FORMAT_VERSION})")
    if version != FORMAT_VERSION:
        raise SnapshotError(f"unsupported snapshot format {version}")
    vlen = data[22]
    start = 23 + vlen
    if len(data) < start:
        raise SnapshotError("truncated snapshot")
    body = data[start:]
    if len(body) < length:
        raise SnapshotError("truncated snapshot")
    if len(body) > length:
        raise SnapshotError("the file is damaged (extra bytes after the snapshot)")
    if zlib.crc32(body, zlib.crc32(data[22:start])) != crc:     # the checksum covers the runtime version too
        raise SnapshotError("the file is damaged (checksum mismatch)")
    return body


def load_snapshot(vm, data):
    """Restore a VM from snapshot bytes; raises SnapshotError with a one-line reason."""
    body = read_header(data)
    enabled = gc.isenabled()
    gc.disable()
    try:
        r = Reader(body)
        try:
            kinds = r.shells(vm)
            r.fill(vm, kinds)
            depths = {}         # id(code) -> operand-stack depth before each instruction
            for obj, k in zip(r.objects, kinds):
                if k == K_CODE:
                    depths[id(obj)] = check_code(obj, r.fail)
            vm.script_path = r.string()
            for _ in range(r.count()):
                name = r.string()
                vm.sources[name] = r.string()
            g = r.value()
            if g.__class__ is not dict:
                r.fail()
            vm.globals = g
            p = r.value()
            if p is not None and p.__class__ is not dict:
                r.fail()
            vm.prelude = p
            for _ in range(r.count()):
                name = r.string()
                m = r.value()
                if m.__class__ is not Module:
                    r.fail()
                vm.modules[name] = m
            for _ in range(r.count()):
                name = r.string()
                st = r.value()
                nm = native_module(name)
                if nm is None or nm.load_state is None:
                    r.fail()
                try:
                    nm.load_state(vm, st)
                except (NeutronError, TypeError, ValueError, KeyError, IndexError):
                    r.fail()
            frames = []
            for _ in range(r.count()):
                func = r.value()
                if func.__class__ is not Function:
                    r.fail()
                ip = r.uint()
                locals_ = [r.value() for _ in range(r.count())]
                stack = [r.value() for _ in range(r.count())]
                f = Frame(func, func.code, locals_, ip)
                f.stack = stack
                for _ in range(r.count()):
                    target = r.uint()
                    depth = r.uint()
                    if target > len(func.code.instrs) or depth > len(stack) + 1:
                        r.fail()
                    f.handlers.append((target, depth))
                if r.byte() == 1:
                    f.result = r.value()
                else:
                    f.result = NO_RESULT
                if ip >= len(func.code.instrs) or len(locals_) != func.code.nlocals:
                    r.fail()
                frames.append(f)
            # each frame's operand stack must be what its code has at that instruction: the frames below the
            # top wait for a call's result, which is not pushed yet
            for i, f in enumerate(frames):
                want = depths[id(f.code)][f.ip]
                if want is None or len(f.stack) != (want if i == len(frames) - 1 else want - 1):
                    r.fail()
            if not frames:
                r.fail()
            if r.pos != len(body):
                r.fail()
        except RecursionError:
            raise SnapshotError("the file is damaged") from None
        vm.frames = frames
    finally:
        if enabled:
            gc.enable()
