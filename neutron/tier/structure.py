"""Control flow rebuilt from bytecode: paths that end at a stop, a loop edge, a return or a throw; branches joined
at their post-dominator; loops as `while True:`; try blocks and handlers; jump threading for `and`/`or`."""
from __future__ import annotations

import bisect
import re

from ..bytecode import opcodes as O
from .counters import mirror
from .entries import Const, Local, Temp
from .tags import FLT, LST


class Ctx:
    __slots__ = ("stop", "loop", "chain", "barrier", "hoist")

    def __init__(self, stop, loop, chain, barrier=False, hoist=None):
        self.stop = stop
        self.loop = loop
        self.chain = chain
        self.barrier = barrier
        self.hoist = hoist if hoist is not None else {}   # local slot -> its int() computed before the loop


class Structure:
    """The Emitter's control-flow structuring."""

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

    def append_targets(self):
        """The local slots stored from a `+` (`s = s + x`, `s += x`): those a failed string append can clear."""
        instrs = self.code.instrs
        return sorted({a for i, (o, a) in enumerate(instrs) if o == O.STORE_LOCAL and i > 1 and
                       (instrs[i - 1][0] == O.ADD or (instrs[i - 1][0] == O.DUP and instrs[i - 2][0] == O.ADD))})

    def handler_clause(self, flag, target, depth, ctx):
        x = f"_x{self.ntmp + 1}"
        self.ntmp += 1
        self.cur_ip = None
        self.cur_site = None
        self.line(f"except _NEXC as {x}:")
        self.ind += 1
        self.line(f"if not {flag}: raise")
        targets = self.append_targets()
        if targets:
            # out of memory in `s = s + x`: CPython's in-place append leaves s cleared; nil, as in the VM
            self.line(f"if {x}.__class__ is not _NThrow and {x}.__class__ is not _NeutronError:")
            self.line("    _u = _locals()")
            for s in targets:
                self.line(f"    if 'l{s}' not in _u: l{s} = None")
        finally_ = self.code.lines[target] == 0       # (compiler.stmt_Try) its rethrow needs the exception
        if finally_:
            self.line(f"s{depth} = _xvf({x})")
        else:       # a thrown value without calls (NThrow.value is a property)
            self.line(f"s{depth} = {x}.args[0] if {x}.__class__ is _NThrow else _xv({x})")
        hvs = [Temp(f"s{i}", None) for i in range(depth + 1)]
        self.at_merge()
        self.path(target, hvs, ctx, fresh=False)
        self.line("pass")
        self.ind -= 1

    def path(self, ip, vs, ctx, fresh=False):
        """Emit the code from ip until the path ends: at ctx.stop (falling through), or by a jump out of the
        current loop, a return or a throw."""
        saved = (self.overlay, self.split_off, self.nosplit, self.dirty)
        self.overlay = dict(self.overlay)
        self.dirty = set(self.dirty)
        try:
            self._path(ip, vs, ctx, fresh)
        finally:
            self.overlay, self.split_off, self.nosplit, self.dirty = saved

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
        # what the path knows of ints and fields dicts holds on both sides (the merge forgets it)
        here = self.known()
        imm = self.immediate(a, ctx)
        if imm is not None:
            self.line(f"if {cond_taken}:")
            self.ind += 1
            self.cur_ip = None
            vt = list(vs_taken)
            self.materialize(vt)
            if imm == "continue":
                self.back_edge(a, vt)
            else:
                self.count_now()
                self.line(imm)
            self.ind -= 1
            self.cur_ip = ip
            for text in fall_prefix:
                self.line(text)
            self.keep = here
            self.path(fall, vs_fall, ctx)
            return
        m = self.valid_merge(an.ipdom.get(ip), ctx)
        if m is None:
            cand = max(fall, a)
            if an.ipdom.get(ip) in (None, an.X) and self.valid_merge(cand, ctx) is not None:
                m = cand
        sub = Ctx(m if m is not None else ctx.stop, ctx.loop, ctx.chain, ctx.barrier, ctx.hoist)
        fall_is_join = m is not None and m == fall and self.canonical(vs_fall) and not fall_prefix
        next_arm, done = self.arms()
        next_arm()
        falls = self.falls
        only = False    # the join is reached by the branch's own jump alone: the other side ends (a return)
        if fall_is_join:
            # the fall-through side is the join itself: `if taken: <taken side>`
            self.line(f"if {cond_taken}:")
            self.ind += 1
            mark = len(self.out)
            self.keep = here
            self.path(a, list(vs_taken), sub)
            only = self.falls == falls
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
            self.keep = here
            self.path(fall, vs_fall, sub)
            only = self.falls == falls
            if len(self.out) == mark:
                self.line("pass")
            self.ind -= 1
            if not (m is not None and m == a and self.canonical(vs_taken)):
                only = False
                self.cur_ip = ip
                self.line("else:")
                self.ind += 1
                mark = len(self.out)
                self.keep = here
                next_arm()
                self.path(a, list(vs_taken), sub)
                if len(self.out) == mark:
                    self.line("pass")
                self.ind -= 1
        done()
        if m is not None and m != ctx.stop:
            self.drop_stored(min(ip, m), max(ip, m) if m > ip else an.n)
            self.at_merge()
            if only:
                self.keep = here
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
        region = self.begin_region(h)
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
        starts = {}
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
                if rel[2] is None and rel[1].isdigit():
                    starts[slot] = rel[1]               # a whole constant >= 0 (Counters.for_each)
            else:
                self.line(f"{name} = {mirror(v)}")
            self.mirrors.add(name)
            if all(x.__class__ is int for x in steps.values()):
                self.small_ints.add(name)   # steps of 1 from within 2**52: it stays there
            hoist[slot] = name
            for i, step in steps.items():
                if step.__class__ is Local:
                    by = self.fresh()
                    w = f"l{step.slot}"
                    self.line(f"{by} = {mirror(w)}")
                    step = by
                self.steps[i] = (name, step)
        dead = self.int_only(loop, hoist)
        for slot, bound in dead:
            self.dead[slot] = hoist[slot]
            if bound is not None and bound not in self.bounds:
                b = self.fresh()
                v = f"l{bound}"
                self.line(f"{b} = {mirror(v)}")       # (compared only: -0.0 as 0 would do too)
                self.bounds[bound] = b
        inner = Ctx(None, loop, ctx.chain + (loop,), False, hoist)

        def emit(each=True):
            recv = self.invariant_length(loop, dead)
            fixed = recv is not None and not self.has_sites(loop)
            if fixed:
                # an int-only loop that calls nothing runs no code that could change a length: its bound is read once
                n = self.fresh()
                self.line(f"{n} = len(l{recv})")
                self.lengths[f"l{recv}"] = n
            fe = self.for_each(loop, recv, dead) if each and dead and dead[0][0] in starts else None
            counter = None
            if fe is not None:
                # the array's iterator gives a[i] and ends the loop where `i < a.length` would: the header's test
                # and that read are not written (Translation._path). When the loop reads i nowhere else, i is not
                # counted (an int beyond 256 is made anew at each step) but found from the iterator where it is
                # needed: at the exits and at the back-edge safepoint
                get, counted = fe
                x, it = self.fresh(), self.fresh()
                slot = dead[0][0]
                start = starts[slot]
                self.line(f"{it} = _pyiter(l{recv})")
                if start != "0":
                    self.line(f"{it}.__setstate__({start})")      # (a list iterator's position)
                self.line(f"for {x} in {it}:")
                head = len(self.out)
                self.foreach = (h + 4, get, x)
                if not counted:
                    counter = self.counter = (slot, self.dead[slot], it, f"l{recv}")
            else:
                self.line("while True:")
            self.ind += 1
            self.at_merge()
            self.path(h, self.canon(h), inner, fresh=True)
            self.ind -= 1
            self.foreach = None
            if fe is not None:
                self.direct_target(head, x)
            if counter is not None:
                self.counter = None
                # the iterator ran out: i reached the length, or started beyond it
                _, name, _, arr = counter
                self.line("else:")
                self.line(f"    {name} = _len({arr})" if start == "0" else
                          f"    {name} = {start} if {start} > _len({arr}) else _len({arr})")
            if fixed:
                del self.lengths[f"l{recv}"]

        lists = self.indexed_unknowns(loop)
        nums = self.indexed_unknowns(loop, "number")
        accs = self.accumulators(loop, hoist)
        if accs:
            # a float copy for when the accumulators are floats (floatsplit.py), with the arrays and numbers above
            tests = [f'l{a}.__class__ is list' for a in lists] + [f'l{a}.__class__ is float' for a in nums + accs]
            flag = self.fresh()
            self.line(f"{flag} = not ({' and '.join(tests)})")
            self.line(f"if not {flag}:")
            self.ind += 1
            saved_overlay = dict(self.overlay)
            self.overlay.update((a, LST) for a in lists)
            self.overlay.update((a, FLT) for a in nums + accs)
            self.float_loops[h] = (frozenset(accs), flag)
            # (no Python for over the array in either copy: the general loop goes on from where the float copy
            # left it, which a fresh iterator would not)
            try:
                emit(False)
            finally:
                del self.float_loops[h]
            self.overlay = saved_overlay
            self.ind -= 1
            self.line(f"if {flag}:")
            self.ind += 1
            emit(False)
            self.ind -= 1
        elif lists or nums:
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
        if region is not None:
            self.end_region(region)
        return loop.follow

    def exit_path(self, ip, vs, ctx):
        """A jump out of the loop to somewhere other than its follow: that code runs here, then `break`."""
        loop = ctx.loop
        sub = Ctx(loop.follow, None, ctx.chain, barrier=True)
        self.count_now()
        for slot, name in self.dead.items():
            self.line(f"l{slot} = float({name})")
        saved = self.dead
        self.dead = {}
        state = self.before_exit()
        mark = len(self.out)
        self.path(ip, vs, sub)
        if state is not None and len(self.out) == mark:
            self.line("pass")
        self.after_exit(state)
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
            self.at_merge()
            self.path(m, self.canon(m), ctx)

    def direct_target(self, head, x):
        """`for x in it:` whose body begins `lN = x` and reads x nowhere else: `for lN in it:`."""
        out = self.out
        if head >= len(out):
            return
        ind, text, ip, site = out[head]
        m = re.fullmatch(rf"(l\d+) = {x}", text)
        word = re.compile(rf"\b{x}\b")
        if m is None or site is not None or any(word.search(t) for _i, t, _p, _s in out[head + 1:]):
            return
        i0, t0, p0, s0 = out[head - 1]
        out[head - 1] = (i0, t0.replace(f"for {x} in ", f"for {m.group(1)} in ", 1), p0, s0)
        del out[head]

    def count_now(self):
        """Before a `break` out of a loop whose counter is not counted (open_loop): its value, the index of the
        element the iterator gave last."""
        c = self.counter
        if c is not None:
            _, name, it, arr = c
            self.line(f"{name} = _len({arr}) - {it}.__length_hint__() - 1")

    def back_edge(self, h, vs):
        """A loop's jump back to its header h (`continue`). When the program may be asked from outside to
        checkpoint (vm.safepoints), a safepoint: the capture finds the frame at h with the stack vs
        (materialized), its locals whole (promoted globals written back). The `continue` line itself is the
        safepoint, seen by the line tracer the tier installs only while a request waits (Tier.trace): nothing runs
        per iteration. Where no tracer can be installed from another thread (tier.traced false), a flag test."""
        fl = self.float_loops.get(h)
        if fl is not None and any(self.tag(Local(a)) != FLT for a in fl[0]):
            # the float copy of a loop, with an accumulator no longer known to be a float: the general loop goes on
            self.line(f"{fl[1]} = True")
            self.line("break")
            return
        traced = self.tier.traced
        if not self.tier.vm.safepoints or (self.dead and not traced and not self.has_sites(self.an.loops[h])):
            self.line("continue")
            return
        saved = (self.cur_ip, self.cur_site)
        self.cur_ip = h
        if traced:
            # what the tracer does first: promoted globals back to their dict, counters kept as ints alone
            # (int_only) as the floats the frame's locals hold everywhere else
            site = self.site(h, vs, len(vs))
            c = self.counter
            self.cur_site = site + ((tuple((self.gname(s), f"l{s}") for s in sorted(self.region)),
                                     tuple((f"l{s}", name) if c is None or c[0] != s else (f"l{s}", c[2], c[3])
                                           for s, name in sorted(self.dead.items()))),)
            self.line("continue")
        else:
            self.cur_site = None
            self.line("if _sp:")
            self.ind += 1
            if self.region:
                self.write_back(self.region)
            self.cur_site = self.site(h, vs, len(vs))
            self.line("_safepoint()")
            self.ind -= 1
            self.cur_site = None
            self.line("continue")
        self.cur_ip, self.cur_site = saved

    def flag(self, hid):
        if hid.__class__ is tuple:
            return f"he{hid[1]}"
        return f"h{hid}"
