"""Type-confused snapshots: real snapshots loaded, their object graph rewired (a reference replaced by an object of
another kind, an instruction replaced, a method's flag flipped, a frame moved to another instruction, a module's
private built-in put where a program could reach it), written again by the project's own writer with a valid
checksum, then resumed in both tiers. Resuming must refuse the file (SnapshotError, exit 66) or run it to an end
the program could have (a Neutron error, an exit status): never an internal error (exit 70), which in process is
any other Python exception escaping.

Also here: the body's bytes mutated with the checksum recomputed, then resumed (test_snapshot_fuzz.py loads such
files but does not run them).
"""
from __future__ import annotations

import io
import os
import random
import signal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neutron import durable as S
from neutron import stdlib
from neutron.bytecode import opcodes as O
from neutron.bytecode.code import Code
from neutron.durable import format as F
from neutron.durable import writer
from neutron.runner import execute, new_vm, use_tier
from neutron.runtime.frames import Iter
from neutron.runtime.values import BoundMethod, Buffer, Cell, Class, Function, Instance, Module, Native, Resource

from test_snapshot_fuzz import _snapshots, apply, mutation, rebuild, split     # noqa: E402  (same folder)

OBJECTS = (list, dict, Cell, Function, Code, Class, Instance, BoundMethod, Module, Iter, Buffer, Resource, Native)
MODES = ("vm", "compiled")


def loaded(data):
    vm = new_vm(out=io.StringIO())
    S.load_snapshot(vm, data)
    return vm


def graph(vm):
    """The places that hold a reference (setters), and the objects reachable, from the VM's roots."""
    seen, places, objs, todo = set(), [], [], []

    def add(o):
        if isinstance(o, OBJECTS) and id(o) not in seen:
            seen.add(id(o))
            todo.append(o)

    def place(value, setter):
        places.append(setter)
        add(value)

    def item(seq, i):
        place(seq[i], lambda v: seq.__setitem__(i, v))

    def attr(o, name):
        place(getattr(o, name), lambda v: setattr(o, name, v))

    for f in vm.frames:
        attr(f, "func")
        for i in range(len(f.locals)):
            item(f.locals, i)
        for i in range(len(f.stack)):
            item(f.stack, i)
    add(vm.globals)
    add(vm.prelude)
    for m in vm.modules.values():
        add(m)
    while todo:
        o = todo.pop()
        objs.append(o)
        k = type(o)
        if k is list:
            for i in range(len(o)):
                item(o, i)
        elif k is dict:
            for key in list(o):
                item(o, key)
        elif k is Cell:
            attr(o, "value")
        elif k is Function:
            attr(o, "code")
            attr(o, "globals")
            for i in range(len(o.cells)):
                place(o.cells[i], lambda v, o=o, i=i: setattr(o, "cells", (*o.cells[:i], v, *o.cells[i + 1:])))
        elif k is Code:
            for i in range(len(o.consts)):
                item(o.consts, i)
            attr(o, "return_type")
        elif k is Class:
            for key in list(o.methods):
                item(o.methods, key)
        elif k is Instance:
            attr(o, "klass")
            add(o.fields)
        elif k is BoundMethod:
            attr(o, "receiver")
            attr(o, "method")
        elif k is Module:
            if not o.native:
                attr(o, "members")
            for key, val in list(o.members.items()):
                if type(val) is Function:
                    item(o.members, key)
        elif k is Iter:
            attr(o, "keys")
    return places, objs


def private_natives():
    return [f for name in stdlib.MODULES for k, f in stdlib.native_module(name).functions.items()
            if k.startswith("_")]


def confuse(vm, rng):
    """Rewire the VM's state in a few random ways."""
    places, objs = graph(vm)
    pool = objs + [None, True, False, "s", 0.0, 1.0, 2.5] + private_natives()
    codes = [o for o in objs if type(o) is Code and o.instrs]
    for _ in range(rng.randint(1, 2)):
        rng.choice(places)(rng.choice(pool))
    if codes and rng.random() < 0.4:
        c = rng.choice(codes)
        op = rng.randrange(len(O.NAMES))
        arg = {None: None, "const": len(c.consts), "name": len(c.names), "slot": c.nlocals, "free": len(c.freevars),
               "target": len(c.instrs), "count": 4, "argc": 4, "name,argc": len(c.names)}[O.OPERAND[op]]
        if arg is not None:
            arg = rng.randrange(max(arg, 1))
            if O.OPERAND[op] == "name,argc":
                arg = (arg, rng.randrange(3))
        c.instrs[rng.randrange(len(c.instrs))] = (op, arg)
    if codes and rng.random() < 0.1:
        c = rng.choice(codes)
        c.is_method = not c.is_method
    if rng.random() < 0.1:
        f = rng.choice(vm.frames)
        f.ip = rng.randrange(len(f.code.instrs))


def encode(vm, original):
    parts = writer.encode(vm, vm.frames, False)
    return F.header(F.head(S.read_header(original).fields), parts) + b"".join(parts)


class RanLong(BaseException):
    """A rewired jump may make a loop endless: such a run is stopped (not a failure; what is checked is how runs
    end)."""


def _stop(signum, frame):
    raise RanLong()


RUN_SECONDS = 2.0


def resumed(data, mode):
    """Resume `data` as the command line does; returns the exit status (66 when refused, None when stopped after
    RUN_SECONDS). An internal error is a Python exception escaping from here."""
    vm = new_vm(out=io.StringIO())
    try:
        S.load_snapshot(vm, data)
    except S.SnapshotError as e:
        assert str(e) and "\n" not in str(e)
        return 66
    vm.resumed = True
    use_tier(vm, mode)
    err = io.StringIO()
    previous = signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, RUN_SECONDS)
    try:
        status = execute(vm, err)
    except RanLong:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert "Traceback" not in err.getvalue()
    return status


FUZZ = settings(max_examples=int(os.environ.get("NEUTRON_FUZZ_EXAMPLES", "1500")) // 3, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(name=st.sampled_from(sorted(_snapshots())), mode=st.sampled_from(MODES), seed=st.integers(0, 2 ** 32))
def test_type_confused_snapshots_are_refused_or_run(name, mode, seed):
    data = _snapshots()[name]
    vm = loaded(data)
    confuse(vm, random.Random(seed))
    try:
        new = encode(vm, data)
    except S.NeutronError:          # the writer refuses a graph it cannot write (a value of no known kind)
        return
    assert resumed(new, mode) != 70


def test_the_confusion_harness_resumes_an_untouched_graph():
    """The rewriting above is faithful: a graph written back unchanged resumes and finishes."""
    for name, data in _snapshots().items():
        for mode in MODES:
            assert resumed(encode(loaded(data), data), mode) == 0, (name, mode)


@st.composite
def body_case(draw):
    name = draw(st.sampled_from(sorted(_snapshots())))
    return name, draw(mutation(len(split(_snapshots()[name])[1])))


@FUZZ
@given(case=body_case(), mode=st.sampled_from(MODES))
def test_mutated_bodies_with_a_valid_checksum_are_refused_or_run(case, mode):
    name, edits = case
    data = _snapshots()[name]
    bad = apply(split(data)[1], edits)
    assert resumed(rebuild(data, bad) + bad, mode) != 70
