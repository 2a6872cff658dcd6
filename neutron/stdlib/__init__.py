"""The standard library: one native module per file. `MODULES` is the one list of built-in modules: the names `use`
can load, the VM's "did you forget to import it?" hint, the snapshot reader's allow-list."""
from __future__ import annotations

import importlib

from ..runtime.values import Function, Module

MODULES = ("sys", "json", "math", "time", "fmt", "arrays", "regex", "random", "path", "strings", "collections",
           "crypto", "log", "http", "async", "process")
_FILES = {"async": "async_"}    # a module whose name is a Python keyword

_loaded = {}


def native_module(name):
    """The NativeModule named `name`, or None if there is no such built-in module."""
    if name not in MODULES:
        return None
    mod = _loaded.get(name)
    if mod is None:
        mod = _loaded[name] = importlib.import_module(f".{_FILES.get(name, name)}", __name__).module
    return mod


def instantiate(vm, name, prelude=None):
    """A fresh Module object for the built-in module `name`, or None. A module with a Neutron prelude compiles it
    through the VM's importer hook (the front end stays out of this package), unless `prelude` holds its public
    functions already made (a snapshot carries them)."""
    nm = native_module(name)
    if nm is None:
        return None
    members = {}
    for fname, native in nm.functions.items():
        if not fname.startswith("_"):
            members[fname] = native
    members.update(nm.constants)
    if prelude is not None:
        members.update(prelude)
    elif nm.prelude:
        g = vm.importer.load_prelude(vm, nm.prelude_source(), f"<{name} module>", nm.functions, name)
        for fname, lo in nm.prelude_min_args.items():
            g[fname].code.min_args = lo
        for fname, v in g.items():
            if isinstance(v, Function) and not fname.startswith("_"):
                members[fname] = v
    if nm.init is not None:
        nm.init(vm)
    return Module(name, members, native=True)
