"""Instruction by instruction: the straight-line translation of a path's opcodes into stack entries and lines of
Python."""
from __future__ import annotations

from ..bytecode import opcodes as O
from ..stdlib import MODULES
from .entries import BinOp, Const, Local, PendingLen, StrExpr, Temp, UnOp, mentions
from .exceptions import Unsupported
from .opsets import ARITH, COMPARE, COND_JUMPS, KEEPS_PROPERTIES, RECEIVER_AT, STORES
from .postpass import plain_global
from .tags import DCT, FLT, INS, LST, SEQ, STR


END = object()     # a handler's result when its path has ended (return, throw, a branch or a try)
TREE_DEPTH = 32    # a tree this deep down its first operands (a + b + c ...) is evaluated first: CPython refuses
                   # deeply nested parentheses, and writing a tree out costs its depth squared


def _deep(e):
    for _ in range(TREE_DEPTH):
        if e.__class__ is not BinOp:
            return False
        e = e.a
    return True


class Translation:
    """The Emitter's per-instruction translation."""

    def _path(self, ip, vs, ctx, fresh):
        an = self.an
        instrs = self.code.instrs
        # local slot -> name of its int(), along this straight path
        self.icache = dict(ctx.hoist) if self.keep is None else dict(self.keep[0])
        self.derived = {}                   # see Translation.store
        self.last_free = None               # (free variable, ip, entry) of the last STORE_FREE
        # local slot -> temporary holding its fields (Emitter.fields_of)
        self.fcache = {} if self.keep is None else dict(self.keep[1])
        # (local slot, property name) -> the entry holding what an object's or instance's property held when read
        # along this path, until anything that could change a property (opsets.KEEPS_PROPERTIES)
        self.pcache = {} if self.keep is None else dict(self.keep[2])
        self.keep = None
        while True:
            self.budget -= 1
            if self.budget < 0:
                raise Unsupported("code too large after restructuring")
            self.fip = ip
            if not fresh:
                if ip == ctx.stop:
                    self.falls += 1
                    self.cur_ip = None
                    self.cur_site = None
                    self.materialize(vs)
                    return
                loop = ctx.loop
                if loop is not None:
                    if ip == loop.header:
                        self.cur_ip = None
                        self.materialize(vs)
                        self.back_edge(ip, vs)
                        return
                    if ip == loop.follow:
                        self.cur_ip = None
                        self.materialize(vs)
                        self.count_now()
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
                    # what the loop's last path knew need not hold after it (the loop may not have run at all)
                    self.icache = dict(ctx.hoist)
                    self.fcache = {}
                    self.pcache = {}
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
            fe = self.foreach
            if fe is not None and (ip == fe[0] or ip == fe[1]):
                # a loop written as `for x in a:` (Structure.open_loop): its test `i < a.length` is the iteration,
                # the read a[i] its element
                k = 2 if ip == fe[1] else 1
                self.flush(vs, len(vs) - k)       # (what is dropped reads locals alone)
                del vs[len(vs) - k:]
                if ip == fe[1]:
                    vs.append(Temp(fe[2], None))     # (in each copy of a path split before it)
                ip += 1
                continue
            # a file's top level outside loops runs once: short code that compiles fast beats fast code
            self.compact = self.run_once and ctx.loop is None and not ctx.chain
            if o in RECEIVER_AT and not self.compact and self.split_receiver(ip, o, a, vs, ctx):
                return
            if (o == O.GET_INDEX or o == O.SET_INDEX) and not self.compact and self.split_key(ip, o, vs, ctx):
                return
            if not self.compact and self.split_float(ip, o, vs, ctx):
                return
            if self.pcache:
                if o not in KEEPS_PROPERTIES:
                    self.pcache = {}
                elif o == O.STORE_LOCAL:
                    self.pcache = {k: v for k, v in self.pcache.items() if k[0] != a}
            handler = HANDLERS.get(o)
            if handler is None:
                raise Unsupported(f"opcode {O.NAMES[o]}")
            nxt = handler(self, o, a, ip, vs, ctx)
            if nxt is END:
                return
            ip = ip + 1 if nxt is None else nxt

    def op_load_local(self, o, a, ip, vs, ctx):
        if a >= self.nl0:
            if a not in self.region:
                o, a = self.plan.orig[ip]       # a promoted global read where the dict is its home
                return self.op_load_global(o, a, ip, vs, ctx)
            if self.gname(a) in MODULES:
                self.module_hint.add(f"l{a}")
        vs.append(Local(a))

    def op_const(self, o, a, ip, vs, ctx):
        consts = self.code.consts
        vs.append(Const(consts[a]))

    def op_nil(self, o, a, ip, vs, ctx):
        vs.append(Const(None))

    def op_true(self, o, a, ip, vs, ctx):
        vs.append(Const(True))

    def op_false(self, o, a, ip, vs, ctx):
        vs.append(Const(False))

    def op_pop(self, o, a, ip, vs, ctx):
        e = vs.pop()
        if not self.simple(e):
            self.flush(vs)
            self.assign("_", e)

    def op_dup(self, o, a, ip, vs, ctx):
        an = self.an
        instrs = self.code.instrs
        nx = instrs[ip + 1][0] if ip + 1 < len(instrs) else None
        if nx in STORES and ip + 2 < len(instrs) and instrs[ip + 2][0] == O.POP and \
                ip + 1 not in an.targets and ip + 2 not in an.targets:
            # `x = expr;` as a statement: store without keeping a copy
            self.store(nx, instrs[ip + 1][1], vs, ip + 1)
            return ip + 3
        else:
            e = vs[-1]
            if not self.simple(e):
                self.flush(vs)
            vs.append(vs[-1])

    def op_dup2(self, o, a, ip, vs, ctx):
        self.flush(vs)
        vs.extend(vs[-2:])

    def op_rot3(self, o, a, ip, vs, ctx):
        self.flush(vs)
        c = vs.pop()
        vs.insert(len(vs) - 2, c)

    def op_store(self, o, a, ip, vs, ctx):
        self.store(o, a, vs, ip)

    def op_load_cell(self, o, a, ip, vs, ctx):
        name = self.fresh()
        self.line(f"{name} = l{a}.value")
        self.homes[name] = ("c", a)
        vs.append(Temp(name, None))

    def reloaded(self, a, ip):
        """Whether the STORE_FREE of free variable `a` at ip is followed by POP and a LOAD_FREE of it (`value = x;
        return value;`), with no jump to them."""
        instrs = self.code.instrs
        targets = self.an.targets
        return ip + 2 < len(instrs) and instrs[ip + 1][0] == O.POP and instrs[ip + 2] == (O.LOAD_FREE, a) and \
            ip + 1 not in targets and ip + 2 not in targets

    def op_load_free(self, o, a, ip, vs, ctx):
        self.uses_cells = True
        last = self.last_free
        if last is not None and last[0] == a and last[1] + 2 == ip and self.reloaded(a, last[1]):
            vs.append(last[2])          # `value = x; return value;`: the value just stored
        else:
            name = self.fresh()
            self.line(f"{name} = FC[{a}].value")
            self.homes[name] = ("f", a)
            vs.append(Temp(name, None))

    def op_make_cell(self, o, a, ip, vs, ctx):
        self.flush(vs)
        self.invalidate_local(vs, a)
        self.icache.pop(a, None)
        self.fcache.pop(a, None)
        self.overlay.pop(a, None)
        self.line(f"l{a} = Cell({'l%d' % a if o == O.MAKE_CELL else 'None'})")

    def op_load_global(self, o, a, ip, vs, ctx):
        names = self.code.names
        self.flush(vs)
        name = self.fresh()
        gname = names[a]
        sure = self.surely_defined(ip, gname)
        if sure:
            self.line(f"{name} = {gname}" if plain_global(gname) else f"{name} = _G[{gname!r}]")
        elif self.compact:
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
        if not (self.compact or sure):
            self.line(f"    raise _undef(_G, {gname!r}) from None")
        if gname in MODULES:
            self.module_hint.add(name)      # most likely `use`d: its method calls test Module first
        self.global_hint.add(name)
        self.homes[name] = ("g", gname)
        vs.append(Temp(name, None))

    def op_operator(self, o, a, ip, vs, ctx):
        b = vs.pop()
        x = vs.pop()
        # operands of a tree: simple entries or arithmetic trees; booleans and others are evaluated first
        if x.__class__ is StrExpr or (self.is_bool(x) and x.__class__ is not Const):
            self.flush(vs)
            x = self.simplify(x)
        elif x.__class__ is BinOp and x.a.__class__ is BinOp and _deep(x):
            self.flush(vs)
            x = self.simplify(x)
        if b.__class__ is StrExpr or (self.is_bool(b) and b.__class__ is not Const):
            self.flush(vs)
            vs.append(x)
            self.flush(vs)
            x = vs.pop()
            b = self.simplify(b)
        vs.append(BinOp(o, x, b, ip))

    def op_neg(self, o, a, ip, vs, ctx):
        x = vs.pop()
        if not self.simple(x) and (x.__class__ is not BinOp or self.is_bool(x)):
            self.flush(vs)
            x = self.simplify(x)
        vs.append(UnOp(O.NEG, x, ip))

    def op_not(self, o, a, ip, vs, ctx):
        x = vs.pop()
        if not self.is_bool(x) and not self.simple(x):
            self.flush(vs)
            x = self.simplify(x)
        vs.append(UnOp(O.NOT, x, ip))

    def op_bnot(self, o, a, ip, vs, ctx):
        self.flush(vs)
        x = vs.pop()
        name = self.fresh()
        self.line(f"{name} = _bnot({self.ex(x)})")
        vs.append(Temp(name, None))

    def op_to_str(self, o, a, ip, vs, ctx):
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
            if self.tag(x) == FLT:
                vs.append(StrExpr(self.num_str(ex)))
            else:
                vs.append(StrExpr(f"({ex} if {ex}.__class__ is str else _ts({ex}))"))

    def op_concat(self, o, a, ip, vs, ctx):
        parts = vs[-a:]
        del vs[-a:]
        for i, p in enumerate(parts):
            if p.__class__ is not StrExpr and not self.simple(p):
                self.flush(vs)
                parts[i] = self.simplify(p)
        exprs = [p.code if p.__class__ is StrExpr else self.ex(p) for p in parts]
        vs.append(StrExpr("(" + " + ".join(exprs) + ")"))

    def op_jump(self, o, a, ip, vs, ctx):
        return a

    def op_cond_jump(self, o, a, ip, vs, ctx):
        self.branch(ip, o, a, vs, ctx)
        return END

    def op_get_index_of_object(self, o, a, ip, vs, ctx):
        # an object: a string key reads like index_get (nil when absent), anything else gets its error
        self.flush(vs)
        ie = vs.pop()
        oe = vs.pop()
        i_, ob = self.ex(ie), self.ex(oe)
        name = self.fresh()
        if self.tag(ie) == STR:
            if self.miss_fails(ip):
                # a key expected to be there (miss_fails): the subscript, nil from its KeyError
                self.line("try:")
                self.line(f"    {name} = {ob}[{i_}]")
                self.line("except KeyError:")
                self.line(f"    {name} = None")
            else:
                self.line(f"{name} = {ob}.get({i_})")
        else:
            self.line(f"{name} = {ob}.get({i_}) if {i_}.__class__ is str else _gi({ob}, {i_})")
        vs.append(Temp(name, None))

    def miss_fails(self, ip):
        """Whether the value read by instruction ip goes straight into arithmetic or an ordering: the right
        operand of - * / % < <= > >=, or the left one of those or + with a number constant on the right. nil is
        an error there (or, for +, makes the string "nil1"): a key the program expects to find, which the subscript
        reads faster than get() and a KeyError, costly but rare, reports missing. Where a missing key is an
        answer (`x[k] == nil`, `x[k] ?? d`, a local that is tested later) get() stays."""
        instrs = self.code.instrs
        targets = self.an.targets
        if ip + 2 >= len(instrs) or ip + 1 in targets:
            return False
        o1, a1 = instrs[ip + 1]
        if o1 in (O.SUB, O.MUL, O.DIV, O.MOD, O.LT, O.LE, O.GT, O.GE):
            return True
        return o1 == O.CONST and self.code.consts[a1].__class__ is float and ip + 2 not in targets and \
            instrs[ip + 2][0] in (O.ADD, O.SUB, O.MUL, O.DIV, O.MOD, O.LT, O.LE, O.GT, O.GE)

    def op_set_index_of_object(self, o, a, ip, vs, ctx):
        oe, ie, ve, ob, i_, v = self.set_operands(vs)
        if self.tag(ie) == STR:
            self.line(f"{ob}[{i_}] = {v}")
        else:
            self.line(f"if {i_}.__class__ is str:")
            self.line(f"    {ob}[{i_}] = {v}")
            self.line("else:")
            self.line(f"    _si({ob}, {i_}, {v})")
        vs.append(ve)

    def op_get_index(self, o, a, ip, vs, ctx):
        if self.tag(vs[-2]) == DCT:
            return self.op_get_index_of_object(o, a, ip, vs, ctx)
        self.flush(vs)
        ie = vs.pop()
        oe = vs.pop()
        i_, ob = self.ex(ie), self.ex(oe)
        name = self.fresh()
        ot, it = self.tag(oe), self.tag(ie)
        if it == STR and ot is None:
            # a string key: an object's (a list or a string gets its error from index_get)
            if self.miss_fails(ip):
                self.line(f"if {ob}.__class__ is dict:")
                self.line("    try:")
                self.line(f"        {name} = {ob}[{i_}]")
                self.line("    except KeyError:")
                self.line(f"        {name} = None")
                self.line("else:")
                self.line(f"    {name} = _gi({ob}, {i_})")
            else:
                self.line(f"{name} = {ob}.get({i_}) if {ob}.__class__ is dict else _gi({ob}, {i_})")
            vs.append(Temp(name, None))
            return
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

    def op_set_index(self, o, a, ip, vs, ctx):
        if self.tag(vs[-3]) == DCT:
            return self.op_set_index_of_object(o, a, ip, vs, ctx)
        oe, ie, ve, ob, i_, v = self.set_operands(vs)
        if self.tag(ie) == STR and self.tag(oe) is None:
            self.line(f"if {ob}.__class__ is dict:")
            self.line(f"    {ob}[{i_}] = {v}")
            self.line("else:")
            self.line(f"    _si({ob}, {i_}, {v})")
            vs.append(ve)
            return
        cond, pyi, pre = self.list_index(oe, ie)
        self.line("try:")
        if pre:
            self.line("    " + pre)
        if cond == "True":
            self.line(f"    {ob}[{pyi}] = {v}")
        else:
            self.line(f"    if {cond}:")
            self.line(f"        {ob}[{pyi}] = {v}")
            if self.tag(oe) is None and self.tag(ie) in (None, STR):
                self.line(f"    elif {ob}.__class__ is dict and {i_}.__class__ is str:")
                self.line(f"        {ob}[{i_}] = {v}")
            self.line("    else:")
            self.line(f"        _si({ob}, {i_}, {v})")
        self.line("except (IndexError, TypeError, ValueError, OverflowError):")
        self.line(f"    _si({ob}, {i_}, {v})")
        vs.append(ve)

    def op_get_prop(self, o, a, ip, vs, ctx):
        names = self.code.names
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
            if oe.__class__ is Local:
                seen = self.pcache.get((oe.slot, pn))
                if seen is not None and not any(mentions(e, seen.name) for e in vs):
                    # read again with nothing in between that could change it: the same value (unless an entry
                    # still holds that temporary, which `x = x + piece` in place would change under it)
                    vs.append(seen)
                    return
            fd = self.fields_of(oe) if ot == INS else ob
            self.line("try:")
            self.line(f"    {name} = {fd}[{pn!r}]")
            self.line("except KeyError:")
            self.line(f"    {name} = _gp({ob}, {pn!r})")
            if oe.__class__ is Local:
                self.homes[name] = ("p", oe.slot, pn)
                self.pcache[(oe.slot, pn)] = Temp(name, rtag)
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

    def op_get_prop_opt(self, o, a, ip, vs, ctx):
        names = self.code.names
        self.flush(vs)
        ob = self.ex(vs.pop())
        name = self.fresh()
        self.line(f"{name} = _gpo({ob}, {names[a]!r})")
        vs.append(Temp(name, None))

    def op_set_prop(self, o, a, ip, vs, ctx):
        names = self.code.names
        ve = vs.pop()
        self.flush(vs)
        oe = vs.pop()
        ob = self.ex(oe)
        ot = self.tag(oe)
        pn = names[a]
        if ot == INS or ot == DCT:
            fd = self.fields_of(oe) if ot == INS else ob
            if oe.__class__ is Local:
                instrs = self.code.instrs
                dropped = instrs[ip + 1][0] == O.POP and ip + 1 not in self.an.targets
                t = self.append_in_place(ve, ("p", oe.slot, pn), f"{fd}[{pn!r}]", not dropped)
                if t is not None:
                    vs.append(Const(None) if dropped else Temp(t, STR if self.tag(ve) == STR else None))
                    return
            ve = self.simplify(ve)
            self.line(f"{fd}[{pn!r}] = {self.ex(ve)}")
        else:
            ve = self.simplify(ve)
            v = self.ex(ve)
            self.line(f"if {ob}.__class__ is Instance:")
            self.line(f"    {ob}.fields[{pn!r}] = {v}")
            self.line(f"elif {ob}.__class__ is dict:")
            self.line(f"    {ob}[{pn!r}] = {v}")
            self.line("else:")
            self.line(f"    _sps({ob}, {pn!r}, {v})")
        vs.append(ve)

    def op_call(self, o, a, ip, vs, ctx):
        self.call(ip, a, vs)

    def op_invoke(self, o, a, ip, vs, ctx):
        names = self.code.names
        self.invoke(ip, names[a[0]], a[1], vs)

    def op_call_array(self, o, a, ip, vs, ctx):
        self.flush(vs)
        began = self.before_observer(vs)
        self.cur_site = self.site(ip, vs, len(vs) - 2)
        args = self.ex(vs.pop())
        c = self.ex(vs.pop())
        name = self.fresh()
        self.line(f"{name} = _call(d + 1, {c}, list({args}))")
        self.cur_site = None
        self.after_observer(began)
        vs.append(Temp(name, None))

    def op_return(self, o, a, ip, vs, ctx):
        e = vs.pop()
        self.flush(vs)
        if self.region:
            e = self.simplify(e)
            self.write_back(self.dirty)
        if self.simple(e):
            self.line(f"return {self.ex(e)}")
        else:
            name = self.fresh()
            self.assign(name, e)
            self.line(f"return {name}")
        return END

    def op_say(self, o, a, ip, vs, ctx):
        self.flush(vs)
        if self.region:
            self.write_back(self.dirty)     # a stop here captures the program
            self.dirty = set()
        self.cur_site = self.site(ip, vs, len(vs) - 1)
        self.line(f"_say({self.ex(vs.pop())})")
        self.cur_site = None

    def op_build_list(self, o, a, ip, vs, ctx):
        if a:
            self.flush(vs)
            items = [self.ex(x) for x in vs[-a:]]
            del vs[-a:]
        else:
            items = []
        name = self.fresh()
        self.line(f"{name} = [{', '.join(items)}]")
        vs.append(Temp(name, None))

    def op_build_object(self, o, a, ip, vs, ctx):
        self.flush(vs)
        items = [self.ex(x) for x in vs[len(vs) - 2 * a:]] if a else []
        if a:
            del vs[-2 * a:]
        name = self.fresh()
        pairs = ", ".join(f"{items[k]}: {items[k + 1]}" for k in range(0, 2 * a, 2))
        self.line(f"{name} = {{{pairs}}}")
        vs.append(Temp(name, None))

    def op_list_append(self, o, a, ip, vs, ctx):
        self.flush(vs)
        v = self.ex(vs.pop())
        self.line(f"{self.ex(vs[-1])}.append({v})")

    def op_list_extend(self, o, a, ip, vs, ctx):
        self.flush(vs)
        v = self.ex(vs.pop())
        self.line(f"_extend({self.ex(vs[-1])}, {v})")

    def op_closure(self, o, a, ip, vs, ctx):
        consts = self.code.consts
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

    def op_setup_try(self, o, a, ip, vs, ctx):
        self.try_block(ip, a, vs, ctx)
        return END

    def op_pop_try(self, o, a, ip, vs, ctx):
        self.flush(vs)
        h = self.hs[ip]
        hid = h[-1][0]
        self.line(f"{self.flag(hid)} = False")

    def op_throw(self, o, a, ip, vs, ctx):
        e = vs.pop()
        self.flush(vs)
        e = self.simplify(e)
        if self.code.lines[ip] == 0:        # after a finally (compiler.stmt_Try): the exception goes on as it was
            self.line(f"raise _rethrow({self.ex(e)})")
            return END
        if self.tier.vm.on_call_error is not None:
            # the failure hook (--checkpoint-on-error) sees the frame at the throw, its value on the stack
            for slot, name in self.dead.items():
                self.line(f"l{slot} = float({name})")
            if self.region:
                self.write_back(self.region)
            self.cur_site = self.site(ip, vs + [e], len(vs) + 1)
            self.line(f"raise _thrown({self.ex(e)})")
            self.cur_site = None
            return END
        self.line(f"raise NThrow({self.ex(e)})")
        return END

    def op_get_iter(self, o, a, ip, vs, ctx):
        self.flush(vs)
        v = self.ex(vs.pop())
        name = self.fresh()
        self.line(f"{name} = _iter({v})")
        vs.append(Temp(name, None))

    def op_use(self, o, a, ip, vs, ctx):
        self.flush(vs)
        began = self.before_observer(vs)
        self.cur_site = self.site(ip, vs, len(vs))
        name = self.fresh()
        self.line(f"{name} = _import(d, {o}, {a}, F, {self.kname(self.info.code)})")
        self.cur_site = None
        self.after_observer(began)
        vs.append(Temp(name, None))

    def op_get_member(self, o, a, ip, vs, ctx):
        names = self.code.names
        self.flush(vs)
        m = self.ex(vs.pop())
        name = self.fresh()
        self.line(f"{name} = {m}.members.get({names[a]!r}) if {m}.__class__ is Module else None")
        vs.append(Temp(name, None))

    def op_check_type(self, o, a, ip, vs, ctx):
        consts = self.code.consts
        self.flush(vs)
        v = self.ex(vs[-1])
        type_, _msg = consts[a]
        self.line(f"if not _TC[{type_!r}]({v}): _type_error({self.kname(consts[a])}, {v})")

    def op_make_class(self, o, a, ip, vs, ctx):
        names = self.code.names
        self.flush(vs)
        name = self.fresh()
        self.line(f"{name} = Class({names[a]!r}, {{}}, [])")
        vs.append(Temp(name, None))

    def op_add_method(self, o, a, ip, vs, ctx):
        names = self.code.names
        self.flush(vs)
        f = self.ex(vs.pop())
        self.line(f"{f}.name = {names[a]!r}")
        self.line(f"{self.ex(vs[-1])}.methods[{names[a]!r}] = {f}")

    def op_add_field(self, o, a, ip, vs, ctx):
        consts = self.code.consts
        self.flush(vs)
        vs.pop()
        self.line(f"{self.ex(vs[-1])}.fields.append({self.kname(consts[a])})")

    def op_error(self, o, a, ip, vs, ctx):
        consts = self.code.consts
        self.flush(vs)
        self.line(f"raise NeutronError({consts[a]!r})")
        return END

    def op_end_finally(self, o, a, ip, vs, ctx):
        raise Unsupported("END_FINALLY")

    def store(self, o, a, vs, ip):
        self.cur_ip = ip
        e = vs.pop()
        self.flush(vs)
        if o == O.STORE_LOCAL and a >= self.nl0:
            if a in self.region:
                self.dirty.add(a)
            else:
                o, a = self.plan.orig[ip]       # a promoted global assigned where the dict is its home
        if o == O.STORE_LOCAL:
            # a float stays known on this path (after a float split, say) until the local is stored again
            known = self.tag(e) == FLT and a not in self.dead and a not in self.an.volatile
            self.invalidate_local(vs, a)
            self.icache.pop(a, None)
            self.fcache.pop(a, None)
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
                self.assign(f"l{a}", e)     # (what the overlay knows of the local holds for its value in e)
            self.overlay.pop(a, None)
            if step is not None:
                name, k = step
                if self.counter is not None and self.counter[1] == name:
                    return          # not counted (Structure.open_loop)
                self.line(f"{name} = {name} + {k}" if k.__class__ is str else
                          f"{name} = {name} {'+' if k > 0 else '-'} 1")
                self.icache[a] = name
            elif a in self.dead:
                raise AssertionError("a counter kept as an int assigned otherwise")
            if known:
                self.overlay[a] = FLT
            return
        home = HOMES.get(o)
        if home is not None:
            key = (home, self.code.names[a] if home == "g" else a)
            slot = f"l{a}.value" if home == "c" else f"FC[{a}].value" if home == "f" else f"_G[{self.code.names[a]!r}]"
            keep = False
            if o == O.STORE_FREE:
                self.uses_cells = True
                keep = self.reloaded(a, ip)
            # (a global read just now stays defined: globals are never removed)
            t = self.append_in_place(e, key, slot, keep)
            if t is not None:
                if keep:
                    self.last_free = (a, ip, Temp(t, STR if self.tag(e) == STR else None))
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
            if not self.surely_defined(ip, gname):
                self.line(f"if {gname!r} not in _G: raise _undef(_G, {gname!r})")
            self.line(f"_G[{gname!r}] = {v}")


# stores whose container a string may be appended to in place (Expressions.append_in_place): cell, free, global
HOMES = {O.STORE_CELL: "c", O.STORE_FREE: "f", O.STORE_GLOBAL: "g", O.DEFINE_GLOBAL: "g"}


# opcode -> its handler: (emitter, op, arg, ip, stack entries, ctx) -> None (go on at ip + 1), the next ip, or END
HANDLERS = {
    O.LOAD_LOCAL: Translation.op_load_local,
    O.CONST: Translation.op_const,
    O.NIL: Translation.op_nil,
    O.TRUE: Translation.op_true,
    O.FALSE: Translation.op_false,
    O.POP: Translation.op_pop,
    O.DUP: Translation.op_dup,
    O.DUP2: Translation.op_dup2,
    O.ROT3: Translation.op_rot3,
    O.LOAD_CELL: Translation.op_load_cell,
    O.LOAD_FREE: Translation.op_load_free,
    O.LOAD_GLOBAL: Translation.op_load_global,
    O.NEG: Translation.op_neg,
    O.NOT: Translation.op_not,
    O.BNOT: Translation.op_bnot,
    O.TO_STR: Translation.op_to_str,
    O.CONCAT: Translation.op_concat,
    O.JUMP: Translation.op_jump,
    O.GET_INDEX: Translation.op_get_index,
    O.SET_INDEX: Translation.op_set_index,
    O.GET_PROP: Translation.op_get_prop,
    O.GET_PROP_OPT: Translation.op_get_prop_opt,
    O.SET_PROP: Translation.op_set_prop,
    O.CALL: Translation.op_call,
    O.INVOKE: Translation.op_invoke,
    O.CALL_ARRAY: Translation.op_call_array,
    O.RETURN: Translation.op_return,
    O.SAY: Translation.op_say,
    O.BUILD_LIST: Translation.op_build_list,
    O.BUILD_OBJECT: Translation.op_build_object,
    O.LIST_APPEND: Translation.op_list_append,
    O.LIST_EXTEND: Translation.op_list_extend,
    O.CLOSURE: Translation.op_closure,
    O.SETUP_TRY: Translation.op_setup_try,
    O.POP_TRY: Translation.op_pop_try,
    O.THROW: Translation.op_throw,
    O.GET_ITER: Translation.op_get_iter,
    O.GET_MEMBER: Translation.op_get_member,
    O.CHECK_TYPE: Translation.op_check_type,
    O.MAKE_CLASS: Translation.op_make_class,
    O.ADD_METHOD: Translation.op_add_method,
    O.ADD_FIELD: Translation.op_add_field,
    O.ERROR: Translation.op_error,
    O.END_FINALLY: Translation.op_end_finally,
    **dict.fromkeys(STORES, Translation.op_store),
    **dict.fromkeys((O.MAKE_CELL, O.NEW_CELL), Translation.op_make_cell),
    **dict.fromkeys((*ARITH, *COMPARE), Translation.op_operator),
    **dict.fromkeys(COND_JUMPS, Translation.op_cond_jump),
    **dict.fromkeys((O.USE, O.USING, O.USING_ISOLATED), Translation.op_use),
}
