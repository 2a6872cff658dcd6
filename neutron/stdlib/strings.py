"""strings: functions on strings (the string is always the first argument). Positions and lengths count
characters (Unicode code points).

    length(s) reverse(s) upper(s) lower(s) trim(s) trim_left(s) trim_right(s)   (trim: spaces, \\t, \\r, \\n)
    split(s[, sep = " "])   ("" splits into characters; empty fields are kept)   join(array[, sep = ""])
    replace(s, old, new) (all)  replace_first(s, old, new)   contains(s, sub) starts_with(s, p) ends_with(s, p)
    index_of(s, sub[, start]) last_index_of(s, sub) -> index or -1   count(s, sub) (non-overlapping; "" -> 0)
    substring(s, start[, end])  (clamped; start >= end gives "")   repeat(s, n)   chars(s) -> array
    char_at(s, i)   char_code(s[, i = 0]) -> code point   from_char_code(n) -> one-character string
    is_empty(s) is_alpha(s) is_digit(s) is_alnum(s) is_space(s)   (the classification ones are false for "")
"""
from __future__ import annotations

import math

from ..errors import NeutronError
from .native import NativeModule, arg_list, arg_num, arg_str, opt
from ..runtime.values import format_number, to_str

module = NativeModule("strings")

_TRIM = " \t\r\n"


def _s(args, fname, i=0):
    return arg_str(args, i, fname)


def _int(args, i, fname, name):
    x = arg_num(args, i, fname, name)
    if not math.isfinite(x):
        raise NeutronError(f"{fname}: argument {i + 1} ({name}) must be a finite number.")
    return int(x)


def _simple(name, fn):
    fname = "strings." + name
    module.function(name, 1)(lambda vm, args: fn(_s(args, fname)))


_simple("length", lambda s: float(len(s)))
_simple("reverse", lambda s: s[::-1])
_simple("upper", str.upper)
_simple("lower", str.lower)
_simple("trim", lambda s: s.strip(_TRIM))
_simple("trim_left", lambda s: s.lstrip(_TRIM))
_simple("trim_right", lambda s: s.rstrip(_TRIM))
_simple("chars", list)
_simple("is_empty", lambda s: s == "")
_simple("is_alpha", lambda s: s != "" and s.isalpha())
_simple("is_digit", lambda s: s != "" and s.isdecimal())
_simple("is_alnum", lambda s: s != "" and all(c.isalpha() or c.isdecimal() for c in s))
_simple("is_space", lambda s: s != "" and s.isspace())


@module.function("split", 1, 2)
def split(vm, args):
    s = _s(args, "strings.split")
    sep = " " if opt(args, 1) is None else _s(args, "strings.split", 1)
    if sep == "":
        return list(s)
    return s.split(sep)


@module.function("join", 1, 2)
def join(vm, args):
    arr = arg_list(args, 0, "strings.join")
    sep = "" if opt(args, 1) is None else _s(args, "strings.join", 1)
    return sep.join(to_str(x) for x in arr)


@module.function("replace", 3)
def replace(vm, args):
    return _s(args, "strings.replace").replace(_s(args, "strings.replace", 1), _s(args, "strings.replace", 2))


@module.function("replace_first", 3)
def replace_first(vm, args):
    f = "strings.replace_first"
    return _s(args, f).replace(_s(args, f, 1), _s(args, f, 2), 1)


@module.function("contains", 2)
def contains(vm, args):
    return _s(args, "strings.contains", 1) in _s(args, "strings.contains")


@module.function("starts_with", 2)
def starts_with(vm, args):
    return _s(args, "strings.starts_with").startswith(_s(args, "strings.starts_with", 1))


@module.function("ends_with", 2)
def ends_with(vm, args):
    return _s(args, "strings.ends_with").endswith(_s(args, "strings.ends_with", 1))


@module.function("index_of", 2, 3)
def index_of(vm, args):
    s = _s(args, "strings.index_of")
    sub = _s(args, "strings.index_of", 1)
    start = 0 if opt(args, 2) is None else max(0, _int(args, 2, "strings.index_of", "start"))
    if start > len(s):
        return -1.0
    return float(s.find(sub, start))


@module.function("last_index_of", 2)
def last_index_of(vm, args):
    return float(_s(args, "strings.last_index_of").rfind(_s(args, "strings.last_index_of", 1)))


@module.function("count", 2)
def count(vm, args):
    s = _s(args, "strings.count")
    sub = _s(args, "strings.count", 1)
    return 0.0 if sub == "" else float(s.count(sub))


@module.function("substring", 2, 3)
def substring(vm, args):
    s = _s(args, "strings.substring")
    n = len(s)
    start = min(max(_int(args, 1, "strings.substring", "start"), 0), n)
    end = n if opt(args, 2) is None else min(max(_int(args, 2, "strings.substring", "end"), 0), n)
    return s[start:end] if start < end else ""


@module.function("repeat", 2)
def repeat(vm, args):
    s = _s(args, "strings.repeat")
    n = _int(args, 1, "strings.repeat", "count")
    if n < 0:
        raise NeutronError(f"strings.repeat: the count must not be negative, got {n}.")
    if len(s) * n > 500_000_000:
        raise NeutronError("strings.repeat: the result would be too long.")
    return s * n


@module.function("char_at", 2)
def char_at(vm, args):
    s = _s(args, "strings.char_at")
    i = _int(args, 1, "strings.char_at", "index")
    if not 0 <= i < len(s):
        raise NeutronError("strings.char_at: index out of bounds.")
    return s[i]


@module.function("char_code", 1, 2)
def char_code(vm, args):
    s = _s(args, "strings.char_code")
    i = 0 if opt(args, 1) is None else _int(args, 1, "strings.char_code", "index")
    if not 0 <= i < len(s):
        raise NeutronError("strings.char_code: index out of bounds.")
    return float(ord(s[i]))


@module.function("from_char_code", 1)
def from_char_code(vm, args):
    x = arg_num(args, 0, "strings.from_char_code")
    if not 0 <= x <= 0x10FFFF or x != int(x) or 0xD800 <= x < 0xE000:
        raise NeutronError(f"strings.from_char_code: {format_number(x)} is not a valid character code.")
    return chr(int(x))
