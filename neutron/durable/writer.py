"""Writing a snapshot body: every reachable object gets an index (a memo, so sharing and cycles survive), then the
kinds, the named objects, each object's contents and the roots."""
from __future__ import annotations

import struct
from array import array

from ..bytecode.code import Code
from ..errors import NeutronError
from ..runtime.frames import NO_RESULT, Iter
from ..runtime.values import Buffer, BoundMethod, Cell, Class, Function, Instance, Module, Native, Resource
from ..stdlib import native_module
from .format import BIG_ENDIAN, K_BOUND, K_BUFFER, K_CELL, K_CLASS, K_CODE, K_DICT, K_FLOATS, K_FUNC, K_INST, \
    K_ITER, K_LIST, K_MODULE, K_NATIVE, K_RESOURCE, T_FALSE, T_FLOAT, T_INT, T_NIL, T_REF, T_STR, T_TRUE


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
                if BIG_ENDIAN:
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

