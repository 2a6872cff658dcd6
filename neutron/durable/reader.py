"""Reading a snapshot body: empty shells for every object first (so references can point anywhere), then each
object's contents, then the roots and the frames."""
from __future__ import annotations

import struct
from array import array

from ..bytecode.code import Code
from ..errors import NeutronError
from ..runtime.frames import NO_RESULT, Frame, Iter
from ..runtime.values import Buffer, BoundMethod, Cell, Class, Function, Instance, Module, Native, Resource
from ..stdlib import instantiate, native_module
from .format import BIG_ENDIAN, K_BOUND, K_BUFFER, K_CELL, K_CLASS, K_CODE, K_DICT, K_FLOATS, K_FUNC, K_INST, \
    K_ITER, K_LIST, K_MODULE, K_NATIVE, K_RESOURCE, MAX_COUNT, T_FALSE, T_FLOAT, T_INT, T_NIL, T_REF, T_STR, \
    T_TRUE, SnapshotError, shown
from .verify import _TYPES, check_code


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
                        self.fail(f"the snapshot uses a module this Neutron does not have: '{shown(name)}'")
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
                if BIG_ENDIAN:
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
    reader.fail(f"the snapshot names a built-in function this Neutron does not have: '{shown(qualname)}'")



def load(vm, body):
    """Restore the VM's state from a snapshot body."""
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

