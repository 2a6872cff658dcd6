"""Expression trees to Python: a tree of arithmetic and comparisons over simple entries becomes one native
expression behind a test that its operands are floats (or none, when they are known), next to the generic form
that calls the VM's helpers; assignments, string concatenation and truth tests."""
from __future__ import annotations

import math

from ..bytecode import opcodes as O
from .entries import NAME_OR_NUMBER, SIMPLE, BinOp, Const, Local, PendingLen, StrExpr, Temp, UnOp
from .opsets import ARITH, BITWISE, COMPARE, GENERIC, MIXED_ROOTS
from .tags import BOO, DCT, FLT, INS, LST, SEQ, STR

SHIFTS = {float(k) for k in range(64)}


class Expressions:
    """The Emitter's expression writer."""

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
                # (0.0, not 0: a float compared with a float is the cheaper comparison)
                return f"(_q if (_q := {a} / {b}) - _q == 0.0 else _bail())"
            sym = ARITH[o]
            if sym is not None:
                return f"({a} {sym} {b})"
            if o == O.MOD:
                c = e.b
                if c.__class__ is Const and c.value.__class__ is float and 0.0 < c.value < math.inf:
                    # for a positive dividend Python's % is fmod (and cheaper than a call); an infinite one gives
                    # NaN either way
                    return f"(_r % {b} if 0.0 < (_r := {a}) else _fmod(_r, {b}))"
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
            if o == O.SHL or o == O.SHR:
                # the VM shifts the 64-bit int of a by 0 to 63 places: Python's shift of int(a) when a is within
                # 2**63 (no wrap to undo) and, for <<, the result too; other counts, NaN and infinities (int()
                # fails) go to the generic path
                x, n = self.fresh(), self.fresh()
                c = e.b
                if c.__class__ is Const and c.value.__class__ is float and c.value in SHIFTS:
                    n = str(int(c.value))       # a constant count: nothing to test
                    ok = f"-9223372036854774784.0 <= ({x} := {a}) <= 9223372036854774784.0"
                else:
                    ok = (f"-9223372036854774784.0 <= ({x} := {a}) <= 9223372036854774784.0 and "
                          f"0 <= ({n} := int({b})) < 64")
                if o == O.SHR:
                    return f"(float(int({x}) >> {n}) if {ok} else _bail())"
                return (f"(_b if {ok} and -9223372036854774784.0 <= (_b := float(int({x}) << {n})) <= "
                        f"9223372036854774784.0 else _bail())")
            return f"_bin({o}, {a}, {b})"
        if k is UnOp:
            if e.op == O.NOT:
                return self.negation(e.a, self.native)
            return f"(-{self.native(e.a)})"
        raise AssertionError(e)

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
        if not NAME_OR_NUMBER.match(x):
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

    @staticmethod
    def needs_try(e):
        k = e.__class__
        if k is BinOp:
            if e.op in (O.DIV, O.MOD, O.SHL, O.SHR) or e.op in BITWISE:
                return True
            return Expressions.needs_try(e.a) or Expressions.needs_try(e.b)
        if k is UnOp:
            return Expressions.needs_try(e.a)
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
                elif target == ea and ta is None:
                    # `s = s + "x"` keeps the statement form on the string path (appended in place)
                    self.line(f"if {ea}.__class__ is str:")
                    self.line(f"    {target} = {ea} + {eb}")
                    self.line("else:")
                    self.line(f"    {target} = _ts({ea}) + {eb}")
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

    @staticmethod
    def num_str(x):
        """A number as text (values.format_number): a whole number from its table (values.small_number_texts), else
        one that is neither 0 nor huge by "%d", without a call."""
        if not x.isidentifier():
            return f"_fnum({x})"
        return f"(_ntext({x}) or ('%d' % {x} if -1e15 < {x} < 1e15 and {x} % 1.0 == 0.0 and {x} else _fnum({x})))"

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
                exprs.append(self.num_str(x) if t == FLT else f"_ts({x})" if t is not None else
                             f"({x} if {x}.__class__ is str else _ts({x}))")
        # an empty string piece (`"" + n`, the usual way to make text of a number) adds nothing to the others
        exprs = exprs[:1] + [x for x in exprs[1:] if x != "''"]
        if len(exprs) > 1 and exprs[0] == "''":
            del exprs[0]
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

    def append_in_place(self, e, key, slot, keep):
        """`x = x + piece` (or `x = x + a + b`) where x lives in a container (a global, a cell, a field) that the
        tree's leftmost operand was just read from (self.homes, key): on the string path the container lets go of
        the string while it grows, so that CPython appends in place (it does when the string has no other
        reference); nothing runs in between that could see the container empty. `slot` is the container's Python
        expression; unless the value is kept (`keep`), the temporary lets go of it too. Returns the temporary
        holding the result, or None when e is not that shape."""
        spine = []
        n = e
        while n.__class__ is BinOp and n.op == O.ADD:
            spine.append(n)
            n = n.a
        if not spine or n.__class__ is not Temp or self.homes.get(n.name) != key:
            return None
        spine.reverse()
        t = n.name
        ta = self.tag(n)
        if ta not in (None, STR) or (ta is None and len(spine) == 1 and self.tag(spine[0].b) == FLT):
            return None         # (most likely numbers)
        saved = self.cur_ip
        self.cur_ip = e.ip
        fused = False
        if ta is None and not self.compact:
            # numbers first: when the whole chain's operands are floats, one native expression (which cannot fail)
            # and a store; only otherwise the pieces are computed for the string path or the generic one
            tree = n
            for x in spine:
                tree = BinOp(O.ADD, tree, x.b, x.ip)
            self.hoisted_used = False
            cond, nat, _gen = self.guarded(tree)
            if cond and not self.hoisted_used and not self.needs_try(tree):
                fused = True
                self.line(f"if {cond}:")
                if keep:
                    self.line(f"    {t} = {nat}")
                    self.line(f"    {slot} = {t}")
                else:
                    self.line(f"    {slot} = {nat}")
                self.line("else:")
                self.ind += 1
        pieces = [self.simplify(x.b) for x in spine]    # (in order; a + does not fail)
        if ta != STR:
            self.line(f"if {t}.__class__ is str:")
            self.ind += 1
        xs = []
        for p in pieces:
            x = self.ex(p)
            if self.tag(p) != STR:
                # the piece printed (binary_slow's rule once the left operand is a string)
                y = self.fresh()
                self.line(f"{y} = {x} if {x}.__class__ is str else _ts({x})")
                x = y
            xs.append(x)
        self.line(f"{slot} = None")
        for x in xs:
            self.line(f"{t} = {t} + {x}")
        self.line(f"{slot} = {t}")
        if not keep:
            self.line(f"{t} = None")
        if ta != STR:
            self.ind -= 1
            self.line("else:")
            self.ind += 1
            tree = n
            for x, p in zip(spine, pieces):
                tree = BinOp(O.ADD, tree, p, x.ip)
            self._assign(t, tree)
            self.line(f"{slot} = {t}")
            self.ind -= 1
        if fused:
            self.ind -= 1
        self.cur_ip = saved
        return t

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
