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

from typing import NamedTuple


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
