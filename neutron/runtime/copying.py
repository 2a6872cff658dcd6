"""Deep copies of Neutron values, for processes, which share nothing: a spawned function and its arguments, and
every message, are copied whole. Aliasing and cycles inside one copy are kept (each part is copied once).

A function is copied with its captured variables and with the globals its code can name (its own and its nested
functions' names, and so on through the functions those globals hold), taken as they are at the copy: the copy
gets its own globals dict, so what it changes there is its own. Built-in things are not copied: native functions
and modules, code, tasks, resources.
"""
from __future__ import annotations

from .values import Buffer, BoundMethod, Cell, Class, Function, Instance, Module

SCALARS = (float, str, bool, int, type(None))
_names = {}         # code -> the names it and its nested code objects use


def names_of(code):
    found = _names.get(code)
    if found is None:
        found = set(code.names)
        for k in code.consts:
            if hasattr(k, "instrs") and hasattr(k, "names"):
                found |= names_of(k)
        found = _names[code] = frozenset(found)
    return found


class Copier:
    def __init__(self):
        self.memo = {}          # id(original) -> copy
        self.keep = []          # the originals, alive while their ids are in memo
        self.todo = []          # (original, copy) whose contents are still to copy
        self.globals = {}       # id(original globals) -> (original, copy)

    def copy(self, value):
        out = self.ref(value)
        todo = self.todo
        while todo:
            orig, new = todo.pop()
            cls = orig.__class__
            if cls is list:
                new.extend(map(self.ref, orig))
            elif cls is dict:
                for k, v in orig.items():
                    new[k] = self.ref(v)
            elif cls is Cell:
                new.value = self.ref(orig.value)
            elif cls is Function:
                new.cells = tuple(map(self.ref, orig.cells))
                self.bring_globals(orig.globals, orig.code)
            elif cls is Instance:
                new.klass = self.ref(orig.klass)
                for k, v in orig.fields.items():
                    new.fields[k] = self.ref(v)
            elif cls is Class:
                for k, m in orig.methods.items():
                    new.methods[k] = self.ref(m)
            elif cls is BoundMethod:
                new.receiver = self.ref(orig.receiver)
                new.method = orig.method if orig.method.__class__ is str else self.ref(orig.method)
            elif cls is Module:
                for k, v in orig.members.items():
                    new.members[k] = self.ref(v)
        return out

    def ref(self, v):
        cls = v.__class__
        if cls in SCALARS:
            return v
        new = self.memo.get(id(v))
        if new is not None:
            return new
        if cls is list:
            new = []
        elif cls is dict:
            new = {}
        elif cls is Cell:
            new = Cell()
        elif cls is Function:
            new = Function(v.code, (), self.globals_copy(v.globals), v.name)
        elif cls is Instance:
            new = Instance(None)
        elif cls is Class:
            new = Class(v.name, {}, list(v.fields))
        elif cls is BoundMethod:
            new = BoundMethod(None, None)
        elif cls is Buffer:
            new = Buffer(bytearray(v.data))
        elif cls is Module and not v.native:
            new = Module(v.name, {}, native=False)
        else:
            return v            # natives, native modules, code, tasks, resources: shared, not state
        self.memo[id(v)] = new
        self.keep.append(v)
        if cls is not Buffer:
            self.todo.append((v, new))
        return new

    def globals_copy(self, g):
        entry = self.globals.get(id(g))
        if entry is None:
            entry = self.globals[id(g)] = (g, {})
        return entry[1]

    def bring_globals(self, g, code):
        new = self.globals_copy(g)
        for name in names_of(code):
            if name in g and name not in new:
                new[name] = self.ref(g[name])


def deep_copy(value):
    return Copier().copy(value)
