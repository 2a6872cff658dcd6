"""The `log` module: levelled log lines on standard output, optionally also appended to a file.

    log.info("started", 3, "jobs")      // [2025-01-31 12:00:00] [INFO] started 3 jobs

debug/info/warn/error join their arguments with " " and write `[YYYY-mm-dd HH:MM:SS] [LEVEL] message` (local
time) when the level is at least the current one (default INFO). set_level takes 0-3 or a name ("debug", "warn",
...). Colour is used only when enabled (the default) and standard output is a terminal; the file never gets
colour codes. The settings are plain values in the program's state, so a snapshot keeps them; the file is
opened for each line, so no handle needs to survive a resume.
"""
from __future__ import annotations

import time

from .native import NativeModule, arg_error, arg_str, fail
from ..runtime.values import to_str, type_name

module = NativeModule("log")

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
_ALIASES = {"WARNING": 2, "ERR": 3}
_COLORS = {0: "\x1b[36m", 1: "\x1b[32m", 2: "\x1b[33m", 3: "\x1b[31m"}
_RESET = "\x1b[0m"

for _i, _name in enumerate(LEVELS):
    module.constant(_name, float(_i))


def _defaults():
    return {"level": 1.0, "file": None, "color": True, "timestamp": True}


def settings(vm) -> dict:
    s = vm.module_state.get("log")
    if s is None:
        s = _defaults()
        vm.module_state["log"] = s
    return s


def save_state(vm):
    s = vm.module_state.get("log")
    return None if s is None else dict(s)


def load_state(vm, value):
    if value is None:
        vm.module_state.pop("log", None)
        return
    s = _defaults()
    if value.__class__ is dict:
        level = value.get("level")
        if level.__class__ is float and 0 <= level <= 3:
            s["level"] = float(int(level))
        if value.get("file") is None or value.get("file").__class__ is str:
            s["file"] = value.get("file")
        for key in ("color", "timestamp"):
            if value.get(key).__class__ is bool:
                s[key] = value[key]
    vm.module_state["log"] = s


module.save_state = save_state
module.load_state = load_state


def _stdout_is_terminal(vm) -> bool:
    try:
        return bool(vm.out.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _emit(vm, level: int, args, fname: str):
    s = settings(vm)
    if level < s["level"]:
        return None
    message = " ".join(to_str(a) for a in args)
    prefix = f"[{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime())}] " if s["timestamp"] else ""
    tag = f"[{LEVELS[level]}]"
    if s["color"] and _stdout_is_terminal(vm):
        vm.write(f"{prefix}{_COLORS[level]}{tag}{_RESET} {message}\n")
    else:
        vm.write(f"{prefix}{tag} {message}\n")
    path = s["file"]
    if path is not None:
        try:
            with open(path, "a", encoding="utf-8", errors="surrogateescape") as f:
                f.write(f"{prefix}{tag} {message}\n")
        except OSError as e:
            fail(fname, f"cannot write to the log file '{path}': {e.strerror or e}.")
    return None


def _level_function(level):
    fname = "log." + LEVELS[level].lower()

    def log_at(vm, args):
        return _emit(vm, level, args, fname)
    module.function(LEVELS[level].lower(), 1, None)(log_at)


for _i in range(len(LEVELS)):
    _level_function(_i)


def parse_level(v, fname):
    if v.__class__ is float or v.__class__ is int and v.__class__ is not bool:
        if not 0 <= v <= 3 or v != int(v):         # the range first: int() refuses nan and infinities
            fail(fname, f"the level must be 0, 1, 2 or 3, got {to_str(v)}.")
        return int(v)
    if v.__class__ is str:
        name = v.strip().upper()
        if name in LEVELS:
            return LEVELS.index(name)
        if name in _ALIASES:
            return _ALIASES[name]
        fail(fname, f"unknown level '{v}' (use DEBUG, INFO, WARN or ERROR).")
    raise arg_error(v, 0, fname, "level", "a number or a level name")


@module.function("set_level", 1)
def set_level(vm, args):
    settings(vm)["level"] = float(parse_level(args[0], "log.set_level"))
    return None


@module.function("get_level", 0)
def get_level(vm, args):
    return settings(vm)["level"]


@module.function("set_file", 1)
def set_file(vm, args):
    if args[0] is None:
        settings(vm)["file"] = None
        return None
    path = arg_str(args, 0, "log.set_file", "path")
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as e:
        fail("log.set_file", f"cannot open '{path}': {e.strerror or e}.")
    settings(vm)["file"] = path
    return None


def _bool_setting(key):
    fname = "log.set_" + key

    def set_flag(vm, args):
        v = args[0]
        if v.__class__ is not bool:
            fail(fname, f"argument 1 must be a boolean, got {type_name(v)}.")
        settings(vm)[key] = v
        return None
    module.function("set_" + key, 1)(set_flag)


_bool_setting("color")
_bool_setting("timestamp")
