"""The standard library: one native module per file. `MODULES` is the allow-list of names `use` can load."""
from __future__ import annotations

import importlib

MODULES = ("sys", "json", "math", "time", "fmt", "arrays", "regex", "random", "path", "strings", "collections",
           "crypto", "log", "http")

_loaded = {}


def native_module(name):
    """The NativeModule named `name`, or None if there is no such built-in module."""
    if name not in MODULES:
        return None
    mod = _loaded.get(name)
    if mod is None:
        py_name = name
        try:
            mod = importlib.import_module(f".{py_name}", __name__).module
        except ModuleNotFoundError as e:
            if e.name == f"{__name__}.{py_name}":
                return None
            raise
        _loaded[name] = mod
    return mod
