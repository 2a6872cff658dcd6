"""The code generator: one code object (from its start, or from a resumed frame's position) as the source of one
Python function."""
from __future__ import annotations

import bisect
import math
import re

from ..bytecode import opcodes as O
from ..runtime import frames as FR
from ..stdlib import MODULES
from .exceptions import Unsupported
from .entries import SIMPLE, BinOp, Const, Known, Local, Named, PendingLen, StrExpr, Temp, UnOp
from .helpers import EMPTY
from .opsets import (ARITH, BITWISE, COMPARE, COND_JUMPS, GENERIC, INT_ONLY_BODY, MIXED_ROOTS, RECEIVER_AT, STORES,
                     pops)
from .postpass import flatten_elif, hide_helpers, plain_global, rename, while_tests
from .tags import (BOO, DCT, FLT, INS, LST, SEQ, SPEC_TEST, STR, STRING_ONLY, binary_tag, method_result_tag,
                   tag_of)
from .typeflow import type_flow

MAX_EMIT_FACTOR = 8                 # code duplication allowed (tail copies) before a code object is given up
MAX_SPLITS = 8                      # receiver tests per generated body (each one copies the rest of a path)
_SIMPLE = re.compile(r"-?\w+$")


def _mirror(v):
    """The expression of float local v's mirror: its int() when it is a whole number within 2**52 other than -0.0,
    else v itself (see Emitter.open_loop)."""
    return (f"_int({v}) if -4503599627370496.0 < {v} < 4503599627370496.0 and {v} % 1.0 == 0.0 and "
            f"({v} or _copysign(1.0, {v}) > 0.0) else {v}")


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
        k = e.__class__
        if k is Local:
            if e.slot in self.dead:
                return f"float({self.dead[e.slot]})"      # (its int() itself where an int will do)
            return f"l{e.slot}"
        if k is Temp:
            return e.name
        if k is Const:
            lit = _lit(e.value)
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

    # -- expression trees: arithmetic and comparisons over simple entries --
    def leaves_ok(self, e, guards):
        """Collects the names that must be floats for the native form; False if there is no native form."""
        k = e.__class__
        if k is Const:
            return e.value.__class__ is float
        if k is Local or k is Temp:
            if self.known_float(e):
                return True
            name = self.ex(e)
            if name not in guards:
                guards.append(name)
            return True
        if k is PendingLen:
            return True
        if k is BinOp:
            special = self.special_eq(e)
            if special is not None:
                return True
            return self.leaves_ok(e.a, guards) and self.leaves_ok(e.b, guards)
        if k is UnOp:
            if e.op == O.NOT and not self.is_bool(e.a):
                return True
            return self.leaves_ok(e.a, guards)
        return False

    def special_eq(self, e):
        """`x == nil/true/false/"text"`: one Python expression, exact for every operand type."""
        if e.op not in (O.EQ, O.NE):
            return None
        a, b = e.a, e.b
        if not (self.simple(a) and self.simple(b)):
            return None
        if b.__class__ is Const and b.value.__class__ is not float:
            x, c = a, b
        elif a.__class__ is Const and a.value.__class__ is not float:
            x, c = b, a
        else:
            return None
        v = c.value
        if v is None or v is True or v is False:
            return f"({self.ex(x)} {'is' if e.op == O.EQ else 'is not'} {self.ex(c)})"
        if v.__class__ is str:
            return f"({self.ex(x)} {'==' if e.op == O.EQ else '!='} {self.ex(c)})"
        return None

    def leaf(self, e):
        """Python expression of a simple entry or a pending length; None for a tree."""
        k = e.__class__
        if k in SIMPLE:
            return self.ex(e)
        if k is PendingLen:
            return f"float(len({e.recv}))"
        return None

    def negation(self, e, form):
        """`not x` for NOT's operand e, its inner expression written by `form` (native or generic)."""
        if self.is_bool(e):
            return f"(not {form(e)})"
        x = self.ex(e)
        return f"({x} is None or {x} is False)"

    def native(self, e):
        k = e.__class__
        x = self.leaf(e)
        if x is not None:
            return x
        if k is BinOp:
            special = self.special_eq(e)
            if special is not None:
                return special
            zero = self.mod_zero_test(e)
            if zero is not None:
                return zero
            if e.op in MIXED_ROOTS and not self.no_mix and self.has_mirror(e):
                code, kind, used = self.mixed(e)
                if used and kind == "f":
                    return code
            o, a, b = e.op, self.native(e.a), self.native(e.b)
            if o in COMPARE:
                # a length compares as the int it is (Python compares floats and ints exactly), and with a loop
                # counter's int() (equal to it; two ints compare fastest)
                if e.a.__class__ is PendingLen or e.b.__class__ is PendingLen:
                    a, b = self.length_operand(e.a, a), self.length_operand(e.b, b)
                elif self.bounds:
                    a, b = self.bound_operand(e.a, a), self.bound_operand(e.b, b)
                return f"({a} {COMPARE[o]} {b})"
            if o == O.DIV:
                # an infinite or NaN quotient (of finite operands an error): the generic path decides
                return f"(_q if (_q := {a} / {b}) - _q == 0 else _bail())"
            sym = ARITH[o]
            if sym is not None:
                return f"({a} {sym} {b})"
            if o == O.MOD:
                c = e.b
                if c.__class__ is Const and c.value.__class__ is float and 0.0 < c.value < math.inf:
                    # for a positive finite dividend Python's % is fmod (and cheaper than a call)
                    return f"(_r % {b} if 0.0 < (_r := {a}) < _inf else _fmod(_r, {b}))"
                # both positive and finite: Python's % again (a length divides as the int it is); otherwise fmod,
                # and a zero divisor goes to the generic path even with a NaN dividend (fmod would give NaN)
                if c.__class__ is PendingLen:
                    return f"(_r % _z if 0.0 < (_r := {a}) < _inf and (_z := len({c.recv})) else _fmod(_r, ({b} or _bail())))"
                if c.__class__ is Local or c.__class__ is Temp:
                    return f"(_r % {b} if 0.0 < (_r := {a}) < _inf and 0.0 < {b} < _inf else _fmod(_r, ({b} or _bail())))"
                return f"_fmod({a}, ({b} or _bail()))"
            if o in BITWISE:
                # exact when the result fits in 64 bits (bitwise operators commute with the 64-bit wrap), which
                # holds when its float is within 2**63 - 1024 (the largest double below 2**63); otherwise, and
                # for NaN or infinities, the generic path decides
                ia, ib = self.int_of(e.a, a), self.int_of(e.b, b)
                if ia in self.small_ints and ib in self.small_ints:
                    return f"float({ia} {BITWISE[o]} {ib})"     # both within 2**52 (or floats: a TypeError)
                return (f"(_b if -9223372036854774784.0 <= (_b := float({ia} {BITWISE[o]} {ib})) <= "
                        f"9223372036854774784.0 else _bail())")
            return f"_bin({o}, {a}, {b})"
        if k is UnOp:
            if e.op == O.NOT:
                return self.negation(e.a, self.native)
            return f"(-{self.native(e.a)})"
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
        k = e.__class__
        if k is Local:
            return self.small_mirror(e.slot) is not None
        if k is BinOp:
            return self.has_mirror(e.a) or self.has_mirror(e.b)
        return False

    def mixed(self, e):
        """(code, kind, used): kind "f" (a float), "w" (a whole value, see above) or "c" (a constant, written as
        its user needs); used: whether it saves work, by a bitwise operator (no float()) or a % (cheaper on
        ints); a sum or product of ints alone costs its range test and no less than the float operation."""
        k = e.__class__
        if k is Local:
            h = self.small_mirror(e.slot)
            if h is not None:
                return h, "w", False
            return self.plain(e), "f", False
        if k is Const:
            return None, "c", False
        if k is PendingLen:
            return f"len({e.recv})", "w", False
        if k is not BinOp or self.special_eq(e) is not None or self.mod_zero_test(e) is not None:
            return self.plain(e), "f", False
        o = e.op
        a, b = self.mixed(e.a), self.mixed(e.b)
        used = a[2] or b[2]
        if o in COMPARE:
            return f"({self.as_float(a, e.a)} {COMPARE[o]} {self.as_float(b, e.b)})", "f", used
        if "f" in (a[1], b[1]) or (a[1] == "c" and b[1] == "c"):
            if o in (O.ADD, O.SUB, O.MUL) and used:
                # a whole operand goes into the float operator as it is
                return f"({self.as_float(a, e.a)} {ARITH[o]} {self.as_float(b, e.b)})", "f", True
            return self.plain(e), "f", False
        # both whole (or one a constant)
        if o in BITWISE:
            x, y = self.small(a, e.a), self.small(b, e.b)
            if x is not None and y is not None:
                self.hoisted_used = True        # a float mirror raises TypeError: the generic path
                return f"({x} {BITWISE[o]} {y})", "w", True
        elif o == O.MOD:
            c = e.b
            if a[1] == "w" and c.__class__ is Const and self.whole_const(c.value) is not None and c.value > 0.0:
                # C's fmod: Python's % for a positive dividend; zero (which may stand for -0.0) and negative
                # ones by fmod itself
                w = self.fresh()
                return (f"({w} % {self.whole_const(c.value)} if 0 < ({w} := {a[0]}) else _fmod({w}, {_lit(c.value)}))",
                        "w", True)
        elif o in (O.ADD, O.SUB, O.MUL):
            x, y = self.whole(a, e.a), self.whole(b, e.b)
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
            return self.whole_const(e.value)
        return m[0]

    def small(self, m, e):
        """A bitwise operand: a mirror within 2**52 or such a constant (their results stay within 2**53)."""
        if m[1] == "c":
            return self.whole_const(e.value)
        return m[0] if e.__class__ is Local else None

    def mod_zero_test(self, e):
        """`x % c == k` (or !=) for a positive finite constant c and 0 <= k < c: Python's % (for k = 0, fmod and it
        are zero together, and both are NaN for an infinite x; a positive k needs x >= 0)."""
        if e.op not in (O.EQ, O.NE):
            return None
        m, z = (e.a, e.b) if e.b.__class__ is Const else (e.b, e.a)
        if not (z.__class__ is Const and z.value.__class__ is float and m.__class__ is BinOp and m.op == O.MOD):
            return None
        c, k = m.b, z.value
        if not (c.__class__ is Const and c.value.__class__ is float and 0.0 < c.value < math.inf and 0.0 <= k < c.value):
            return None
        x = self.native(m.a)
        if k == 0.0:
            return f"({x} % {self.native(c)} {'==' if e.op == O.EQ else '!='} 0.0)"
        # a positive remainder: fmod has it only for a dividend >= 0, where Python's % is fmod
        if not _SIMPLE.match(x):
            return None
        if e.op == O.EQ:
            return f"({x} >= 0.0 and {x} % {self.native(c)} == {self.native(z)})"
        return f"({x} < 0.0 or {x} % {self.native(c)} != {self.native(z)})"

    def generic(self, e):
        k = e.__class__
        x = self.leaf(e)
        if x is not None:
            return x
        if k is BinOp:
            special = self.special_eq(e)
            if special is not None:
                return special
            o = e.op
            a, b = self.generic(e.a), self.generic(e.b)
            fn = GENERIC.get(o)
            if fn is None:
                return f"_bin({o}, {a}, {b})"
            return f"{fn}({a}, {b})"
        if k is UnOp:
            if e.op == O.NOT:
                return self.negation(e.a, self.generic)
            return f"_neg({self.generic(e.a)})"
        raise AssertionError(e)

    def bound_operand(self, e, native):
        if e.__class__ is Local:
            if e.slot in self.dead:
                return self.dead[e.slot]
            return self.bounds.get(e.slot, native)
        if e.__class__ is Const:
            return self.whole_const(e.value) or native
        return native

    def length_operand(self, e, native):
        if e.__class__ is PendingLen:
            return f"len({e.recv})"
        if e.__class__ is Local:
            h = self.icache.get(e.slot)
            if h in self.mirrors:
                return h
        return native

    def int_of(self, e, native):
        """int() of a float operand: a loop's hoisted value when there is one (None when it is not finite,
        which the TypeError then sends to the generic path)."""
        if e.__class__ is Local:
            h = self.icache.get(e.slot)
            if h is not None:
                self.hoisted_used = True
                return h
        return f"int({native})"

    @staticmethod
    def needs_try(e):
        k = e.__class__
        if k is BinOp:
            if e.op in (O.DIV, O.MOD) or e.op in BITWISE:
                return True
            return Emitter.needs_try(e.a) or Emitter.needs_try(e.b)
        if k is UnOp:
            return Emitter.needs_try(e.a)
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
        k = e.__class__
        if k is BinOp or k is UnOp:
            saved = self.cur_ip
            self.cur_ip = e.ip         # an error there is the error of the tree's root instruction
            try:
                self._assign(target, e)
            finally:
                self.cur_ip = saved
            return
        self._assign(target, e)

    def _assign(self, target, e):
        k = e.__class__
        if k is BinOp and e.op == O.ADD and self.tag(e) == STR:
            self.assign_concat(target, e)
            return
        if k in SIMPLE:
            self.line(f"{target} = {self.ex(e)}")
            return
        if k is StrExpr:
            self.line(f"{target} = {e.code}")
            return
        if k is PendingLen:
            self.line(f"{target} = float(len({e.recv}))")
            return
        if k is BinOp and e.op == O.ADD and self.simple(e.a) and self.simple(e.b):
            # `x = x + y` stays in this statement form on every path: CPython appends to strings in place
            a, b = e.a, e.b
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
            st = [f"{x}.__class__ is str" for x, y in ((ea, a), (eb, b)) if y.__class__ is not Const]
            can_f = all(y.value.__class__ is float for y in (a, b) if y.__class__ is Const)
            can_s = all(y.value.__class__ is str for y in (a, b) if y.__class__ is Const) and not (fa or fb)
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
            if n.__class__ is BinOp and n.op == O.ADD and self.tag(n) == STR:
                flat(n.a)
                flat(n.b)
            else:
                pieces.append(n)
        flat(e)
        pieces = [p if self.simple(p) or p.__class__ is StrExpr else self.simplify(p) for p in pieces]
        exprs = []
        for p in pieces:
            if p.__class__ is StrExpr:
                exprs.append(p.code)
                continue
            x = self.ex(p)
            t = self.tag(p)
            if t == STR:
                exprs.append(x)
            else:
                exprs.append(f"_ts({x})" if t is not None else f"({x} if {x}.__class__ is str else _ts({x}))")
        first = pieces[0]
        if target.startswith("l") and first.__class__ is Local and f"l{first.slot}" == target and not any(
                p.__class__ is Local and p.slot == first.slot for p in pieces[1:]) and not any(
                p.__class__ is StrExpr and target in p.code for p in pieces[1:]):
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
        if e.__class__ is Const:
            return repr(e.value is not None and e.value is not False)
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
            if e.__class__ is Const:
                descs.append(Known(e.value))
            else:
                descs.append(Named(self.ex(e)))
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
                self.flow = type_flow(an, [(0, self.entry_tags(spec), ())])
                self.cur_ip = None
                self.line(f"if {' and '.join(SPEC_TEST[t].format(f'l{p}') for p, t in spec.items())}:")
                self.nsplits = 0
                self.ind += 1
                spec_start = len(self.out)
                self.path(start, [], Ctx(None, None, ()))
                spec_body = [(ind - 1, text, ip, site) for ind, text, ip, site in self.out[spec_start:]]
                self.ind -= 1
                self.budget += MAX_EMIT_FACTOR * len(code.instrs)
            self.flow = type_flow(an, [(0, self.entry_tags(()), ())])
            self.nsplits = 0
            self.path(start, vs, Ctx(None, None, ()))
        else:
            ip0, handlers, ltags, stags = entry
            seeds = [(ip0, {i: t for i, t in enumerate(ltags) if t is not None}, stags)]
            seeds += [(t, {}, (None,) * (d + 1)) for t, d in handlers]
            self.flow = type_flow(an, seeds)
            self.entry_handlers(handlers, 0, start, self.canon(ip0))
        body = while_tests(flatten_elif(self.out[body_start:]))
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
                lines.extend(while_tests(flatten_elif(spec_body)))
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
        body = rename("\n".join(src) + "\n")
        return fname, hide_helpers("def _make():\n" + body), info

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
        hvs = [Temp(f"s{i}", None) for i in range(depth + 1)]
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
                vs.append(Local(a))
            elif o == O.CONST:
                vs.append(Const(consts[a]))
            elif o == O.NIL:
                vs.append(Const(None))
            elif o == O.TRUE:
                vs.append(Const(True))
            elif o == O.FALSE:
                vs.append(Const(False))
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
                vs.append(Temp(name, None))
            elif o == O.LOAD_FREE:
                self.uses_cells = True
                last = self.last_free
                if last is not None and last[0] == a and last[1] + 2 == ip and instrs[ip - 1][0] == O.POP and \
                        ip not in self.an.targets and ip - 1 not in self.an.targets:
                    vs.append(last[2])          # `value = x; return value;`: the value just stored
                else:
                    name = self.fresh()
                    self.line(f"{name} = FC[{a}].value")
                    vs.append(Temp(name, None))
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
                elif plain_global(gname):
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
                vs.append(Temp(name, None))
            elif o in ARITH or o in COMPARE:
                b = vs.pop()
                x = vs.pop()
                # operands of a tree: simple entries or arithmetic trees; booleans and others are evaluated first
                if x.__class__ is StrExpr or (self.is_bool(x) and x.__class__ is not Const):
                    self.flush(vs)
                    x = self.simplify(x)
                if b.__class__ is StrExpr or (self.is_bool(b) and b.__class__ is not Const):
                    self.flush(vs)
                    vs.append(x)
                    self.flush(vs)
                    x = vs.pop()
                    b = self.simplify(b)
                vs.append(BinOp(o, x, b, ip))
            elif o == O.NEG:
                x = vs.pop()
                if not self.simple(x) and (x.__class__ is not BinOp or self.is_bool(x)):
                    self.flush(vs)
                    x = self.simplify(x)
                vs.append(UnOp(O.NEG, x, ip))
            elif o == O.NOT:
                x = vs.pop()
                if not self.is_bool(x) and not self.simple(x):
                    self.flush(vs)
                    x = self.simplify(x)
                vs.append(UnOp(O.NOT, x, ip))
            elif o == O.BNOT:
                self.flush(vs)
                x = vs.pop()
                name = self.fresh()
                self.line(f"{name} = _bnot({self.ex(x)})")
                vs.append(Temp(name, None))
            elif o == O.TO_STR:
                x = vs.pop()
                if x.__class__ is Const and x.value.__class__ is str:
                    vs.append(x)
                elif x.__class__ is StrExpr:
                    vs.append(x)
                else:
                    if not self.simple(x):
                        self.flush(vs)
                        x = self.simplify(x)
                    ex = self.ex(x)
                    vs.append(StrExpr(f"({ex} if {ex}.__class__ is str else _ts({ex}))"))
            elif o == O.CONCAT:
                parts = vs[-a:]
                del vs[-a:]
                for i, p in enumerate(parts):
                    if p.__class__ is not StrExpr and not self.simple(p):
                        self.flush(vs)
                        parts[i] = self.simplify(p)
                exprs = [p.code if p.__class__ is StrExpr else self.ex(p) for p in parts]
                vs.append(StrExpr("(" + " + ".join(exprs) + ")"))
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
                vs.append(Temp(name, None))
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
                vs.append(Temp(name, STR if ot == STR else None))
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
                    # PendingLen(receiver): float(len()) where it is used, or len() in a comparison
                    vs.append(PendingLen(ob))
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
                    vs.append(Temp(name, rtag))
            elif o == O.GET_PROP_OPT:
                self.flush(vs)
                ob = self.ex(vs.pop())
                name = self.fresh()
                self.line(f"{name} = _gpo({ob}, {names[a]!r})")
                vs.append(Temp(name, None))
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
                vs.append(Temp(name, None))
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
                vs.append(Temp(name, None))
            elif o == O.BUILD_OBJECT:
                self.flush(vs)
                items = [self.ex(x) for x in vs[len(vs) - 2 * a:]] if a else []
                if a:
                    del vs[-2 * a:]
                name = self.fresh()
                pairs = ", ".join(f"{items[k]}: {items[k + 1]}" for k in range(0, 2 * a, 2))
                self.line(f"{name} = {{{pairs}}}")
                vs.append(Temp(name, None))
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
                vs.append(Temp(name, None))
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
                vs.append(Temp(name, None))
            elif o in (O.USE, O.USING, O.USING_ISOLATED):
                self.flush(vs)
                self.cur_site = self.site(ip, vs, len(vs))
                name = self.fresh()
                self.line(f"{name} = _import(d, {o}, {a}, F, {self.kname(self.code)})")
                self.cur_site = None
                vs.append(Temp(name, None))
            elif o == O.GET_MEMBER:
                self.flush(vs)
                m = self.ex(vs.pop())
                name = self.fresh()
                self.line(f"{name} = {m}.members.get({names[a]!r}) if {m}.__class__ is Module else None")
                vs.append(Temp(name, None))
            elif o == O.CHECK_TYPE:
                self.flush(vs)
                v = self.ex(vs[-1])
                type_, _msg = consts[a]
                self.line(f"if not _TC[{type_!r}]({v}): _type_error({self.kname(consts[a])}, {v})")
            elif o == O.MAKE_CLASS:
                self.flush(vs)
                name = self.fresh()
                self.line(f"{name} = Class({names[a]!r}, {{}}, [])")
                vs.append(Temp(name, None))
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
        if e.__class__ is not Local or e.slot in self.split_off or self.tag(e) is not None:
            return False
        if o == O.GET_PROP and self.code.names[a] == "length":
            return False
        slot = e.slot
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
        if oe.__class__ is not Local:
            return f"{self.ex(oe)}.fields"
        fd = self.fcache.get(oe.slot)
        if fd is None:
            fd = self.fresh()
            self.line(f"{fd} = l{oe.slot}.fields")
            self.fcache[oe.slot] = fd
        return fd

    def list_index(self, oe, ie):
        """(condition, Python index) for indexing entry oe as a list with entry ie ("True": no test)."""
        ob = self.ex(oe)
        # strings index like lists here: Python's negative indexes and IndexError follow index_get's rules for
        # both, and assigning into a string fails with a TypeError that index_set turns into the right message
        conds = [] if self.tag(oe) in (LST, STR, SEQ) else [f"({ob}.__class__ is list or {ob}.__class__ is str)"]
        if ie.__class__ is Const and ie.value.__class__ is float and ie.value - ie.value == 0:
            pyi = str(int(ie.value))
        elif ie.__class__ is Local and self.known_float(ie):
            pyi = self.icache.get(ie.slot)
            if pyi is None:
                # computed inside the access's try: for an infinite or NaN index int() fails there, and
                # index_get/index_set then fail too whatever the receiver, so later uses never see it unset
                pyi = self.fresh()
                self.icache[ie.slot] = pyi
                return (" and ".join(conds) or "True"), pyi, f"{pyi} = int(l{ie.slot})"
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
            if e.__class__ is Const:
                rel = self.whole_const(e.value), None, None
            elif e.__class__ is BinOp and e.op in (O.ADD, O.SUB) and e.a.__class__ is Local and e.b.__class__ is Const:
                m, k = self.small_mirror(e.a.slot), self.whole_const(e.b.value)
                if m is not None and k is not None:
                    rel = f"{m} {ARITH[e.op]} {k}", e.a.slot, m
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
            if e.__class__ is Temp or e.__class__ is Const:
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
            self.consts[n] = EMPTY
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
            vs.append(Temp(name, None))
            return
        kd = self.karity(argc, False)
        md = self.karity(argc, True)
        cf, ff, ck, cc, cm, fc, ff2, ck2 = self.cache("cf", "ff", "ck", "cc", "cm", "fc", "fx", "kx")
        # the function (or class) this site called first is recognised by identity, other closures of its code
        # (and of one other code) by their code; the first test for a callee read from a global is identity
        kw = "if"
        if callee.__class__ is Temp and callee.name in self.global_hint:
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
        vs.append(Temp(name, None))

    def spec_fill(self, entries):
        """What a call site caches for the function it calls ({0}): its speculated copy when the arguments' types
        known here are those that copy assumes (helpers._spec)."""
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
            vs.append(Temp(name, None))
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
            vs.append(Temp(name, method_result_tag(rt, mname) if builtin else None))
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
        vs.append(Temp(name, None))

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
            vs_fall.append(Temp(name, None))
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
                if e.__class__ is Const:
                    truthy = e.value is not None and e.value is not False
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
                if step.__class__ is Local:
                    by = self.fresh()
                    w = f"l{step.slot}"
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
                        step = Local(a2)
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
            n = pops(o, instrs[j][1])
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
