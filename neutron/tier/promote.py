"""Globals as locals: inside a loop of a file's top level, the globals the loop uses live in Python locals, as a
function's variables do, and the globals dict is brought up to date wherever something could look at it.

The plan (plan()) picks the globals that every loop using them finds defined (a global is never removed, so one
that exists when the code is compiled, or that the code defined or used on every path before, stays defined) and
gives each a local slot after the code's own. A shadow of the code object reads and writes those slots where the
code reads and writes those globals, one instruction for one, so the type analysis, the loop-counter analysis and
the translation see them as locals; the capture still describes the code's own locals only.

Where the translation runs a loop that is not inside another loop of the same function (a region), it loads the
loop's globals into their locals first; in the region they are locals. The dict is written back:
- before a call, an invoke that may run Neutron code, an import and a `say` (what may read the dict, or capture
  the program): the locals stored since the last write-back ("dirty"); after a call, whether it returns or
  raises, every global of the region is loaded again (the callee may have changed it);
- when the region ends: at the loop's exits, and before a `return`; code the loop jumps to elsewhere (an exit
  path) runs with the dict as the globals' home, between a write-back and a reload;
- when an exception leaves the region (a `try` around it: the locals are exact at every instruction that can
  raise, because calls reload even when they raise).
Outside regions (straight code of the top level) the shadow's global slots are read and written in the dict, as
the original instruction would."""
from __future__ import annotations

import copy

from ..bytecode import opcodes as O
from ..bytecode.code import Code
from .opsets import OBSERVERS
from .tags import pure_invoke

GLOBAL_OPS = (O.LOAD_GLOBAL, O.STORE_GLOBAL, O.DEFINE_GLOBAL)


def observer(o, a, stack_tags, names):
    """Whether the instruction (o, a), with these tags on the stack, may run Neutron code (or a native)."""
    if o not in OBSERVERS:
        return False
    if o == O.INVOKE:
        argc = a[1]
        return not pure_invoke(stack_tags[len(stack_tags) - argc - 1], names[a[0]], argc)
    return True


class Plan:
    """The promoted globals of one code object compiled from one entry."""

    def __init__(self, code, an, slots, orig, loops, unsure):
        self.code = code        # the shadow code object
        self.an = an            # its analysis
        self.slots = slots      # local slot -> global name
        self.orig = orig        # ip -> the original (op, arg) of a shadowed instruction
        self.loops = loops      # loop header -> frozenset of the promoted slots its body uses
        self.unsure = unsure    # ips of shadowed reads and assignments whose global may still be undefined


def plan(code, an, defined, start):
    """The Plan for running `code` from the instruction `start` (and the handler targets in `start`'s list
    that follow) when the globals in `defined` exist; None when no loop uses a global worth a local."""
    instrs = code.instrs
    names = code.names
    depth = an.depth
    # the globals the loops use
    used = {}
    for h, loop in an.loops.items():
        if depth[h] is None:
            continue
        for i in loop.body:
            o, a = instrs[i]
            if o in GLOBAL_OPS:
                used.setdefault(names[a], set()).add(h)
    if not used:
        return None
    cand = sorted(used)
    bit = {n: 1 << k for k, n in enumerate(cand)}
    # which of them are certainly defined before each instruction: a forward analysis over bit sets (meet: and)
    init = 0
    for n in cand:
        if n in defined:
            init |= bit[n]
    state = {}
    work = [(ip, init) for ip in start]
    while work:
        ip, s = work.pop()
        while ip < an.n:
            old = state.get(ip)
            if old is not None:
                if old & s == old:
                    break
                s &= old
            state[ip] = s
            o, a = instrs[ip]
            if o in GLOBAL_OPS:
                s |= bit.get(names[a], 0)       # read, assigned or defined: it exists from here on
            succ = an.all_succ(ip)
            if not succ:
                break
            for t in succ[1:]:
                work.append((t, s))
            ip = succ[0]
    promoted = [n for n in cand if all(h in state and state[h] & bit[n] for h in used[n])]
    if not promoted:
        return None
    slot_of = {n: code.nlocals + k for k, n in enumerate(promoted)}
    shadow = copy.copy(code)
    new = list(instrs)
    orig = {}
    unsure = set()
    for i, (o, a) in enumerate(instrs):
        if o in GLOBAL_OPS:
            slot = slot_of.get(names[a])
            if slot is not None:
                new[i] = (O.LOAD_LOCAL if o == O.LOAD_GLOBAL else O.STORE_LOCAL, slot)
                orig[i] = (o, a)
                if o != O.DEFINE_GLOBAL and not (i in state and state[i] & bit[names[a]]):
                    unsure.add(i)
    shadow.instrs = new
    shadow.nlocals = code.nlocals + len(promoted)
    san = copy.copy(an)
    san.code = shadow
    san._stores = None
    san.volatile = frozenset(slot_of.values())
    loops = {}
    for h, loop in an.loops.items():
        loops[h] = frozenset(a for i in loop.body for o, a in (new[i],) if i in orig)
    return Plan(shadow, san, {s: n for n, s in slot_of.items()}, orig, loops, unsure)


def _nested_codes(value, out):
    if value.__class__ is Code:
        out.append(value)
    elif value.__class__ in (tuple, list):
        for x in value:
            _nested_codes(x, out)


def stable_globals(plan, code, script_path):
    """The promoted slots whose globals no code but this top level can assign: those of the program's own file
    (not a `using`d one, not the prompt) whose functions, at any depth, never assign them, in a file that takes in
    no other file with `using` (whose code would share its globals). A call leaves them as they were, so they need
    no reload after one."""
    if plan is None or code.filename != script_path or code.filename.startswith("<"):
        return frozenset()
    written = set()
    seen = set()
    work = []
    _nested_codes(list(code.consts), work)
    for o, _a in code.instrs:
        if o in USING_OPS:
            return frozenset()
    while work:
        c = work.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        names = c.names
        for o, a in c.instrs:
            if o in GLOBAL_STORES:
                written.add(names[a])
            elif o in USING_OPS:
                return frozenset()
        _nested_codes(list(c.consts), work)
    return frozenset(s for s, n in plan.slots.items() if n not in written)


GLOBAL_STORES = (O.STORE_GLOBAL, O.DEFINE_GLOBAL)
USING_OPS = (O.USING, O.USING_ISOLATED)


class Globals:
    """The Emitter's part that keeps promoted globals in locals inside regions (see the module's docstring)."""

    def gname(self, slot):
        return self.plan.slots[slot]

    def surely_defined(self, ip, name):
        """Whether the global `name`, read or assigned by the instruction at ip, certainly exists there."""
        if name in self.G:
            return True     # defined when compiled: globals are never removed
        p = self.plan
        return p is not None and ip in p.orig and ip not in p.unsure

    def in_dict(self, slot):
        """Whether a slot is a promoted global whose home is the dict here (outside a region, or not used by it)."""
        return slot >= self.nl0 and slot not in self.region

    def observes(self, ip):
        """Whether the instruction at ip may run Neutron code while a region is active."""
        if not self.region:
            return False
        o, a = self.code.instrs[ip]
        st = self.flow.get(ip)
        return observer(o, a, st[1] if st is not None else (None,) * (self.an.depth[ip] or 0), self.code.names)

    def observed_in(self, body):
        """Whether a loop body may run Neutron code that changes promoted globals."""
        if self.plan is None:
            return False
        instrs = self.code.instrs
        names = self.code.names
        for i in body:
            o, a = instrs[i]
            if o in OBSERVERS:
                st = self.flow.get(i)
                if st is None or observer(o, a, st[1], names):
                    return True
        return False

    def assigned_in(self, body):
        """Locals a loop body assigns: stores and cells, and promoted globals where a call may change them."""
        instrs = self.code.instrs
        out = {a for i in body for o, a in (instrs[i],) if o in (O.STORE_LOCAL, O.MAKE_CELL, O.NEW_CELL)}
        if self.observed_in(body):
            out |= self.an.volatile
        return out

    def write_back(self, slots):
        for s in sorted(slots):
            self.line(f"_G[{self.gname(s)!r}] = l{s}")

    def reload(self, slots):
        for s in sorted(slots):
            self.line(f"l{s} = _G[{self.gname(s)!r}]")
            self.forget_local(s)

    def forget_local(self, s):
        self.icache.pop(s, None)
        self.fcache.pop(s, None)
        self.overlay.pop(s, None)
        self.derived.pop(s, None)

    def at_merge(self):
        """A path that starts where paths meet: any global the region stores may be dirty."""
        self.dirty = set(self.maydirty)

    def begin_region(self, h):
        """Before loop h's code, outside any region: load the globals it uses. Returns the state end_region
        needs, or None when the loop is not a region."""
        if self.plan is None or self.region:
            return None
        slots = self.plan.loops.get(h)
        if not slots:
            return None
        self.cur_ip = None
        self.cur_site = None
        self.reload(slots)
        instrs = self.code.instrs
        stored = frozenset(a for i in self.an.loops[h].body for o, a in (instrs[i],)
                           if o == O.STORE_LOCAL and a in slots)
        self.region = slots
        self.maydirty = stored
        self.dirty = set()
        self.line("try:")
        self.ind += 1
        return stored

    def end_region(self, stored):
        """After the loop: the globals it stored back in the dict, whether it ends or raises."""
        self.ind -= 1
        self.cur_ip = None
        self.cur_site = None
        self.line("except BaseException:")
        self.ind += 1
        if stored:
            self.line("try:")
            self.ind += 1
            self.write_back(stored)
            self.ind -= 1
            self.line("except NameError:")       # (a local cleared by a failed append: see helpers._write_back)
            pairs = tuple((self.gname(s), f"l{s}") for s in sorted(stored))
            self.line(f"    _write_back(_G, _locals(), {pairs!r})")
        self.line("raise")
        self.ind -= 1
        self.write_back(stored)
        self.region = frozenset()
        self.maydirty = frozenset()
        self.dirty = set()

    def before_observer(self, vs):
        """Before code that may run Neutron code in a region: stack entries reading a promoted global keep its
        current value, the dirty globals go to the dict, and the code that follows is the body of a `try` whose
        `finally` (after_observer) loads them all again. Returns whether it did."""
        if not self.region:
            return False
        for s in self.region - self.stable:     # (a stable one keeps its value: no reload)
            self.invalidate_local(vs, s)
        saved = self.cur_site
        self.cur_site = None
        self.write_back(self.dirty)
        self.dirty = set()
        self.line("try:")
        self.cur_site = saved
        self.ind += 1
        return True

    def after_observer(self, began):
        if not began:
            return
        self.ind -= 1
        saved = self.cur_site
        self.cur_site = None
        self.line("finally:")
        self.ind += 1
        slots = self.region - self.stable
        if slots:
            self.reload(slots)
        else:
            self.line("pass")
        self.ind -= 1
        self.cur_site = saved

    def before_exit(self):
        """Before code outside the region's loop runs (an exit path): the dict becomes the globals' home.
        Returns the state after_exit needs."""
        if not self.region:
            return None
        self.write_back(self.dirty)
        state = (self.region, self.maydirty, self.dirty)
        self.region = frozenset()
        self.maydirty = frozenset()
        self.dirty = set()
        self.line("try:")
        self.ind += 1
        return state

    def after_exit(self, state):
        if state is None:
            return
        self.ind -= 1
        self.cur_ip = None
        self.cur_site = None
        self.line("finally:")
        self.ind += 1
        self.region, self.maydirty, self.dirty = state
        self.reload(self.region)
        self.dirty = set()
        self.ind -= 1
