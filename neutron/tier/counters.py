"""Loop counters: a float counter's int() kept beside it (its mirror), whole-number arithmetic on mirrors, loops that
keep the int alone (int_only), and the loop facts that choose them: inductions, index invariants, indexed locals of
unknown type and how a loaded value is used."""
from __future__ import annotations

import math

from ..bytecode import opcodes as O
from .entries import NAME_OR_NUMBER, BinOp, Const, Local, PendingLen, literal
from .opsets import ARITH, BITWISE, COMPARE, INT_ONLY_BODY, SITES, pops
from .tags import FLT, LST, SEQ, STR


def mirror(v):
    """The expression of float local v's mirror: its int() when it is a whole number within 2**52 other than -0.0,
    else v itself (see Emitter.open_loop)."""
    return (f"_int({v}) if -4503599627370496.0 < {v} < 4503599627370496.0 and {v} % 1.0 == 0.0 and "
            f"({v} or _copysign(1.0, {v}) > 0.0) else {v}")


class Counters:
    """The Emitter's loop-counter analysis and whole-number arithmetic."""

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
                return (f"({w} % {self.whole_const(c.value)} if 0 < ({w} := {a[0]}) else _fmod({w}, {literal(c.value)}))",
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
        if NAME_OR_NUMBER.match(x):
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
            return self.lengths.get(e.recv) or f"len({e.recv})"
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

    def int_only(self, loop, hoist):
        """Counters of an innermost loop without handlers that only index, compare with an unchanged local, a
        constant or a length in the loop's test, and step by 1: [(slot, bound slot or None)]. Inside the loop only
        their int() is kept (the float is written back at its exits; a capture at a call site makes it from the
        int, see Calls.site)."""
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
        if o0 != O.LOAD_LOCAL or a0 not in hoist or hoist[a0] not in self.small_ints or a0 in self.dead or \
                a0 >= self.nl0:
            return []       # (a promoted global keeps its float: an exception may take it to the dict)
        slot = a0
        o1, a1 = instrs[h + 1]
        bound, k = None, h + 2
        if o1 == O.LOAD_LOCAL and instrs[h + 2] == (O.GET_PROP, self.code.names.index("length")
                                                    if "length" in self.code.names else -1):
            if self.has_sites(loop) and self.tag(Local(a1)) not in (LST, STR, SEQ):
                return []       # (the test would make the counter's float at each step)
            k = h + 3
        elif o1 == O.LOAD_LOCAL and a1 not in stored and a1 != slot and not self.has_sites(loop):
            # (a loop that calls is often short, as an inner loop of a few steps: the bound's int() made at each
            # entry and the counter's float at each exit would cost more than the float steps they save)
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

    def invariant_length(self, loop, dead):
        """The local whose length bounds an int-only loop (`i < a.length`), when it is known to be an array or a
        string here and the loop does not assign it; else None. (Its length may still change where the loop
        calls: has_sites.)"""
        if not dead or dead[0][1] is not None:
            return None
        instrs = self.code.instrs
        h = loop.header
        o1, recv = instrs[h + 1]
        if o1 != O.LOAD_LOCAL or instrs[h + 2][0] != O.GET_PROP or self.code.names[instrs[h + 2][1]] != "length":
            return None
        self.fip = h
        if self.tag(Local(recv)) not in (LST, STR, SEQ) or recv in self.assigned_in(loop.body):
            return None
        return recv

    def has_sites(self, loop):
        """Whether the loop's body has call sites: where a capture may find the frame, and Neutron code or a
        native function may change an array's length."""
        instrs = self.code.instrs
        return any(instrs[i][0] in SITES for i in loop.body)

    def for_each(self, loop, recv, dead):
        """The GET_INDEX of an int-only loop `for (...; i < a.length; i++) { ... a[i] ... }` that a Python `for`
        over the array may give its element: a an array the loop does not assign, i stepped by the one `i++` every
        way back to the header passes (no other store), `a[i]` read on the body's straight start before any
        SET_INDEX. A list iterator reads a[index] afresh and stops once index >= len(a) (the length now), which is
        the test and the read, with index equal to i at every step. (that GET_INDEX, whether the loop reads i
        elsewhere: else i is not counted, see Structure.open_loop) or None."""
        if recv is None or self.tag(Local(recv)) not in (LST, SEQ, STR):
            return None
        slot = dead[0][0]
        instrs = self.code.instrs
        targets = self.an.targets
        h = loop.header
        if instrs[h + 3][0] != O.LT or instrs[h + 4] != (O.JUMP_IF_FALSE, loop.follow):
            return None
        stores = [i for i in loop.body if instrs[i] == (O.STORE_LOCAL, slot)]
        backs = [i for i in loop.body if instrs[i] == (O.JUMP, h)]
        if len(stores) != 1 or len(backs) != 1 or self.steps.get(stores[0], (None, None))[1] != 1:
            return None
        s, b = stores[0], backs[0]
        if not s < b <= s + 2 or any(j in targets for j in range(s - 2, b + 1)) or \
                any(i > b or i < h for i in loop.body) or \
                (b == s + 2 and instrs[s + 1][0] != O.POP):
            return None
        for j in range(h + 5, min(len(instrs) - 2, h + 64)):
            o = instrs[j][0]
            if j in targets or o in O.JUMPS or o == O.SET_INDEX or o in SITES:
                return None
            if instrs[j] == (O.LOAD_LOCAL, recv) and instrs[j + 1] == (O.LOAD_LOCAL, slot) and \
                    instrs[j + 2][0] == O.GET_INDEX and j + 1 not in targets and j + 2 not in targets:
                k = s - 1 if instrs[s - 1][0] == O.DUP else s
                # (a call site's capture needs the count: the iterator's position is one ahead there)
                counted = self.has_sites(loop) or \
                    any(instrs[i] == (O.LOAD_LOCAL, slot) and i not in (h, j + 1, k - 3) for i in loop.body)
                return j + 2, counted
        return None

    def copyable(self, loop):
        """The type state at the header of an innermost, short loop the code budget leaves room to write twice; else
        None."""
        if len(loop.body) > 200 or self.budget < 3 * len(loop.body) + 200 or any(
                other is not loop and other.header in loop.body for other in self.an.loops.values()):
            return None
        return self.flow.get(loop.header)

    def indexed_unknowns(self, loop, use="object"):
        """Locals an innermost, short loop indexes (as the array; or, for use "number", gives to an arithmetic or
        comparison operator) and never assigns, of a type not known at its header: worth a second copy of the
        loop that knows them to be arrays (numbers)."""
        st = self.copyable(loop)
        if st is None:
            return []
        instrs = self.code.instrs
        stored = self.assigned_in(loop.body)
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
        stored = self.assigned_in(loop.body)
        steps, bad, indexed, bitwise = {}, set(), set(), set()
        if self.observed_in(loop.body):
            bad |= self.an.volatile         # loaded again after each call
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

    def taker(self, i):
        """The instruction that takes the value pushed by instruction i, along straight code (within 64), "unknown"
        (past a jump or that far), or None (i is not reached)."""
        instrs = self.code.instrs
        depth = self.an.depth
        targets = self.an.targets
        h = depth[i]
        if h is None:
            return None
        for j in range(i + 1, min(len(instrs), i + 64)):
            o, a = instrs[j]
            if j in targets or o in O.JUMPS or depth[j] is None or j + 1 >= len(depth) or depth[j + 1] is None:
                return "unknown"
            if o == O.GET_INDEX or o in BITWISE or o in ARITH or o in COMPARE:
                n = 2
            elif o == O.SET_INDEX:
                n = 3
            elif o == O.INVOKE:
                n = a[1] + 1
            else:
                n = pops(o, a)
            if (n is not None and depth[j] - n <= h) or depth[j + 1] <= h:
                return j
        return "unknown"

    def use_of(self, i):
        """How the value pushed by instruction i is used, along straight code: "index" or "object" (of GET_INDEX
        or SET_INDEX), a bitwise operator, None (anything else) or "unknown" (past a jump)."""
        j = self.taker(i)
        if j is None or j == "unknown":
            return j
        h = self.an.depth[i]
        o = self.code.instrs[j][0]
        d = self.an.depth[j]
        if o == O.GET_INDEX:
            return {h + 1: "index", h + 2: "object"}.get(d)
        if o == O.SET_INDEX:
            return {h + 2: "index", h + 3: "object"}.get(d)
        if o in BITWISE:
            return o
        if o in ARITH or o in COMPARE:
            return "number"
        return None

    def receiver_of(self, i):
        """The INVOKE or GET_PROP that takes the value instruction i pushes as its receiver, along straight code;
        else None."""
        j = self.taker(i)
        if j is None or j == "unknown":
            return None
        h = self.an.depth[i]
        o, a = self.code.instrs[j]
        d = self.an.depth[j]
        if (o == O.INVOKE and d - a[1] - 1 == h) or (o == O.GET_PROP and d - 1 == h):
            return j
        return None

    def index_invariants(self, loop):
        """Float locals the loop uses as list indexes and never assigns."""
        instrs = self.code.instrs
        st = self.flow.get(loop.header)
        if st is None:
            return []
        stored = self.assigned_in(loop.body)
        out = set()
        for i in loop.body:
            o, a = instrs[i]
            if o == O.LOAD_LOCAL and a not in stored and st[0].get(a) == FLT and any(
                    j < len(instrs) and (instrs[j][0] in BITWISE or (j == i + 1 and instrs[j][0] == O.GET_INDEX))
                    for j in (i + 1, i + 2)):
                out.add(a)
        return sorted(out)
