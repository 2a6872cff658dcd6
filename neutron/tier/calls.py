"""Call sites: CALL and INVOKE with their inline caches, native calls, the call-site descriptors a capture reads, and
the speculated copy of a function's body for parameters of the types their uses suggest."""
from __future__ import annotations

from ..bytecode import opcodes as O
from ..runtime import frames as FR
from ..runtime.values import Class, Function
from .entries import Const, Known, Named, Temp, literal
from .helpers import EMPTY
from .postpass import hidden
from .opsets import ARITH, COMPARE, operands
from .exceptions import Unsupported
from .tags import DCT, FLT, INS, LST, SEQ, STR, STRING_ONLY, builtin_methods, method_result_tag, pure_invoke


# string methods whose Python counterpart gives the same result (Calls.str_method): no argument, one string
STR_METHODS_0 = {"trim": "{r}.strip()", "strip": "{r}.strip()", "upper": "{r}.upper()",
                 "toUpperCase": "{r}.upper()", "lower": "{r}.lower()", "toLowerCase": "{r}.lower()"}
STR_METHODS_1 = {"contains": "({a} in {r})", "includes": "({a} in {r})", "indexOf": "_float({r}.find({a}))",
                 "find": "_float({r}.find({a}))", "lastIndexOf": "_float({r}.rfind({a}))",
                 "rfind": "_float({r}.rfind({a}))", "startsWith": "{r}.startswith({a})",
                 "starts_with": "{r}.startswith({a})", "endsWith": "{r}.endswith({a})",
                 "ends_with": "{r}.endswith({a})"}

TAKEN_BY_TABLE = {O.GET_INDEX, O.SET_INDEX, O.NIL, O.TRUE, O.FALSE, O.CONST}


class Calls:
    """The Emitter's call sites and speculation."""

    def site(self, ip, vs, below):
        descs = []
        for e in vs:
            if e.__class__ is Const:
                descs.append(Known(e.value))
            else:
                descs.append(Named(self.ex(e)))
        # the counters an int-only loop keeps as ints alone: (local, its int()), for the capture to make floats of
        c = self.counter
        ints = tuple((f"l{s}", name) for s, name in sorted(self.dead.items()) if c is None or c[0] != s)
        return (ip, tuple(descs), below, ints)

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
        began = self.before_observer(vs)
        self.call_site(ip, argc, vs)
        self.after_observer(began)

    def call_site(self, ip, argc, vs):
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
        # (and of one other code) by their code; the first tests for a callee read from a global are identities.
        # Of the values, Functions have a code and the other callables None (values.py): one read tells them
        # apart; the others cannot be called (_call reports it)
        call = ", ".join(["d + 1", c] + args)
        by_global = callee.__class__ is Temp and callee.name in self.global_hint
        if by_global:
            home = self.homes.get(callee.name)
            fields = plain_fields(self.G.get(home[1]), argc) if home is not None and home[0] == "g" else None
            if fields is not None:
                # the class the global holds now, whose initializer only stores its parameters and constants in
                # fields: the instance made with its fields at once, at a depth where the initializer's call could
                # not overflow (or meet a waiting request). Tested first: the global most likely keeps it
                limit = "_limit" if self.tier.vm.safepoints and not self.tier.traced else str(FR.MAX_FRAMES)
                items = ", ".join(f"{k!r}: {args[v - 1] if v.__class__ is int else self.const_ex(v[0])}"
                                  for k, v in fields)
                self.line(f"if {c} is {self.kname(self.G.get(home[1]))} and d < {limit}:")
                self.line("    _i = _inew(Instance)")
                self.line(f"    _i.klass = {c}")
                self.line(f"    _i.fields = {{{items}}}")
                self.line(f"    {name} = _i")
            self.line(f"{'elif' if fields is not None else 'if'} {c} is {cf}:")
            self.line(f"    {name} = {ff}({call})")
            self.construct(f"elif {c} is {cc}:", name, c, cm, fc, args)
            self.line("else:")
            self.ind += 1
        self.line("try:")
        self.line(f"    _k = {c}.code")
        self.line("except AttributeError:")
        self.line("    _k = None")
        self.line(f"if _k is {ck}:")
        self.line(f"    {name} = {ff}({call})")
        self.line(f"elif _k is {ck2}:")
        self.line(f"    {name} = {ff2}({call})")
        self.line("elif _k is not None:")
        self.line("    try:")
        self.line(f"        _p = {kd}[_k]")
        self.line("    except KeyError:")
        self.line(f"        _p = _kmiss({c}, {argc})")
        self.line(f"    if {cf} is _EMPTY:")
        self.line(f"        _B[{hidden(cf)!r}] = {c}")
        self.line(f"        _B[{hidden(ff)!r}] = {spec.format('_p')}")
        self.line(f"        _B[{hidden(ck)!r}] = _k")
        self.line(f"    elif {ck2} is _EMPTY:")
        self.line(f"        _B[{hidden(ff2)!r}] = {spec.format('_p')}")
        self.line(f"        _B[{hidden(ck2)!r}] = _k")
        self.line(f"    {name} = _p({call})")
        if not by_global:
            self.construct(f"elif {c} is {cc}:", name, c, cm, fc, args)
        self.line(f"elif {c}.__class__ is Class:")
        self.line("    try:")
        self.line(f"        _m = {c}.methods['initialize']")
        self.line(f"        _p = {md}[_m.code]")
        self.line("    except KeyError:")
        self.line(f"        {name} = _call(d + 1, {c}, {alist})")
        self.line("    else:")
        self.line(f"        if {cc} is _EMPTY:")
        self.line(f"            _B[{hidden(cc)!r}] = {c}")
        self.line(f"            _B[{hidden(cm)!r}] = _m")
        self.line(f"            _B[{hidden(fc)!r}] = {spec.format('_p')}")
        self.line(f"        {name} = _p({', '.join(['d + 1', '_m', f'Instance({c}, {{}})'] + args)})")
        self.line("else:")
        self.line(f"    {name} = _call(d + 1, {c}, {alist})")
        if by_global:
            self.ind -= 1
        self.cur_site = None
        vs.append(Temp(name, None))

    def const_ex(self, v):
        x = literal(v)
        return x if x is not None else self.kname(v)

    def construct(self, test, name, c, cm, fc, args):
        """The branch for the class this site constructed first (its initializer cached)."""
        self.line(test)
        self.line("    _i = _inew(Instance)")
        self.line(f"    _i.klass = {c}")
        self.line("    _i.fields = {}")
        self.line(f"    {name} = {fc}({', '.join(['d + 1', cm, '_i'] + args)})")

    def spec_fill(self, entries):
        """What a call site caches for the function it calls ({0}): its speculated copy when the arguments' types
        known here are those that copy assumes (helpers._spec)."""
        tags = tuple(self.tag(x) for x in entries)
        if not any(tags):
            return "{0}"
        return f"_spec({{0}}, {tags!r})"

    def invoke(self, ip, mname, argc, vs):
        self.flush(vs)
        sync = False
        if self.region:
            sync = self.observes(ip)
            if not sync and not pure_invoke(self.tag(vs[len(vs) - argc - 1]), mname, argc):
                raise Unsupported("a method call the type analysis took for a built-in one")
            if sync:
                for s in self.region - self.stable:     # (a stable one keeps its value: no reload)
                    self.invalidate_local(vs, s)
        k = len(vs) - argc - 1
        self.cur_site = self.site(ip, vs, k)
        vs_args = vs[k + 1:]
        args = [self.ex(x) for x in vs_args]
        r = self.ex(vs[k])
        rt = self.tag(vs[k])
        del vs[k:]
        name = self.fresh()
        alist = f"[{', '.join(args)}]"
        if self.compact:
            self.line(f"{name} = _invoke(d + 1, {r}, {mname!r}, {alist})")
            self.cur_site = None
            vs.append(Temp(name, None))
            return
        builtin = builtin_methods(mname, argc) if rt in (None, LST, STR) else []
        if rt in (LST, STR):
            builtin = [(kind, fn) for kind, fn in builtin if kind == ("list" if rt == LST else "str")]
            if builtin:
                kind, fn = builtin[0]
                if fn == "append":
                    self.line(f"{r}.append({args[0]})")
                    self.line(f"{name} = None")
                else:
                    self.line(f"{name} = {self.builtin_method(kind, fn, r, mname, args, vs_args)}")
            else:
                began = self.before_observer(vs) if sync else False
                self.line(f"{name} = _invoke(d + 1, {r}, {mname!r}, {alist})")
                self.after_observer(began)
            self.cur_site = None
            vs.append(Temp(name, method_result_tag(rt, mname) if builtin else None))
            return
        kw = "if"
        if not sync and r in self.module_hint:
            self.module_branches(name, r, mname, args, vs_args)
            kw = "elif"
        outer = sync and r in self.module_hint and len(args) == 1
        if outer:
            # a module's pure function runs no Neutron code: its cached call needs no write-back of the globals
            dirty0 = self.dirty
            outer = self.module_cached(name, r, args, vs_args)
            self.line("else:")
            self.ind += 1
        for kind, fn in builtin:       # a built-in method name: arrays and strings are the likely receivers
            if fn == "append":
                self.line(f"{kw} {r}.__class__ is list:")
                self.line(f"    {r}.append({args[0]})")
                self.line(f"    {name} = None")
            else:
                self.line(f"{kw} {r}.__class__ is {kind}:")
                self.line(f"    {name} = {self.builtin_method(kind, fn, r, mname, args, vs_args)}")
            kw = "elif"
        if sync:
            # the built-in methods run no Neutron code; the other receivers' calls write the dict and load it again
            if builtin:
                self.line("else:")
                self.ind += 1
            dirty = self.dirty
            began = self.before_observer(vs)
            kw = "if"
            if r in self.module_hint:
                self.module_branches(name, r, mname, args, vs_args, outer)
                kw = "elif"
            self.method_branches(kw, name, r, rt, mname, args, vs_args)
            self.after_observer(began)
            if builtin:
                self.ind -= 1
                self.dirty = dirty      # (written on one side only)
        else:
            self.method_branches(kw, name, r, rt, mname, args, vs_args)
        if outer:
            self.ind -= 1
            self.dirty = dirty0         # (written on one side only)
        self.cur_site = None
        vs.append(Temp(name, None))

    def builtin_method(self, kind, fn, r, mname, args, vs_args):
        """A call of the built-in method fn of a list or string r: Python's own method where it answers alike."""
        generic = f"{self.kname(fn)}(_vm, {r}, [{', '.join(args)}])"
        inline = self.str_method(r, mname, args, vs_args, generic) if kind == "str" else None
        return generic if inline is None else inline

    def str_method(self, r, mname, args, vs_args, fallback):
        """A Python expression for a string method whose arguments are strings (known here), when Python's own
        method has the same result: `line.contains("x")`, `s.split(",")`, `s.indexOf(t)`, `s.trim()`; else None.
        `s.substring(a, b)` slices when the positions are numbers within the string, in order (else FALLBACK,
        the method itself, clamps or says what is wrong)."""
        if mname == "substring" and len(args) in (1, 2) and all(self.simple(x) for x in vs_args):
            return self.substring(r, args, vs_args, fallback)
        if not args:
            form = STR_METHODS_0.get(mname)
            return None if form is None else form.format(r=r)
        if len(args) != 1 or self.tag(vs_args[0]) != STR:
            return None
        form = STR_METHODS_1.get(mname)
        if form is None and mname == "split":
            x = vs_args[0]
            if x.__class__ is Const and x.value.__class__ is str and x.value:
                form = "{r}.split({a})"
        return None if form is None else form.format(r=r, a=args[0])

    def substring(self, r, args, vs_args, fallback):
        """`r.substring(a[, b])` as a slice when 0 <= a <= b <= len(r) (the method's own first test)."""
        tests, chain, ends = [], [(0.0, "0.0")], []
        for a, x in zip(args, vs_args):
            if x.__class__ is Const:
                v = x.value
                if v.__class__ is not float or not 0.0 <= v < 2.0 ** 53:
                    return None
                chain.append((v, repr(v)))
                ends.append(str(int(v)))
            else:
                if self.tag(x) != FLT:
                    tests.append(f"{a}.__class__ is float")
                chain.append((None, a))
                ends.append(f"_int({a})")
        chain.append((None, f"len({r})"))
        while chain[1][0] is not None:      # constants in order need no test
            if chain[0][0] > chain[1][0]:
                return None
            del chain[0]
        tests.append(" <= ".join(e for _, e in chain))
        ends.append("")
        return f"({r}[{ends[0]}:{ends[1]}] if {' and '.join(tests)} else {fallback})"

    def module_cached(self, name, r, args, vs_args):
        """A built-in module's pure one-argument function (math.sqrt, fmt.to_int), remembered with its module
        (those modules cannot be changed) and the class of the argument it was first called with: its call, when
        the receiver is that module (module_branches fills the cache)."""
        slots = mm, mf, mn, mt = self.cache("mm", "mf", "mn", "mt")
        x = args[0]
        test = "" if self.tag(vs_args[0]) == FLT else f" and {x}.__class__ is {mt}"
        self.line(f"if {r} is {mm}{test}:")
        self.line("    try:")
        self.line(f"        {name} = {mf}({x})")
        self.line("    except (ValueError, OverflowError):")
        self.line(f"        {name} = _native({mn}, [{x}])")
        return slots

    def module_branches(self, name, r, mname, args, vs_args, cached=None):
        """A receiver that most likely holds a built-in module (`use`d): its natives first (the cached call first,
        unless it was written before as `cached`)."""
        if len(args) == 1:
            kw = "if" if cached else "elif"
            mm, mf, mn, mt = cached or self.module_cached(name, r, args, vs_args)
            x = args[0]
            float_arg = self.tag(vs_args[0]) == FLT
            self.line(f"{kw} {r}.__class__ is Module and (_n := {r}.members.get({mname!r})).__class__ is _Native:")
            self.line(f"    if {mm} is _EMPTY and {r}.native and _n.fast is not None and "
                      f"{x}.__class__ in _n.fast_takes:")
            self.line(f"        _B[{hidden(mm)!r}] = {r}")
            self.line(f"        _B[{hidden(mf)!r}] = _n.fast")
            self.line(f"        _B[{hidden(mn)!r}] = _n")
            if not float_arg:
                self.line(f"        _B[{hidden(mt)!r}] = {x}.__class__")
        else:
            self.line(f"if {r}.__class__ is Module and (_n := {r}.members.get({mname!r})).__class__ is _Native:")
        self.native_call(name, args, vs_args)

    def method_branches(self, kw, name, r, rt, mname, args, vs_args):
        """An instance's method through the site's cache, a module's native, else the VM's invoke."""
        argc = len(args)
        alist = f"[{', '.join(args)}]"
        spec = self.spec_fill(vs_args)
        md = self.karity(argc, True)
        ck, cm, cf = self.cache("ck", "cm", "cf")
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
        self.line(f"                _B[{hidden(ck)!r}] = {r}.klass")
        self.line(f"                _B[{hidden(cm)!r}] = _m")
        self.line(f"                _B[{hidden(cf)!r}] = {spec.format('_p')}")
        self.line(f"            {name} = _p({', '.join(['d + 1', '_m', r] + args)})")
        if rt != INS:
            # a built-in module's function (math.sqrt): the VM's call_value for a native, without its look-ups
            self.line(f"elif {r}.__class__ is Module and (_n := {r}.members.get({mname!r})).__class__ is _Native:")
            self.native_call(name, args, vs_args)
        self.line("else:")
        self.line(f"    {name} = _invoke(d + 1, {r}, {mname!r}, {alist})")

    def native_call(self, name, args, entries):
        """`name = _n(args)` for the native _n, one level in: a pure function of one or two numbers (or of the
        argument classes its one-argument form takes) runs directly."""
        alist = f"[{', '.join(args)}]"
        if len(args) not in (1, 2):
            self.line(f"    {name} = _native(_n, {alist})")
            return
        fast = "_n.fast" if len(args) == 1 else "_n.fast2"
        takes = "in _n.fast_takes" if len(args) == 1 else "is float"
        tests = [f"{fast} is not None"] + [f"{a}.__class__ {takes}" for a, e in zip(args, entries)
                                           if self.tag(e) != FLT]
        self.line(f"    if {' and '.join(tests)}:")
        self.line("        try:")
        self.line(f"            {name} = {fast}({', '.join(args)})")
        self.line("        except (ValueError, OverflowError):")
        self.line(f"            {name} = _native(_n, {alist})")
        self.line("    else:")
        self.line(f"        {name} = _native(_n, {alist})")

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
            if t.__class__ is int:
                votes.setdefault(t, set()).add(kind)

        for i, (o, a) in enumerate(instrs):
            if depth[i] is None:
                continue
            if i in self.an.targets or len(tags) != depth[i]:
                tags = [None] * depth[i]
            if o == O.LOAD_LOCAL:
                tags.append(a if a in cands else None)
                continue
            if o == O.CONST and code.consts[a].__class__ is str:
                tags.append(STR)        # (a key: what it indexes is an object; joined to a string: any value)
                continue
            if (o in ARITH or o in COMPARE) and len(tags) >= 2:
                if not (o == O.ADD and STR in (tags[-1], tags[-2])):
                    vote(tags[-1], FLT)
                    vote(tags[-2], FLT)
            elif o == O.NEG and tags:
                vote(tags[-1], FLT)
            elif o == O.GET_INDEX and len(tags) >= 2:
                vote(tags[-2], DCT if tags[-1] == STR else SEQ)
                vote(tags[-1], FLT)
            elif o == O.SET_INDEX and len(tags) >= 3:
                vote(tags[-3], DCT if tags[-2] == STR else SEQ)
                vote(tags[-2], FLT)
            elif o == O.INVOKE and len(tags) > a[1] and code.names[a[0]] in STRING_ONLY:
                vote(tags[-a[1] - 1], STR)
            n = depth[i + 1] if i + 1 < len(depth) and depth[i + 1] is not None else None
            if n is None:
                tags = []
                continue
            # operands taken, for the instructions whose result is known here; others are taken to pop one
            pops = operands(o, a) if o in ARITH or o in COMPARE or o in TAKEN_BY_TABLE else 1
            keep = max(0, min(depth[i] - pops, n, len(tags)))
            tags = tags[:keep] + [None] * (n - keep)
        return {p: kinds.pop() for p, kinds in sorted(votes.items()) if len(kinds) == 1}

    def entry_tags(self, spec):
        """Local tags at a function's start: speculated parameters ({slot: tag}), `this` an instance."""
        tags = dict(spec)
        if self.code.is_method and 0 not in self.code.cell_params:
            tags[0] = INS
        return tags


def plain_fields(klass, argc):
    """For a class whose initializer takes argc parameters and only stores them and constants in fields of `this`
    (`this.x = x; this.n = 0;`, no typed field): [(field name, parameter slot, or (constant,))] in order; else
    None."""
    if klass.__class__ is not Class or klass.field_types:
        return None
    init = klass.methods.get("initialize")
    if init is None or init.__class__ is not Function:
        return None
    code = init.code
    if not code.is_method or len(code.params) != argc or code.cell_params or code.min_args < argc:
        return None
    instrs = code.instrs
    out = []
    i = 0
    while i + 3 < len(instrs) and instrs[i] == (O.LOAD_LOCAL, 0) and instrs[i + 2][0] == O.SET_PROP and \
            instrs[i + 3][0] == O.POP:
        o, a = instrs[i + 1]
        if o == O.LOAD_LOCAL and 1 <= a <= argc:
            v = a
        elif o == O.CONST and literal(code.consts[a]) is not None:
            v = (code.consts[a],)
        else:
            return None
        out.append((code.names[instrs[i + 2][1]], v))
        i += 4
    if instrs[i:] != [(O.LOAD_LOCAL, 0), (O.RETURN, None)] and instrs[i:] != [(O.LOAD_LOCAL, 0), (O.RETURN, 0)]:
        return None
    return out
