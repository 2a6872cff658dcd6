"""The tier at run time: the compile caches, building a function from generated source, running the VM's frames
compiled (each through a continuation from its position), and giving up to the VM."""
from __future__ import annotations

import _thread
import builtins as _pybuiltins
import os
import sys
import types
import warnings

from ..bytecode import opcodes as O
from ..errors import NeutronError
from ..runtime import frames as FR
from ..runtime.tasks import run_program
from . import fibers, worker
from .capture import Capture
from .cfg import Analysis
from .emitter import Emitter
from .exceptions import NEXC, Deopt, NThrow, Unsupported, exception_value
from .fastloops import FAST_LOOPS, frame_state, layout
from .helpers import namespace
from .postpass import HIDE, hide_helpers, hide_names, rename
from .tags import tags_of

_NOTHING = object()
# Set by the test suite: generated code that Python rejects for a reason other than its size or nesting is a bug
# of the tier, which the VM would otherwise hide by running the program correctly, only slower.
STRICT = bool(os.environ.get("NEUTRON_TIER_STRICT"))
_LIMITS = ("too many", "too deeply nested", "too complex")     # e.g. "too many statically nested blocks"


def _limit_reached(e):
    return isinstance(e, (RecursionError, MemoryError)) or any(m in str(e) for m in _LIMITS)

_PROBE = {"arr": [], "f": None, "n": 0, "out": [], "i": 0, "x": None}     # f_locals to list a loop's roles
_MAKER = compile("_fn = _FT(_code, _G, '_make')", "<neutron maker>", "exec")


def _with_builtins(code, G, B):
    """A function of `code` with Python globals G and builtins B. CPython takes a new function's builtins from
    its globals' __builtins__ or else from the running frame: G has none, so it is made in a frame run with B;
    functions defined inside it inherit B the same way."""
    ns = {"__builtins__": B, "_FT": types.FunctionType, "_code": code, "_G": G}
    exec(_MAKER, ns)
    return ns["_fn"]


class Tier(Capture):
    def __init__(self, vm):
        self.vm = vm
        self.fns = {}           # code -> normal-entry function
        self.fast = {}          # array method name -> fast_loop entry
        self.fast_codes = {}    # a fast loop's Python code object -> (prelude function, call index, state)
        self.conts = {}         # (code, ip, handlers) -> continuation function
        self.analyses = {}
        self.infos = {}         # Python code object -> Info
        self.site_plans = {}    # (Info, Python instruction offset) -> how a capture reads a frame there (site_plan)
        self.arity = {}         # ('K'|'M', n) -> {code: function}
        self.pending = []
        self.stop_code = None
        self.globals_of = {}    # code -> the globals dict its functions use
        self.flags = []         # the builtins dicts of generated functions: each holds the request flag _sp
        self.flag = vm.request is not None     # (attached by tiered running while a request waits: see vm.ask)
        # requests from outside (vm.ask): loop back-edges are safepoints seen by a tracer (trace), if the program's
        # thread can be reached from others; else they test a flag (Emitter.back_edge)
        self._traced = None if sys.gettrace() is None else False
        self.tracing = False    # the safepoint tracer is on
        self.thread = None      # (ident, PyThreadState address) of the thread running compiled code
        self.as_floats = {}     # Python frame at a traced safepoint -> [(local, value)] its locals lack (Capture)
        self.max_instrs = None  # tiered running: larger code objects stay in the VM (see too_large)
        self.ns = namespace(vm, self)
        vm.tier = self
        vm.live_frames = self.live_frames
        vm.on_stop = self.on_stop
        vm.position = self.position

    def detach(self):
        vm = self.vm
        vm.heat = None          # the VM runs the rest: it watches for hot code no more
        vm.live_frames = vm.frames_now
        vm.on_stop = vm.stop_here
        vm.position = vm.call_running
        vm.tier = None

    # -- compiling --
    def analysis(self, code):
        an = self.analyses.get(code)
        if an is None:
            an = self.analyses[code] = Analysis(code)
        return an

    def fast_loop(self, name):
        """(loop function, ...) for an array callback method run by a Python loop, or False."""
        entry = self.fast.get(name)
        if entry is None:
            entry = False
            spec = FAST_LOOPS.get(name)
            if spec is not None:
                loop, pname, below, values = spec
                F = self.vm.prelude_function(pname)
                code = F.code
                depth = self.analysis(code).depth
                ip = next((i for i, (o, a) in enumerate(code.instrs) if o == O.CALL and a == 1), None)
                roles = layout(code)
                # the layout must hold every value the loop describes, and the callback call its stack entries
                if ip is not None and roles is not None and set(roles) == set(values(_PROBE)) and \
                        depth[ip] == len(below) + 2:
                    state = frame_state(roles, below, values)
                    entry = (loop, F, ip, state)
                    self.fast_codes[loop.__code__] = (F, ip, state)
            self.fast[name] = entry
        return entry

    def karity(self, kind, n):
        d = self.arity.get((kind, n))
        if d is None:
            d = self.arity[(kind, n)] = {}
        return d

    def build(self, code, entry, G):
        """Generate, compile and instantiate one function: `code` from its start (entry None) or a
        continuation. Its Python globals are G, the Neutron globals of the code's functions."""
        if "__builtins__" in G:
            raise Unsupported("a global named __builtins__")
        if self.too_large(code):
            raise Unsupported(f"{code.name} is too large to compile")
        seen = self.globals_of.setdefault(code, G)
        if seen is not G:
            raise Unsupported("a code object run with two different globals")
        an = self.analysis(code)
        em = Emitter(self, code, an, entry, G)
        fname, src, info = em.generate()
        vals = dict(self.ns)
        vals.update(em.consts)
        vals["_G"] = G
        for n, method in em.karities:
            vals[f"_{'M' if method else 'K'}{n}"] = self.karity("M" if method else "K", n)
        if os.environ.get("NEUTRON_TIER_DUMP"):
            sys.stderr.write(f"---- {code.name} {entry}\n{hide_helpers(rename(src))}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")     # e.g. "is" with a literal, from constant operands
                pyc = hide_names(compile(src, f"<neutron {code.name}>", "exec"))
        except (SyntaxError, RecursionError, MemoryError, ValueError) as e:
            if STRICT and not _limit_reached(e):
                raise AssertionError(f"generated code for {code.name} rejected by Python: {e}\n{src}") from None
            raise Unsupported(f"Python rejected the generated code: {e}") from None
        B = dict(_pybuiltins.__dict__)
        B.update((HIDE + k[1:] if k.startswith("_") else k, v) for k, v in vals.items())
        B[HIDE + "B"] = B
        if self.vm.safepoints:
            self.flags.append(B)
            B[HIDE + "sp"] = self.flag
            B[HIDE + "limit"] = -1 if self.flag else FR.MAX_FRAMES
        scratch = {"__builtins__": B}
        exec(pyc, scratch)
        fn, fn_s = _with_builtins(scratch[HIDE + "make"].__code__, G, B)()
        self.infos[fn.__code__] = info
        if fn_s is not None:
            self.infos[fn_s.__code__] = info
            fn.nts = (info.spec, fn_s)
        return fn

    def raise_flag(self, on):
        """A request from outside waits (on) or was taken (vm.ask, vm.take_request): function starts and loop
        back-edges are seen by the tracer (trace) or, where it cannot reach, test _limit and _sp."""
        self.flag = on
        limit = -1 if on else FR.MAX_FRAMES     # (function entries: see Emitter.generate)
        for B in list(self.flags):
            B[HIDE + "sp"] = on
            B[HIDE + "limit"] = limit
        self.trace(on)

    @property
    def traced(self):
        if not self.vm.safepoints:
            return False
        if self._traced is None:
            self._traced = worker.can_trace_threads()
        return self._traced

    def trace(self, on):
        """Install (on) or remove the safepoint tracer: a line tracer on the generated functions' frames, live and
        new, on the thread that runs them, which serves the request at the first function start or loop back-edge
        one of them reaches (Emitter.generate, Emitter.back_edge). vm.ask is called on another thread (a signal
        handler runs on the main thread, the program on the worker's): worker.trace_thread has the program's thread
        switch its tracer on itself. While no request waits, no tracer is installed and these places cost nothing."""
        if not self.traced or on == self.tracing:
            return
        self.tracing = on
        thread = self.thread
        if thread is None:
            return                              # not running yet: run() switches it on (self.flag)
        if thread[0] != _thread.get_ident():
            if on:
                worker.trace_thread(thread[1], self.switch_on)
            else:
                worker.untrace_thread(thread[1])
        elif on:
            self.switch_on()
        else:
            sys.settrace(None)
            f = sys._getframe(1)
            while f is not None:
                if f.f_trace is not None and f.f_code in self.infos:
                    f.f_trace = None
                f = f.f_back

    def switch_on(self):
        """On the program's thread: the tracer for new frames and for the live generated ones (or none, if the
        request was taken meanwhile: worker.trace_thread's C-level function must not stay)."""
        if not self.tracing:
            sys.settrace(None)
            return
        sys.settrace(self._on_call)
        infos = self.infos
        f = sys._getframe(1)
        while f is not None:
            if f.f_code in infos:
                f.f_trace = self._on_line
            f = f.f_back

    def _on_call(self, frame, event, arg):
        return self._on_line if frame.f_code in self.infos else None

    def _on_line(self, frame, event, arg):
        if event == "line":
            info = self.infos.get(frame.f_code)
            safe = info.safe.get(frame.f_lineno) if info is not None else None
            if safe is not None:
                back, ints = safe
                if back or ints:
                    loc = frame.f_locals
                    G = frame.f_builtins[HIDE + "G"]
                    for name, local in back:
                        G[name] = loc[local]
                    if ints:
                        # (local, its int()) or, for a loop over an array's iterator that does not count its
                        # index (Structure.open_loop), (local, the iterator, the array)
                        self.as_floats[frame] = [(e[0], float(loc[e[1]]) if len(e) == 2 else
                                                  float(len(loc[e[2]]) - loc[e[1]].__length_hint__())) for e in ints]
                try:
                    self.vm.serve("stop")
                finally:
                    self.as_floats.pop(frame, None)
        return self._on_line if self.tracing else None

    def too_large(self, code):
        return self.max_instrs is not None and len(code.instrs) > self.max_instrs

    def function(self, code, G):
        fn = self.fns.get(code)
        if fn is None:
            try:
                fn = self.build(code, None, G)
            except Unsupported as e:
                raise self.deopt(str(e)) from None
            self.fns[code] = fn
            self.karity("M" if code.is_method else "K", len(code.params))[code] = fn
        return fn

    def continuation(self, f):
        if f.ip == 0 and not f.stack and not f.handlers and f.func is not None:
            return self.entry(f)
        fl_locals = tags_of(f.locals)
        fl_stack = tags_of(f.stack)
        key = (f.code, f.ip, tuple(f.handlers), fl_locals, fl_stack)
        fn = self.conts.get(key)
        if fn is None:
            an = self.analysis(f.code)
            if f.ip >= len(f.code.instrs) or an.depth[f.ip] != len(f.stack):
                raise Unsupported("a frame whose stack does not match its code")
            fn = self.build(f.code, (f.ip, list(f.handlers), fl_locals, fl_stack), f.func.globals)
            self.conts[key] = fn
        return fn

    def entry(self, f):
        """A frame the VM has just entered (a call that ran hot): the code's own function, called with the
        frame's arguments, rather than a continuation from instruction 0."""
        code = f.code
        fn = self.fns.get(code)
        if fn is None:
            fn = self.build(code, None, f.func.globals)
            self.fns[code] = fn
            self.karity("M" if code.is_method else "K", len(code.params))[code] = fn
        n = len(code.params) + (1 if code.is_method else 0)
        cells = code.cell_params

        def enter(d, func, loc, stack):
            return fn(d, func, *[loc[i].value if i in cells else loc[i] for i in range(n)])
        return enter

    # -- running --
    def execute(self):
        """Run vm.frames to the end, in a worker thread with a large stack (in the VM, which needs none, when
        there is no memory for that stack)."""
        try:
            return worker.run(self.program)
        except worker.NoThread:
            return self.to_vm(self.vm.frames)

    def program(self):
        """The worker thread's work: the program, its tasks and processes; requests from outside reach this thread
        (trace)."""
        if self.traced:
            self.thread = (_thread.get_ident(), worker.thread_state())
        try:
            if self.flag:
                self.tracing = False
                self.trace(True)
            return run_program(self.vm, self.run)
        finally:
            self.thread = None

    def run(self):
        vm = self.vm
        value = self.drive(vm.frames, _NOTHING, None, self.to_vm, vm.start_work)
        vm.result = None if value is _NOTHING else value
        return vm.result

    def drive(self, frames, value, exc, to_vm, first=None):
        """Run `frames` through continuations to the end, `value` pushed on (or `exc` thrown into) the top one first;
        returns the last value (_NOTHING if none). to_vm(frames) takes over when compiled code gives up. first():
        what runs before, where a checkpoint finds the frames (a resumed program's unfinished sleep)."""
        vm = self.vm
        self.pending = frames
        self.stop_code = sys._getframe().f_code
        if first is not None:
            first()
        trace = []
        while frames:
            f = frames.pop()
            if exc is not None:
                trace.append((f.func.name if f.func is not None else f.code.name, f.code.filename,
                              *(f.code.where(f.ip - 1) if 0 < f.ip <= len(f.code.lines) else (0, -1))))
                if not f.handlers:
                    continue
                target, depth = f.handlers.pop()
                del f.stack[depth:]
                v = exception_value(exc)
                if f.code.lines[target] == 0:       # a finally's handler: its rethrow goes on with this exception
                    vm.caught(v, exc.__class__ is not NThrow, getattr(exc, "hint", None), self.places(exc, trace))
                f.stack.append(v)
                f.ip = target
                exc = None
                trace = []
            elif value is not _NOTHING:
                f.stack.append(value)
            try:
                cont = self.continuation(f)
            except Unsupported:
                frames.append(f)
                return to_vm(frames)
            try:
                r = cont(len(frames) + 1, f.func, f.locals, f.stack)
            except NEXC as e:
                exc = e
                trace = []      # its compiled frames' places: read only when needed (see places)
                continue
            except Deopt as e:
                frames.extend(e.frames)
                return to_vm(frames)
            value = r if f.result is FR.NO_RESULT else f.result
        if exc is not None:
            trace = self.places(exc, trace)
            raise FR.Uncaught(exception_value(exc), exc.__class__ is not NThrow, trace, getattr(exc, "hint", None))
        return value

    def run_fiber(self, frames, wake):
        """Run one task's frames compiled (runtime/tasks.py): to the end (the result), Suspend when it waits,
        Uncaught when it fails. `wake`: the waiting call's outcome, ("value", v) pushed or ("throw", v, is_error)
        thrown into the top frame."""
        self.vm.frames = frames
        value, exc = _NOTHING, None
        if wake is not None:
            if wake[0] == "value":
                value = wake[1]
            else:
                exc = NeutronError(wake[1]) if wake[2] else NThrow(wake[1])
        value = self.drive(frames, value, exc, lambda frames: fibers.to_vm(self, frames))
        return None if value is _NOTHING else value

    def leave(self, value):
        """Called by a native that needs the VM from here on (process.spawn): returns nothing, it unwinds."""
        return fibers.leave(self, value)

    def places(self, exc, trace):
        """The places the exception `exc` passed: its compiled frames', then `trace` (the continued frames')."""
        try:
            return self.exception_places(exc) + trace
        except MemoryError:         # out of memory, and the traceback still holds it all
            return trace

    def to_vm(self, frames):
        """Give up on the compiled tier: the VM runs the program from here on."""
        vm = self.vm
        self.detach()
        vm.frames = frames
        if os.environ.get("NEUTRON_DEBUG"):
            sys.stderr.write("neutron: compiled tier: continuing in the VM\n")
        return vm.execute()

    def deopt(self, why):
        if os.environ.get("NEUTRON_DEBUG"):
            sys.stderr.write(f"neutron: compiled tier: deoptimizing ({why})\n")
        return Deopt(self.capture("stop", sys._getframe(2)))

