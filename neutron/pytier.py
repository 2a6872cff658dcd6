"""The compiled tier: every code object becomes one Python function, generated as source text and compiled by
CPython once per code object (and once more per resumed frame position, see continuations below).

Code. Neutron locals are Python locals (`l0`, `l1`, ...); operand-stack slots are named temporaries (`s3` at merge
points, `t17` elsewhere). Arithmetic and comparisons over locals and constants are evaluated as one Python
expression behind a single test that every operand of unknown type is a float; everything else calls the VM's own
helpers (binary_slow, index_get, get_prop, ...), so error messages and odd cases stay the VM's. Control flow is
rebuilt from the bytecode: loops become `while True:`, branches `if`/`else` joined at their post-dominator (code is
copied where paths do not join), and each try block a Python `try` whose handler checks a flag that POP_TRY clears.

Types. A forward analysis (Analysis.type_flow) knows which locals and stack slots hold floats, strings, lists,
objects or instances; known operands need no test. A function whose parameters feed operators or indexing directly
gets a second copy of its body, entered when those parameters have the expected types (that copy is also a
function of its own, `nt_name_s`); the first property access on a local of unknown type may split the rest of the
path on `is Instance`.

Calls. The generated functions take (depth, function, arguments...); the depth gives the VM's "Stack overflow." at
the same depth. A call site remembers the first function (or class) it called and the codes of the first two
functions (other closures of them), a method call the first class; a site whose argument types match a callee's
speculated copy calls that copy. Their Python globals are the program's globals, so a Neutron global is a Python
global lookup; their Python builtins are the helpers, constants and those call-site caches.

Loops. A float counter a loop indexes with and steps by 1 (or by a local the loop does not change) keeps its int()
beside it, its "mirror": equal to it, an int when it is a whole number (not -0.0) within 2**52, else the float.
Comparisons with lengths, `%` and bitwise operators over mirrors run on ints (Emitter.mixed); an innermost loop
without calls or handlers whose counter only indexes and meets its bound keeps the mirror alone (int_only). map,
filter and forEach with a compiled one-parameter callback loop in Python (FAST_LOOPS); an innermost loop indexing
(or computing with) a local of unknown type it never changes gets a second copy for when it is an array (a number).

State. The VM stays the reference and the snapshot format is its own:
- a checkpoint (or a test-only stop at a checkpointable point) walks the live Python stack: a generated frame's
  current line names its call site, whose operand-stack entries and handlers are known statically, and its Python
  locals hold the Neutron locals. These become VM frames for snapshot.write_snapshot; the program goes on running
  compiled, nothing is unwound.
- a resume (of either mode's snapshot) runs each restored frame, innermost first, through a continuation: the code
  object compiled from the frame's position, inside the frame's handlers. A loop the frame was in is finished as a
  whole compiled loop after the current iteration.
- a code object the tier cannot compile deoptimizes the program: its frames are captured and the VM runs the rest.

Programs run in a worker thread with a large stack and a raised recursion limit (deep recursion is deep Python
recursion here).
"""
from __future__ import annotations

import builtins as _pybuiltins
import bisect
import gc
import keyword
import math
import os
import re
import sys
import _thread
from itertools import islice as _islice
import types
import warnings

from .bytecode import opcodes as O
from .bytecode.code import compute_depths
from .errors import NeutronError
from .runtime.values import (Buffer, Cell, Class, Function, Instance, Module, Native, TYPE_CHECKS, equals,
                     to_str, type_name)
from .runtime import frames as FR, operators as OPS
from .stdlib import MODULES

STACK_SIZE = 256 * 1024 * 1024      # worker thread stack: the host's own C recursion stays far from its end
ROOT_CHUNK = 64 * 1024 * 1024       # the worker's first frame-stack chunk (see _ROOT)
# Young collections after 100,000 allocations rather than 700: programs that build large structures (every
# instance is two container objects) otherwise spend most of their time in the collector.
GC_THRESHOLD = (100_000, 50, 100)
MAX_EMIT_FACTOR = 8                 # code duplication allowed (tail copies) before a code object is given up


class NThrow(Exception):
    """A Neutron `throw` of any value, as a Python exception (its one argument: BaseException's own __init__ is
    C, a Python one was a tenth of a throw-and-catch loop)."""

    @property
    def value(self):
        return self.args[0]


class Unsupported(Exception):
    """This code object (or entry point) cannot be compiled; the program falls back to the VM."""


class _Deopt(BaseException):
    """Unwinds compiled code after its frames were captured, so the VM can run them."""

    def __init__(self, frames):
        super().__init__()
        self.frames = frames


NEXC = (NeutronError, NThrow, MemoryError)    # what a Neutron handler catches (running out of memory too, as in the VM)
_NOTHING = object()
_EMPTY = type("_Empty", (), {"__slots__": ()})()     # an inline-cache slot never filled
_NO_RESULT = FR.NO_RESULT

COND_JUMPS = {O.JUMP_IF_FALSE, O.JUMP_IF_TRUE, O.JUMP_IF_FALSE_KEEP, O.JUMP_IF_TRUE_KEEP, O.JUMP_IF_NIL_KEEP,
              O.FOR_ITER}
ARITH = {O.ADD: "+", O.SUB: "-", O.MUL: "*", O.DIV: "/", O.MOD: None, O.BAND: None, O.BOR: None, O.BXOR: None,
         O.SHL: None, O.SHR: None}
COMPARE = {O.LT: "<", O.LE: "<=", O.GT: ">", O.GE: ">=", O.EQ: "==", O.NE: "!="}
GENERIC = {O.ADD: "_add", O.SUB: "_sub", O.MUL: "_mul", O.DIV: "_div", O.MOD: "_mod", O.LT: "_lt", O.LE: "_le",
           O.GT: "_gt", O.GE: "_ge", O.EQ: "_eq", O.NE: "_ne"}
FLT, STR, LST, DCT, INS, BOO, SEQ = "f", "s", "l", "d", "i", "b", "q"     # SEQ: a list or a string
CHECKED_TAG = {"string": STR, "array": LST, "object": DCT, "bool": BOO}
SPEC_TEST = {FLT: "{0}.__class__ is float", SEQ: "({0}.__class__ is list or {0}.__class__ is str)",
             STR: "{0}.__class__ is str"}
TAG_OF_CLASS = {float: FLT, str: STR, list: LST, dict: DCT, bool: BOO}


# What some built-in methods return, for a receiver known to be a string or an array (a wrong argument is an error).
STR_RESULTS = {"split": LST, "lines": LST, "toUpperCase": STR, "toLowerCase": STR, "upper": STR, "lower": STR,
               "trim": STR, "strip": STR, "replace": STR, "replaceAll": STR, "substring": STR, "slice": STR,
               "repeat": STR, "charAt": STR, "indexOf": FLT, "startsWith": BOO, "endsWith": BOO, "contains": BOO,
               "includes": BOO}
LIST_RESULTS = {"join": STR, "indexOf": FLT, "slice": LST, "concat": LST, "includes": BOO, "contains": BOO,
                "copy": LST, "clone": LST}


STRING_ONLY = {"split", "lines", "toUpperCase", "toLowerCase", "upper", "lower", "trim", "strip", "replace",
               "replaceAll", "substring", "repeat", "charAt", "startsWith", "endsWith"}


def method_result_tag(receiver, name):
    if receiver == STR:
        return STR_RESULTS.get(name)
    if receiver == LST:
        return LIST_RESULTS.get(name)
    return None


def tag_of(v):
    """The type tag of a value (None for the types the tier does not track)."""
    t = TAG_OF_CLASS.get(v.__class__)
    if t is None and v.__class__ is Instance:
        return INS
    return t


def binary_tag(o, a, b):
    """The tag of `a o b` from its operands' tags, as binary_slow computes it (or fails)."""
    if o == O.ADD:
        if a == FLT and b == FLT:
            return FLT
        if a is not None and b is not None and (a != FLT or b != FLT):
            return STR          # not two numbers: both are printed and joined
        return STR if a == STR or b == STR else None
    if o == O.MUL:
        if a == FLT and b == FLT:
            return FLT
        return STR if a == STR or b == STR else None
    return FLT                  # -, /, % and bitwise operators return numbers or fail


PUSH_UNKNOWN = {O.NIL, O.TRUE, O.FALSE, O.LOAD_CELL, O.LOAD_FREE, O.LOAD_GLOBAL, O.CLOSURE, O.MAKE_CLASS, O.USE,
                O.USING, O.USING_ISOLATED}
POP_ONE = {O.STORE_CELL, O.STORE_FREE, O.STORE_GLOBAL, O.DEFINE_GLOBAL, O.SAY, O.LIST_APPEND, O.LIST_EXTEND,
           O.ADD_METHOD, O.ADD_FIELD}
REPLACE_TOP = {O.GET_PROP_OPT, O.GET_ITER, O.GET_MEMBER}
BITWISE = {O.BAND: "&", O.BOR: "|", O.BXOR: "^"}
_SIMPLE = re.compile(r"-?\w+$")
# what the body of a loop whose counter is kept as an int alone may contain: nothing that calls (no call site,
# so no checkpoint or stop sees the counter) or converts a value to a string
INT_ONLY_BODY = {O.LOAD_LOCAL, O.STORE_LOCAL, O.CONST, O.NIL, O.TRUE, O.FALSE, O.POP, O.DUP, O.JUMP, O.JUMP_IF_FALSE,
                 O.JUMP_IF_TRUE, O.JUMP_IF_FALSE_KEEP, O.JUMP_IF_TRUE_KEEP, O.ADD, O.SUB, O.MUL, O.DIV, O.MOD, O.LT,
                 O.LE, O.GT, O.GE, O.EQ, O.NE, O.NOT, O.NEG, O.BAND, O.BOR, O.BXOR, O.GET_INDEX, O.SET_INDEX,
                 O.GET_PROP, O.LOAD_CELL, O.LOAD_FREE}
MIXED_ROOTS = {O.ADD, O.SUB, O.MUL, O.MOD, O.LT, O.LE, O.GT, O.GE, O.EQ, O.NE}
RECEIVER_AT = {O.GET_PROP, O.SET_PROP, O.INVOKE}
MAX_SPLITS = 8                      # receiver tests per generated body (each one copies the rest of a path)
STORES = {O.STORE_LOCAL, O.STORE_CELL, O.STORE_FREE, O.STORE_GLOBAL, O.DEFINE_GLOBAL}


# ---- analysis of a code object ---------------------------------------------------------------------------------

class Loop:
    __slots__ = ("header", "body", "follow")

    def __init__(self, header, body, follow):
        self.header, self.body, self.follow = header, body, follow


class Analysis:
    """Control flow facts of one code object: stack depths, successors, loops and post-dominators."""

    def __init__(self, code):
        self.code = code
        instrs = code.instrs
        n = len(instrs)
        self.n = n
        self.depth = compute_depths(code)
        depth = self.depth
        succ = []
        exc = {}
        for i, (o, a) in enumerate(instrs):
            if o == O.JUMP:
                s = [a]
            elif o in COND_JUMPS:
                s = [i + 1, a]
            elif o == O.RETURN or o == O.THROW or o == O.ERROR:
                s = []
            elif o == O.SETUP_TRY:
                s = [i + 1]
                exc[i] = a
            else:
                s = [i + 1]
            succ.append([t for t in s if t < n])
        self.succ = succ
        self.exc = exc
        targets = set()
        for i in range(n):
            if depth[i] is None:
                continue
            o = instrs[i][0]
            if o in O.JUMPS:
                targets.add(instrs[i][1])
        self.targets = targets
        preds = [[] for _ in range(n)]
        for i in range(n):
            if depth[i] is None:
                continue
            for t in succ[i]:
                preds[t].append(i)
            if i in exc:
                preds[exc[i]].append(i)
        self.preds = preds
        self._loops(preds)
        self._postdominators()

    def store_sites(self):
        """slot -> sorted indexes of the instructions that assign it."""
        st = getattr(self, "_stores", None)
        if st is None:
            st = {}
            for i, (o, a) in enumerate(self.code.instrs):
                if o in (O.STORE_LOCAL, O.MAKE_CELL, O.NEW_CELL):
                    st.setdefault(a, []).append(i)
            self._stores = st
        return st

    def all_succ(self, i):
        s = self.succ[i]
        if i in self.exc:
            return s + [self.exc[i]]
        return s

    def _loops(self, preds):
        depth = self.depth
        bodies = {}
        for i in range(self.n):
            if depth[i] is None:
                continue
            for t in self.all_succ(i):
                if t <= i:
                    body = bodies.setdefault(t, {t})
                    work = [i]
                    while work:
                        x = work.pop()
                        if x in body:
                            continue
                        if x < t:
                            raise Unsupported("a loop entered other than through its header")
                        body.add(x)
                        work.extend(preds[x])
        loops = {}
        for h, body in bodies.items():
            exits = set()
            for x in body:
                for s in self.all_succ(x):
                    if s not in body:
                        exits.add(s)
            loops[h] = Loop(h, frozenset(body), max(exits) if exits else None)
        self.loops = loops

    def _postdominators(self):
        n = self.n
        X = n
        depth = self.depth
        terminal = []
        for i in range(n):
            if depth[i] is None:
                continue
            if not self.all_succ(i):
                terminal.append(i)
        # post-order over the reverse graph, from X
        po = {}
        order = []
        seen = {X}
        stack = [(X, iter(terminal))]
        while stack:
            node, it = stack[-1]
            advanced = False
            for nxt in it:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, iter(self.preds[nxt])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                po[node] = len(order)
                order.append(node)
        ipdom = {X: X}
        rpo = list(reversed(order))
        changed = True

        def intersect(a, b):
            while a != b:
                while po[a] < po[b]:
                    a = ipdom[a]
                while po[b] < po[a]:
                    b = ipdom[b]
            return a

        while changed:
            changed = False
            for b in rpo:
                if b == X:
                    continue
                new = None
                ss = self.all_succ(b)
                for p in (ss if ss else [X]):
                    if p in ipdom:
                        new = p if new is None else intersect(p, new)
                if new is not None and ipdom.get(b) != new:
                    ipdom[b] = new
                    changed = True
        self.ipdom = ipdom
        self.X = X

    def type_flow(self, seeds):
        """What is certainly known of the type of each local and stack slot before each instruction, from the
        seeds [(ip, local tags, stack tags)]. Tags: FLT (float), STR, LST, DCT, INS (instance), BOO (boolean) or
        None (unknown). A handler starts knowing nothing about the locals."""
        instrs = self.code.instrs
        consts = self.code.consts
        names = self.code.names
        succ = self.succ
        state = {}
        work = list(seeds)
        unknown = {}
        while work:
            ip, L, S = work.pop()       # L: {slot: tag} of the locals with a known tag
            old = state.get(ip)
            if old is not None:
                nl = {k: v for k, v in old[0].items() if L.get(k) == v}
                ns = tuple(a if a == b else None for a, b in zip(old[1], S))
                if nl == old[0] and ns == old[1]:
                    continue
                L, S = nl, ns
            state[ip] = (L, S)
            o, a = instrs[ip]
            n = len(S)
            if o in O.JUMPS:
                if o == O.JUMP:
                    work.append((a, L, S))
                elif o == O.JUMP_IF_FALSE or o == O.JUMP_IF_TRUE:
                    work.append((ip + 1, L, S[:-1]))
                    work.append((a, L, S[:-1]))
                elif o == O.JUMP_IF_FALSE_KEEP or o == O.JUMP_IF_TRUE_KEEP:
                    work.append((ip + 1, L, S[:-1]))
                    work.append((a, L, S))
                elif o == O.JUMP_IF_NIL_KEEP:
                    work.append((ip + 1, L, S))
                    work.append((a, L, S))
                elif o == O.FOR_ITER:
                    work.append((ip + 1, L, S + (None,)))
                    work.append((a, L, S[:-1]))
                elif o == O.SETUP_TRY:
                    work.append((ip + 1, L, S))
                    work.append((a, unknown, S + (None,)))
                continue
            if not succ[ip]:
                continue
            if o == O.CONST:
                S = S + (tag_of(consts[a]),)
            elif o == O.LOAD_LOCAL:
                S = S + (L.get(a),)
            elif o == O.STORE_LOCAL:
                t = S[-1]
                if t is not None or a in L:
                    L = dict(L)
                    if t is None:
                        del L[a]
                    else:
                        L[a] = t
                S = S[:-1]
            elif o == O.MAKE_CELL or o == O.NEW_CELL:
                if a in L:
                    L = dict(L)
                    del L[a]
            elif o == O.POP:
                S = S[:-1]
            elif o == O.DUP:
                S = S + S[-1:]
            elif o == O.DUP2:
                S = S + S[-2:]
            elif o == O.ROT3:
                S = S[:-3] + (S[-1], S[-3], S[-2])
            elif o in ARITH:
                S = S[:-2] + (binary_tag(o, S[-2], S[-1]),)
            elif o in COMPARE:
                S = S[:-2] + (BOO,)
            elif o == O.NEG or o == O.BNOT:
                S = S[:-1] + (FLT,)
            elif o == O.NOT:
                S = S[:-1] + (BOO,)
            elif o == O.TO_STR:
                S = S[:-1] + (STR,)
            elif o == O.GET_PROP:
                S = S[:-1] + (FLT if names[a] == "length" and S[-1] in (LST, STR, SEQ) else None,)
            elif o == O.GET_INDEX:
                S = S[:-2] + (STR if S[-2] == STR else None,)
            elif o == O.SET_PROP:
                S = S[:-2] + S[-1:]
            elif o == O.SET_INDEX:
                S = S[:-3] + S[-1:]
            elif o == O.CHECK_TYPE:
                t = CHECKED_TAG.get(consts[a][0])
                if t is not None:
                    S = S[:-1] + (t,)
            elif o == O.POP_TRY:
                pass
            elif o in PUSH_UNKNOWN:
                S = S + (None,)
            elif o in POP_ONE:
                S = S[:-1]
            elif o in REPLACE_TOP:
                S = S[:-1] + (None,)
            elif o == O.CALL_ARRAY:
                S = S[:-2] + (None,)
            elif o == O.CONCAT:
                S = S[:n - a] + (STR,)
            elif o == O.BUILD_LIST:
                S = S[:n - a] + (LST,)
            elif o == O.BUILD_OBJECT:
                S = S[:n - 2 * a] + (DCT,)
            elif o == O.CALL:
                S = S[:n - a - 1] + (None,)
            elif o == O.INVOKE:
                k = a[1] + 1
                S = S[:n - k] + (method_result_tag(S[n - k], names[a[0]]),)
            elif o == O.END_FINALLY:
                S = S[:-2]
            else:
                raise Unsupported(f"type analysis: {O.NAMES[o]}")
            work.append((ip + 1, L, S))
        return state

    def handler_stacks(self, seeds):
        """The handler stack before each instruction reachable from the seeds [(ip, handler stack)]: tuples of
        (id, target, depth), id being the SETUP_TRY's index (or ('e', k) for a continuation's k-th handler)."""
        instrs = self.code.instrs
        hs = {}
        work = list(seeds)
        while work:
            ip, h = work.pop()
            while ip < self.n:
                old = hs.get(ip)
                if old is not None:
                    if old != h:
                        raise Unsupported("handler stacks differ between paths")
                    break
                hs[ip] = h
                o, a = instrs[ip]
                if o == O.SETUP_TRY:
                    work.append((a, h))
                    h = h + ((ip, a, self.depth[ip]),)
                elif o == O.POP_TRY:
                    if not h:
                        raise Unsupported("POP_TRY without a handler")
                    h = h[:-1]
                s = self.succ[ip]
                if not s:
                    break
                for t in s[1:]:
                    work.append((t, h))
                ip = s[0]
        return hs


# ---- the code generator ------------------------------------------------------------------------------------------

class Ctx:
    __slots__ = ("stop", "loop", "chain", "barrier", "hoist")

    def __init__(self, stop, loop, chain, barrier=False, hoist=None):
        self.stop = stop
        self.loop = loop
        self.chain = chain
        self.barrier = barrier
        self.hoist = hoist if hoist is not None else {}   # local slot -> its int() computed before the loop


def _lit(v):
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


class Info:
    """What the runtime needs to know about one generated function."""
    __slots__ = ("code", "sites", "lineip", "handlers", "pycode", "entry", "spec")

    def __init__(self, code, entry):
        self.code = code
        self.entry = entry
        self.sites = {}         # Python line -> (ip, entry descriptions, number of entries below the operands)
        self.lineip = {}        # Python line -> instruction index (None: the entry check)
        self.handlers = {}      # instruction index -> the handlers active there: ((id, target, depth), ...)
        self.pycode = None
        self.spec = ()          # ((parameter index, tag), ...) the speculated copy assumes, if there is one


class Emitter:
    def __init__(self, tier, code, an, entry):
        self.tier = tier
        self.code = code
        self.an = an
        self.entry = entry          # None, or (ip, handlers as [(target, depth)])
        self.out = []               # (indent, text, ip, site)
        self.ind = 1
        self.ntmp = 0
        self.consts = {}            # namespace entries: name -> value
        self.const_names = {}       # id(value) -> name
        self.cur_ip = None
        self.cur_site = None
        self.budget = MAX_EMIT_FACTOR * len(code.instrs) + 2000
        self.info = Info(code, entry)
        self.uses_globals = False
        self.uses_cells = False
        self.karities = set()
        self.flow = {}
        self.fip = None
        self.run_once = code.name == "<script>"
        self.compact = False
        self.hoisted_used = False
        self.icache = {}
        self.steps = {}                 # STORE_LOCAL index -> (name of the int() kept with a loop counter, its step:
                                        # +1, -1 or the name of another such int())
        self.small_ints = set()         # names of such int()s that stay within 2**52 (or are floats)
        self.mirrors = set()            # names of loop counters' int()s (or the float): equal to the counter
        self.derived = {}
        self.last_free = None
        self.fcache = {}
        self.keep = None                # (icache, fcache) for the next path, which starts where they hold
        self.dead = {}                  # counter slot -> its int(), the only copy inside its loop (open_loop)
        self.bounds = {}                # slot of such a loop's bound -> its int() (or the float)
        self.no_mix = 0                 # > 0: native() writes float code only (Emitter.plain)
        self.overlay = {}           # local slot -> tag established by a test on this path (split_receiver)
        self.split_off = set()      # slots this path has tested already
        self.nosplit = False
        self.nsplits = 0
        self.receiver_uses = {}
        self.module_hint = set()
        self.global_hint = set()        # temporaries holding a global's value
        self.nsite = 0

    # -- output --
    def line(self, text):
        self.out.append((self.ind, text, self.cur_ip, self.cur_site))

    def fresh(self):
        self.ntmp += 1
        return f"t{self.ntmp}"

    def kname(self, v):
        """A namespace name for a constant without a literal."""
        key = id(v)
        name = self.const_names.get(key)
        if name is None:
            name = f"_k{len(self.consts)}"
            self.consts[name] = v
            self.const_names[key] = name
        return name

    # -- entries --
    def ex(self, e):
        """Python expression of a simple entry."""
        k = e[0]
        if k == "l":
            if e[1] in self.dead:
                return f"float({self.dead[e[1]]})"      # (its int() itself where an int will do)
            return f"l{e[1]}"
        if k == "t":
            return e[1]
        if k == "c":
            lit = _lit(e[1])
            return lit if lit is not None else self.kname(e[1])
        raise AssertionError(e)

    @staticmethod
    def simple(e):
        return e[0] in ("l", "t", "c")

    def tag(self, e):
        """What the type analysis knows of an entry's value (see Analysis.type_flow)."""
        k = e[0]
        if k == "c":
            return tag_of(e[1])
        if k == "t":
            return e[2]
        if k == "l":
            t = self.overlay.get(e[1])
            if t is not None:
                return t
            st = self.flow.get(self.fip)
            return st[0].get(e[1]) if st is not None else None
        if k == "o":
            o = e[1]
            if o in COMPARE:
                return BOO
            return binary_tag(o, self.tag(e[2]), self.tag(e[3]))
        if k == "u":
            return FLT if e[1] == O.NEG else BOO
        if k == "x":
            return STR
        if k == "n":
            return FLT
        return None

    def known_float(self, e):
        return self.tag(e) == FLT

    @staticmethod
    def is_bool(e):
        """Whether an entry is a comparison or negation tree (or a boolean constant)."""
        k = e[0]
        if k == "c":
            return e[1] is True or e[1] is False
        if k == "o":
            return e[1] in COMPARE
        if k == "u":
            return e[1] == O.NOT
        return False

    def is_float(self, e):
        return self.tag(e) == FLT

    def flush(self, vs, upto=None):
        """Evaluate, bottom up, every pending expression among vs[:upto] into a temporary."""
        if upto is None:
            upto = len(vs)
        for i in range(upto):
            e = vs[i]
            if not self.simple(e):
                name = self.fresh()
                self.assign(name, e)
                vs[i] = ("t", name, self.tag(e))

    def simplify(self, e):
        """A simple entry for e (evaluating it into a temporary if needed); the caller has flushed below."""
        if self.simple(e):
            return e
        name = self.fresh()
        self.assign(name, e)
        return ("t", name, self.tag(e))

    def materialize(self, vs):
        """Bring the stack to its canonical names s0..s(n-1) (at merge points, loop edges and handlers)."""
        self.flush(vs)
        lhs, rhs = [], []
        for i, e in enumerate(vs):
            name = f"s{i}"
            if e[0] == "t" and e[1] == name:
                continue
            lhs.append(name)
            rhs.append(self.ex(e))
        if lhs:
            self.line(f"{', '.join(lhs)} = {', '.join(rhs)}")
        vs[:] = [("t", f"s{i}", self.tag(e)) for i, e in enumerate(vs)]

    def canon(self, ip):
        """The canonical stack entries at ip, typed by the type analysis."""
        st = self.flow.get(ip)
        n = self.an.depth[ip]
        if st is None:
            return [("t", f"s{i}", None) for i in range(n)]
        return [("t", f"s{i}", st[1][i]) for i in range(n)]

    @staticmethod
    def canonical(vs):
        return all(e[0] == "t" and e[1] == f"s{i}" for i, e in enumerate(vs))

    def invalidate_local(self, vs, slot):
        """Before local `slot` changes: stack entries that read it keep its current value in a temporary."""
        for i, e in enumerate(vs):
            if e[0] == "l" and e[1] == slot:
                name = self.fresh()
                self.line(f"{name} = {self.ex(e)}")
                vs[i] = ("t", name, self.tag(e))

    # -- expression trees: arithmetic and comparisons over simple entries --
    def leaves_ok(self, e, guards):
        """Collects the names that must be floats for the native form; False if there is no native form."""
        k = e[0]
        if k == "c":
            return e[1].__class__ is float
        if k in ("l", "t"):
            if self.known_float(e):
                return True
            name = self.ex(e)
            if name not in guards:
                guards.append(name)
            return True
        if k == "n":
            return True
        if k == "o":
            special = self.special_eq(e)
            if special is not None:
                return True
            return self.leaves_ok(e[2], guards) and self.leaves_ok(e[3], guards)
        if k == "u":
            if e[1] == O.NOT and not self.is_bool(e[2]):
                return True
            return self.leaves_ok(e[2], guards)
        return False

    def special_eq(self, e):
        """`x == nil/true/false/"text"`: one Python expression, exact for every operand type."""
        if e[1] not in (O.EQ, O.NE):
            return None
        a, b = e[2], e[3]
        if not (self.simple(a) and self.simple(b)):
            return None
        if b[0] == "c" and b[1].__class__ is not float:
            x, c = a, b
        elif a[0] == "c" and a[1].__class__ is not float:
            x, c = b, a
        else:
            return None
        v = c[1]
        if v is None or v is True or v is False:
            return f"({self.ex(x)} {'is' if e[1] == O.EQ else 'is not'} {self.ex(c)})"
        if v.__class__ is str:
            return f"({self.ex(x)} {'==' if e[1] == O.EQ else '!='} {self.ex(c)})"
        return None

    def leaf(self, e):
        """Python expression of a simple entry or a pending length; None for a tree."""
        k = e[0]
        if k in ("l", "t", "c"):
            return self.ex(e)
        if k == "n":
            return f"float(len({e[1]}))"
        return None

    def negation(self, e, form):
        """`not x` for NOT's operand e, its inner expression written by `form` (native or generic)."""
        if self.is_bool(e):
            return f"(not {form(e)})"
        x = self.ex(e)
        return f"({x} is None or {x} is False)"

    def native(self, e):
        k = e[0]
        x = self.leaf(e)
        if x is not None:
            return x
        if k == "o":
            special = self.special_eq(e)
            if special is not None:
                return special
            zero = self.mod_zero_test(e)
            if zero is not None:
                return zero
            if e[1] in MIXED_ROOTS and not self.no_mix and self.has_mirror(e):
                code, kind, used = self.mixed(e)
                if used and kind == "f":
                    return code
            o, a, b = e[1], self.native(e[2]), self.native(e[3])
            if o in COMPARE:
                # a length compares as the int it is (Python compares floats and ints exactly), and with a loop
                # counter's int() (equal to it; two ints compare fastest)
                if e[2][0] == "n" or e[3][0] == "n":
                    a, b = self.length_operand(e[2], a), self.length_operand(e[3], b)
                elif self.bounds:
                    a, b = self.bound_operand(e[2], a), self.bound_operand(e[3], b)
                return f"({a} {COMPARE[o]} {b})"
            if o == O.DIV:
                # an infinite or NaN quotient (of finite operands an error): the generic path decides
                return f"(_q if (_q := {a} / {b}) - _q == 0 else _bail())"
            sym = ARITH[o]
            if sym is not None:
                return f"({a} {sym} {b})"
            if o == O.MOD:
                c = e[3]
                if c[0] == "c" and c[1].__class__ is float and 0.0 < c[1] < math.inf:
                    # for a positive finite dividend Python's % is fmod (and cheaper than a call)
                    return f"(_r % {b} if 0.0 < (_r := {a}) < _inf else _fmod(_r, {b}))"
                # both positive and finite: Python's % again (a length divides as the int it is); otherwise fmod,
                # and a zero divisor goes to the generic path even with a NaN dividend (fmod would give NaN)
                if c[0] == "n":
                    return f"(_r % _z if 0.0 < (_r := {a}) < _inf and (_z := len({c[1]})) else _fmod(_r, ({b} or _bail())))"
                if c[0] in ("l", "t"):
                    return f"(_r % {b} if 0.0 < (_r := {a}) < _inf and 0.0 < {b} < _inf else _fmod(_r, ({b} or _bail())))"
                return f"_fmod({a}, ({b} or _bail()))"
            if o in BITWISE:
                # exact when the result fits in 64 bits (bitwise operators commute with the 64-bit wrap), which
                # holds when its float is within 2**63 - 1024 (the largest double below 2**63); otherwise, and
                # for NaN or infinities, the generic path decides
                ia, ib = self.int_of(e[2], a), self.int_of(e[3], b)
                if ia in self.small_ints and ib in self.small_ints:
                    return f"float({ia} {BITWISE[o]} {ib})"     # both within 2**52 (or floats: a TypeError)
                return (f"(_b if -9223372036854774784.0 <= (_b := float({ia} {BITWISE[o]} {ib})) <= "
                        f"9223372036854774784.0 else _bail())")
            return f"_bin({o}, {a}, {b})"
        if k == "u":
            if e[1] == O.NOT:
                return self.negation(e[2], self.native)
            return f"(-{self.native(e[2])})"
        raise AssertionError(e)

    # -- whole-number arithmetic on loop counters --
    # A loop counter's int() (its mirror, Emitter.mirrors) lets a tree such as `(i * j) % 7 + (i ^ j) % 5` be
    # computed on Python ints, which CPython does faster than on floats. A "whole" value below is either an int of
    # magnitude at most 2**53 (so exactly the double the float computation gives; never standing for -0.0) or,
    # where a mirror holds a float or a result leaves that range, that very double. Such values flow into float
    # operators unchanged (int + float is exact then); a tree whose result would be whole keeps its float code.
    def small_mirror(self, slot):
        """The mirror of local `slot` here, if it has one that steps by 1 (so stays within 2**52), else None."""
        h = self.icache.get(slot)
        return h if h in self.mirrors and h in self.small_ints else None

    def has_mirror(self, e):
        k = e[0]
        if k == "l":
            return self.small_mirror(e[1]) is not None
        if k == "o":
            return self.has_mirror(e[2]) or self.has_mirror(e[3])
        return False

    def mixed(self, e):
        """(code, kind, used): kind "f" (a float), "w" (a whole value, see above) or "c" (a constant, written as
        its user needs); used: whether it saves work, by a bitwise operator (no float()) or a % (cheaper on
        ints); a sum or product of ints alone costs its range test and no less than the float operation."""
        k = e[0]
        if k == "l":
            h = self.small_mirror(e[1])
            if h is not None:
                return h, "w", False
            return self.plain(e), "f", False
        if k == "c":
            return None, "c", False
        if k == "n":
            return f"len({e[1]})", "w", False
        if k != "o" or self.special_eq(e) is not None or self.mod_zero_test(e) is not None:
            return self.plain(e), "f", False
        o = e[1]
        a, b = self.mixed(e[2]), self.mixed(e[3])
        used = a[2] or b[2]
        if o in COMPARE:
            return f"({self.as_float(a, e[2])} {COMPARE[o]} {self.as_float(b, e[3])})", "f", used
        if "f" in (a[1], b[1]) or (a[1] == "c" and b[1] == "c"):
            if o in (O.ADD, O.SUB, O.MUL) and used:
                # a whole operand goes into the float operator as it is
                return f"({self.as_float(a, e[2])} {ARITH[o]} {self.as_float(b, e[3])})", "f", True
            return self.plain(e), "f", False
        # both whole (or one a constant)
        if o in BITWISE:
            x, y = self.small(a, e[2]), self.small(b, e[3])
            if x is not None and y is not None:
                self.hoisted_used = True        # a float mirror raises TypeError: the generic path
                return f"({x} {BITWISE[o]} {y})", "w", True
        elif o == O.MOD:
            c = e[3]
            if a[1] == "w" and c[0] == "c" and self.whole_const(c[1]) is not None and c[1] > 0.0:
                # C's fmod: Python's % for a positive dividend; zero (which may stand for -0.0) and negative
                # ones by fmod itself
                w = self.fresh()
                return (f"({w} % {self.whole_const(c[1])} if 0 < ({w} := {a[0]}) else _fmod({w}, {_lit(c[1])}))",
                        "w", True)
        elif o in (O.ADD, O.SUB, O.MUL):
            x, y = self.whole(a, e[2]), self.whole(b, e[3])
            if x is not None and y is not None:
                # within 2**53 an int result is the double's value; beyond it, or for a zero product (the double
                # may be -0.0), the float operation on the exact operands
                w = self.fresh()
                (u, x), (v, y) = self.named(x), self.named(y)
                nonzero = f" and {w}" if o == O.MUL else ""
                return (f"({w} if -9007199254740992 <= ({w} := {x} {ARITH[o]} {y}) <= 9007199254740992{nonzero} "
                        f"else float({u}) {ARITH[o]} {v})", "w", used)
        return self.plain(e), "f", False

    def plain(self, e):
        """native() without whole-number arithmetic (each node is tried for it once, from its root)."""
        self.no_mix += 1
        try:
            return self.native(e)
        finally:
            self.no_mix -= 1

    def named(self, x):
        """(name, expression): a name or literal as it is, else a temporary that the expression assigns."""
        if _SIMPLE.match(x):
            return x, x
        t = self.fresh()
        return t, f"({t} := {x})"

    @staticmethod
    def whole_const(v):
        """The int literal of a whole-number constant within 2**52 (not -0.0), else None."""
        if v.__class__ is float and -4503599627370496.0 < v < 4503599627370496.0 and v == int(v) and \
                (v != 0.0 or math.copysign(1.0, v) > 0.0):
            return str(int(v))
        return None

    def as_float(self, m, e):
        return self.plain(e) if m[1] == "c" else m[0]

    def whole(self, m, e):
        if m[1] == "c":
            return self.whole_const(e[1])
        return m[0]

    def small(self, m, e):
        """A bitwise operand: a mirror within 2**52 or such a constant (their results stay within 2**53)."""
        if m[1] == "c":
            return self.whole_const(e[1])
        return m[0] if e[0] == "l" else None

    def mod_zero_test(self, e):
        """`x % c == k` (or !=) for a positive finite constant c and 0 <= k < c: Python's % (for k = 0, fmod and it
        are zero together, and both are NaN for an infinite x; a positive k needs x >= 0)."""
        if e[1] not in (O.EQ, O.NE):
            return None
        m, z = (e[2], e[3]) if e[3][0] == "c" else (e[3], e[2])
        if not (z[0] == "c" and z[1].__class__ is float and m[0] == "o" and m[1] == O.MOD):
            return None
        c, k = m[3], z[1]
        if not (c[0] == "c" and c[1].__class__ is float and 0.0 < c[1] < math.inf and 0.0 <= k < c[1]):
            return None
        x = self.native(m[2])
        if k == 0.0:
            return f"({x} % {self.native(c)} {'==' if e[1] == O.EQ else '!='} 0.0)"
        # a positive remainder: fmod has it only for a dividend >= 0, where Python's % is fmod
        if not _SIMPLE.match(x):
            return None
        if e[1] == O.EQ:
            return f"({x} >= 0.0 and {x} % {self.native(c)} == {self.native(z)})"
        return f"({x} < 0.0 or {x} % {self.native(c)} != {self.native(z)})"

    def generic(self, e):
        k = e[0]
        x = self.leaf(e)
        if x is not None:
            return x
        if k == "o":
            special = self.special_eq(e)
            if special is not None:
                return special
            o = e[1]
            a, b = self.generic(e[2]), self.generic(e[3])
            fn = GENERIC.get(o)
            if fn is None:
                return f"_bin({o}, {a}, {b})"
            return f"{fn}({a}, {b})"
        if k == "u":
            if e[1] == O.NOT:
                return self.negation(e[2], self.generic)
            return f"_neg({self.generic(e[2])})"
        raise AssertionError(e)

    def bound_operand(self, e, native):
        if e[0] == "l":
            if e[1] in self.dead:
                return self.dead[e[1]]
            return self.bounds.get(e[1], native)
        if e[0] == "c":
            return self.whole_const(e[1]) or native
        return native

    def length_operand(self, e, native):
        if e[0] == "n":
            return f"len({e[1]})"
        if e[0] == "l":
            h = self.icache.get(e[1])
            if h in self.mirrors:
                return h
        return native

    def int_of(self, e, native):
        """int() of a float operand: a loop's hoisted value when there is one (None when it is not finite,
        which the TypeError then sends to the generic path)."""
        if e[0] == "l":
            h = self.icache.get(e[1])
            if h is not None:
                self.hoisted_used = True
                return h
        return f"int({native})"

    @staticmethod
    def needs_try(e):
        k = e[0]
        if k == "o":
            if e[1] in (O.DIV, O.MOD) or e[1] in BITWISE:
                return True
            return Emitter.needs_try(e[2]) or Emitter.needs_try(e[3])
        if k == "u":
            return Emitter.needs_try(e[2])
        return False

    def guarded(self, e):
        """(guard expression or None, native expression, generic expression) for a tree."""
        guards = []
        if not self.leaves_ok(e, guards):
            g = self.generic(e)
            return None, g, g
        # "" when every operand is known to be a float: the native form needs no test
        cond = " and ".join(f"{g}.__class__ is float" for g in guards)
        return cond, self.native(e), self.generic(e)

    def assign(self, target, e):
        """target = value of entry e (a simple entry or an expression tree)."""
        k = e[0]
        if k == "o" or k == "u":
            saved = self.cur_ip
            self.cur_ip = e[-1]         # an error there is the error of the tree's root instruction
            try:
                self._assign(target, e)
            finally:
                self.cur_ip = saved
            return
        self._assign(target, e)

    def _assign(self, target, e):
        k = e[0]
        if k == "o" and e[1] == O.ADD and self.tag(e) == STR:
            self.assign_concat(target, e)
            return
        if k in ("l", "t", "c"):
            self.line(f"{target} = {self.ex(e)}")
            return
        if k == "x":
            self.line(f"{target} = {e[1]}")
            return
        if k == "n":
            self.line(f"{target} = float(len({e[1]}))")
            return
        if k == "o" and e[1] == O.ADD and self.simple(e[2]) and self.simple(e[3]):
            # `x = x + y` stays in this statement form on every path: CPython appends to strings in place
            a, b = e[2], e[3]
            ea, eb = self.ex(a), self.ex(b)
            fa, fb = self.known_float(a), self.known_float(b)
            ta, tb = self.tag(a), self.tag(b)
            if (fa and fb) or (ta == STR and tb == STR):
                self.line(f"{target} = {ea} + {eb}")
                return
            if ta == STR or tb == STR:
                # binary_slow's rule: the other operand is printed
                if ta == STR:
                    self.line(f"{target} = {ea} + ({eb} if {eb}.__class__ is str else _ts({eb}))")
                else:
                    self.line(f"{target} = ({ea} if {ea}.__class__ is str else _ts({ea})) + {eb}")
                return
            fl = [f"{x}.__class__ is float" for x, y, f in ((ea, a, fa), (eb, b, fb)) if not f]
            st = [f"{x}.__class__ is str" for x, y in ((ea, a), (eb, b)) if y[0] != "c"]
            can_f = all(y[1].__class__ is float for y in (a, b) if y[0] == "c")
            can_s = all(y[1].__class__ is str for y in (a, b) if y[0] == "c") and not (fa or fb)
            first = True
            if can_f and fl:
                self.line(f"if {' and '.join(fl)}:")
                self.line(f"    {target} = {ea} + {eb}")
                first = False
            if can_s and st:
                self.line(f"{'if' if first else 'elif'} {' and '.join(st)}:")
                self.line(f"    {target} = {ea} + {eb}")
                first = False
            if first:
                self.line(f"{target} = _add({ea}, {eb})")
            else:
                self.line("else:")
                self.line(f"    {target} = _add({ea}, {eb})")
            return
        self.hoisted_used = False
        if self.compact:
            self.line(f"{target} = {self.generic(e)}")
            return
        cond, nat, gen = self.guarded(e)
        errs = "ZeroDivisionError, ValueError, OverflowError" + (", TypeError" if self.hoisted_used else "")
        if cond is None:
            self.line(f"{target} = {gen}")
        elif cond == "":
            if self.needs_try(e):
                self.line("try:")
                self.line(f"    {target} = {nat}")
                self.line(f"except ({errs}):")
                self.line(f"    {target} = {gen}")
            else:
                self.line(f"{target} = {nat}")
        elif self.needs_try(e):
            self.line(f"if {cond}:")
            self.line("    try:")
            self.line(f"        {target} = {nat}")
            self.line(f"    except ({errs}):")
            self.line(f"        {target} = {gen}")
            self.line("else:")
            self.line(f"    {target} = {gen}")
        else:
            self.line(f"{target} = {nat} if {cond} else {gen}")

    def assign_concat(self, target, e):
        """A `+` the type analysis knows makes a string: every operand printed and joined (binary_slow's rule),
        which cannot fail once the operands are computed."""
        pieces = []

        def flat(n):
            if n[0] == "o" and n[1] == O.ADD and self.tag(n) == STR:
                flat(n[2])
                flat(n[3])
            else:
                pieces.append(n)
        flat(e)
        pieces = [p if self.simple(p) or p[0] == "x" else self.simplify(p) for p in pieces]
        exprs = []
        for p in pieces:
            if p[0] == "x":
                exprs.append(p[1])
                continue
            x = self.ex(p)
            t = self.tag(p)
            if t == STR:
                exprs.append(x)
            else:
                exprs.append(f"_ts({x})" if t is not None else f"({x} if {x}.__class__ is str else _ts({x}))")
        first = pieces[0]
        if target.startswith("l") and first[0] == "l" and f"l{first[1]}" == target and not any(
                p[0] == "l" and p[1] == first[1] for p in pieces[1:]) and not any(
                p[0] == "x" and target in p[1] for p in pieces[1:]):
            # `s = s + a + b` as `s = s + a; s = s + b`: CPython appends in place
            if self.tag(first) != STR:      # printed first, as exprs[0] would be
                self.line(f"if {target}.__class__ is not str: {target} = _ts({target})")
            for x in exprs[1:]:
                self.line(f"{target} = {target} + {x}")
        else:
            self.line(f"{target} = {' + '.join(exprs)}")

    def truth(self, vs_entry):
        """A Python condition for the truthiness of an entry (a tree is evaluated in place)."""
        e = vs_entry
        if e[0] == "c":
            return repr(e[1] is not None and e[1] is not False)
        if self.is_bool(e) and not self.needs_try(e):
            cond, nat, gen = self.guarded(e)
            if cond is None:
                return gen
            if cond == "":
                return nat
            return f"({nat} if {cond} else {gen})"
        if self.is_bool(e):
            name = self.fresh()
            self.assign(name, e)
            return name
        e = self.simplify(e)
        x = self.ex(e)
        t = self.tag(e)
        if t in (FLT, STR, LST, DCT, INS, SEQ):
            return "True"               # never nil or false
        if t == BOO:
            return x
        return f"({x} is not None and {x} is not False)"

    # -- sites --
    def site(self, ip, vs, below):
        descs = []
        for e in vs:
            if e[0] == "c":
                descs.append(("c", e[1]))
            else:
                descs.append(("n", self.ex(e)))
        return (ip, tuple(descs), below)

    # -- the whole function --
    def generate(self):
        code = self.code
        an = self.an
        entry = self.entry
        if entry is None:
            hs = an.handler_stacks([(0, ())])
            start, vs = 0, []
        else:
            ip0, handlers = entry[0], entry[1]
            init = tuple((("e", i), t, d) for i, (t, d) in enumerate(handlers))
            hs = an.handler_stacks([(ip0, init)] + [(t, init[:i]) for i, (t, d) in enumerate(handlers)])
            start = ip0
            vs = None
        self.hs = hs
        self.info.handlers = hs
        body_start = len(self.out)
        if entry is None:
            spec = self.speculated()
            if spec:
                # a second copy of the body, for calls whose parameters have the types their uses suggest
                self.flow = an.type_flow([(0, self.entry_tags(spec), ())])
                self.cur_ip = None
                self.line(f"if {' and '.join(SPEC_TEST[t].format(f'l{p}') for p, t in spec.items())}:")
                self.nsplits = 0
                self.ind += 1
                spec_start = len(self.out)
                self.path(start, [], Ctx(None, None, ()))
                spec_body = [(ind - 1, text, ip, site) for ind, text, ip, site in self.out[spec_start:]]
                self.ind -= 1
                self.budget += MAX_EMIT_FACTOR * len(code.instrs)
            self.flow = an.type_flow([(0, self.entry_tags(()), ())])
            self.nsplits = 0
            self.path(start, vs, Ctx(None, None, ()))
        else:
            ip0, handlers, ltags, stags = entry
            seeds = [(ip0, {i: t for i, t in enumerate(ltags) if t is not None}, stags)]
            seeds += [(t, {}, (None,) * (d + 1)) for t, d in handlers]
            self.flow = an.type_flow(seeds)
            self.entry_handlers(handlers, 0, start, self.canon(ip0))
        body = _while_tests(_flatten_elif(self.out[body_start:]))
        del self.out[body_start:]
        # header
        params = [f"l{i}" for i in range(len(code.params) + (1 if code.is_method else 0))]
        fname = "nt_" + "".join(ch if ch.isalnum() else "_" for ch in code.name)
        lines = []
        if entry is None:
            prologue = [(1, f"if d > {FR.MAX_FRAMES}: raise _overflow()", "entry", None)]
            for s in code.cell_params:
                prologue.append((1, f"l{s} = Cell(l{s})", None, None))
            others = [f"l{i}" for i in range(len(params), code.nlocals)]
            if others:
                prologue.append((1, " = ".join(others) + " = None", None, None))
            if self.uses_cells:
                prologue.append((1, "FC = F.cells", None, None))
            if spec:
                # the speculated copy alone, for call sites that know their arguments' types (Emitter.call)
                lines.append((0, f"def {fname}_s({', '.join(['d', 'F'] + params)}):", None, None))
                lines.extend(prologue)
                lines.extend(_while_tests(_flatten_elif(spec_body)))
                lines.append((1, "raise _fell_off()", None, None))
                first = 1 if code.is_method else 0
                self.info.spec = tuple((p - first, t) for p, t in spec.items())
            lines.append((0, f"def {fname}({', '.join(['d', 'F'] + params)}):", None, None))
            lines.extend(prologue)
        else:
            lines.append((0, f"def {fname}(d, F, L, S):", None, None))
            if code.nlocals:
                names = [f"l{i}" for i in range(code.nlocals)]
                lines.append((1, f"{', '.join(names)}{',' if len(names) == 1 else ''} = L", None, None))
            depth = an.depth[entry[0]]
            if depth:
                names = [f"s{i}" for i in range(depth)]
                lines.append((1, f"{', '.join(names)}{',' if len(names) == 1 else ''} = S", None, None))
            if self.uses_cells:
                lines.append((1, "FC = F.cells", None, None))
        lines.extend(body)
        lines.append((1, "raise _fell_off()", None, None))
        # the function is made by _make; its Python globals are the Neutron globals and its Python builtins the
        # helpers, constants and cache slots (Tier.build): no closure cells to copy on every call
        src = []
        info = self.info
        for n, (ind, text, ip, site) in enumerate(lines, 2):
            src.append("    " * (ind + 1) + text)
            if ip == "entry":
                info.lineip[n] = None
            elif ip is not None:
                info.lineip[n] = ip
            if site is not None:
                info.sites[n] = site
        src.append(f"    return {fname}, {fname + '_s' if entry is None and spec else None}")
        body = _rename("\n".join(src) + "\n")
        return fname, _hide_helpers("def _make():\n" + body), info

    def entry_tags(self, spec):
        """Local tags at a function's start: speculated parameters ({slot: tag}), `this` an instance."""
        tags = dict(spec)
        if self.code.is_method and 0 not in self.code.cell_params:
            tags[0] = INS
        return tags

    def speculated(self):
        """Parameters worth a specialized copy of the body, with the type to test: floats for those an operator
        pops directly, lists for those indexed directly, strings for receivers of methods only strings have."""
        code = self.code
        instrs = code.instrs
        first = 1 if code.is_method else 0
        params = range(first, first + len(code.params))
        cells = {a for o, a in instrs if o in (O.MAKE_CELL, O.NEW_CELL)}
        cands = {p for p in params if p not in code.cell_params and p not in cells}
        if not cands:
            return {}
        # a straight-line scan of the stack, tagging each slot with the parameter it was loaded from (forgotten at
        # jump targets); the instruction that pops a tagged slot votes for its type
        depth = self.an.depth
        tags = []
        votes = {}

        def vote(t, kind):
            if t is not None:
                votes.setdefault(t, set()).add(kind)

        for i, (o, a) in enumerate(instrs):
            if depth[i] is None:
                continue
            if i in self.an.targets or len(tags) != depth[i]:
                tags = [None] * depth[i]
            if o == O.LOAD_LOCAL:
                tags.append(a if a in cands else None)
                continue
            if (o in ARITH or o in COMPARE) and len(tags) >= 2:
                vote(tags[-1], FLT)
                vote(tags[-2], FLT)
            elif o == O.NEG and tags:
                vote(tags[-1], FLT)
            elif o == O.GET_INDEX and len(tags) >= 2:
                vote(tags[-2], SEQ)
                vote(tags[-1], FLT)
            elif o == O.SET_INDEX and len(tags) >= 3:
                vote(tags[-3], SEQ)
                vote(tags[-2], FLT)
            elif o == O.INVOKE and len(tags) > a[1] and code.names[a[0]] in STRING_ONLY:
                vote(tags[-a[1] - 1], STR)
            n = depth[i + 1] if i + 1 < len(depth) and depth[i + 1] is not None else None
            if n is None:
                tags = []
                continue
            pops = {O.GET_INDEX: 2, O.SET_INDEX: 3}.get(o, 2 if o in ARITH or o in COMPARE else
                                                        0 if o in (O.NIL, O.TRUE, O.FALSE, O.CONST) else 1)
            keep = max(0, min(depth[i] - pops, n, len(tags)))
            tags = tags[:keep] + [None] * (n - keep)
        return {p: kinds.pop() for p, kinds in sorted(votes.items()) if len(kinds) == 1}

    def entry_handlers(self, handlers, k, start, vs):
        """A continuation starts inside the handlers the frame had: one Python try per handler."""
        if k == len(handlers):
            self.path(start, vs, Ctx(None, None, ()))
            return
        target, depth = handlers[k]
        flag = f"he{k}"
        self.line(f"{flag} = True")
        self.line("try:")
        self.ind += 1
        self.entry_handlers(handlers, k + 1, start, list(vs))
        self.ind -= 1
        self.handler_clause(flag, target, depth, Ctx(None, None, ()))

    def handler_clause(self, flag, target, depth, ctx):
        x = f"_x{self.ntmp + 1}"
        self.ntmp += 1
        self.cur_ip = None
        self.cur_site = None
        self.line(f"except _NEXC as {x}:")
        self.ind += 1
        self.line(f"if not {flag}: raise")
        self.line(f"s{depth} = _xv({x})")
        hvs = [("t", f"s{i}", None) for i in range(depth + 1)]
        self.path(target, hvs, ctx, fresh=False)
        self.line("pass")
        self.ind -= 1

    # -- paths --
    def path(self, ip, vs, ctx, fresh=False):
        """Emit the code from ip until the path ends: at ctx.stop (falling through), or by a jump out of the
        current loop, a return or a throw."""
        saved = (self.overlay, self.split_off, self.nosplit)
        self.overlay = dict(self.overlay)
        try:
            self._path(ip, vs, ctx, fresh)
        finally:
            self.overlay, self.split_off, self.nosplit = saved

    def drop_stored(self, lo, hi):
        """Forget what the overlay knows of locals assigned by instructions in [lo, hi)."""
        if not self.overlay:
            return
        stores = self.an.store_sites()
        for slot in list(self.overlay):
            idx = stores.get(slot, ())
            j = bisect.bisect_left(idx, lo)
            if j < len(idx) and idx[j] < hi:
                del self.overlay[slot]

    def _path(self, ip, vs, ctx, fresh):
        an = self.an
        instrs = self.code.instrs
        names = self.code.names
        consts = self.code.consts
        # local slot -> name of its int(), along this straight path
        self.icache = dict(ctx.hoist) if self.keep is None else dict(self.keep[0])
        self.derived = {}                   # see Emitter.store
        self.last_free = None               # (free variable, ip, entry) of the last STORE_FREE
        # local slot -> temporary holding its fields (Emitter.fields_of)
        self.fcache = {} if self.keep is None else dict(self.keep[1])
        self.keep = None
        while True:
            self.budget -= 1
            if self.budget < 0:
                raise Unsupported("code too large after restructuring")
            self.fip = ip
            if not fresh:
                if ip == ctx.stop:
                    self.cur_ip = None
                    self.cur_site = None
                    self.materialize(vs)
                    return
                loop = ctx.loop
                if loop is not None:
                    if ip == loop.header:
                        self.cur_ip = None
                        self.materialize(vs)
                        self.line("continue")
                        return
                    if ip == loop.follow:
                        self.cur_ip = None
                        self.materialize(vs)
                        self.line("break")
                        return
                    if ip not in loop.body:
                        self.exit_path(ip, vs, ctx)
                        return
                elif ctx.barrier:
                    for lp in ctx.chain:
                        if ip == lp.header or ip == lp.follow:
                            raise Unsupported("a jump out of two loops")
                if ip in an.loops and (loop is None or loop.header != ip):
                    follow = self.open_loop(ip, vs, ctx)
                    if follow is None:
                        return
                    ip = follow
                    vs = self.canon(ip)
                    continue
            fresh = False
            if an.depth[ip] is None or ip not in self.hs:
                raise Unsupported(f"unexpected path to {ip}")
            if len(vs) != an.depth[ip]:
                raise Unsupported(f"stack depth {len(vs)} != {an.depth[ip]} at {ip}")
            o, a = instrs[ip]
            self.cur_ip = ip
            self.cur_site = None
            nxt = ip + 1
            # a file's top level outside loops runs once: short code that compiles fast beats fast code
            self.compact = self.run_once and ctx.loop is None and not ctx.chain
            if o in RECEIVER_AT and not self.compact and self.split_receiver(ip, o, a, vs, ctx):
                return
            if o == O.LOAD_LOCAL:
                vs.append(("l", a))
            elif o == O.CONST:
                vs.append(("c", consts[a]))
            elif o == O.NIL:
                vs.append(("c", None))
            elif o == O.TRUE:
                vs.append(("c", True))
            elif o == O.FALSE:
                vs.append(("c", False))
            elif o == O.POP:
                e = vs.pop()
                if not self.simple(e):
                    self.flush(vs)
                    self.assign("_", e)
            elif o == O.DUP:
                nx = instrs[ip + 1][0] if ip + 1 < len(instrs) else None
                if nx in STORES and ip + 2 < len(instrs) and instrs[ip + 2][0] == O.POP and \
                        ip + 1 not in an.targets and ip + 2 not in an.targets:
                    # `x = expr;` as a statement: store without keeping a copy
                    self.store(nx, instrs[ip + 1][1], vs, ip + 1)
                    nxt = ip + 3
                else:
                    e = vs[-1]
                    if not self.simple(e):
                        self.flush(vs)
                    vs.append(vs[-1])
            elif o == O.DUP2:
                self.flush(vs)
                vs.extend(vs[-2:])
            elif o == O.ROT3:
                self.flush(vs)
                c = vs.pop()
                vs.insert(len(vs) - 2, c)
            elif o in STORES:
                self.store(o, a, vs, ip)
            elif o == O.LOAD_CELL:
                name = self.fresh()
                self.line(f"{name} = l{a}.value")
                vs.append(("t", name, None))
            elif o == O.LOAD_FREE:
                self.uses_cells = True
                last = self.last_free
                if last is not None and last[0] == a and last[1] + 2 == ip and instrs[ip - 1][0] == O.POP and \
                        ip not in self.an.targets and ip - 1 not in self.an.targets:
                    vs.append(last[2])          # `value = x; return value;`: the value just stored
                else:
                    name = self.fresh()
                    self.line(f"{name} = FC[{a}].value")
                    vs.append(("t", name, None))
            elif o == O.MAKE_CELL or o == O.NEW_CELL:
                self.flush(vs)
                self.invalidate_local(vs, a)
                self.icache.pop(a, None)
                self.fcache.pop(a, None)
                self.overlay.pop(a, None)
                self.line(f"l{a} = Cell({'l%d' % a if o == O.MAKE_CELL else 'None'})")
            elif o == O.LOAD_GLOBAL:
                self.flush(vs)
                name = self.fresh()
                gname = names[a]
                if self.compact:
                    self.line(f"{name} = _gget(_G, {gname!r})")
                elif _plain_global(gname):
                    # the generated function's Python globals are the Neutron globals: a cached lookup
                    self.line("try:")
                    self.line(f"    {name} = {gname}")
                    self.line("except NameError:")
                else:
                    self.line("try:")
                    self.line(f"    {name} = _G[{gname!r}]")
                    self.line("except KeyError:")
                if not self.compact:
                    self.line(f"    raise _undef({gname!r}) from None")
                if gname in MODULES:
                    self.module_hint.add(name)      # most likely `use`d: its method calls test Module first
                self.global_hint.add(name)
                vs.append(("t", name, None))
            elif o in ARITH or o in COMPARE:
                b = vs.pop()
                x = vs.pop()
                # operands of a tree: simple entries or arithmetic trees; booleans and others are evaluated first
                if x[0] == "x" or (self.is_bool(x) and x[0] != "c"):
                    self.flush(vs)
                    x = self.simplify(x)
                if b[0] == "x" or (self.is_bool(b) and b[0] != "c"):
                    self.flush(vs)
                    vs.append(x)
                    self.flush(vs)
                    x = vs.pop()
                    b = self.simplify(b)
                vs.append(("o", o, x, b, ip))
            elif o == O.NEG:
                x = vs.pop()
                if not self.simple(x) and (x[0] != "o" or self.is_bool(x)):
                    self.flush(vs)
                    x = self.simplify(x)
                vs.append(("u", O.NEG, x, ip))
            elif o == O.NOT:
                x = vs.pop()
                if not self.is_bool(x) and not self.simple(x):
                    self.flush(vs)
                    x = self.simplify(x)
                vs.append(("u", O.NOT, x, ip))
            elif o == O.BNOT:
                self.flush(vs)
                x = vs.pop()
                name = self.fresh()
                self.line(f"{name} = _bnot({self.ex(x)})")
                vs.append(("t", name, None))
            elif o == O.TO_STR:
                x = vs.pop()
                if x[0] == "c" and x[1].__class__ is str:
                    vs.append(x)
                elif x[0] == "x" and x[2] == "str":
                    vs.append(x)
                else:
                    if not self.simple(x):
                        self.flush(vs)
                        x = self.simplify(x)
                    ex = self.ex(x)
                    vs.append(("x", f"({ex} if {ex}.__class__ is str else _ts({ex}))", "str"))
            elif o == O.CONCAT:
                parts = vs[-a:]
                del vs[-a:]
                for i, p in enumerate(parts):
                    if p[0] != "x" and not self.simple(p):
                        self.flush(vs)
                        parts[i] = self.simplify(p)
                exprs = [p[1] if p[0] == "x" else self.ex(p) for p in parts]
                vs.append(("x", "(" + " + ".join(exprs) + ")", "str"))
            elif o == O.JUMP:
                nxt = a
            elif o in COND_JUMPS:
                self.branch(ip, o, a, vs, ctx)
                return
            elif o == O.GET_INDEX and self.tag(vs[-2]) == DCT:
                # an object: a string key reads like index_get (nil when absent), anything else gets its error
                self.flush(vs)
                ie = vs.pop()
                oe = vs.pop()
                i_, ob = self.ex(ie), self.ex(oe)
                name = self.fresh()
                if self.tag(ie) == STR:
                    self.line(f"{name} = {ob}.get({i_})")
                else:
                    self.line(f"{name} = {ob}.get({i_}) if {i_}.__class__ is str else _gi({ob}, {i_})")
                vs.append(("t", name, None))
            elif o == O.SET_INDEX and self.tag(vs[-3]) == DCT:
                oe, ie, ve, ob, i_, v = self.set_operands(vs)
                if self.tag(ie) == STR:
                    self.line(f"{ob}[{i_}] = {v}")
                else:
                    self.line(f"if {i_}.__class__ is str:")
                    self.line(f"    {ob}[{i_}] = {v}")
                    self.line("else:")
                    self.line(f"    _si({ob}, {i_}, {v})")
                vs.append(ve)
            elif o == O.GET_INDEX:
                self.flush(vs)
                ie = vs.pop()
                oe = vs.pop()
                i_, ob = self.ex(ie), self.ex(oe)
                name = self.fresh()
                ot, it = self.tag(oe), self.tag(ie)
                cond, pyi, pre = self.list_index(oe, ie)
                errs = "IndexError, TypeError, ValueError, OverflowError"
                if it == FLT and ot not in (LST, STR, SEQ):
                    # a receiver of unknown type indexed by a number: Python indexes lists and strings as
                    # index_get does, raises KeyError for a dict (its keys are strings) and TypeError for any
                    # other Neutron value; all of those go to index_get
                    cond = "True"
                    errs += ", KeyError"
                # Python's negative indexes and IndexError match index_get's rules for lists
                self.line("try:")
                if pre:
                    self.line("    " + pre)
                if cond == "True":
                    self.line(f"    {name} = {ob}[{pyi}]")
                else:
                    self.line(f"    if {cond}:")
                    self.line(f"        {name} = {ob}[{pyi}]")
                    if ot is None and it in (None, STR):
                        self.line(f"    elif {ob}.__class__ is dict and {i_}.__class__ is str:")
                        self.line(f"        {name} = {ob}.get({i_})")
                    self.line("    else:")
                    self.line(f"        {name} = _gi({ob}, {i_})")
                self.line(f"except ({errs}):")
                self.line(f"    {name} = _gi({ob}, {i_})")
                vs.append(("t", name, STR if ot == STR else None))
            elif o == O.SET_INDEX:
                oe, ie, ve, ob, i_, v = self.set_operands(vs)
                cond, pyi, pre = self.list_index(oe, ie)
                self.line("try:")
                if pre:
                    self.line("    " + pre)
                if cond == "True":
                    self.line(f"    {ob}[{pyi}] = {v}")
                else:
                    self.line(f"    if {cond}:")
                    self.line(f"        {ob}[{pyi}] = {v}")
                    self.line("    else:")
                    self.line(f"        _si({ob}, {i_}, {v})")
                self.line("except (IndexError, TypeError, ValueError, OverflowError):")
                self.line(f"    _si({ob}, {i_}, {v})")
                vs.append(ve)
            elif o == O.GET_PROP:
                self.flush(vs)
                oe = vs.pop()
                ob = self.ex(oe)
                ot = self.tag(oe)
                pn = names[a]
                rtag = None
                name = None if pn == "length" and ot in (LST, STR, SEQ) else self.fresh()
                if name is None:
                    # pending ("n", receiver): float(len()) where it is used, or len() in a comparison
                    vs.append(("n", ob))
                elif pn == "length" and ot is None:
                    self.line(f"if {ob}.__class__ is list or {ob}.__class__ is str:")
                    self.line(f"    {name} = float(len({ob}))")
                    self.line("else:")
                    self.line(f"    {name} = _gp({ob}, 'length')")
                elif ot == INS or ot == DCT:
                    fd = self.fields_of(oe) if ot == INS else ob
                    self.line("try:")
                    self.line(f"    {name} = {fd}[{pn!r}]")
                    self.line("except KeyError:")
                    self.line(f"    {name} = _gp({ob}, {pn!r})")
                elif ot is None:
                    self.line("try:")
                    self.line(f"    if {ob}.__class__ is Instance:")
                    self.line(f"        {name} = {ob}.fields[{pn!r}]")
                    self.line(f"    elif {ob}.__class__ is dict:")
                    self.line(f"        {name} = {ob}[{pn!r}]")
                    self.line("    else:")
                    self.line(f"        {name} = _gp({ob}, {pn!r})")
                    self.line("except KeyError:")
                    self.line(f"    {name} = _gp({ob}, {pn!r})")
                else:
                    self.line(f"{name} = _gp({ob}, {pn!r})")
                if name is not None:
                    vs.append(("t", name, rtag))
            elif o == O.GET_PROP_OPT:
                self.flush(vs)
                ob = self.ex(vs.pop())
                name = self.fresh()
                self.line(f"{name} = _gpo({ob}, {names[a]!r})")
                vs.append(("t", name, None))
            elif o == O.SET_PROP:
                self.flush(vs)
                ve = vs.pop()
                v = self.ex(ve)
                oe = vs.pop()
                ob = self.ex(oe)
                ot = self.tag(oe)
                pn = names[a]
                if ot == INS or ot == DCT:
                    self.line(f"{self.fields_of(oe) if ot == INS else ob}[{pn!r}] = {v}")
                else:
                    self.line(f"if {ob}.__class__ is Instance:")
                    self.line(f"    {ob}.fields[{pn!r}] = {v}")
                    self.line(f"elif {ob}.__class__ is dict:")
                    self.line(f"    {ob}[{pn!r}] = {v}")
                    self.line("else:")
                    self.line(f"    _sps({ob}, {pn!r}, {v})")
                vs.append(ve)
            elif o == O.CALL:
                self.call(ip, a, vs)
            elif o == O.INVOKE:
                self.invoke(ip, names[a[0]], a[1], vs)
            elif o == O.CALL_ARRAY:
                self.flush(vs)
                self.cur_site = self.site(ip, vs, len(vs) - 2)
                args = self.ex(vs.pop())
                c = self.ex(vs.pop())
                name = self.fresh()
                self.line(f"{name} = _call(d + 1, {c}, list({args}))")
                self.cur_site = None
                vs.append(("t", name, None))
            elif o == O.RETURN:
                e = vs.pop()
                self.flush(vs)
                if self.simple(e):
                    self.line(f"return {self.ex(e)}")
                else:
                    name = self.fresh()
                    self.assign(name, e)
                    self.line(f"return {name}")
                return
            elif o == O.SAY:
                self.flush(vs)
                self.cur_site = self.site(ip, vs, len(vs) - 1)
                self.line(f"_say({self.ex(vs.pop())})")
                self.cur_site = None
            elif o == O.BUILD_LIST:
                if a:
                    self.flush(vs)
                    items = [self.ex(x) for x in vs[-a:]]
                    del vs[-a:]
                else:
                    items = []
                name = self.fresh()
                self.line(f"{name} = [{', '.join(items)}]")
                vs.append(("t", name, None))
            elif o == O.BUILD_OBJECT:
                self.flush(vs)
                items = [self.ex(x) for x in vs[len(vs) - 2 * a:]] if a else []
                if a:
                    del vs[-2 * a:]
                name = self.fresh()
                pairs = ", ".join(f"{items[k]}: {items[k + 1]}" for k in range(0, 2 * a, 2))
                self.line(f"{name} = {{{pairs}}}")
                vs.append(("t", name, None))
            elif o == O.LIST_APPEND:
                self.flush(vs)
                v = self.ex(vs.pop())
                self.line(f"{self.ex(vs[-1])}.append({v})")
            elif o == O.LIST_EXTEND:
                self.flush(vs)
                v = self.ex(vs.pop())
                self.line(f"_extend({self.ex(vs[-1])}, {v})")
            elif o == O.CLOSURE:
                self.flush(vs)
                fcode = consts[a]
                cells = []
                for is_local, i in fcode.freevars:
                    if is_local:
                        cells.append(f"l{i}")
                    else:
                        self.uses_cells = True
                        cells.append(f"FC[{i}]")
                name = self.fresh()
                tup = "(" + ", ".join(cells) + ("," if len(cells) == 1 else "") + ")"
                self.line(f"{name} = Function({self.kname(fcode)}, {tup}, F.globals)")
                vs.append(("t", name, None))
            elif o == O.SETUP_TRY:
                self.try_block(ip, a, vs, ctx)
                return
            elif o == O.POP_TRY:
                self.flush(vs)
                h = self.hs[ip]
                hid = h[-1][0]
                self.line(f"{self.flag(hid)} = False")
            elif o == O.THROW:
                e = vs.pop()
                self.flush(vs)
                e = self.simplify(e)
                self.line(f"raise NThrow({self.ex(e)})")
                return
            elif o == O.GET_ITER:
                self.flush(vs)
                v = self.ex(vs.pop())
                name = self.fresh()
                self.line(f"{name} = _iter({v})")
                vs.append(("t", name, None))
            elif o in (O.USE, O.USING, O.USING_ISOLATED):
                self.flush(vs)
                self.cur_site = self.site(ip, vs, len(vs))
                name = self.fresh()
                self.line(f"{name} = _import(d, {o}, {a}, F, {self.kname(self.code)})")
                self.cur_site = None
                vs.append(("t", name, None))
            elif o == O.GET_MEMBER:
                self.flush(vs)
                m = self.ex(vs.pop())
                name = self.fresh()
                self.line(f"{name} = {m}.members.get({names[a]!r}) if {m}.__class__ is Module else None")
                vs.append(("t", name, None))
            elif o == O.CHECK_TYPE:
                self.flush(vs)
                v = self.ex(vs[-1])
                type_, _msg = consts[a]
                self.line(f"if not _TC[{type_!r}]({v}): _type_error({self.kname(consts[a])}, {v})")
            elif o == O.MAKE_CLASS:
                self.flush(vs)
                name = self.fresh()
                self.line(f"{name} = Class({names[a]!r}, {{}}, [])")
                vs.append(("t", name, None))
            elif o == O.ADD_METHOD:
                self.flush(vs)
                f = self.ex(vs.pop())
                self.line(f"{f}.name = {names[a]!r}")
                self.line(f"{self.ex(vs[-1])}.methods[{names[a]!r}] = {f}")
            elif o == O.ADD_FIELD:
                self.flush(vs)
                vs.pop()
                self.line(f"{self.ex(vs[-1])}.fields.append({self.kname(consts[a])})")
            elif o == O.ERROR:
                self.flush(vs)
                self.line(f"raise NeutronError({consts[a]!r})")
                return
            elif o == O.END_FINALLY:
                raise Unsupported("END_FINALLY")
            else:
                raise Unsupported(f"opcode {O.NAMES[o]}")
            ip = nxt

    def split_receiver(self, ip, o, a, vs, ctx):
        """Before the first property access on a local of unknown type that the code uses as a receiver often:
        `if lN.__class__ is Instance:` with the rest of the path emitted twice, once knowing it."""
        if self.nosplit or self.nsplits >= MAX_SPLITS:
            return False
        k = 1 if o == O.GET_PROP else 2 if o == O.SET_PROP else a[1] + 1
        if len(vs) < k:
            return False
        e = vs[-k]
        if e[0] != "l" or e[1] in self.split_off or self.tag(e) is not None:
            return False
        if o == O.GET_PROP and self.code.names[a] == "length":
            return False
        slot = e[1]
        if self.receiver_count(slot) < 3 or self.budget < 4 * len(self.code.instrs):
            return False
        self.nsplits += 1
        self.flush(vs)
        saved = (self.overlay, self.split_off, self.nosplit)
        self.line(f"if l{slot}.__class__ is Instance:")
        self.ind += 1
        self.overlay = dict(saved[0])
        self.overlay[slot] = INS
        self.split_off = saved[1] | {slot}
        here = (self.icache, self.fcache)
        self.keep = here
        self.path(ip, list(vs), ctx, fresh=True)
        self.ind -= 1
        self.cur_ip = ip
        self.line("else:")
        self.ind += 1
        self.overlay = dict(saved[0])
        self.split_off = saved[1] | {slot}
        self.nosplit = True
        self.keep = here
        self.path(ip, list(vs), ctx, fresh=True)
        self.ind -= 1
        self.overlay, self.split_off, self.nosplit = saved
        return True

    def receiver_count(self, slot):
        """How often local `slot` is loaded right before a property access or method call on it."""
        n = self.receiver_uses.get(slot)
        if n is None:
            instrs = self.code.instrs
            n = sum(1 for i, (o, a) in enumerate(instrs[:-1])
                    if o == O.LOAD_LOCAL and a == slot and instrs[i + 1][0] in (O.GET_PROP, O.INVOKE))
            self.receiver_uses[slot] = n
        return n

    def set_operands(self, vs):
        """SET_INDEX's entries (object, index, value) popped, and their Python expressions."""
        self.flush(vs)
        ve, ie, oe = vs.pop(), vs.pop(), vs.pop()
        return oe, ie, ve, self.ex(oe), self.ex(ie), self.ex(ve)

    def fields_of(self, oe):
        """The fields dict of an entry known to be an instance; for a local, a temporary holding it along this
        path (an instance's dict is never replaced)."""
        if oe[0] != "l":
            return f"{self.ex(oe)}.fields"
        fd = self.fcache.get(oe[1])
        if fd is None:
            fd = self.fresh()
            self.line(f"{fd} = l{oe[1]}.fields")
            self.fcache[oe[1]] = fd
        return fd

    def list_index(self, oe, ie):
        """(condition, Python index) for indexing entry oe as a list with entry ie ("True": no test)."""
        ob = self.ex(oe)
        # strings index like lists here: Python's negative indexes and IndexError follow index_get's rules for
        # both, and assigning into a string fails with a TypeError that index_set turns into the right message
        conds = [] if self.tag(oe) in (LST, STR, SEQ) else [f"({ob}.__class__ is list or {ob}.__class__ is str)"]
        if ie[0] == "c" and ie[1].__class__ is float and ie[1] - ie[1] == 0:
            pyi = str(int(ie[1]))
        elif ie[0] == "l" and self.known_float(ie):
            pyi = self.icache.get(ie[1])
            if pyi is None:
                # computed inside the access's try: for an infinite or NaN index int() fails there, and
                # index_get/index_set then fail too whatever the receiver, so later uses never see it unset
                pyi = self.fresh()
                self.icache[ie[1]] = pyi
                return (" and ".join(conds) or "True"), pyi, f"{pyi} = int(l{ie[1]})"
        else:
            i_ = self.ex(ie)
            pyi = f"int({i_})"
            if not self.known_float(ie):
                conds.append(f"{i_}.__class__ is float")
        return (" and ".join(conds) or "True"), pyi, None

    def flag(self, hid):
        if hid.__class__ is tuple:
            return f"he{hid[1]}"
        return f"h{hid}"

    def store(self, o, a, vs, ip):
        self.cur_ip = ip
        e = vs.pop()
        self.flush(vs)
        if o == O.STORE_LOCAL:
            self.invalidate_local(vs, a)
            self.icache.pop(a, None)
            self.fcache.pop(a, None)
            self.overlay.pop(a, None)
            # `j = 0` or `j = i + 1` with i a counter whose int() is kept: what a loop right after may take as
            # j's int() (Emitter.open_loop), without testing j
            rel = None
            if e[0] == "c":
                rel = self.whole_const(e[1]), None, None
            elif e[0] == "o" and e[1] in (O.ADD, O.SUB) and e[2][0] == "l" and e[3][0] == "c":
                m, k = self.small_mirror(e[2][1]), self.whole_const(e[3][1])
                if m is not None and k is not None:
                    rel = f"{m} {ARITH[e[1]]} {k}", e[2][1], m
            self.derived = {a: (ip,) + rel} if rel is not None and rel[0] is not None else {}
            step = self.steps.get(ip)
            if a not in self.dead:
                self.assign(f"l{a}", e)
            if step is not None:
                name, k = step
                self.line(f"{name} = {name} + {k}" if k.__class__ is str else
                          f"{name} = {name} {'+' if k > 0 else '-'} 1")
                self.icache[a] = name
            elif a in self.dead:
                raise AssertionError("a counter kept as an int assigned otherwise")
            return
        e = self.simplify(e)
        v = self.ex(e)
        if o == O.STORE_CELL:
            self.line(f"l{a}.value = {v}")
        elif o == O.STORE_FREE:
            self.uses_cells = True
            self.line(f"FC[{a}].value = {v}")
            if e[0] in ("t", "c"):
                self.last_free = (a, ip, e)
        elif o == O.DEFINE_GLOBAL:
            self.line(f"_G[{self.code.names[a]!r}] = {v}")
        else:
            gname = self.code.names[a]
            msg = f"Undefined variable '{gname}'."
            self.line(f"if {gname!r} not in _G: raise NeutronError({msg!r})")
            self.line(f"_G[{gname!r}] = {v}")

    def karity(self, n, method):
        self.karities.add((n, method))
        name = f"_{'M' if method else 'K'}{n}"
        self.consts[name] = None            # Tier.build passes the table itself
        return name

    def cache(self, *names):
        """Per-site inline-cache slots: namespace globals, None until the site's first call fills them."""
        self.nsite += 1
        out = [f"_{n}{self.nsite}" for n in names]
        for n in out:
            self.consts[n] = _EMPTY
        return out

    def call(self, ip, argc, vs):
        self.flush(vs)
        k = len(vs) - argc - 1
        self.cur_site = self.site(ip, vs, k)
        args = [self.ex(x) for x in vs[k + 1:]]
        spec = self.spec_fill(vs[k + 1:])
        callee = vs[k]
        c = self.ex(callee)
        del vs[k:]
        name = self.fresh()
        alist = f"[{', '.join(args)}]"
        if self.compact:
            self.line(f"{name} = _call(d + 1, {c}, {alist})")
            self.cur_site = None
            vs.append(("t", name, None))
            return
        kd = self.karity(argc, False)
        md = self.karity(argc, True)
        cf, ff, ck, cc, cm, fc, ff2, ck2 = self.cache("cf", "ff", "ck", "cc", "cm", "fc", "fx", "kx")
        # the function (or class) this site called first is recognised by identity, other closures of its code
        # (and of one other code) by their code; the first test for a callee read from a global is identity
        kw = "if"
        if callee[0] == "t" and callee[1] in self.global_hint:
            self.line(f"if {c} is {cf}:")
            self.line(f"    {name} = {ff}({', '.join(['d + 1', c] + args)})")
            kw = "elif"
        self.line(f"{kw} {c}.__class__ is Function:")
        self.line(f"    _k = {c}.code")
        self.line(f"    if _k is {ck}:")
        self.line(f"        {name} = {ff}({', '.join(['d + 1', c] + args)})")
        self.line(f"    elif _k is {ck2}:")
        self.line(f"        {name} = {ff2}({', '.join(['d + 1', c] + args)})")
        self.line("    else:")
        self.line("        try:")
        self.line(f"            _p = {kd}[_k]")
        self.line("        except KeyError:")
        self.line(f"            _p = _kmiss({c}, {argc})")
        self.line(f"        if {cf} is _EMPTY:")
        self.line(f"            _B[{cf!r}] = {c}")
        self.line(f"            _B[{ff!r}] = {spec.format('_p')}")
        self.line(f"            _B[{ck!r}] = _k")
        self.line(f"        elif {ck2} is _EMPTY:")
        self.line(f"            _B[{ff2!r}] = {spec.format('_p')}")
        self.line(f"            _B[{ck2!r}] = _k")
        self.line(f"        {name} = _p({', '.join(['d + 1', c] + args)})")
        self.line(f"elif {c} is {cc}:")
        self.line("    _i = _inew(Instance)")
        self.line(f"    _i.klass = {c}")
        self.line("    _i.fields = {}")
        self.line(f"    {name} = {fc}({', '.join(['d + 1', cm, '_i'] + args)})")
        self.line(f"elif {c}.__class__ is Class:")
        self.line("    try:")
        self.line(f"        _m = {c}.methods['initialize']")
        self.line(f"        _p = {md}[_m.code]")
        self.line("    except KeyError:")
        self.line(f"        {name} = _call(d + 1, {c}, {alist})")
        self.line("    else:")
        self.line(f"        if {cc} is _EMPTY:")
        self.line(f"            _B[{cc!r}] = {c}")
        self.line(f"            _B[{cm!r}] = _m")
        self.line(f"            _B[{fc!r}] = {spec.format('_p')}")
        self.line(f"        {name} = _p({', '.join(['d + 1', '_m', f'Instance({c}, {{}})'] + args)})")
        self.line("else:")
        self.line(f"    {name} = _call(d + 1, {c}, {alist})")
        self.cur_site = None
        vs.append(("t", name, None))

    def spec_fill(self, entries):
        """What a call site caches for the function it calls ({0}): its speculated copy when the arguments' types
        known here are those that copy assumes (Tier._spec)."""
        tags = tuple(self.tag(x) for x in entries)
        if not any(tags):
            return "{0}"
        return f"_spec({{0}}, {tags!r})"

    def invoke(self, ip, mname, argc, vs):
        self.flush(vs)
        k = len(vs) - argc - 1
        self.cur_site = self.site(ip, vs, k)
        vs_args = vs[k + 1:]
        args = [self.ex(x) for x in vs_args]
        spec = self.spec_fill(vs_args)
        r = self.ex(vs[k])
        rt = self.tag(vs[k])
        del vs[k:]
        name = self.fresh()
        if self.compact:
            self.line(f"{name} = _invoke(d + 1, {r}, {mname!r}, [{', '.join(args)}])")
            self.cur_site = None
            vs.append(("t", name, None))
            return
        alist = f"[{', '.join(args)}]"
        builtin = self.tier.builtin_methods(mname, argc) if rt in (None, LST, STR) else []
        if rt in (LST, STR):
            builtin = [(kind, fn) for kind, fn in builtin if kind == ("list" if rt == LST else "str")]
            if builtin:
                kind, fn = builtin[0]
                if fn == "append":
                    self.line(f"{r}.append({args[0]})")
                    self.line(f"{name} = None")
                else:
                    self.line(f"{name} = {self.kname(fn)}(_vm, {r}, {alist})")
            else:
                self.line(f"{name} = _invoke(d + 1, {r}, {mname!r}, {alist})")
            self.cur_site = None
            vs.append(("t", name, method_result_tag(rt, mname) if builtin else None))
            return
        md = self.karity(argc, True)
        ck, cm, cf = self.cache("ck", "cm", "cf")
        kw = "if"
        if r in self.module_hint:
            if len(args) == 1:
                # a built-in module's pure one-number function (math.sqrt), remembered with its module: those
                # modules cannot be changed
                mm, mf, mn = self.cache("mm", "mf", "mn")
                x = args[0]
                test = "" if self.tag(vs_args[0]) == FLT else f" and {x}.__class__ is float"
                self.line(f"if {r} is {mm}{test}:")
                self.line("    try:")
                self.line(f"        {name} = {mf}({x})")
                self.line("    except (ValueError, OverflowError):")
                self.line(f"        {name} = _native({mn}, [{x}])")
                self.line(f"elif {r}.__class__ is Module and (_n := {r}.members.get({mname!r})).__class__ is _Native:")
                self.line(f"    if {mm} is _EMPTY and {r}.native and _n.fast is not None:")
                self.line(f"        _B[{mm!r}] = {r}")
                self.line(f"        _B[{mf!r}] = _n.fast")
                self.line(f"        _B[{mn!r}] = _n")
            else:
                self.line(f"if {r}.__class__ is Module and (_n := {r}.members.get({mname!r})).__class__ is _Native:")
            self.native_call(name, args, vs_args)
            kw = "elif"
        for kind, fn in builtin:       # a built-in method name: arrays and strings are the likely receivers
            if fn == "append":
                self.line(f"{kw} {r}.__class__ is list:")
                self.line(f"    {r}.append({args[0]})")
                self.line(f"    {name} = None")
            else:
                self.line(f"{kw} {r}.__class__ is {kind}:")
                self.line(f"    {name} = {self.kname(fn)}(_vm, {r}, {alist})")
            kw = "elif"
        self.line(f"{kw} {'' if rt == INS else r + '.__class__ is Instance and '}{mname!r} not in {r}.fields:")
        self.line(f"    if {r}.klass is {ck}:")
        self.line(f"        {name} = {cf}({', '.join(['d + 1', cm, r] + args)})")
        self.line("    else:")
        self.line("        try:")
        self.line(f"            _m = {r}.klass.methods[{mname!r}]")
        self.line(f"            _p = {md}[_m.code]")
        self.line("        except KeyError:")
        self.line(f"            {name} = _invoke(d + 1, {r}, {mname!r}, {alist})")
        self.line("        else:")
        self.line(f"            if {ck} is _EMPTY:")
        self.line(f"                _B[{ck!r}] = {r}.klass")
        self.line(f"                _B[{cm!r}] = _m")
        self.line(f"                _B[{cf!r}] = {spec.format('_p')}")
        self.line(f"            {name} = _p({', '.join(['d + 1', '_m', r] + args)})")
        if rt != INS:
            # a built-in module's function (math.sqrt): the VM's call_value for a native, without its look-ups
            self.line(f"elif {r}.__class__ is Module and (_n := {r}.members.get({mname!r})).__class__ is _Native:")
            self.native_call(name, args, vs_args)
        self.line("else:")
        self.line(f"    {name} = _invoke(d + 1, {r}, {mname!r}, {alist})")
        self.cur_site = None
        vs.append(("t", name, None))

    def native_call(self, name, args, entries):
        """`name = _n(args)` for the native _n, one level in: a pure one-number function runs directly."""
        alist = f"[{', '.join(args)}]"
        if len(args) != 1:
            self.line(f"    {name} = _native(_n, {alist})")
            return
        x = args[0]
        test = "_n.fast is not None" + ("" if self.tag(entries[0]) == FLT else f" and {x}.__class__ is float")
        self.line(f"    if {test}:")
        self.line("        try:")
        self.line(f"            {name} = _n.fast({x})")
        self.line("        except (ValueError, OverflowError):")
        self.line(f"            {name} = _native(_n, {alist})")
        self.line("    else:")
        self.line(f"        {name} = _native(_n, {alist})")

    # -- control flow --
    def valid_merge(self, m, ctx):
        if m is None or m == self.an.X or m >= self.an.n or self.an.depth[m] is None or m not in self.hs:
            return None
        loop = ctx.loop
        if loop is not None and m not in loop.body and m != loop.follow:
            return None
        return m

    def immediate(self, t, ctx):
        """'break' or 'continue' when a jump to t is just that, else None."""
        loop = ctx.loop
        if loop is None or t == ctx.stop:
            return None
        if t == loop.header:
            return "continue"
        if t == loop.follow:
            return "break"
        return None

    def thread(self, o, a):
        """Jump threading for `and`/`or`: the value a KEEP jump carries has a known truthiness, so the jumps it
        meets next are decided. Returns (opcode, target): a popping jump when the value is dropped on the way."""
        instrs = self.code.instrs
        truthy = o == O.JUMP_IF_TRUE_KEEP
        t = a
        for _ in range(32):
            to, ta = instrs[t]
            if to == O.JUMP_IF_FALSE_KEEP or to == O.JUMP_IF_TRUE_KEEP:
                if truthy == (to == O.JUMP_IF_TRUE_KEEP):
                    t = ta
                    continue
                return (O.JUMP_IF_FALSE if o == O.JUMP_IF_FALSE_KEEP else O.JUMP_IF_TRUE), t + 1
            if to == O.JUMP_IF_FALSE or to == O.JUMP_IF_TRUE:
                taken = truthy == (to == O.JUMP_IF_TRUE)
                return (O.JUMP_IF_FALSE if o == O.JUMP_IF_FALSE_KEEP else O.JUMP_IF_TRUE), (ta if taken else t + 1)
            break
        return o, t

    def branch(self, ip, o, a, vs, ctx):
        an = self.an
        if o == O.JUMP_IF_FALSE_KEEP or o == O.JUMP_IF_TRUE_KEEP:
            o, a = self.thread(o, a)
        if o == O.FOR_ITER:
            it = self.ex(vs[-1])
            cond_taken = f"{it}.i >= {it}.n"
            cond_fall = f"{it}.i < {it}.n"
            vs_taken = vs[:-1]
            vs_fall = list(vs)
            name = self.fresh()
            fall_prefix = [f"{name} = {it}.i", f"{it}.i = {name} + 1",
                           f"{name} = {it}.keys[{name}] if {it}.keys is not None else float({name})"]
            vs_fall.append(("t", name, None))
        else:
            e = vs.pop()
            if o in (O.JUMP_IF_FALSE_KEEP, O.JUMP_IF_TRUE_KEEP, O.JUMP_IF_NIL_KEEP):
                self.flush(vs)
                e = self.simplify(e)
                vs_taken = vs + [e]
                vs_fall = list(vs) if o != O.JUMP_IF_NIL_KEEP else vs + [e]
                if o == O.JUMP_IF_NIL_KEEP:
                    cond_taken = f"{self.ex(e)} is None"
                    cond_fall = f"{self.ex(e)} is not None"
                else:
                    t = self.truth(e)
                    cond_taken = f"not {t}" if o == O.JUMP_IF_FALSE_KEEP else t
                    cond_fall = t if o == O.JUMP_IF_FALSE_KEEP else f"not {t}"
            else:
                if e[0] == "c":
                    truthy = e[1] is not None and e[1] is not False
                    taken = (not truthy) if o == O.JUMP_IF_FALSE else truthy
                    self.flush(vs)
                    self.path(a if taken else ip + 1, vs, ctx)
                    return
                self.flush(vs)
                t = self.truth(e)
                cond_taken = f"not {t}" if o == O.JUMP_IF_FALSE else t
                cond_fall = t if o == O.JUMP_IF_FALSE else f"not {t}"
                vs_taken = vs
                vs_fall = list(vs)
            fall_prefix = []
        fall = ip + 1
        imm = self.immediate(a, ctx)
        if imm is not None:
            self.line(f"if {cond_taken}:")
            self.ind += 1
            self.cur_ip = None
            vt = list(vs_taken)
            self.materialize(vt)
            self.line(imm)
            self.ind -= 1
            self.cur_ip = ip
            for text in fall_prefix:
                self.line(text)
            self.path(fall, vs_fall, ctx)
            return
        m = self.valid_merge(an.ipdom.get(ip), ctx)
        if m is None:
            cand = max(fall, a)
            if an.ipdom.get(ip) in (None, an.X) and self.valid_merge(cand, ctx) is not None:
                m = cand
        sub = Ctx(m if m is not None else ctx.stop, ctx.loop, ctx.chain, ctx.barrier, ctx.hoist)
        fall_is_join = m is not None and m == fall and self.canonical(vs_fall) and not fall_prefix
        if fall_is_join:
            # the fall-through side is the join itself: `if taken: <taken side>`
            self.line(f"if {cond_taken}:")
            self.ind += 1
            mark = len(self.out)
            self.path(a, list(vs_taken), sub)
            if len(self.out) == mark:
                self.line("pass")
            self.ind -= 1
        else:
            # the fall-through (then) side first, so that an else-if chain ends up in `else:` blocks
            self.line(f"if {cond_fall}:")
            self.ind += 1
            mark = len(self.out)
            for text in fall_prefix:
                self.line(text)
            self.path(fall, vs_fall, sub)
            if len(self.out) == mark:
                self.line("pass")
            self.ind -= 1
            if not (m is not None and m == a and self.canonical(vs_taken)):
                self.cur_ip = ip
                self.line("else:")
                self.ind += 1
                mark = len(self.out)
                self.path(a, list(vs_taken), sub)
                if len(self.out) == mark:
                    self.line("pass")
                self.ind -= 1
        if m is not None and m != ctx.stop:
            self.drop_stored(min(ip, m), max(ip, m) if m > ip else an.n)
            self.path(m, self.canon(m), ctx)
        elif m is not None:
            self.cur_ip = None
        # else: both branches ended (or fell through to ctx.stop)

    def open_loop(self, h, vs, ctx):
        """Emit the whole loop with header h; returns its follow (where the path continues) or None."""
        an = self.an
        loop = an.loops[h]
        self.cur_ip = None
        self.materialize(vs)
        self.drop_stored(min(loop.body), max(loop.body) + 1)
        hoist = dict(ctx.hoist)
        self.fip = h
        for slot in self.index_invariants(loop):
            if slot in hoist:
                continue        # an enclosing loop's counter, kept already
            # int() of a float local the loop indexes with and never changes; None when it has none
            name = self.fresh()
            self.line(f"{name} = _int(l{slot}) if l{slot} - l{slot} == 0 else None")
            hoist[slot] = name
        saved = dict(self.steps)
        for slot, steps in self.inductions(loop).items():
            if slot in hoist and any(self.steps.get(i, (None,))[0] == hoist[slot] for i in steps):
                continue        # already kept by an enclosing loop, whose steps include this loop's
            # a counter the loop indexes with, changed only by +1 or -1: its int() is kept alongside it. When it
            # is not a whole number well inside the doubles' exact range (where adding 1 would round) the float
            # itself: an index that fails, sending the access to the generic path. Either way it equals the
            # counter, so it may stand for it in a comparison with a length
            name = self.fresh()
            v = f"l{slot}"
            rel = self.derived.get(slot)
            if rel is not None and rel[0] + 1 == h and (rel[2] is None or self.icache.get(rel[2]) == rel[3]):
                self.line(f"{name} = {rel[1]}")         # set by the instruction just before the loop
            else:
                self.line(f"{name} = {_mirror(v)}")
            self.mirrors.add(name)
            if all(x.__class__ is int for x in steps.values()):
                self.small_ints.add(name)   # steps of 1 from within 2**52: it stays there
            hoist[slot] = name
            for i, step in steps.items():
                if step.__class__ is tuple:
                    by = self.fresh()
                    w = f"l{step[1]}"
                    self.line(f"{by} = {_mirror(w)}")
                    step = by
                self.steps[i] = (name, step)
        dead = self.int_only(loop, hoist)
        for slot, bound in dead:
            self.dead[slot] = hoist[slot]
            if bound is not None and bound not in self.bounds:
                b = self.fresh()
                v = f"l{bound}"
                self.line(f"{b} = {_mirror(v)}")       # (compared only: -0.0 as 0 would do too)
                self.bounds[bound] = b
        inner = Ctx(None, loop, ctx.chain + (loop,), False, hoist)

        def emit():
            self.line("while True:")
            self.ind += 1
            self.path(h, self.canon(h), inner, fresh=True)
            self.ind -= 1

        lists = self.indexed_unknowns(loop)
        nums = self.indexed_unknowns(loop, "number")
        if lists or nums:
            # an innermost loop indexing locals of unknown type it never assigns, or using them as operands: a
            # copy for when they are arrays and numbers
            self.line(f"if {' and '.join([f'l{a}.__class__ is list' for a in lists] + [f'l{a}.__class__ is float' for a in nums])}:")
            self.ind += 1
            saved_overlay = dict(self.overlay)
            self.overlay.update((a, LST) for a in lists)
            self.overlay.update((a, FLT) for a in nums)
            emit()
            self.overlay = saved_overlay
            self.ind -= 1
            self.line("else:")
            self.ind += 1
            emit()
            self.ind -= 1
        else:
            emit()
        for slot, bound in dead:
            # the float again, for the code after the loop (exits elsewhere write it in exit_path)
            self.line(f"l{slot} = float({self.dead.pop(slot)})")
            self.bounds.pop(bound, None)
        self.steps = saved
        return loop.follow

    def int_only(self, loop, hoist):
        """Counters of an innermost loop without calls or handlers that only index, compare with an unchanged
        local, a constant or a length in the loop's test, and step by 1: [(slot, bound slot or None)]. Inside
        the loop only their int() is kept (the float is written back at its exits)."""
        an = self.an
        instrs = self.code.instrs
        h = loop.header
        if self.hs.get(h) or any(other is not loop and other.header in loop.body for other in an.loops.values()):
            return []
        stored = set()
        for i in loop.body:
            o, a = instrs[i]
            if o not in INT_ONLY_BODY:
                return []
            if o == O.STORE_LOCAL:
                stored.add(a)
        o0, a0 = instrs[h]
        if o0 != O.LOAD_LOCAL or a0 not in hoist or hoist[a0] not in self.small_ints or a0 in self.dead:
            return []
        slot = a0
        o1, a1 = instrs[h + 1]
        bound, k = None, h + 2
        if o1 == O.LOAD_LOCAL and instrs[h + 2] == (O.GET_PROP, self.code.names.index("length")
                                                    if "length" in self.code.names else -1):
            k = h + 3
        elif o1 == O.LOAD_LOCAL and a1 not in stored and a1 != slot:
            st = self.flow.get(h)
            if st is None or st[0].get(a1) != FLT:
                return []
            bound = a1
        elif o1 != O.CONST or self.code.consts[a1].__class__ is not float:
            return []
        if instrs[k][0] not in (O.LT, O.LE, O.GT, O.GE) or instrs[k + 1][0] != O.JUMP_IF_FALSE:
            return []
        for i in loop.body:
            o, a = instrs[i]
            if o == O.LOAD_LOCAL and a == slot and i != h:
                step = i + 3 < len(instrs) and instrs[i + 1][0] == O.CONST and instrs[i + 2][0] in (O.ADD, O.SUB) \
                    and (instrs[i + 3] == (O.STORE_LOCAL, slot) or
                         (instrs[i + 3][0] == O.DUP and instrs[i + 4] == (O.STORE_LOCAL, slot)))
                if not step and self.use_of(i) != "index":
                    return []
        return [(slot, bound)]

    def indexed_unknowns(self, loop, use="object"):
        """Locals an innermost, short loop indexes (as the array; or, for use "number", gives to an arithmetic or
        comparison operator) and never assigns, of a type not known at its header: worth a second copy of the
        loop that knows them to be arrays (numbers)."""
        an = self.an
        if len(loop.body) > 200 or self.budget < 3 * len(loop.body) + 200 or any(
                other is not loop and other.header in loop.body for other in an.loops.values()):
            return []
        st = self.flow.get(loop.header)
        if st is None:
            return []
        instrs = self.code.instrs
        stored = {a for i in loop.body for o, a in (instrs[i],) if o in (O.STORE_LOCAL, O.MAKE_CELL, O.NEW_CELL)}
        out = set()
        for i in loop.body:
            o, a = instrs[i]
            if o == O.LOAD_LOCAL and a not in stored and a not in out and st[0].get(a) is None and \
                    a not in self.overlay and self.use_of(i) == use:
                out.add(a)
        return sorted(out)[:3]

    def inductions(self, loop):
        """Float locals the loop uses as list indexes (or bitwise operands) and assigns only as `x = x + 1`,
        `x = x - 1` or, for indexes alone, `x = x + y` with y a float local the loop does not assign:
        {slot: {index of the STORE_LOCAL: +1, -1 or the slot y}}."""
        instrs = self.code.instrs
        consts = self.code.consts
        st = self.flow.get(loop.header)
        if st is None:
            return {}
        stored = {a for i in loop.body for o, a in (instrs[i],) if o in (O.STORE_LOCAL, O.MAKE_CELL, O.NEW_CELL)}
        steps, bad, indexed, bitwise = {}, set(), set(), set()
        for i in loop.body:
            o, a = instrs[i]
            if o in (O.MAKE_CELL, O.NEW_CELL):
                bad.add(a)
            elif o == O.STORE_LOCAL:
                k = i - 1 if i > 0 and instrs[i - 1][0] == O.DUP else i
                step = None
                if k >= 3 and instrs[k - 3] == (O.LOAD_LOCAL, a) and \
                        not any(j in self.an.targets for j in range(k - 2, i + 1)):
                    op, (o2, a2) = instrs[k - 1][0], instrs[k - 2]
                    if op in (O.ADD, O.SUB) and o2 == O.CONST and consts[a2].__class__ is float and consts[a2] == 1.0:
                        step = 1 if op == O.ADD else -1
                    elif op == O.ADD and o2 == O.LOAD_LOCAL and a2 != a and a2 not in stored and \
                            st[0].get(a2) == FLT:
                        step = ("l", a2)
                if step is None:
                    bad.add(a)
                else:
                    steps.setdefault(a, {})[i] = step
            elif o == O.LOAD_LOCAL:
                use = self.use_of(i)
                if use in BITWISE:
                    indexed.add(a)
                    bitwise.add(a)
                elif use == "index":
                    indexed.add(a)
                elif use == "unknown":
                    bitwise.add(a)      # possibly: no step but 1 then
        # a step by another local is exact only while the sum stays within the doubles' whole numbers, which an
        # index beyond any array's length does not need but a bitwise operand would
        return {a: v for a, v in steps.items() if a not in bad and a in indexed and st[0].get(a) == FLT and
                (a not in bitwise or all(x.__class__ is int for x in v.values()))}

    def use_of(self, i):
        """How the value pushed by instruction i is used, along straight code: "index" or "object" (of GET_INDEX
        or SET_INDEX), a bitwise operator, None (anything else) or "unknown" (past a jump)."""
        instrs = self.code.instrs
        depth = self.an.depth
        targets = self.an.targets
        h = depth[i]
        if h is None:
            return None
        for j in range(i + 1, min(len(instrs), i + 64)):     # (not found: "unknown")
            o = instrs[j][0]
            if j in targets or o in O.JUMPS or depth[j] is None or j + 1 >= len(depth) or depth[j + 1] is None:
                return "unknown"
            if o == O.GET_INDEX and depth[j] - 2 <= h:
                return {h + 1: "index", h + 2: "object"}.get(depth[j])
            if o == O.SET_INDEX and depth[j] - 3 <= h:
                return {h + 2: "index", h + 3: "object"}.get(depth[j])
            if o in BITWISE and depth[j] - 2 <= h:
                return o
            if (o in ARITH or o in COMPARE) and depth[j] - 2 <= h:
                return "number"
            n = _pops(o, instrs[j][1])
            if (n is not None and depth[j] - n <= h) or depth[j + 1] <= h:
                return None             # something else takes the value
        return "unknown"

    def index_invariants(self, loop):
        """Float locals the loop uses as list indexes and never assigns."""
        instrs = self.code.instrs
        st = self.flow.get(loop.header)
        if st is None:
            return []
        stored = {a for i in loop.body for o, a in (instrs[i],) if o in (O.STORE_LOCAL, O.MAKE_CELL, O.NEW_CELL)}
        out = set()
        for i in loop.body:
            o, a = instrs[i]
            if o == O.LOAD_LOCAL and a not in stored and st[0].get(a) == FLT and any(
                    j < len(instrs) and (instrs[j][0] in BITWISE or (j == i + 1 and instrs[j][0] == O.GET_INDEX))
                    for j in (i + 1, i + 2)):
                out.add(a)
        return sorted(out)

    def exit_path(self, ip, vs, ctx):
        """A jump out of the loop to somewhere other than its follow: that code runs here, then `break`."""
        loop = ctx.loop
        sub = Ctx(loop.follow, None, ctx.chain, barrier=True)
        for slot, name in self.dead.items():
            self.line(f"l{slot} = float({name})")
        saved = self.dead
        self.dead = {}
        self.path(ip, vs, sub)
        self.dead = saved
        self.line("break")

    def try_block(self, ip, target, vs, ctx):
        an = self.an
        self.flush(vs)
        self.materialize(vs)
        instrs = self.code.instrs
        m = None
        pj = instrs[target - 1] if target > 0 else None
        if pj is not None and pj[0] == O.JUMP and pj[1] >= target:
            m = pj[1]
        if m is None:
            m = an.ipdom.get(ip)
        m = self.valid_merge(m, ctx)
        sub = Ctx(m if m is not None else ctx.stop, ctx.loop, ctx.chain, ctx.barrier, ctx.hoist)
        flag = f"h{ip}"
        self.cur_ip = ip
        self.line(f"{flag} = True")
        self.line("try:")
        self.ind += 1
        mark = len(self.out)
        self.path(ip + 1, list(vs), sub)
        if len(self.out) == mark:
            self.line("pass")
        self.ind -= 1
        self.drop_stored(ip, target)
        self.handler_clause(flag, target, an.depth[ip], sub)
        if m is not None and m != ctx.stop:
            self.drop_stored(ip, max(m, target))
            self.path(m, self.canon(m), ctx)


# ---- the runtime -------------------------------------------------------------------------------------------------

class Tier:
    def __init__(self, vm):
        self.vm = vm
        self.fns = {}           # code -> normal-entry function
        self.fast = {}          # array method name -> fast_loop entry
        self.fast_codes = {}    # a fast loop's Python code object -> (prelude function, call index, state)
        self.conts = {}         # (code, ip, handlers) -> continuation function
        self.analyses = {}
        self.infos = {}         # Python code object -> Info
        self.arity = {}         # ('K'|'M', n) -> {code: function}
        self.pending = []
        self.stop_code = None
        self.globals_of = {}    # code -> the globals dict its functions use
        self.ns = self._namespace()
        vm.tier = self
        vm.live_frames = self.live_frames
        vm.on_stop = self.on_stop

    def detach(self):
        vm = self.vm
        vm.live_frames = vm.frames_now
        vm.on_stop = vm.stop_here
        vm.tier = None

    # -- compiling --
    def analysis(self, code):
        an = self.analyses.get(code)
        if an is None:
            an = self.analyses[code] = Analysis(code)
        return an

    def builtin_methods(self, name, argc):
        """[(receiver type name, function)] of the built-in string and array methods that `recv.name(argc
        arguments)` calls directly, as the VM would after its table look-up and arity check."""
        from .runtime import methods as B
        out = []
        entry = B.ARRAY_METHODS.get(name)
        if entry is not None and name not in B.ARRAY_CALLBACK_METHODS and _fits(entry, argc):
            if entry[0] is getattr(B, "a_push", None) and argc == 1:
                out.append(("list", "append"))      # a_push: extend by the arguments, return nil
            else:
                out.append(("list", entry[0]))
        entry = B.STRING_METHODS.get(name)
        if entry is not None and _fits(entry, argc):
            out.append(("str", entry[0]))
        return out

    def fast_loop(self, name):
        """(loop function, ...) for an array callback method run by a Python loop, or False."""
        entry = self.fast.get(name)
        if entry is None:
            entry = False
            spec = FAST_LOOPS.get(name)
            if spec is not None:
                loop, pname, nlocals, below, state = spec
                F = self.vm.prelude_function(pname)
                code = F.code
                depth = self.analysis(code).depth
                ip = next((i for i, (o, a) in enumerate(code.instrs) if o == O.CALL and a == 1), None)
                if ip is not None and code.nlocals == nlocals and depth[ip] == below + 2:
                    entry = (loop, F, ip, state)
                    self.fast_codes[loop.__code__] = (F, ip, state)
            self.fast[name] = entry
        return entry

    def karity(self, kind, n):
        d = self.arity.get((kind, n))
        if d is None:
            d = self.arity[(kind, n)] = {}
        return d

    def build(self, code, entry, G):
        """Generate, compile and instantiate one function: `code` from its start (entry None) or a
        continuation. Its Python globals are G, the Neutron globals of the code's functions."""
        if "__builtins__" in G:
            raise Unsupported("a global named __builtins__")
        seen = self.globals_of.setdefault(code, G)
        if seen is not G:
            raise Unsupported("a code object run with two different globals")
        an = self.analysis(code)
        em = Emitter(self, code, an, entry)
        fname, src, info = em.generate()
        vals = dict(self.ns)
        vals.update(em.consts)
        vals["_G"] = G
        for n, method in em.karities:
            vals[f"_{'M' if method else 'K'}{n}"] = self.karity("M" if method else "K", n)
        if os.environ.get("NEUTRON_TIER_DUMP"):
            sys.stderr.write(f"---- {code.name} {entry}\n{src}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")     # e.g. "is" with a literal, from constant operands
                pyc = compile(src, f"<neutron {code.name}>", "exec")
        except (SyntaxError, RecursionError, MemoryError, ValueError) as e:
            raise Unsupported(f"Python rejected the generated code: {e}") from None
        B = dict(_pybuiltins.__dict__)
        B.update((HIDE + k[1:] if k.startswith("_") else k, v) for k, v in vals.items())
        B[HIDE + "B"] = B
        scratch = {"__builtins__": B}
        exec(pyc, scratch)
        fn, fn_s = _with_builtins(scratch[HIDE + "make"].__code__, G, B)()
        info.pycode = fn.__code__
        self.infos[fn.__code__] = info
        if fn_s is not None:
            self.infos[fn_s.__code__] = info
            fn.nts = (info.spec, fn_s)
        return fn

    def function(self, code, G):
        fn = self.fns.get(code)
        if fn is None:
            try:
                fn = self.build(code, None, G)
            except Unsupported as e:
                raise self.deopt(str(e)) from None
            self.fns[code] = fn
            self.karity("M" if code.is_method else "K", len(code.params))[code] = fn
        return fn

    def continuation(self, f):
        fl_locals = tuple(tag_of(v) for v in f.locals)
        fl_stack = tuple(tag_of(v) for v in f.stack)
        key = (f.code, f.ip, tuple(f.handlers), fl_locals, fl_stack)
        fn = self.conts.get(key)
        if fn is None:
            an = self.analysis(f.code)
            if f.ip >= len(f.code.instrs) or an.depth[f.ip] != len(f.stack):
                raise Unsupported("a frame whose stack does not match its code")
            fn = self.build(f.code, (f.ip, list(f.handlers), fl_locals, fl_stack), f.func.globals)
            self.conts[key] = fn
        return fn

    # -- running --
    def execute(self):
        """Run vm.frames to the end, in a worker thread with a large stack."""
        box = {}
        done = _thread.allocate_lock()
        done.acquire()

        def work():
            try:
                box["result"] = self.run()
            except BaseException as e:     # handed to the calling thread
                box["error"] = e
            finally:
                done.release()

        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, 4 * FR.MAX_FRAMES + 10_000))
        old_gc = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLD)
        old_size = _thread.stack_size()
        try:
            _thread.stack_size(STACK_SIZE)
            ident = _thread.start_new_thread(_ROOT, (work,))
        finally:
            _thread.stack_size(old_size)
        outer = None
        try:
            while True:
                try:
                    if outer is None:
                        done.acquire()
                    elif not done.acquire(timeout=2.0):
                        break       # the program's thread is blocked in a system call (reading input): leave it
                    break
                except BaseException as e:     # a signal in this thread (Ctrl-C, a test's alarm): pass it on
                    outer = e
                    _async_raise(ident, type(e))
        finally:
            sys.setrecursionlimit(old_limit)
            gc.set_threshold(*old_gc)
        if outer is not None:
            raise outer
        if "error" in box:
            e = box.pop("error")
            if e.__class__ is MemoryError or (e.__class__ is SystemError and "without exception" in str(e)):
                # memory exhausted (CPython 3.11 reports a failed frame allocation as that SystemError)
                e = None
                raise FR.Uncaught("Out of memory.", True, [])
            raise e
        return box.get("result")

    def run(self):
        vm = self.vm
        frames = vm.frames
        self.pending = frames
        self.stop_code = sys._getframe().f_code
        value = _NOTHING
        exc = None
        trace = []
        while frames:
            f = frames.pop()
            if exc is not None:
                if not f.handlers:
                    trace.append((f.func.name if f.func is not None else f.code.name, f.code.filename,
                                  f.code.lines[f.ip - 1] if 0 < f.ip <= len(f.code.lines) else 0))
                    continue
                target, depth = f.handlers.pop()
                del f.stack[depth:]
                f.stack.append(_xv(exc))
                f.ip = target
                exc = None
                trace = []
            elif value is not _NOTHING:
                f.stack.append(value)
            try:
                cont = self.continuation(f)
            except Unsupported:
                frames.append(f)
                return self.to_vm(frames)
            try:
                r = cont(len(frames) + 1, f.func, f.locals, f.stack)
            except NEXC as e:
                exc = e
                trace = self.tb_trace(e.__traceback__)
                continue
            except _Deopt as e:
                frames.extend(e.frames)
                return self.to_vm(frames)
            value = r if f.result is _NO_RESULT else f.result
        if exc is not None:
            raise FR.Uncaught(_xv(exc), exc.__class__ is not NThrow, trace)
        vm.result = None if value is _NOTHING else value
        return vm.result

    def to_vm(self, frames):
        """Give up on the compiled tier: the VM runs the program from here on."""
        vm = self.vm
        self.detach()
        vm.frames = frames
        if os.environ.get("NEUTRON_DEBUG"):
            sys.stderr.write("neutron: compiled tier: continuing in the VM\n")
        return vm.execute()

    def deopt(self, why):
        if os.environ.get("NEUTRON_DEBUG"):
            sys.stderr.write(f"neutron: compiled tier: deoptimizing ({why})\n")
        return _Deopt(self.capture("stop", sys._getframe(2)))

    def tb_trace(self, tb):
        out = []
        infos = self.infos
        while tb is not None:
            fr = tb.tb_frame
            info = infos.get(fr.f_code)
            if info is not None:
                ip = info.lineip.get(tb.tb_lineno)
                if ip is not None:
                    func = fr.f_locals.get("F")
                    code = info.code
                    out.append((func.name if func is not None else code.name, code.filename, code.lines[ip]))
            elif fr.f_code in self.fast_codes:
                F, ip, _ = self.fast_codes[fr.f_code]
                out.append((F.name, F.code.filename, F.code.lines[ip]))
            tb = tb.tb_next
        out.reverse()
        return out

    # -- capture: the live Python stack as VM frames --
    def capture(self, mode, start=None):
        enabled = gc.isenabled()
        gc.disable()
        try:
            f = start if start is not None else sys._getframe(1)
            records = []
            infos = self.infos
            stop_code = self.stop_code
            while f is not None:
                co = f.f_code
                if co is stop_code:
                    break
                info = infos.get(co)
                if info is not None:
                    records.append(self.vm_frame(f, info, mode if not records else "call"))
                elif co in self.fast_codes:
                    F, ip, state = self.fast_codes[co]
                    locals_, stack = state(f.f_locals)
                    fr = FR.Frame(F, F.code, locals_, ip + 1)
                    fr.stack = stack
                    records.append(fr)
                elif co is _RUN_FRAME_CODE:
                    fr = f.f_locals.get("frame")
                    if records and fr is not None and fr.result is not _NO_RESULT:
                        records[-1].result = fr.result
                f = f.f_back
            records.reverse()
            return records
        finally:
            if enabled:
                gc.enable()

    def vm_frame(self, f, info, mode):
        loc = f.f_locals
        site = info.sites.get(f.f_lineno)
        if site is None:
            raise RuntimeError(f"compiled tier: no call site at line {f.f_lineno} of {info.code.name}")
        ip, descs, below = site
        vals = [loc.get(x) if k == "n" else x for k, x in descs]
        code = info.code
        locals_ = [loc.get(f"l{i}") for i in range(code.nlocals)]
        if mode == "stop":
            fr = FR.Frame(loc["F"], code, locals_, ip)
            fr.stack = vals
        else:
            fr = FR.Frame(loc["F"], code, locals_, ip + 1)
            fr.stack = vals[:below]
        fr.handlers = [(t, dp) for _, t, dp in info.handlers.get(ip, ())]
        return fr

    def live_frames(self, mode):
        """The VM's live_frames hook: the frames the tier runs from (pending) and the compiled ones above them."""
        return list(self.pending) + self.capture(mode, sys._getframe(1))

    def on_stop(self, frame, ip, restore):
        self.stop()

    def stop(self):
        vm = self.vm
        frames = self.capture("stop", sys._getframe(1))
        vm.write_snapshot(vm, vm.stop_path, list(self.pending) + frames, False, True)
        raise FR.StopForResume()

    # -- helpers the generated code calls --
    def _namespace(self):
        tier = self
        vm = self.vm
        binary_slow = OPS.binary_slow
        index_get = OPS.index_get
        index_set = OPS.index_set
        ADD, SUB, MUL, DIV, MOD = O.ADD, O.SUB, O.MUL, O.DIV, O.MOD
        LT, LE, GT, GE = O.LT, O.LE, O.GT, O.GE
        Iter = FR.Iter
        Frame = FR.Frame
        def fmod(a, b, _fmod=math.fmod):    # an infinite or NaN dividend gives NaN, as in the VM (not ValueError)
            return _fmod(a, b) if a - a == 0 else math.nan
        loaded = []

        def builtins():
            if not loaded:
                from .runtime import methods as B     # on first use, as the VM does: start-up stays short
                loaded.append(B)
            return loaded[0]

        def _add(a, b):
            if a.__class__ is str and b.__class__ is str:
                return a + b
            if a.__class__ is float and b.__class__ is float:
                return a + b
            return binary_slow(ADD, a, b)

        def _sub(a, b):
            if a.__class__ is float and b.__class__ is float:
                return a - b
            return binary_slow(SUB, a, b)

        def _mul(a, b):
            if a.__class__ is float and b.__class__ is float:
                return a * b
            return binary_slow(MUL, a, b)

        def _div(a, b):
            return binary_slow(DIV, a, b)

        def _mod(a, b):
            if a.__class__ is float and b.__class__ is float and b:
                try:
                    return fmod(a, b)
                except ValueError:      # an infinite dividend: binary_slow decides
                    pass
            return binary_slow(MOD, a, b)

        def _lt(a, b):
            if a.__class__ is float and b.__class__ is float:
                return a < b
            return binary_slow(LT, a, b)

        def _le(a, b):
            if a.__class__ is float and b.__class__ is float:
                return a <= b
            return binary_slow(LE, a, b)

        def _gt(a, b):
            if a.__class__ is float and b.__class__ is float:
                return a > b
            return binary_slow(GT, a, b)

        def _ge(a, b):
            if a.__class__ is float and b.__class__ is float:
                return a >= b
            return binary_slow(GE, a, b)

        def _eq(a, b):
            if a.__class__ is b.__class__ and (a.__class__ is float or a.__class__ is str):
                return a == b
            return equals(a, b)

        def _ne(a, b):
            if a.__class__ is b.__class__ and (a.__class__ is float or a.__class__ is str):
                return a != b
            return not equals(a, b)

        def _neg(v):
            if v.__class__ is not float:
                raise NeutronError("Operand must be a number.")
            return -v

        def _bnot(v):
            if v.__class__ is not float:
                raise NeutronError("Operand must be a number.")
            return OPS.wrap(~OPS.i64(v))

        def _bail():
            raise OverflowError

        def _overflow():
            return NeutronError("Stack overflow.")

        def _fell_off():
            return RuntimeError("compiled tier: fell off the end of a function")

        def _undef(name):
            return vm.undefined(name)

        def _gget(G, name):
            try:
                return G[name]
            except KeyError:
                raise vm.undefined(name) from None

        def _type_error(k, v):
            raise NeutronError(k[1].replace("{actual}", type_name(v)))

        def _extend(lst, v):
            if v.__class__ is list or v.__class__ is str:
                lst.extend(v)
            else:
                raise NeutronError(f"Cannot spread a value of type {type_name(v)}; spread needs an array.")

        def _iter(v):
            cls = v.__class__
            if cls is list or cls is str:
                return Iter(None, len(v))
            if cls is dict:
                return Iter(list(v.keys()), len(v))
            if cls is Instance:
                return Iter(list(v.fields.keys()), len(v.fields))
            if cls is Buffer:
                return Iter(None, len(v.data))
            return Iter(None, 0)

        def _say(v):
            vm.points += 1
            if vm.points == vm.stop_at:
                tier.stop()
            vm.out.write((v if v.__class__ is str else to_str(v)) + "\n")

        def _enter(d, func, args):
            """Call a Neutron function with an argument list (arity already checked)."""
            fn = tier.fns.get(func.code)
            if fn is None:
                fn = tier.function(func.code, func.globals)
            n = len(args)
            if n == 0:
                return fn(d, func)
            if n == 1:
                return fn(d, func, args[0])
            if n == 2:
                return fn(d, func, args[0], args[1])
            if n == 3:
                return fn(d, func, args[0], args[1], args[2])
            return fn(d, func, *args)

        def _enter_m(d, func, this, args):
            fn = tier.fns.get(func.code)
            if fn is None:
                fn = tier.function(func.code, func.globals)
            n = len(args)
            if n == 0:
                return fn(d, func, this)
            if n == 1:
                return fn(d, func, this, args[0])
            if n == 2:
                return fn(d, func, this, args[0], args[1])
            return fn(d, func, this, *args)

        def _spec(p, tags):
            s = getattr(p, "nts", None)
            if s is not None:
                need, fn = s
                for i, t in need:
                    a = tags[i]
                    if a != t and not (t == SEQ and (a == LST or a == STR)):
                        return p
                return fn
            return p

        def _kmiss(func, n):
            code = func.code
            if code.is_method or len(code.params) != n:
                if code.is_method or not getattr(code, "min_args", n + 1) <= n < len(code.params):
                    vm.check_arity(func, n)
                fn = tier.function(code, func.globals)
                pad = (None,) * (len(code.params) - n)
                return lambda d, f, *a: fn(d, f, *a, *pad)       # built-in functions: left-out parameters
            return tier.function(code, func.globals)

        def _native(callee, args):
            if callee.fast is None:
                vm.points += 1
                if vm.points == vm.stop_at:
                    tier.stop()
            n = len(args)
            if n < callee.min_args or (callee.max_args is not None and n > callee.max_args):
                raise NeutronError(vm.native_arity_message(callee, n))
            return callee.fn(vm, args)

        def _call(d, callee, args):
            """vm.call_value, running Neutron functions compiled; the VM's own code for the rare cases."""
            cls = callee.__class__
            if cls is Function:
                code = callee.code
                if not code.is_method and len(args) == len(code.params):
                    return _enter(d, callee, args)
            elif cls is Native:
                return _native(callee, args)
            elif cls is Class:
                init = callee.methods.get("initialize")
                if init is not None and len(args) == len(init.code.params):
                    return _enter_m(d, init, Instance(callee), args)
            return _via_vm(d, vm.call_value, callee, args)

        def _invoke(d, recv, name, args):
            """INVOKE: the VM's inline instance path and vm.invoke, running Neutron functions compiled."""
            cls = recv.__class__
            if cls is Instance:
                f = recv.fields.get(name, _NO_RESULT)
                if f is not _NO_RESULT:
                    return _call(d, f, args)
                return _enter_m(d, OPS.instance_method(recv, name, len(args)), recv, args)
            if cls is str:
                return builtins().call_string_method(vm, recv, name, args)
            if cls is list:
                B = builtins()
                pname = B.ARRAY_CALLBACK_METHODS.get(name)
                if pname is not None:
                    if len(args) == 1 and vm.points + 1 != vm.stop_at:     # (a stop at __callback_arity)
                        f = args[0]
                        if f.__class__ is Function and len(f.code.params) == 1 and not f.code.is_method:
                            fast = tier.fast_loop(name)
                            if fast:
                                p = tier.function(f.code, f.globals)
                                vm.points += 1          # the prelude's __callback_arity call
                                return fast[0](d + 1, recv, f, p, len(recv))
                    return _enter(d, vm.prelude_function(pname), B.callback_args(name, recv, args))
                return B.call_array_method(vm, recv, name, args)
            if cls is Module:
                member = recv.members.get(name, _NO_RESULT)
                if member.__class__ is Native:
                    return _native(member, args)
            return _via_vm(d, vm.invoke, recv, name, args)

        def _via_vm(d, method, *a):
            """The VM's own code for the rare cases (and every error message): a fake frame takes a pushed
            result; a frame it pushes runs compiled."""
            fake = Frame(None, None, None)
            new = method(*a, fake, 0)
            if new is None:
                return fake.stack.pop()
            vm.frames.pop()
            return _run_frame(d, new)

        def _run_frame(d, frame):
            """Run a VM frame made by the VM's helpers (fresh, at ip 0) compiled; its `result` replaces the value
            returned (modules)."""
            code = frame.code
            fn = tier.fns.get(code)
            if fn is None:
                try:
                    fn = tier.build(code, None, frame.func.globals)
                except Unsupported as e:
                    if os.environ.get("NEUTRON_DEBUG"):
                        sys.stderr.write(f"neutron: compiled tier: deoptimizing ({e})\n")
                    raise _Deopt(tier.capture("call", sys._getframe(1)) + [frame]) from None
                tier.fns[code] = fn
                tier.karity("M" if code.is_method else "K", len(code.params))[code] = fn
            loc = frame.locals
            n = len(code.params) + (1 if code.is_method else 0)
            args = [loc[i].value if i in code.cell_params else loc[i] for i in range(n)]
            r = fn(d, frame.func, *args)
            return r if frame.result is _NO_RESULT else frame.result

        def _import(d, o, arg, func, code):
            fake = Frame(func, code, None)
            new = vm.do_import(o, arg, fake)
            if new is None:
                return fake.stack.pop()
            vm.frames.pop()
            return _run_frame(d + 1, new)

        global _RUN_FRAME_CODE
        _RUN_FRAME_CODE = _run_frame.__code__
        return {
            "_Function": Function, "_Instance": Instance, "_Module": Module, "_Class": Class, "_Cell": Cell,
            "_NeutronError": NeutronError, "_NThrow": NThrow, "_NEXC": NEXC, "_xv": _xv,
            "_float": float, "_int": int, "_len": len, "_list": list, "_str": str, "_dict": dict,
            "_KeyError": KeyError, "_IndexError": IndexError, "_TypeError": TypeError,
            "_ZeroDivisionError": ZeroDivisionError, "_ValueError": ValueError, "_OverflowError": OverflowError,
            "_NameError": NameError,
            "_add": _add, "_sub": _sub, "_mul": _mul, "_div": _div, "_mod": _mod, "_lt": _lt,
            "_le": _le, "_gt": _gt, "_ge": _ge, "_eq": _eq, "_ne": _ne, "_neg": _neg, "_bnot": _bnot,
            "_bin": binary_slow, "_fmod": fmod, "_copysign": math.copysign, "_bail": _bail, "_inf": math.inf, "_overflow": _overflow,
            "_fell_off": _fell_off, "_undef": _undef, "_gget": _gget, "_type_error": _type_error, "_TC": TYPE_CHECKS,
            "_extend": _extend, "_iter": _iter, "_say": _say, "_native": _native, "_Native": Native,
            "_kmiss": _kmiss, "_spec": _spec, "_call": _call, "_invoke": _invoke, "_import": _import,
            "_ts": to_str, "_gi": index_get, "_si": index_set, "_gp": vm.get_prop, "_gpo": vm.get_prop_opt,
            "_sps": vm.set_prop_slow, "_vm": vm, "_inew": Instance.__new__, "_EMPTY": _EMPTY,
        }


_RUN_FRAME_CODE = None


# ---- array callback methods without a Neutron loop ----------------------------------------------------------------
# map, filter and forEach given a compiled one-parameter function loop here rather than in the prelude's Neutron
# code. A capture inside the callback turns such a loop into the prelude function's frame at its callback call:
# (loop function, prelude function, its local count, operand-stack entries below the callee, state(f_locals) ->
# (locals, those entries)). The prelude's own layout is checked against these on first use (Tier.fast_loop).

def _map_loop(d, arr, f, p, n):
    out = []
    for x in _islice(arr, n):       # reads arr[i] afresh, stops at the first length or the current one
        out.append(p(d, f, x))
    return out


def _filter_loop(d, arr, f, p, n):
    out = []
    i = 0
    for i, x in enumerate(_islice(arr, n)):
        r = p(d, f, x)
        if r is not None and r is not False:
            out.append(x)
    return out


def _for_each_loop(d, arr, f, p, n):
    i = 0
    for i, x in enumerate(_islice(arr, n)):
        p(d, f, x)
    return None


FAST_LOOPS = {
    "map": (_map_loop, "__array_map", 6, 1,
            lambda L: ([L["arr"], L["f"], 1.0, float(L["n"]), L["out"], float(len(L["out"]))], [L["out"]])),
    "filter": (_filter_loop, "__array_filter", 8, 0,
               lambda L: ([L["arr"], L["f"], 1.0, float(L["n"]), L["out"], float(L["i"]), L["x"], None], [])),
    "forEach": (_for_each_loop, "__array_for_each", 5, 0,
                lambda L: ([L["arr"], L["f"], 1.0, float(L["n"]), float(L["i"])], [])),
}


_RENAMED = ("float", "int", "len", "list", "str", "dict", "KeyError", "IndexError", "TypeError",
            "ZeroDivisionError", "ValueError", "OverflowError", "NameError", "Function", "Instance", "Module", "Class",
            "Cell", "NeutronError", "NThrow")
_RENAME = re.compile(r"""('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|\b(""" + "|".join(_RENAMED) + r")\b")
_RESERVED = set(dir(_pybuiltins)) | set(keyword.kwlist) | set(getattr(keyword, "softkwlist", ())) | \
    set(_RENAMED) | {"d", "F", "L", "S", "FC"}
_LOCAL_NAME = re.compile(r"(?:l|s|t|h|he)[0-9]+$")


_MAKER = compile("_fn = _FT(_code, _G, '_make')", "<neutron maker>", "exec")


def _mirror(v):
    """The expression of float local v's mirror: its int() when it is a whole number within 2**52 other than -0.0,
    else v itself (see Emitter.open_loop)."""
    return (f"_int({v}) if -4503599627370496.0 < {v} < 4503599627370496.0 and {v} % 1.0 == 0.0 and "
            f"({v} or _copysign(1.0, {v}) > 0.0) else {v}")


def _with_builtins(code, G, B):
    """A function of `code` with Python globals G and builtins B. CPython takes a new function's builtins from
    its globals' __builtins__ or else from the running frame: G has none, so it is made in a frame run with B;
    functions defined inside it inherit B the same way."""
    ns = {"__builtins__": B, "_FT": types.FunctionType, "_code": code, "_G": G}
    exec(_MAKER, ns)
    return ns["_fn"]


# Helper names in generated code start with a letter no Neutron identifier has (Neutron names are ASCII): its
# Python globals are the program's globals, looked up before the builtins that hold the helpers, and a Neutron
# global may well be called `_float` or `_call`.
HIDE = "\u01c2"        # ǂ
_HELPER_REF = re.compile(r"""('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|_B\['_(\w+)'\]|(?<![.\w])_(\w+)""")


def _hide_helpers(src):
    """`_name` -> `ǂname` outside string literals (attributes after a dot stay), `_B['_name']` included."""
    def repl(m):
        if m.group(1):
            return m.group(1)
        if m.group(2) is not None:
            return f"{HIDE}B['{HIDE}{m.group(2)}']"
        return HIDE + m.group(3)
    return _HELPER_REF.sub(repl, src)


def _rename(src):
    """Built-in names in generated code refer to closure cells (`float` -> `_float`): its globals are the
    program's, where a Neutron global may be called `float` or `Instance`. String literals are left alone."""
    return _RENAME.sub(lambda m: m.group(1) or "_" + m.group(2), src)


def _plain_global(name):
    """Whether a Neutron global can be read as a Python global name (else through the dict)."""
    return name.isascii() and name.isidentifier() and not name.startswith("_") and name not in _RESERVED \
        and not _LOCAL_NAME.match(name)


def _flatten_elif(lines):
    """`else:` holding nothing but an if-chain becomes `elif`: long else-if chains stay within Python's limit of
    100 indentation levels."""
    out = list(lines)
    i = 0
    while i < len(out) - 1:
        ind, text, ip, site = out[i]
        nxt = out[i + 1]
        if text == "else:" and nxt[0] == ind + 1 and nxt[1].startswith("if ") and nxt[1].endswith(":"):
            j = i + 2
            ok = True
            while j < len(out) and out[j][0] > ind:
                if out[j][0] == ind + 1 and not (out[j][1].startswith("elif ") or out[j][1] == "else:"):
                    ok = False
                    break
                j += 1
            if ok:
                out[i] = (ind, "el" + nxt[1], nxt[2], nxt[3])
                del out[i + 1]
                for k in range(i + 1, j - 1):
                    a, b, c, e = out[k]
                    out[k] = (a - 1, b, c, e)
        i += 1
    return out


def _pops(o, a):
    """How many operands an instruction that leaves one result takes (None: not such an instruction)."""
    if o in ARITH or o in COMPARE or o == O.SET_PROP:
        return 2
    if o in (O.NEG, O.NOT, O.BNOT, O.TO_STR, O.GET_PROP, O.CHECK_TYPE):
        return 1
    if o == O.CALL:
        return a + 1
    if o == O.INVOKE:
        return a[1] + 1
    return None


def _while_tests(lines):
    """`while True:` whose body starts `if not (c): break` becomes `while (c):` (CPython then tests at the
    bottom of the loop: one jump less per iteration)."""
    out = list(lines)
    i = 0
    while i < len(out) - 3:
        ind, text, ip, site = out[i]
        if text == "while True:":
            a, b, c = out[i + 1], out[i + 2], out[i + 3]
            if a[0] == ind + 1 and a[1].startswith("if not (") and a[1].endswith("):") and a[3] is None and \
                    b[0] == ind + 2 and b[1] == "break" and c[0] == ind + 1 and \
                    not (c[1].startswith("else") or c[1].startswith("elif")):
                out[i] = (ind, "while " + a[1][len("if not "):], a[2], None)
                del out[i + 1:i + 3]
        i += 1
    return out


def _fits(entry, n):
    _fn, lo, hi = entry
    return lo <= n and (hi is None or n <= hi)


def _xv(e):
    """The Neutron value of a caught exception: the message of a runtime error, the thrown value of a throw."""
    if e.__class__ is NThrow:
        return e.value
    if e.__class__ is MemoryError:
        return "Out of memory."
    return e.message


def _async_raise(ident, exc_type):
    import ctypes
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc_type))


def _root(work):
    work()


# The worker thread's first Python frame is _ROOT's. CPython 3.11 sizes a thread's first frame-stack chunk for its
# first frame and never frees that chunk, while later chunks are mapped and unmapped as recursion crosses their
# boundaries (a system call pair per call at an unlucky depth). A large declared stack for _ROOT makes the first
# chunk big enough for deep recursion: address space only, pages are touched as frames use them.
_ROOT = types.FunctionType(_root.__code__.replace(co_stacksize=ROOT_CHUNK // 8), globals(), "_root")


def attach(vm):
    """Run this VM's program through the compiled tier (runner.execute then calls vm.tier.execute)."""
    return Tier(vm)
