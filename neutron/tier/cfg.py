"""Control-flow facts of one code object: stack depths, successors, jump targets, loops, post-dominators, the
handler stack before each instruction and where each local is assigned."""
from __future__ import annotations

from ..bytecode import opcodes as O
from ..bytecode.code import compute_depths
from .exceptions import Unsupported
from .opsets import COND_JUMPS, OBSERVERS

class Loop:
    __slots__ = ("header", "body", "follow")

    def __init__(self, header, body, follow):
        self.header, self.body, self.follow = header, body, follow


class Analysis:
    """Control flow facts of one code object: stack depths, successors, loops and post-dominators."""

    volatile = frozenset()      # local slots a call may change (promoted globals: promote.plan)

    def __init__(self, code):
        self.code = code
        self._stores = None     # store_sites(), computed on first use
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
        """slot -> sorted indexes of the instructions that assign it (or, for volatile slots, may)."""
        st = self._stores
        if st is None:
            st = {}
            vol = sorted(self.volatile)
            for i, (o, a) in enumerate(self.code.instrs):
                if o in (O.STORE_LOCAL, O.MAKE_CELL, O.NEW_CELL):
                    st.setdefault(a, []).append(i)
                elif vol and o in OBSERVERS:
                    for s in vol:
                        st.setdefault(s, []).append(i)
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

