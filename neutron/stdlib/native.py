"""The native-module interface: how a built-in module written in Python declares itself.

    from .native import NativeModule, arg_str, arg_num
    module = NativeModule("math")

    @module.function("sqrt", 1)            # name, min args, max args (default = min; None = variadic)
    def sqrt(vm, args):
        x = arg_num(args, 0, "math.sqrt")
        ...
        return float(result)               # numbers are always floats

    module.constant("PI", math.pi)
    module.prelude = "math.nt"             # optional: stdlib/math.nt, functions written in Neutron (callbacks)

A module's table drives registration, the VM's arity checks and the snapshot's allow-list: a snapshot stores a
native function by its qualified name ("math.sqrt") and finds it again through this table. Functions in the
prelude are ordinary Neutron functions (a checkpoint inside their callbacks resumes correctly); they can call the
module's private natives, whose names start with an underscore.

State that a program can observe (the random generator) is kept in `vm.module_state[name]` and saved in a
snapshot through `save_state(vm) -> value` / `load_state(vm, value)`; the value must be made of Neutron values
(None, bool, float, str, list, dict).
"""
from __future__ import annotations

import os

from ..errors import NeutronError
from ..runtime.values import Native, to_str, type_name


class NativeModule:
    def __init__(self, name):
        self.name = name
        self.functions = {}         # name -> Native
        self.constants = {}         # name -> value
        self.prelude = None         # file name of the module's Neutron part, in this folder (arrays.nt), or None
        self.prelude_min_args = {}  # prelude function -> minimum arguments (trailing parameters left out are nil)
        self.save_state = None      # fn(vm) -> value
        self.load_state = None      # fn(vm, value)
        self.init = None            # fn(vm): called once when the module is first used in a process
        self._prelude_text = None

    def function(self, name, min_args=0, max_args=-1, fast=None, fast_takes=(float,), fast2=None):
        if max_args == -1:
            max_args = min_args

        def register(fn):
            self.functions[name] = Native(f"{self.name}.{name}", fn, min_args, max_args, fast, fast_takes, fast2)
            return fn
        return register

    def constant(self, name, value):
        self.constants[name] = value

    def prelude_source(self):
        """The text of the module's Neutron part (package data), read on first use."""
        if self._prelude_text is None:
            with open(os.path.join(os.path.dirname(__file__), self.prelude), encoding="utf-8") as fh:
                self._prelude_text = fh.read()
        return self._prelude_text


def fail(fname: str, message: str):
    raise NeutronError(f"{fname}: {message}")


def arg_error(v, i, fname, name, what):
    """`fname: argument 2 (name) must be a number, got string.`: the one wording of the arg_* helpers."""
    return NeutronError(f"{fname}: argument {i + 1}{' (' + name + ')' if name else ''} must be {what}, "
                        f"got {type_name(v)}.")


def arg_num(args, i, fname, name=None):
    v = args[i]
    if v.__class__ is float or v.__class__ is int and v.__class__ is not bool:
        return float(v)
    raise arg_error(v, i, fname, name, "a number")


def arg_ms(args, i, fname, finite=False):
    """A duration in milliseconds: a number, not negative (nor infinite, when `finite`)."""
    ms = arg_num(args, i, fname, "milliseconds")
    if not ms >= 0 or finite and ms == float("inf"):
        raise NeutronError(f"{fname}: milliseconds must be a non-negative number, got {to_str(ms)}.")
    return ms


def arg_int(args, i, fname, name=None):
    v = arg_num(args, i, fname, name)
    if v != v or v in (float("inf"), float("-inf")):
        raise NeutronError(f"{fname}: argument {i + 1} must be a finite number.")
    return int(v)


def arg_str(args, i, fname, name=None):
    v = args[i]
    if v.__class__ is str:
        return v
    raise arg_error(v, i, fname, name, "a string")


def arg_path(args, i, fname, name=None, what="path"):
    """A string the operating system takes (`what`: a path, a command): one with a NUL character, which none can
    hold, is a Neutron error rather than Python's ValueError."""
    v = arg_str(args, i, fname, name)
    if "\0" in v:
        raise NeutronError(f"{fname}: the {what} contains a NUL character (\\0).")
    return v


def arg_list(args, i, fname, name=None):
    v = args[i]
    if v.__class__ is list:
        return v
    raise arg_error(v, i, fname, name, "an array")


def arg_dict(args, i, fname, name=None):
    v = args[i]
    if v.__class__ is dict:
        return v
    raise arg_error(v, i, fname, name, "an object")


def opt(args, i, default=None):
    return args[i] if i < len(args) else default


__all__ = ["NativeModule", "NeutronError", "fail", "arg_error", "arg_num", "arg_int", "arg_str", "arg_path", "arg_list",
           "arg_dict", "opt", "to_str", "type_name"]
