"""Writing a snapshot body; reader.py is its mirror, function for function.

Every object reachable from the roots gets an index in a memo (so sharing and cycles survive), found without
recursion. Each heap kind has a `save_<kind>` that writes its contents and a `<kind>_children` that lists the values
it refers to, registered together in SAVE right under them, as pickle.py does; the kind tags and the set of classes
a snapshot can hold are read off SAVE.
"""
from __future__ import annotations

import struct
from array import array
from typing import Callable, NamedTuple

from ..bytecode.code import Code
from ..errors import NeutronError
from ..runtime.frames import NO_RESULT, Iter
from ..runtime.values import Buffer, BoundMethod, Cell, Class, Function, Instance, Module, Native, Resource
from ..stdlib import native_module
from .format import BIG_ENDIAN, K_BOUND, K_BUFFER, K_CELL, K_CLASS, K_CODE, K_DICT, K_FLOATS, K_FUNC, K_INST, \
    K_ITER, K_LIST, K_MODULE, K_NATIVE, K_RESOURCE, T_FALSE, T_FLOAT, T_INT, T_NIL, T_REF, T_STR, T_TRUE, TUPLE_MARK


class Writer:
    def __init__(self):
        self.out = bytearray()
        self.memo = {}              # id(obj) -> index
        self.objects = []
        self.float_lists = set()    # ids of arrays written as one block of doubles

    def collect(self, roots):
        """Give an index to every object reachable from `roots`."""
        memo, objects = self.memo, self.objects
        children_of = {cls: kind.children for cls, kind in SAVE.items()}
        work = list(roots)
        while work:
            v = work.pop()
            cls = v.__class__
            if cls is float or cls is str or v is None or cls is bool or cls is int:
                continue
            if id(v) in memo:
                continue
            children = children_of.get(cls)
            if children is None:
                raise NeutronError(f"Cannot checkpoint a value of type {cls.__name__}.")
            memo[id(v)] = len(objects)
            objects.append(v)
            work.extend(children(self, v))

    def kinds(self):
        """One kind tag per object, in table order."""
        tag = {cls: kind.tag for cls, kind in SAVE.items()}
        floats = self.float_lists
        return bytes(K_FLOATS if obj.__class__ is list and id(obj) in floats else tag[obj.__class__]
                     for obj in self.objects)

    def uint(self, n):
        out = self.out
        if n < 0x80:            # most numbers in a snapshot fit in one byte
            out.append(n)
            return
        while n >= 0x80:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)

    def string(self, s):
        b = s.encode("utf-8", "surrogatepass")
        n = len(b)
        if n < 0x80:
            self.out.append(n)
        else:
            self.uint(n)
        self.out += b

    def value(self, v):
        out = self.out
        cls = v.__class__
        if cls is float:
            if v.is_integer() and -9007199254740992.0 <= v <= 9007199254740992.0 and \
                    not (v == 0 and str(v)[0] == "-"):
                i = int(v)
                z = (i << 1) if i >= 0 else ((-i << 1) - 1)     # zigzag: small magnitudes in few bytes
                out.append(T_INT)
                if z < 0x80:
                    out.append(z)
                else:
                    self.uint(z)
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

    def str_map(self, d):
        """A map from strings to values: count, then key and value pairs (reader: Reader.str_map)."""
        self.uint(len(d))
        string, value = self.string, self.value
        for k, x in d.items():
            string(k)
            value(x)


class Kind(NamedTuple):
    tag: int
    children: Callable      # (writer, obj) -> the values obj refers to
    save: Callable          # (writer, obj): its contents
    name: Callable = None   # (writer, obj): how the reader makes it before any contents (named objects)


SAVE = {}   # class -> Kind


def no_children(w, obj):
    return ()


def save_nothing(w, obj):
    pass


def list_children(w, lst):
    if len(lst) > 8 and set(map(type, lst)) == {float}:
        w.float_lists.add(id(lst))
        return ()
    return lst


def save_list(w, lst):
    w.uint(len(lst))
    if id(lst) in w.float_lists:
        a = array("d")
        a.fromlist(lst)
        if BIG_ENDIAN:
            a.byteswap()
        w.out += a.tobytes()
    else:
        value = w.value
        for x in lst:
            value(x)


SAVE[list] = Kind(K_LIST, list_children, save_list)     # K_FLOATS when written as one block (Writer.kinds)


def dict_children(w, d):
    return d.values()


def save_dict(w, d):
    w.str_map(d)


SAVE[dict] = Kind(K_DICT, dict_children, save_dict)


def cell_children(w, c):
    return (c.value,)


def save_cell(w, c):
    w.value(c.value)


SAVE[Cell] = Kind(K_CELL, cell_children, save_cell)


def function_children(w, f):
    return (f.code, *f.cells, f.globals)


def save_function(w, f):
    value = w.value
    value(f.code)
    w.uint(len(f.cells))
    for c in f.cells:
        value(c)
    value(f.globals)
    w.string(f.name)


SAVE[Function] = Kind(K_FUNC, function_children, save_function)


def code_children(w, c):
    out = []
    for k in c.consts:
        if k.__class__ is tuple:        # (type, message) of CHECK_TYPE, (name, type) of ADD_FIELD
            out.extend(k)
        else:
            out.append(k)
    return out


def save_code(w, c):
    value, uint, string = w.value, w.uint, w.string
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
    out = w.out
    for k in c.consts:
        if k.__class__ is tuple:
            out.append(TUPLE_MARK)
            uint(len(k))
            for x in k:
                value(x)
        else:
            value(k)
    uint(len(c.instrs))
    cols = c.cols if len(c.cols) == len(c.instrs) else [-1] * len(c.instrs)
    for (o, a), line, col in zip(c.instrs, c.lines, cols):
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
        uint(col + 1)


SAVE[Code] = Kind(K_CODE, code_children, save_code)


def class_children(w, c):
    return c.methods.values()


def save_class(w, c):
    w.string(c.name)
    w.str_map(c.methods)
    w.uint(len(c.fields))
    for fname, ftype in c.fields:
        w.string(fname)
        w.value(ftype)


SAVE[Class] = Kind(K_CLASS, class_children, save_class)


def instance_children(w, inst):
    return (inst.klass, *inst.fields.values())


def save_instance(w, inst):
    w.value(inst.klass)
    w.str_map(inst.fields)


SAVE[Instance] = Kind(K_INST, instance_children, save_instance)


def bound_children(w, b):
    return (b.receiver, b.method)


def save_bound(w, b):
    w.value(b.receiver)
    w.value(b.method)


SAVE[BoundMethod] = Kind(K_BOUND, bound_children, save_bound)


def name_native(w, n):
    w.string(n.qualname)


SAVE[Native] = Kind(K_NATIVE, no_children, save_nothing, name_native)


def prelude_of(m):
    """A native module's functions written in Neutron: they go into the snapshot, so that a resume does not compile
    the module's prelude again (that would need the front end)."""
    return {name: v for name, v in m.members.items() if v.__class__ is Function}


def module_children(w, m):
    return prelude_of(m).values() if m.native else (m.members,)


def name_module(w, m):
    w.string(m.name)
    w.value(m.native)
    if m.native:
        w.str_map(prelude_of(m))


def save_module(w, m):
    if not m.native:
        w.value(m.members)


SAVE[Module] = Kind(K_MODULE, module_children, save_module, name_module)


def save_buffer(w, b):
    w.uint(len(b.data))
    w.out += b.data


SAVE[Buffer] = Kind(K_BUFFER, no_children, save_buffer)


def resource_children(w, res):
    return res.info.values()


def save_resource(w, res):
    w.string(res.kind)
    w.str_map(res.info)


SAVE[Resource] = Kind(K_RESOURCE, resource_children, save_resource)


def iter_children(w, it):
    return () if it.keys is None else (it.keys,)


def save_iter(w, it):
    w.value(it.keys)
    w.uint(it.n)
    w.uint(it.i)


SAVE[Iter] = Kind(K_ITER, iter_children, save_iter)


# ---- frames and roots -------------------------------------------------------------------------------------------

def write_frame(w, f, pushed=()):
    """A frame; `pushed` holds a value to push on its operand stack (the result of the call that checkpoints)."""
    value, uint = w.value, w.uint
    value(f.func)
    uint(f.ip)
    uint(len(f.locals))
    for x in f.locals:
        value(x)
    uint(len(f.stack) + len(pushed))
    for x in f.stack:
        value(x)
    for x in pushed:
        value(x)
    uint(len(f.handlers))
    for target, depth in f.handlers:
        uint(target)
        uint(depth)
    if f.result is NO_RESULT:
        w.out.append(0)
    else:
        w.out.append(1)
        value(f.result)


def write_roots(w, vm, states, frames, push_result, result):
    w.string(vm.script_path)
    w.uint(len(vm.sources))
    for name, text in vm.sources.items():
        w.string(name)
        w.string(text)
    w.value(vm.globals)
    w.value(vm.prelude)
    w.str_map(vm.modules)
    w.str_map(states)
    w.uint(len(frames))
    last = len(frames) - 1
    for i, f in enumerate(frames):
        write_frame(w, f, (result,) if push_result and i == last else ())


def module_states(vm):
    """The program-visible state of the native modules in use (the random generator's), as Neutron values."""
    states = {}
    names = [n for n, m in vm.modules.items() if m.native] + [n for n in vm.module_state if n not in vm.modules]
    for name in names:
        nm = native_module(name)
        if nm is not None and nm.save_state is not None:
            states[name] = nm.save_state(vm)
    return states


def encode(vm, frames, push_result, result=True):
    """The snapshot body for the VM's state with these frames."""
    w = Writer()
    states = module_states(vm)
    roots = [vm.globals, vm.prelude, *vm.modules.values(), *states.values(), result]
    for f in frames:
        roots.append(f.func)
        roots.extend(f.locals)
        roots.extend(f.stack)
        if f.result is not NO_RESULT:
            roots.append(f.result)
    w.collect(roots)
    w.uint(len(w.objects))
    w.out += w.kinds()
    named = {cls: kind.name for cls, kind in SAVE.items() if kind.name is not None}
    for obj in w.objects:       # the reader makes named objects before any contents refer to them
        name = named.get(obj.__class__)
        if name is not None:
            name(w, obj)
    save = {cls: kind.save for cls, kind in SAVE.items()}
    for obj in w.objects:
        save[obj.__class__](w, obj)
    write_roots(w, vm, states, frames, push_result, result)
    return bytes(w.out)
