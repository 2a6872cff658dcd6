"""What generated code calls: the operators' generic paths, errors, and calls into the VM and back into compiled
code. Generated code reads these as its Python builtins (Tier.build), under the names `namespace` gives them; those
that need the VM or the tier are closures over them (a builtin is one dictionary read, a method would add an
attribute read per call)."""
from __future__ import annotations

import math
import os
import sys

from ..bytecode import opcodes as O
from ..errors import NeutronError
from ..runtime import frames as FR, operators as OPS
from ..runtime.values import (Buffer, Cell, Class, Function, Instance, Module, Native, TYPE_CHECKS, equals,
                              format_number, small_number_texts, to_str, type_name)
from .exceptions import NEXC, Deopt, NThrow, Unsupported, exception_value
from .fastloops import fast_pure, fast_reduce, fast_sort
from .tags import LST, SEQ, STR

EMPTY = type("_Empty", (), {"__slots__": ()})()     # an inline-cache slot never filled
NO_RESULT = FR.NO_RESULT
binary_slow = OPS.binary_slow
index_get = OPS.index_get
index_set = OPS.index_set
ADD, SUB, MUL, DIV, MOD = O.ADD, O.SUB, O.MUL, O.DIV, O.MOD
LT, LE, GT, GE = O.LT, O.LE, O.GT, O.GE
Iter = FR.Iter
Frame = FR.Frame


def fmod(a, b, _fmod=math.fmod):    # an infinite or NaN dividend gives NaN, as in the VM (not ValueError)
    return _fmod(a, b) if a - a == 0 else math.nan


def _add(a, b):
    if a.__class__ is str and b.__class__ is str:
        return a + b
    if a.__class__ is float and b.__class__ is float:
        return a + b
    return binary_slow(ADD, a, b)


def _sub(a, b):
    if a.__class__ is float and b.__class__ is float:
        return a - b
    return binary_slow(SUB, a, b)


def _mul(a, b):
    if a.__class__ is float and b.__class__ is float:
        return a * b
    return binary_slow(MUL, a, b)


def _div(a, b):
    return binary_slow(DIV, a, b)


def _mod(a, b):
    if a.__class__ is float and b.__class__ is float and b:
        try:
            return fmod(a, b)
        except ValueError:      # an infinite dividend: binary_slow decides
            pass
    return binary_slow(MOD, a, b)


def _lt(a, b):
    if a.__class__ is b.__class__ and (a.__class__ is float or a.__class__ is str):
        return a < b
    return binary_slow(LT, a, b)


def _le(a, b):
    if a.__class__ is b.__class__ and (a.__class__ is float or a.__class__ is str):
        return a <= b
    return binary_slow(LE, a, b)


def _gt(a, b):
    if a.__class__ is b.__class__ and (a.__class__ is float or a.__class__ is str):
        return a > b
    return binary_slow(GT, a, b)


def _ge(a, b):
    if a.__class__ is b.__class__ and (a.__class__ is float or a.__class__ is str):
        return a >= b
    return binary_slow(GE, a, b)


def _eq(a, b):
    if a.__class__ is b.__class__ and (a.__class__ is float or a.__class__ is str):
        return a == b
    return equals(a, b)


def _ne(a, b):
    if a.__class__ is b.__class__ and (a.__class__ is float or a.__class__ is str):
        return a != b
    return not equals(a, b)


def _neg(v):
    if v.__class__ is not float:
        raise OPS.operand_error("Operand must be a number.", v)
    return -v


def _bnot(v):
    if v.__class__ is not float:
        raise OPS.operand_error("Operand must be a number.", v)
    return OPS.wrap(~OPS.i64(v))


def _bail():
    raise OverflowError


def _write_back(G, loc, pairs):
    """A region's globals back to their dict as it is left by an exception, when a local is unbound: a string
    append that ran out of memory leaves its target cleared (CPython's in-place append), nil as in the VM."""
    for name, local in pairs:
        G[name] = loc.get(local)


def _overflow():
    return NeutronError("Stack overflow.")


def _fell_off():
    return RuntimeError("compiled tier: fell off the end of a function")


def _type_error(k, v):
    raise NeutronError(k[1].replace("{actual}", type_name(v)))


def _extend(lst, v):
    if v.__class__ is list or v.__class__ is str:
        lst.extend(v)
    else:
        raise NeutronError(f"Cannot spread a value of type {type_name(v)}; spread needs an array.")


def _iter(v):
    cls = v.__class__
    if cls is list or cls is str:
        return Iter(None, len(v))
    if cls is dict:
        return Iter(list(v.keys()), len(v))
    if cls is Instance:
        return Iter(list(v.fields.keys()), len(v.fields))
    if cls is Buffer:
        return Iter(None, len(v.data))
    return Iter(None, 0)


def _spec(p, tags):
    s = getattr(p, "nts", None)
    if s is not None:
        need, fn = s
        for i, t in need:
            a = tags[i]
            if a != t and not (t == SEQ and (a == LST or a == STR)):
                return p
        return fn
    return p


def run_frame(tier, d, frame):
    """Run a VM frame made by the VM's helpers (fresh, at ip 0) compiled; its `result` replaces the value
    returned (modules)."""
    code = frame.code
    fn = tier.fns.get(code)
    if fn is None:
        try:
            fn = tier.build(code, None, frame.func.globals)
        except Unsupported as e:
            if os.environ.get("NEUTRON_DEBUG"):
                sys.stderr.write(f"neutron: compiled tier: deoptimizing ({e})\n")
            raise Deopt(tier.capture("call", sys._getframe(1)) + [frame]) from None
        tier.fns[code] = fn
        tier.karity("M" if code.is_method else "K", len(code.params))[code] = fn
    loc = frame.locals
    n = len(code.params) + (1 if code.is_method else 0)
    args = [loc[i].value if i in code.cell_params else loc[i] for i in range(n)]
    r = fn(d, frame.func, *args)
    return r if frame.result is NO_RESULT else frame.result


RUN_FRAME_CODE = run_frame.__code__     # a capture reads the `result` of the frame a run_frame call runs


def namespace(vm, tier):
    """The helpers by the names generated code uses."""
    loaded = []

    def builtins():
        if not loaded:
            from ..runtime import methods as B    # lazy: start-up, on first use as the VM does
            loaded.append(B)
        return loaded[0]

    def _xvf(e):
        """The caught value, for a finally's handler: the exception is remembered for the rethrow at its end."""
        v = exception_value(e)
        vm.caught(v, e.__class__ is not NThrow, getattr(e, "hint", None), e)
        return v

    def _rethrow(v):
        """What the throw ending a finally raises: the exception it interrupted as it was (a runtime error stays
        one, reported where it happened)."""
        rec = vm.rethrown(v)
        if rec is None:
            return NThrow(v)
        is_error, hint, passed = rec
        e = NeutronError(v, hint) if is_error else NThrow(v)
        e.seen = vm.places_of(passed)
        return e

    def _undef(G, name):
        return vm.undefined(name, G)

    def _gget(G, name):
        try:
            return G[name]
        except KeyError:
            raise vm.undefined(name, G) from None

    def _say(v):
        vm.points += 1
        vm.effects = vm.points
        if vm.points == vm.stop_at:
            tier.stop()
        vm.out.write((v if v.__class__ is str else to_str(v)) + "\n")

    def _enter(d, func, args):
        """Call a Neutron function with an argument list (arity already checked)."""
        fn = tier.fns.get(func.code)
        if fn is None:
            fn = tier.function(func.code, func.globals)
        n = len(args)
        if n == 0:
            return fn(d, func)
        if n == 1:
            return fn(d, func, args[0])
        if n == 2:
            return fn(d, func, args[0], args[1])
        if n == 3:
            return fn(d, func, args[0], args[1], args[2])
        return fn(d, func, *args)

    def _enter_m(d, func, this, args):
        fn = tier.fns.get(func.code)
        if fn is None:
            fn = tier.function(func.code, func.globals)
        n = len(args)
        if n == 0:
            return fn(d, func, this)
        if n == 1:
            return fn(d, func, this, args[0])
        if n == 2:
            return fn(d, func, this, args[0], args[1])
        return fn(d, func, this, *args)

    def _kmiss(func, n):
        code = func.code
        if code.is_method or len(code.params) != n:
            if code.is_method or not code.min_args <= n < len(code.params):
                vm.check_arity(func, n)
            fn = tier.function(code, func.globals)
            pad = (None,) * (len(code.params) - n)
            return lambda d, f, *a: fn(d, f, *a, *pad)       # built-in functions: left-out parameters
        return tier.function(code, func.globals)

    def _native(callee, args):
        if not callee.pure:
            vm.points += 1
            if not vm.quiet[callee.qualname]:
                vm.effects = vm.points
            if vm.points == vm.stop_at:
                tier.stop()
        n = len(args)
        if n < callee.min_args or (callee.max_args is not None and n > callee.max_args):
            raise NeutronError(vm.native_arity_message(callee, n))
        try:
            return callee.fn(vm, args)
        except NeutronError:
            if vm.on_call_error is not None and not callee.pure:
                vm.on_call_error(vm, "redo")       # (the compiled frame is still at the call's site)
            raise

    def _safepoint():
        vm.serve("stop")

    def _entry(d):
        """A function's start when its depth passes _limit: a request from outside, or a stack overflow."""
        if vm.request is not None:
            vm.serve("stop")
        if d > FR.MAX_FRAMES:
            raise _overflow()

    def _thrown(value):
        """`throw value`: the exception to raise, after the failure hook saw the program at the throw."""
        if vm.on_call_error is not None:
            vm.on_call_error(vm, "redo")
        return NThrow(value)

    def _call(d, callee, args):
        """vm.call_value, running Neutron functions compiled; the VM's own code for the rare cases."""
        cls = callee.__class__
        if cls is Function:
            code = callee.code
            if not code.is_method and len(args) == len(code.params):
                return _enter(d, callee, args)
        elif cls is Native:
            return _native(callee, args)
        elif cls is Class:
            init = callee.methods.get("initialize")
            if init is not None and len(args) == len(init.code.params):
                return _enter_m(d, init, Instance(callee), args)
        return _via_vm(d, vm.call_value, callee, args)

    def _invoke(d, recv, name, args):
        """INVOKE: the VM's inline instance path and vm.invoke, running Neutron functions compiled."""
        cls = recv.__class__
        if cls is Instance:
            f = recv.fields.get(name, NO_RESULT)
            if f is not NO_RESULT:
                return _call(d, f, args)
            return _enter_m(d, OPS.instance_method(recv, name, len(args)), recv, args)
        if cls is str:
            return builtins().call_string_method(vm, recv, name, args)
        if cls is list:
            B = builtins()
            pname = B.ARRAY_CALLBACK_METHODS.get(name)
            if pname is not None:
                if args and vm.points + 1 != vm.stop_at:     # (a stop at __callback_arity)
                    f = args[0]
                    if f.__class__ is Function and not f.code.is_method:
                        nparams = len(f.code.params)
                        if len(args) == 1 and nparams == 1:
                            fast = tier.fast_loop(name)
                            if fast:
                                loop = fast_pure(tier, name, f.code, fast[1], fast[2]) or fast[0]
                                p = tier.function(f.code, f.globals)
                                vm.points += 1          # the prelude's __callback_arity call
                                return loop(d + 1, recv, f, p, len(recv))
                        elif nparams == 2:
                            if name == "reduce" and len(args) == 2:
                                loop = fast_reduce(tier)
                                if loop:
                                    F, ip, _ = tier.fast_codes[loop.__code__]
                                    loop = fast_pure(tier, name, f.code, F, ip) or loop
                                    p = tier.function(f.code, f.globals)
                                    vm.points += 1
                                    return loop(d + 1, recv, f, p, len(recv), args[1])
                            elif name == "sort" and len(args) == 1 and (vm.stop_at is None or vm.stop_at <= vm.points):
                                # (the prelude's merge sort passes a native call at each comparison: a test's stop
                                # may be among them)
                                loop = fast_sort(tier, f.code)
                                if loop:
                                    p = tier.function(f.code, f.globals)
                                    vm.points += 1
                                    return loop(d + 1, recv, f, p)
                return _enter(d, vm.prelude_function(pname), B.callback_args(name, recv, args))
            return B.call_array_method(vm, recv, name, args)
        if cls is Module:
            member = recv.members.get(name, NO_RESULT)
            if member.__class__ is Native:
                return _native(member, args)
        return _via_vm(d, vm.invoke, recv, name, args)

    def _via_vm(d, method, *a):
        """The VM's own code for the rare cases (and every error message): a fake frame takes a pushed
        result; a frame it pushes runs compiled."""
        fake = Frame(None, None, None)
        new = method(*a, fake, 0)
        if new is None:
            return fake.stack.pop()
        vm.frames.pop()
        return run_frame(tier, d, new)

    def _import(d, o, arg, func, code):
        fake = Frame(func, code, None)
        new = vm.do_import(o, arg, fake)
        if new is None:
            return fake.stack.pop()
        vm.frames.pop()
        return run_frame(tier, d + 1, new)

    return {
        "_Function": Function, "_Instance": Instance, "_Module": Module, "_Class": Class, "_Cell": Cell,
        "_NeutronError": NeutronError, "_NThrow": NThrow, "_NEXC": NEXC, "_xv": exception_value, "_xvf": _xvf,
        "_rethrow": _rethrow,
        # int() in generated code takes floats (or fails over to a generic path): math.trunc gives the same int and
        # the same errors for them (not a string's parse) at a third of int()'s cost in CPython 3.11
        "_float": float, "_int": math.trunc, "_len": len, "_list": list, "_str": str, "_dict": dict,
        "_KeyError": KeyError, "_IndexError": IndexError, "_TypeError": TypeError,
        "_ZeroDivisionError": ZeroDivisionError, "_ValueError": ValueError, "_OverflowError": OverflowError,
        "_NameError": NameError, "_AttributeError": AttributeError, "_locals": locals, "_write_back": _write_back,
        "_add": _add, "_sub": _sub, "_mul": _mul, "_div": _div, "_mod": _mod, "_lt": _lt,
        "_le": _le, "_gt": _gt, "_ge": _ge, "_eq": _eq, "_ne": _ne, "_neg": _neg, "_bnot": _bnot,
        "_bin": binary_slow, "_fmod": fmod, "_copysign": math.copysign, "_bail": _bail, "_inf": math.inf, "_overflow": _overflow,
        "_fell_off": _fell_off, "_undef": _undef, "_gget": _gget, "_type_error": _type_error, "_TC": TYPE_CHECKS,
        "_extend": _extend, "_iter": _iter, "_pyiter": iter, "_say": _say, "_native": _native, "_Native": Native,
        "_kmiss": _kmiss, "_spec": _spec, "_call": _call, "_invoke": _invoke, "_import": _import,
        "_ts": to_str, "_fnum": format_number, "_ntext": small_number_texts().get, "_gi": index_get, "_si": index_set, "_gp": vm.get_prop,
        "_gpo": vm.get_prop_opt, "_sps": vm.set_prop_slow, "_vm": vm, "_sp": False, "_safepoint": _safepoint,
        "_limit": FR.MAX_FRAMES, "_entry": _entry, "_thrown": _thrown, "_inew": Instance.__new__, "_EMPTY": EMPTY,
    }
