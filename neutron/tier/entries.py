"""The code generator's symbolic operand stack: what each VM stack slot holds at compile time, and what a call
site records of it for a capture.

Stack entries (the Emitter's `vs`, bottom first):

    Local(slot)              the current value of Neutron local `slot` (Python `l<slot>`), not yet read into a
                             temporary: a store to that local first copies such entries (invalidate_local)
    Temp(name, tag)          a Python temporary (`t17`) or canonical stack name (`s3`), with its type tag or None
    Const(value)             a constant (nil, true, false, a number, a string or a code object)
    BinOp(op, a, b, ip)      a pending arithmetic or comparison tree over entries a and b; ip is the instruction
                             whose error an error of the tree is
    UnOp(op, a, ip)          a pending NEG or NOT of entry a
    StrExpr(code)            a Python expression that makes a string (TO_STR and CONCAT): always tagged STR
    PendingLen(recv)         `recv.length` of a receiver known to be a list or a string (a Python expression):
                             written as float(len(recv)), or compared as the int len(recv)

Local, Temp and Const are "simple" (a Python name or literal, see SIMPLE); the others are evaluated where they are
used or flushed into temporaries. Entries are compared by kind (`e.__class__ is Local`), never by value.

Call-site descriptors (Info.sites, read by capture.vm_frame), one per stack entry below and at the call:

    Known(value)             a constant the VM frame's stack gets as it is
    Named(name)              a Python local of the generated function, read from the frame's f_locals
"""
from __future__ import annotations

import math
import re
from typing import NamedTuple

from ..bytecode import opcodes as O
from .opsets import COMPARE
from .tags import BOO, FLT, STR, binary_tag, tag_of


class Local(NamedTuple):
    slot: int


class Temp(NamedTuple):
    name: str
    tag: str | None


class Const(NamedTuple):
    value: object


class BinOp(NamedTuple):
    op: int
    a: tuple
    b: tuple
    ip: int


class UnOp(NamedTuple):
    op: int
    a: tuple
    ip: int


class StrExpr(NamedTuple):
    code: str


class PendingLen(NamedTuple):
    recv: str


SIMPLE = (Local, Temp, Const)


class Known(NamedTuple):
    value: object


class Named(NamedTuple):
    name: str


NAME_OR_NUMBER = re.compile(r"-?\w+$")      # Python text that is a name or a literal number


def mentions(e, name):
    """Whether stack entry e reads the Python temporary `name`."""
    k = e.__class__
    if k is Temp:
        return e.name == name
    if k is BinOp:
        return mentions(e.a, name) or mentions(e.b, name)
    if k is UnOp:
        return mentions(e.a, name)
    if k is StrExpr or k is PendingLen:
        return re.search(rf"\b{name}\b", e.code if k is StrExpr else e.recv) is not None
    return False


def literal(v):
    """A Python literal for a constant, or None when it needs a namespace entry."""
    cls = v.__class__
    if v is None or v is True or v is False:
        return repr(v)
    if cls is float:
        if v != v or v in (math.inf, -math.inf):
            return None
        r = repr(v)
        return f"({r})" if r.startswith("-") else r
    if cls is str:
        return repr(v)
    return None


class Stack:
    """The Emitter's symbolic operand stack: entries to Python, their tags, flushing into temporaries."""

    def ex(self, e):
        """Python expression of a simple entry."""
        k = e.__class__
        if k is Local:
            if e.slot in self.dead:
                return f"float({self.dead[e.slot]})"      # (its int() itself where an int will do)
            return f"l{e.slot}"
        if k is Temp:
            return e.name
        if k is Const:
            lit = literal(e.value)
            return lit if lit is not None else self.kname(e.value)
        raise AssertionError(e)

    @staticmethod
    def simple(e):
        return e.__class__ in SIMPLE

    def tag(self, e):
        """What the type analysis knows of an entry's value (see typeflow.type_flow)."""
        k = e.__class__
        if k is Const:
            return tag_of(e.value)
        if k is Temp:
            return e.tag
        if k is Local:
            t = self.overlay.get(e.slot)
            if t is not None:
                return t
            st = self.flow.get(self.fip)
            return st[0].get(e.slot) if st is not None else None
        if k is BinOp:
            o = e.op
            if o in COMPARE:
                return BOO
            return binary_tag(o, self.tag(e.a), self.tag(e.b))
        if k is UnOp:
            return FLT if e.op == O.NEG else BOO
        if k is StrExpr:
            return STR
        if k is PendingLen:
            return FLT
        return None

    def known_float(self, e):
        return self.tag(e) == FLT

    @staticmethod
    def is_bool(e):
        """Whether an entry is a comparison or negation tree (or a boolean constant)."""
        k = e.__class__
        if k is Const:
            return e.value is True or e.value is False
        if k is BinOp:
            return e.op in COMPARE
        if k is UnOp:
            return e.op == O.NOT
        return False

    def flush(self, vs, upto=None):
        """Evaluate, bottom up, every pending expression among vs[:upto] into a temporary."""
        if upto is None:
            upto = len(vs)
        for i in range(upto):
            e = vs[i]
            if not self.simple(e):
                name = self.fresh()
                self.assign(name, e)
                vs[i] = Temp(name, self.tag(e))

    def simplify(self, e):
        """A simple entry for e (evaluating it into a temporary if needed); the caller has flushed below."""
        if self.simple(e):
            return e
        name = self.fresh()
        self.assign(name, e)
        return Temp(name, self.tag(e))

    def materialize(self, vs):
        """Bring the stack to its canonical names s0..s(n-1) (at merge points, loop edges and handlers)."""
        self.flush(vs)
        lhs, rhs = [], []
        for i, e in enumerate(vs):
            name = f"s{i}"
            if e.__class__ is Temp and e.name == name:
                continue
            lhs.append(name)
            rhs.append(self.ex(e))
        if lhs:
            self.line(f"{', '.join(lhs)} = {', '.join(rhs)}")
        vs[:] = [Temp(f"s{i}", self.tag(e)) for i, e in enumerate(vs)]

    def canon(self, ip):
        """The canonical stack entries at ip, typed by the type analysis."""
        st = self.flow.get(ip)
        n = self.an.depth[ip]
        if st is None:
            return [Temp(f"s{i}", None) for i in range(n)]
        return [Temp(f"s{i}", st[1][i]) for i in range(n)]

    @staticmethod
    def canonical(vs):
        return all(e.__class__ is Temp and e.name == f"s{i}" for i, e in enumerate(vs))

    def invalidate_local(self, vs, slot):
        """Before local `slot` changes: stack entries that read it keep its current value in a temporary."""
        for i, e in enumerate(vs):
            if e.__class__ is Local and e.slot == slot:
                name = self.fresh()
                self.line(f"{name} = {self.ex(e)}")
                vs[i] = Temp(name, self.tag(e))
