"""The code generator: one code object (from its start, or from a resumed frame's position) as the source of one
Python function. Emitter is made of one part per idea (the mixins below, one module each); its state is set up in
__init__, grouped by the part that owns it."""
from __future__ import annotations

from ..runtime import frames as FR
from .calls import Calls
from .counters import Counters
from .entries import Stack
from .exprs import Expressions
from .floatsplit import FloatSplits
from .postpass import flatten_elif, while_tests
from .promote import Globals, plan, stable_globals
from .receivers import Receivers
from .structure import Ctx, Structure
from .tags import SPEC_TEST
from .translate import Translation
from .typeflow import type_flow

MAX_EMIT_FACTOR = 8                 # code duplication allowed (tail copies) before a code object is given up


class Info:
    """What the runtime needs to know about one generated function."""
    __slots__ = ("code", "sites", "lineip", "handlers", "entry", "spec", "safe")

    def __init__(self, code, entry):
        self.code = code
        self.entry = entry
        self.sites = {}         # Python line -> (ip, entry descriptions, number of entries below the operands,
                                #                 ((local, the Python local holding its int()), ...))
        self.lineip = {}        # Python line -> instruction index (None: the entry check)
        self.handlers = {}      # instruction index -> the handlers active there: ((id, target, depth), ...)
        self.spec = ()          # ((parameter index, tag), ...) the speculated copy assumes, if there is one
        self.safe = {}          # Python line of a traced safepoint -> (((global, Python local), ...) to write back,
                                # ((local, its int alone), ...) to read as floats)


class Emitter(Stack, Expressions, Counters, Calls, Receivers, FloatSplits, Structure, Translation, Globals):
    def __init__(self, tier, code, an, entry, G):
        # what is compiled (read only)
        self.tier = tier
        self.code = code
        self.an = an                # cfg.Analysis of the code
        self.entry = entry          # None, or (ip, handlers as [(target, depth)], local tags, stack tags)
        self.run_once = code.name == "<script>"     # a file's top level: runs once (see compact)
        self.G = G                  # the globals it runs with (those defined now stay defined)

        # promoted globals (promote.py): with a plan, code and an are its shadow's
        self.nl0 = code.nlocals     # the code's own locals; promoted globals have the slots after them
        self.plan = None
        self.stable = frozenset()   # promoted slots no call can change (promote.stable_globals)
        if self.run_once:
            start = [0] if entry is None else [entry[0]] + [t for t, _d in entry[1]]
            self.plan = plan(code, an, G, start)
            self.stable = stable_globals(self.plan, code, tier.vm.script_path)
            if self.plan is not None:
                self.code, self.an = self.plan.code, self.plan.an
        self.region = frozenset()   # promoted slots that live in Python locals here
        self.maydirty = frozenset() # those the region's loop stores
        self.dirty = set()          # those stored since the dict was last written
        self.hs = None              # ip -> handler stack there (cfg.handler_stacks), set by generate
        self.flow = {}              # ip -> (local tags, stack tags) of the type analysis for the body being written

        # the output (emitter.py): lines, temporaries and namespace entries
        self.out = []               # (indent, text, ip, site)
        self.ind = 1                # current indentation level
        self.ntmp = 0               # temporaries made so far (t1, t2, ...; handlers' _x<n> too)
        self.consts = {}            # namespace entries: name -> value (constants, cache slots, arity tables)
        self.const_names = {}       # id(value) -> its namespace name
        self.cur_ip = None          # instruction the lines written now belong to (errors, tracebacks)
        self.cur_site = None        # call-site descriptor of the lines written now (captures)
        self.budget = MAX_EMIT_FACTOR * len(code.instrs) + 2000     # instructions left to translate
        self.info = Info(code, entry)       # (the code itself, not a shadow: captures describe its frames)
        self.uses_cells = False     # the function reads F.cells (prologue `FC = F.cells`)

        # the current path (translate.py, structure.py)
        self.fip = None             # ip whose type-analysis facts tag() reads for locals
        self.compact = False        # short code rather than fast code here (run-once top level outside loops)
        self.derived = {}           # slot -> (ip, int() expression, base slot, its mirror) of `j = i + 1` (store)
        self.last_free = None       # (free variable, ip, entry) of the last STORE_FREE, for `x = v; return x`
        self.homes = {}             # temporary -> the container it was read from: ("g", global name), ("c", cell
                                    # slot), ("f", free variable) or ("p", local slot, property name)

        # loop counters (counters.py, structure.open_loop)
        self.icache = {}            # local slot -> name of its int() along this straight path
        self.steps = {}             # STORE_LOCAL index -> (name of the int() kept with a loop counter, its step:
                                    # +1, -1 or the name of another such int())
        self.small_ints = set()     # names of such int()s that stay within 2**52 (or are floats)
        self.mirrors = set()        # names of loop counters' int()s (or the float): equal to the counter
        self.dead = {}              # counter slot -> its int(), the only copy inside its loop (open_loop)
        self.bounds = {}            # slot of such a loop's bound -> its int() (or the float)
        self.lengths = {}           # `lN` -> name of len(lN), read once before an int-only loop bounded by it
        self.foreach = None         # (ip of the header's exit test, ip of the a[i] it gives, its name) of the
                                    # int-only loop being written as a Python `for` (Counters.for_each)
        self.counter = None         # (slot, name, iterator, array) of such a loop's counter that is not counted
        self.no_mix = 0             # > 0: native() writes float code only (Counters.plain)
        self.hoisted_used = False   # the tree just written uses an int() that may be a float: TypeError is caught

        # receivers (receivers.py)
        self.overlay = {}           # local slot -> tag established by a test on this path (split_receiver)
        self.split_off = set()      # slots this path has tested already
        self.nosplit = False        # no more receiver splits on this path (its `else` side)
        self.nsplits = 0            # splits made in the body being written (at most MAX_SPLITS)
        self.receiver_uses = {}     # slot -> how often it is loaded right before GET_PROP or INVOKE
        self.key_uses = {}          # slot -> how often it is loaded as an index (Receivers.split_key)
        self.string_uses = {}       # slot -> how often it is a string method's receiver (Receivers.string_count)
        self.fcache = {}            # local slot -> temporary holding its instance's fields dict on this path
        self.pcache = {}            # (local slot, property) -> entry holding its value on this path (op_get_prop)
        self.falls = 0              # paths that have reached their stop (fell through to where paths meet)
        self.keep = None            # (icache, fcache, pcache) for the next path, which starts where they hold
        self.float_loops = {}       # loop header -> (accumulator slots, flag) while its float copy is written

        # call sites (calls.py)
        self.karities = set()       # (argc, method?) arity tables the generated code reads (_K<n>, _M<n>)
        self.nsite = 0              # inline-cache sites made so far (cache slot names _cf<n>, ...)
        self.module_hint = set()    # temporaries holding a global named like a built-in module (math, ...)
        self.global_hint = set()    # temporaries holding a global's value

    def line(self, text):
        self.out.append((self.ind, text, self.cur_ip, self.cur_site))

    def fresh(self):
        self.ntmp += 1
        name = f"t{self.ntmp}"
        # (a name may be made again on another side of a branch, see arms: what was known of it there is not)
        self.homes.pop(name, None)
        self.global_hint.discard(name)
        self.module_hint.discard(name)
        self.mirrors.discard(name)
        self.small_ints.discard(name)
        return name

    def known(self):
        """What the path knows here of locals' ints, instances' fields dicts and properties read (the keep of a
        path that starts where this one is)."""
        return self.icache, self.fcache, self.pcache

    def arms(self):
        """Temporaries' numbering for the sides of a branch or split: each side starts from the same number (their
        temporaries are never alive together; a Python frame clears each of its locals at every return, so fewer
        names make calls cheaper). Returns (next_arm, done): next_arm() before each side, done() after the last."""
        base = self.ntmp
        top = [base]

        def next_arm():
            top[0] = max(top[0], self.ntmp)
            self.ntmp = base

        def done():
            self.ntmp = max(top[0], self.ntmp)
        return next_arm, done

    def kname(self, v):
        """A namespace name for a constant without a literal."""
        key = id(v)
        name = self.const_names.get(key)
        if name is None:
            name = f"_k{len(self.consts)}"
            self.consts[name] = v
            self.const_names[key] = name
        return name

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
                self.flow = type_flow(an, [(0, self.entry_tags(spec), ())], self.stable)
                self.cur_ip = None
                self.line(f"if {' and '.join(SPEC_TEST[t].format(f'l{p}') for p, t in spec.items())}:")
                self.nsplits = 0
                self.ind += 1
                spec_start = len(self.out)
                self.path(start, [], Ctx(None, None, ()))
                spec_body = [(ind - 1, text, ip, site) for ind, text, ip, site in self.out[spec_start:]]
                self.ind -= 1
                self.budget += MAX_EMIT_FACTOR * len(code.instrs)
            self.flow = type_flow(an, [(0, self.entry_tags(()), ())], self.stable)
            self.nsplits = 0
            self.path(start, vs, Ctx(None, None, ()))
        else:
            ip0, handlers, ltags, stags = entry
            seeds = [(ip0, {i: t for i, t in enumerate(ltags) if t is not None}, stags)]
            seeds += [(t, {}, (None,) * (d + 1)) for t, d in handlers]
            self.flow = type_flow(an, seeds, self.stable)
            self.entry_handlers(handlers, 0, start, self.canon(ip0))
        body = while_tests(flatten_elif(self.out[body_start:]))
        del self.out[body_start:]
        # header
        params = [f"l{i}" for i in range(len(code.params) + (1 if code.is_method else 0))]
        fname = "nt_" + "".join(ch if ch.isalnum() else "_" for ch in code.name)
        lines = []
        if entry is None:
            if self.tier.traced:
                # the first line is a safepoint the request's tracer sees (Tier.trace): the frame at its start
                prologue = [(1, f"if d > {FR.MAX_FRAMES}: raise _overflow()", "entry", (0, (), 0, (), ((), ())))]
            elif self.tier.vm.safepoints:
                # the depth test doubles as the request flag's: _limit is MAX_FRAMES, or -1 while a request from
                # outside waits, and _entry serves it (the capture finds the frame at its start) or overflows
                prologue = [(1, "if d > _limit: _entry(d)", "entry", (0, (), 0, ()))]
            else:
                prologue = [(1, f"if d > {FR.MAX_FRAMES}: raise _overflow()", "entry", None)]
            for s in code.cell_params:
                prologue.append((1, f"l{s} = Cell(l{s})", None, None))
            others = [f"l{i}" for i in range(len(params), self.nl0)]
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
            if self.nl0:
                names = [f"l{i}" for i in range(self.nl0)]
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
                if len(site) > 4:
                    info.safe[n] = site[4]
                    site = site[:4]
                info.sites[n] = site
        src.append(f"    return {fname}, {fname + '_s' if entry is None and spec else None}")
        return fname, "def _make():\n" + "\n".join(src) + "\n", info
