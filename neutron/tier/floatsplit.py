"""Float splits and float loops.

Float splits: before an arithmetic tree whose operands are not known to be floats is evaluated into a value that is
tested again later (a temporary an operator takes next, or a local used as a number further on), the path is split
on the tree's own test: `if a.__class__ is float and b.__class__ is float:` with the rest of the path written twice,
once knowing the operands (and so the result) to be floats, once as before (the general code, unchanged). The two
sides meet again at the first statement after the value's last use that every path goes through.

Float loops: an innermost loop without calls whose accumulators (locals it reads, then stores only from arithmetic:
`sum = sum + a[i]`) are not known to be floats at its header gets a copy for when they are floats on entry. In that
copy a store to an accumulator is split as above; an iteration that ends with one not known to be a float (its
general side) sets a flag and leaves the copy, and the general loop goes on from the header:

    tN = not (l3.__class__ is float)
    if not tN:
        while True: ... (the float copy; `tN = True; break` where an accumulator lost its float)
    if tN:
        while True: ... (the general loop)
"""
from __future__ import annotations

from ..bytecode import opcodes as O
from .entries import BinOp, Local, Temp, UnOp
from .opsets import ARITH, COMPARE, OBSERVERS, pops
from .receivers import MAX_SPLITS
from .structure import Ctx
from .tags import FLT

# instructions that never evaluate a pending tree below them: it stays pending, maybe to become part of a larger one
KEEPS_TREES = {O.LOAD_LOCAL, O.CONST, O.NIL, O.TRUE, O.FALSE, O.NEG, O.NOT, *ARITH, *COMPARE}
LOOKAHEAD = 64          # instructions scanned for the use of a value (as Counters.use_of)
LOCAL_LOOKAHEAD = 300   # instructions scanned for a stored local's next uses


class FloatSplits:
    """The Emitter's splits on an arithmetic tree's operand test."""

    def split_float(self, ip, o, vs, ctx):
        """At instruction ip, which evaluates the pending trees on the stack: split on the test of the first one
        worth it (see the module's docstring). True when the path has been written (both sides)."""
        if o in KEEPS_TREES or self.nosplit or self.nsplits >= MAX_SPLITS or ctx.barrier:
            return False
        if self.budget < 4 * len(self.code.instrs):
            return False
        for p, e in enumerate(vs):
            k = e.__class__
            if (k is not BinOp and k is not UnOp) or self.tag(e) is not None:
                continue
            leaves = self.float_leaves(e)
            if not leaves:
                continue
            last = self.last_number_use(ip, p, ctx)
            if last is None:
                continue
            # an accumulator of a float loop: each side goes on to the iteration's end (the loop's back edge)
            m = None if last == "acc" else self.split_stop(ip, last, ctx)
            end = m if m is not None else ctx.stop if ctx.stop is not None and ctx.stop > ip else \
                max(ctx.loop.body) + 1 if ctx.loop is not None else len(self.code.instrs)
            if any(ip < h < end for h in self.an.loops):
                return False        # (each side would have its own copy of the loop)
            self.split_on(ip, vs, ctx, p, e, leaves, m)
            return True
        return False

    def split_stop(self, ip, last, ctx):
        """Where the two sides of a split at ip meet again: the first statement after `last` (the value's last
        use) that every path from ip goes through, inside the current loop's body; None when there is none before
        the path's own end (each side then goes on to it)."""
        an = self.an
        loop = ctx.loop
        m = an.ipdom.get(ip)
        while m is not None and m != an.X and m > ip:
            if m == ctx.stop:
                return None
            if m > last and an.depth[m] == 0:
                if self.valid_merge(m, ctx) is None or (loop is not None and (m not in loop.body or m == loop.header)):
                    return None
                return m
            m = an.ipdom.get(m)
        return None

    def float_leaves(self, e):
        """The operands (locals and temporaries) the native form of tree e tests to be floats, or None when it has
        no native form or a test that a split could not carry (a promoted global, a temporary of another type)."""
        guards = []
        if not self.leaves_ok(e, guards):
            return None
        out = []

        def walk(n):
            k = n.__class__
            if k is Local or k is Temp:
                if not self.known_float(n):
                    out.append(n)
            elif k is BinOp:
                if self.special_eq(n) is None:
                    walk(n.a)
                    walk(n.b)
            elif k is UnOp:
                if not (n.op == O.NOT and not self.is_bool(n.a)):
                    walk(n.a)
        walk(e)
        for n in out:
            if n.__class__ is Local and (n.slot in self.an.volatile or n.slot in self.dead):
                return None
            if n.__class__ is Temp and n.tag is not None:
                return None
        return out

    def floated(self, e):
        """Tree e with its temporaries of unknown type tagged as floats (its locals are in the overlay)."""
        k = e.__class__
        if k is Temp:
            return Temp(e.name, FLT) if e.tag is None else e
        if k is BinOp:
            if self.special_eq(e) is not None:
                return e
            return BinOp(e.op, self.floated(e.a), self.floated(e.b), e.ip)
        if k is UnOp:
            if e.op == O.NOT and not self.is_bool(e.a):
                return e
            return UnOp(e.op, self.floated(e.a), e.ip)
        return e

    def split_on(self, ip, vs, ctx, p, e, leaves, m):
        self.nsplits += 1
        self.flush(vs, p)
        names = []
        for n in leaves:
            x = self.ex(n)
            if x not in names:
                names.append(x)
        sub = ctx if m is None else Ctx(m, ctx.loop, ctx.chain, ctx.barrier, ctx.hoist)
        saved = (self.overlay, self.split_off, self.nosplit)
        here = self.known()
        next_arm, done = self.arms()
        next_arm()
        self.line(f"if {' and '.join(f'{x}.__class__ is float' for x in names)}:")
        self.ind += 1
        self.overlay = dict(saved[0])
        for n in leaves:
            if n.__class__ is Local:
                self.overlay[n.slot] = FLT
        fvs = list(vs)
        fvs[p] = self.floated(e)
        self.keep = here
        mark = len(self.out)
        self.path(ip, fvs, sub, fresh=True)
        if len(self.out) == mark:
            self.line("pass")
        self.ind -= 1
        self.cur_ip = ip
        self.line("else:")
        self.ind += 1
        self.overlay = dict(saved[0])
        self.nosplit = True
        self.keep = here
        mark = len(self.out)
        next_arm()
        self.path(ip, list(vs), sub, fresh=True)
        done()
        if len(self.out) == mark:
            self.line("pass")
        self.ind -= 1
        self.overlay, self.split_off, self.nosplit = saved
        if m is not None:
            # the sides meet again: what either side learnt is forgotten from there
            self.drop_stored(ip, m)
            self.at_merge()
            self.path(m, self.canon(m), ctx)

    def last_number_use(self, ip, p, ctx):
        """Where the value at stack position p before instruction ip is used last, along straight code, when an
        operator takes it (the operator) or it is stored into a local that an operator takes further on (that
        local's last load before it is stored again or its loop goes round); else None."""
        instrs = self.code.instrs
        depth = self.an.depth
        targets = self.an.targets
        for j in range(ip, min(len(instrs), ip + LOOKAHEAD)):
            o, a = instrs[j]
            if (j != ip and j in targets) or o in O.JUMPS or depth[j] is None:
                return None
            h = depth[j]
            if o == O.STORE_LOCAL:
                if h - 1 == p:
                    return "acc" if self.accumulator(a, ctx) else self.local_number_use(j, a)
                continue
            if o == O.DUP:
                if h - 1 == p and j + 2 < len(instrs) and instrs[j + 1][0] == O.STORE_LOCAL and \
                        instrs[j + 2][0] == O.POP:
                    a = instrs[j + 1][1]
                    return "acc" if self.accumulator(a, ctx) else self.local_number_use(j + 1, a)
                if h - 1 == p:
                    return None
                continue
            n = pops(o, a)
            if n is not None:
                if h - n <= p:
                    return j if o in ARITH or o in COMPARE else None
                continue
            if j + 1 >= len(depth) or depth[j + 1] is None or depth[j + 1] <= p:
                return None
        return None

    def local_number_use(self, j, slot):
        """The last load of local `slot`, stored by instruction j, before it is stored again or its loop goes round
        (instructions in order, up to the first jump back), if one of those loads is for an operator; else None."""
        instrs = self.code.instrs
        last, number = None, False
        for k in range(j + 1, min(len(instrs), j + LOCAL_LOOKAHEAD)):
            o, a = instrs[k]
            if o == O.STORE_LOCAL and a == slot:
                break
            if o == O.LOAD_LOCAL and a == slot:
                last = k
                if not number and self.use_of(k) == "number":
                    number = True
            if o in O.JUMPS and o != O.SETUP_TRY and a <= k:
                break
        return last if number else None

    def accumulator(self, slot, ctx):
        """Whether local `slot` is an accumulator of the float copy of the loop being written."""
        fl = self.float_loops.get(ctx.loop.header) if ctx.loop is not None else None
        return fl is not None and slot in fl[0]

    def accumulators(self, loop, hoist):
        """Locals an innermost, short loop without calls reads before it stores them, stores only from arithmetic
        and takes for an operator, of a type not known at its header: worth a copy of the loop for when they are
        floats."""
        an = self.an
        st = self.copyable(loop) if an.depth[loop.header] == 0 else None
        if st is None:
            return []
        instrs = self.code.instrs
        if any(instrs[i][0] in OBSERVERS for i in loop.body):
            return []           # (a call costs more than the tests saved; the copy's code is not worth it)
        stores, bad, used, seen = set(), set(), set(), set()
        for i in sorted(loop.body):
            o, a = instrs[i]
            if o == O.STORE_LOCAL:
                if a not in seen:
                    bad.add(a)      # stored before it is read: not carried from one iteration to the next
                seen.add(a)
                k = i - 2 if instrs[i - 1][0] == O.DUP else i - 1
                if k >= 0 and instrs[k][0] in ARITH and k + 1 not in an.targets and i not in an.targets:
                    stores.add(a)
                else:
                    bad.add(a)
            elif o in (O.MAKE_CELL, O.NEW_CELL):
                bad.add(a)
            elif o == O.LOAD_LOCAL:
                seen.add(a)
                if self.use_of(i) == "number":
                    used.add(a)
        out = [a for a in sorted(stores - bad) if a in used and st[0].get(a) is None and a < self.nl0 and
               a not in an.volatile and a not in hoist and a not in self.dead and a not in self.overlay]
        return out[:2]
