"""Receivers: splitting a path on `is Instance` (and, in some code, then on `is dict`) before the first property
access on a local of unknown type (and on `is str` before the first use of such a local as an object's key, or as
the receiver of string methods), an instance's fields dict kept along a path, and list indexing operands."""
from __future__ import annotations

from ..bytecode import opcodes as O
from .entries import Const, Local
from .tags import DCT, INS, LST, SEQ, STR, STRING_ONLY, string_method


MAX_SPLITS = 8                      # receiver tests per generated body (each one copies the rest of a path)


class Receivers:
    """The Emitter's receiver tests and indexing operands."""

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
        if self.budget < 4 * len(self.code.instrs):
            return False
        slot = e.slot
        if o == O.INVOKE and string_method(self.code.names[a[0]]) and self.string_count(slot) >= 2:
            self.split(ip, vs, ctx, slot, STR, "str")
            return True
        if o == O.GET_PROP and self.code.names[a] == "length":
            return False
        if self.receiver_count(slot) < 3:
            return False
        # in a function without loops (a callback, a comparator) that is not a method (whose other parameters are
        # most often instances too), a local that only has its properties read and set may as well be an object
        # (a map, a json record): a second test, `elif lN.__class__ is dict:`, with a third copy of the path. (In
        # code with loops the copies would take the room that loops' own copies need.)
        records = not self.code.is_method and not self.an.loops and not self.invoked(slot)
        self.split(ip, vs, ctx, slot, INS, "Instance", (DCT, "dict") if records else None)
        return True

    def invoked(self, slot):
        """Whether the code calls a method on local `slot`."""
        instrs = self.code.instrs
        for i, (o, a) in enumerate(instrs):
            if o == O.LOAD_LOCAL and a == slot:
                j = self.receiver_of(i)
                if j is not None and instrs[j][0] == O.INVOKE:
                    return True
        return False

    def string_count(self, slot):
        """How often local `slot` is the receiver of a built-in string method or `.length`, when one of them is a
        method arrays do not have (else 0): a string, most likely."""
        n = self.string_uses.get(slot)
        if n is None:
            instrs = self.code.instrs
            names = self.code.names
            n, only = 0, False
            for i, (o, a) in enumerate(instrs):
                if o == O.LOAD_LOCAL and a == slot:
                    j = self.receiver_of(i)
                    if j is None:
                        continue
                    oj, aj = instrs[j]
                    if oj == O.INVOKE and string_method(names[aj[0]]):
                        n += 1
                        only = only or names[aj[0]] in STRING_ONLY
                    elif oj == O.GET_PROP and names[aj] == "length":
                        n += 1
            n = n if only else 0
            self.string_uses[slot] = n
        return n

    def split_key(self, ip, o, vs, ctx):
        """Before the first use of a local of unknown type as the key of an object (a map) that the code indexes
        with it again: `if lN.__class__ is str:` with the rest of the path emitted twice, once knowing it."""
        if self.nosplit or self.nsplits >= MAX_SPLITS:
            return False
        k = 1 if o == O.GET_INDEX else 2
        if len(vs) < k + 1 or self.tag(vs[-k - 1]) != DCT:
            return False
        e = vs[-k]
        if e.__class__ is not Local or e.slot in self.split_off or self.tag(e) is not None:
            return False
        slot = e.slot
        if self.key_count(slot) < 2 or self.budget < 4 * len(self.code.instrs):
            return False
        self.split(ip, vs, ctx, slot, STR, "str")
        return True

    def key_count(self, slot):
        """How often local `slot` is loaded as the index of an indexing."""
        n = self.key_uses.get(slot)
        if n is None:
            instrs = self.code.instrs
            n = sum(1 for i, (o, a) in enumerate(instrs)
                    if o == O.LOAD_LOCAL and a == slot and self.use_of(i) == "index")
            self.key_uses[slot] = n
        return n

    def split(self, ip, vs, ctx, slot, tag, cls, alt=None):
        self.nsplits += 1
        self.flush(vs)
        saved = (self.overlay, self.split_off, self.nosplit)
        here = self.known()
        next_arm, done = self.arms()
        for i, (t, c) in enumerate([(tag, cls)] + ([alt] if alt is not None else [])):
            next_arm()
            self.cur_ip = ip
            self.line(f"{'elif' if i else 'if'} l{slot}.__class__ is {c}:")
            self.ind += 1
            self.overlay = dict(saved[0])
            self.overlay[slot] = t
            self.split_off = saved[1] | {slot}
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
        next_arm()
        self.path(ip, list(vs), ctx, fresh=True)
        done()
        self.ind -= 1
        self.overlay, self.split_off, self.nosplit = saved

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
