"""Built-in methods of strings and arrays: `"abc".upper()`, `[3, 1].sort()`.

Tables (one per receiver type), each `name -> (fn, min_args, max_args)`, max None = variadic:
    STRING_METHODS    fn(vm, s, args) -> value
    ARRAY_METHODS     fn(vm, a, args) -> value
Strings count code points. Numbers returned are floats. Errors are NeutronError with the method's name.

Array methods that call back into Neutron (map, filter, sort with a comparator, ...) are written in Neutron, in
prelude.nt, so that a checkpoint taken inside a callback resumes like any other call:
    ARRAY_CALLBACK_METHODS   name -> name of the prelude function
    CALLBACK_ARITY           name -> (min_args, max_args) of the method
    callback_args(name, receiver, args) -> the argument list for the prelude function (checks the count)
Each VM compiles prelude_source() once into its own globals, which must also hold the natives of PRELUDE_NATIVES (as
Native objects named `prelude.NAME`, the name a snapshot stores); those helpers are invisible to programs.

A method call `recv.name(args)` in the VM:
    str:  call_string_method(vm, recv, name, args)
    list: if name in ARRAY_CALLBACK_METHODS: push a frame for prelude[ARRAY_CALLBACK_METHODS[name]] with the
              arguments callback_args(name, recv, args) (optional ones padded; arity checked there);
          else call_array_method(vm, recv, name, args)
"""
from __future__ import annotations

import math
import os
import re
import unicodedata

from ..errors import NeutronError
from .values import BoundMethod, Class, Function, Native, equals, near_name, to_str, type_name

MAX_STRING = 1 << 28            # longest string repeat/pad/format may build (code points)
MAX_FORMAT_WIDTH = 100_000
_UNLIMITED = 1 << 62            # what an infinite count or position becomes


# ---- arguments ----------------------------------------------------------------------------------------------------

def arity_error(name, min_args, max_args, got):
    """The wording the VM uses for methods, so both paths agree."""
    if min_args == max_args:
        return NeutronError(f"{name}() expects {min_args} argument{'s' if min_args != 1 else ''}, got {got}")
    expected = min_args if max_args is None else f"{min_args} to {max_args}"
    return NeutronError(f"{name}() received invalid arguments: expected {expected} arguments, got {got}")


def check_arity(name, min_args, max_args, got):
    if got < min_args or (max_args is not None and got > max_args):
        raise arity_error(name, min_args, max_args, got)


def _is_num(v):
    return v.__class__ is float or v.__class__ is int


def _arg(args, i):
    """An optional argument: nil when left out."""
    return args[i] if i < len(args) else None


def _str_arg(name, what, v):
    # numbers and booleans convert as in the reference; nil, arrays... are almost always a mistake
    cls = v.__class__
    if cls is str:
        return v
    if cls is float or cls is int or cls is bool:
        return to_str(v)
    raise NeutronError(f"{name}() {what} must be a string, got {type_name(v)}")


def _int_arg(name, what, v):
    """A number truncated toward zero; infinities saturate and NaN counts as 0, as in JavaScript."""
    if not _is_num(v):
        raise NeutronError(f"{name}() {what} must be a number, got {type_name(v)}")
    if v != v:
        return 0
    if v == math.inf:
        return _UNLIMITED
    if v == -math.inf:
        return -_UNLIMITED
    return int(v)


def _opt_int(name, what, args, i, default=None):
    v = _arg(args, i)
    return default if v is None else _int_arg(name, what, v)


def _check_length(name, n):
    if n > MAX_STRING:
        raise NeutronError(f"{name}() result is too long ({n} characters)")


def _clamp(i, n):
    return 0 if i < 0 else n if i > n else i


def _position(i, n):
    """A position where negative counts from the end, clamped to [0, n]."""
    return _clamp(i + n if i < 0 else i, n)


# ---- strings ------------------------------------------------------------------------------------------------------

def s_length(vm, s, args):
    return float(len(s))


def s_contains(vm, s, args):
    sub = args[0]
    if sub.__class__ is str:
        return sub in s
    return _str_arg("contains", "substring", sub) in s


def s_includes(vm, s, args):
    sub = args[0]
    if sub.__class__ is str:
        return sub in s
    return _str_arg("includes", "substring", sub) in s


def s_split(vm, s, args):
    """split([sep[, maxsplit]]): Python's rules; no separator splits on runs of whitespace, "" into characters."""
    if len(args) == 1:
        sep = args[0]
        if sep.__class__ is str and sep:
            return s.split(sep)
    sep = _arg(args, 0)
    maxsplit = _opt_int("split", "limit", args, 1, -1)
    if maxsplit > len(s):
        maxsplit = -1           # no more than len(s) splits can happen anyway
    if sep is None:
        return s.split(None, maxsplit if maxsplit >= 0 else -1)
    sep = _str_arg("split", "separator", sep)
    if sep == "":
        if maxsplit < 0 or maxsplit >= len(s):
            return list(s)
        return list(s[:maxsplit]) + ([s[maxsplit:]] if maxsplit < len(s) else [])
    return s.split(sep, maxsplit if maxsplit >= 0 else -1)


def s_substring(vm, s, args):
    n = len(s)
    # the common case first: positions within the string, in order (NaN fails the test)
    if len(args) == 2:
        a, b = args
        if (a.__class__ is float or a.__class__ is int) and (b.__class__ is float or b.__class__ is int) and \
                0 <= a <= b <= n:
            return s[int(a):int(b)]
    else:
        a = args[0]
        if (a.__class__ is float or a.__class__ is int) and 0 <= a <= n:
            return s[int(a):]
    start = _clamp(_int_arg("substring", "start", args[0]), n)
    end = _opt_int("substring", "end", args, 1, n)
    end = _clamp(end, n)
    if end < start:
        start, end = end, start
    return s[start:end]


def _find_range(name, s, args):
    # negative positions count as 0 (the reference's rule), larger ones clamp to the length
    n = len(s)
    sub = _str_arg(name, "substring", args[0])
    start = _clamp(_opt_int(name, "start", args, 1, 0), n)
    end = _clamp(_opt_int(name, "end", args, 2, n), n)
    return sub, start, end


def _finder(name, reverse, strict):
    def method(vm, s, args):
        if len(args) == 1 and not strict:
            sub = args[0]
            if sub.__class__ is str:
                return float(s.rfind(sub) if reverse else s.find(sub))
        sub, start, end = _find_range(name, s, args)
        i = s.rfind(sub, start, end) if reverse else s.find(sub, start, end)
        if i < 0 and strict:
            raise NeutronError("substring not found")
        return float(i)
    return method


def _stripper(name, which):
    def method(vm, s, args):
        chars = _arg(args, 0)
        if chars is not None:
            chars = _str_arg(name, "characters", chars)
        if which == "both":
            return s.strip(chars)
        return s.lstrip(chars) if which == "left" else s.rstrip(chars)
    return method


def s_replace(vm, s, args):
    old = _str_arg("replace", "old", args[0])
    new = _str_arg("replace", "new", args[1])
    count = _opt_int("replace", "count", args, 2, -1)
    if count < 0 or count > len(s):
        count = -1              # no more than len(s) + 1 replacements can happen anyway
    if old == "" and new:
        _check_length("replace", len(s) + (len(s) + 1) * len(new))
    return s.replace(old, new, count)


def s_replace_all(vm, s, args):
    return s_replace(vm, s, [_str_arg("replaceAll", "old", args[0]), _str_arg("replaceAll", "new", args[1])])


def _unary(fn):
    return lambda vm, s, args: fn(s)


def _slice_bound(name, what, v):
    return None if v is None else _int_arg(name, what, v)


def s_slice(vm, s, args):
    """slice(start[, end[, step]]): Python slicing, so negative positions count from the end.

    One exception, from the language reference: with a negative step an end of -1 means "through the first
    character", so `s.slice(-1, -1, -1)` is the whole string reversed. nil for start or end means "the edge".
    """
    start = _slice_bound("slice", "start", args[0])
    end = _slice_bound("slice", "end", _arg(args, 1))
    step = _opt_int("slice", "step", args, 2, 1)
    if step == 0:
        raise NeutronError("slice() step cannot be zero")
    if step < 0 and end == -1:
        end = None
    return s[start:end:step]


NORMAL_FORMS = ("NFC", "NFD", "NFKC", "NFKD")


def s_normalize(vm, s, args):
    form = _arg(args, 0)
    form = "NFC" if form is None else to_str(form)
    if form not in NORMAL_FORMS:
        raise NeutronError(f"Normalize error: Invalid normalization form: {form}")
    return unicodedata.normalize(form, s)


ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-16": "utf-16", "utf16": "utf-16", "utf-32": "utf-32",
             "utf32": "utf-32", "ascii": "ascii", "us-ascii": "ascii", "latin-1": "latin-1", "latin1": "latin-1",
             "iso-8859-1": "latin-1"}


def s_encode(vm, s, args):
    """Checks that the string can be encoded; strings stay strings (the reference returns the string too)."""
    enc = _arg(args, 0)
    enc = "utf-8" if enc is None else to_str(enc)
    codec = ENCODINGS.get(enc.lower())
    if codec is None:
        raise NeutronError(f"Encode error: Unsupported encoding: {enc}")
    try:
        s.encode(codec)
    except UnicodeEncodeError as e:
        raise NeutronError(f"Encode error: cannot encode character '{s[e.start]}' (U+{ord(s[e.start]):04X}) "
                           f"at position {e.start} as {enc}")
    return s


def s_isunicode(vm, s, args):
    return any(ord(c) > 127 for c in s)


def s_starts_with(vm, s, args):
    return s.startswith(_str_arg("startsWith", "prefix", args[0]))


def s_ends_with(vm, s, args):
    return s.endswith(_str_arg("endsWith", "suffix", args[0]))


def s_repeat(vm, s, args):
    n = _int_arg("repeat", "count", args[0])
    if n <= 0 or not s:
        return ""
    _check_length("repeat", len(s) * n)
    return s * n


def _padder(name, at_start):
    def method(vm, s, args):
        width = _int_arg(name, "length", args[0])
        fill = _arg(args, 1)
        fill = " " if fill is None else _str_arg(name, "fill", fill)
        missing = width - len(s)
        if missing <= 0 or fill == "":
            return s
        _check_length(name, width)
        pad = (fill * (missing // len(fill) + 1))[:missing]
        return pad + s if at_start else s + pad
    return method


def _char_index(name, s, args):
    i = _opt_int(name, "index", args, 0, 0)
    if i < 0:
        i += len(s)
    return i if 0 <= i < len(s) else None


def s_char_at(vm, s, args):
    i = _char_index("charAt", s, args)
    return "" if i is None else s[i]


def _code_point_at(name):
    def method(vm, s, args):
        i = _char_index(name, s, args)
        return None if i is None else float(ord(s[i]))
    return method


def s_count(vm, s, args):
    sub, start, end = _find_range("count", s, args)
    return float(s.count(sub, start, end))


def s_reverse(vm, s, args):
    return s[::-1]


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def s_lines(vm, s, args):
    if s == "":
        return []
    parts = _LINE_BREAK.split(s)
    if parts[-1] == "":
        parts.pop()
    return parts


def s_is_empty(vm, s, args):
    return s == ""


# ---- format ---------------------------------------------------------------------------------------------------------

#   [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(r"(?:(?P<fill>.)?(?P<align>[<>=^]))?(?P<sign>[-+ ])?z?#?0?(?P<width>\d+)?[,_]?"
                   r"(?:\.(?P<precision>\d+))?(?P<type>[a-zA-Z%])?", re.S)
_INT_TYPES = "bcdoxX"
_FLOAT_TYPES = "eEfFgGn%"


def _format_error(message):
    return NeutronError(f"Format error: {message}")


def format_value(v, spec):
    """One replacement field: Python's format-spec mini-language applied to a Neutron value."""
    m = _SPEC.fullmatch(spec)
    if m is None:
        raise _format_error(f"Invalid format specifier '{spec}'")
    if m["width"] and int(m["width"]) > MAX_FORMAT_WIDTH or m["precision"] and int(m["precision"]) > 1000:
        raise _format_error(f"Width or precision too large in '{spec}'")
    t = m["type"]
    try:
        if _is_num(v):
            v = float(v)
            if t is not None and t in _INT_TYPES:
                if not math.isfinite(v):
                    raise _format_error(f"Cannot format {to_str(v)} as an integer")
                return format(int(v), spec)     # truncates: {:d} of 3.7 is 3
            if t is not None and t in _FLOAT_TYPES:
                return format(v, spec)
            if t == "s":
                return format(to_str(v), spec)
            if t is not None:
                raise _format_error(f"Unknown format code '{t}' for a number")
            if m["precision"] is not None:
                return format(v, spec)
            # no type: print as `say` does (integral values without ".0", else 15 significant digits)
            if math.isfinite(v) and v == int(v) and abs(v) < 1e15 and math.copysign(1.0, v) > 0:
                return format(int(v), spec)
            return format(v, spec + ".15g")
        if t is not None and t != "s":
            raise _format_error(f"Unknown format code '{t}' for a {type_name(v)}")
        return format(to_str(v), spec)
    except ValueError as e:
        raise _format_error(str(e)) from None


def s_format(vm, s, args):
    """`{}` takes the next argument, `{N}` argument N, `{name}` a key of an object given as first argument;
    `{{` and `}}` are literal braces; after `:` comes a format spec."""
    out = []
    auto = 0
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "{":
            if i + 1 < n and s[i + 1] == "{":
                out.append("{")
                i += 2
                continue
            close = s.find("}", i + 1)
            if close < 0:
                raise _format_error("Unmatched '{' in format string")
            field = s[i + 1:close]
            if "{" in field:
                raise _format_error("Nested replacement fields are not supported")
            name, _, spec = field.partition(":")
            name = name.strip()
            if name == "":
                index = auto
                auto += 1
                value = _format_arg(args, index)
            elif name.isascii() and name.isdigit():
                value = _format_arg(args, int(name))
            elif args and args[0].__class__ is dict and name in args[0]:
                value = args[0][name]
            else:
                raise _format_error(f"Unknown format field '{name}'")
            out.append(format_value(value, spec))
            i = close + 1
        elif c == "}":
            # `}}` is one brace; a lone `}` is kept as it is
            out.append("}")
            i += 2 if i + 1 < n and s[i + 1] == "}" else 1
        else:
            j = i
            while j < n and s[j] != "{" and s[j] != "}":
                j += 1
            out.append(s[i:j])
            i = j
    return "".join(out)


def _format_arg(args, index):
    if index >= len(args):
        raise _format_error("Format argument index out of range")
    return args[index]


STRING_METHODS = {
    "length": (s_length, 0, 0),
    "contains": (s_contains, 1, 1),
    "includes": (s_includes, 1, 1),
    "split": (s_split, 0, 2),
    "substring": (s_substring, 1, 2),
    "find": (_finder("find", False, False), 1, 3),
    "rfind": (_finder("rfind", True, False), 1, 3),
    "index": (_finder("index", False, True), 1, 3),
    "rindex": (_finder("rindex", True, True), 1, 3),
    "indexOf": (_finder("indexOf", False, False), 1, 3),
    "lastIndexOf": (_finder("lastIndexOf", True, False), 1, 3),
    "count": (s_count, 1, 3),
    "strip": (_stripper("strip", "both"), 0, 1),
    "lstrip": (_stripper("lstrip", "left"), 0, 1),
    "rstrip": (_stripper("rstrip", "right"), 0, 1),
    "trim": (_stripper("trim", "both"), 0, 1),
    "trimStart": (_stripper("trimStart", "left"), 0, 1),
    "trimEnd": (_stripper("trimEnd", "right"), 0, 1),
    "trimLeft": (_stripper("trimLeft", "left"), 0, 1),
    "trimRight": (_stripper("trimRight", "right"), 0, 1),
    "replace": (s_replace, 2, 3),
    "replaceAll": (s_replace_all, 2, 2),
    "upper": (_unary(str.upper), 0, 0),
    "lower": (_unary(str.lower), 0, 0),
    "toUpperCase": (_unary(str.upper), 0, 0),
    "toLowerCase": (_unary(str.lower), 0, 0),
    "capitalize": (_unary(str.capitalize), 0, 0),
    "title": (_unary(str.title), 0, 0),
    "swapcase": (_unary(str.swapcase), 0, 0),
    "casefold": (_unary(str.casefold), 0, 0),
    "isalnum": (_unary(str.isalnum), 0, 0),
    "isalpha": (_unary(str.isalpha), 0, 0),
    "isdigit": (_unary(str.isdigit), 0, 0),
    "islower": (_unary(str.islower), 0, 0),
    "isupper": (_unary(str.isupper), 0, 0),
    "isspace": (_unary(str.isspace), 0, 0),
    "istitle": (_unary(str.istitle), 0, 0),
    "isunicode": (s_isunicode, 0, 0),
    "isEmpty": (s_is_empty, 0, 0),
    "slice": (s_slice, 1, 3),
    "normalize": (s_normalize, 0, 1),
    "encode": (s_encode, 0, 1),
    "startsWith": (s_starts_with, 1, 1),
    "endsWith": (s_ends_with, 1, 1),
    "starts_with": (s_starts_with, 1, 1),
    "ends_with": (s_ends_with, 1, 1),
    "repeat": (s_repeat, 1, 1),
    "padStart": (_padder("padStart", True), 1, 2),
    "padEnd": (_padder("padEnd", False), 1, 2),
    "padLeft": (_padder("padLeft", True), 1, 2),
    "padRight": (_padder("padRight", False), 1, 2),
    "charAt": (s_char_at, 0, 1),
    "charCodeAt": (_code_point_at("charCodeAt"), 0, 1),
    "codePointAt": (_code_point_at("codePointAt"), 0, 1),
    "reverse": (s_reverse, 0, 0),
    "lines": (s_lines, 0, 0),
    "format": (s_format, 0, None),
}


# ---- arrays -------------------------------------------------------------------------------------------------------

def _index_arg(name, arr, v, extra=0):
    """An element position: negative counts from the end; must land in [0, len + extra)."""
    i = _int_arg(name, "index", v)
    n = len(arr)
    j = i + n if i < 0 else i
    if not 0 <= j < n + extra:
        raise NeutronError(f"{name}() index {i} is out of bounds for an array of length {n}")
    return j


def a_push(vm, a, args):
    a.extend(args)
    return None


def a_pop(vm, a, args):
    if not a:
        raise NeutronError("Cannot pop from empty array")
    return a.pop()


def a_shift(vm, a, args):
    if not a:
        raise NeutronError("Cannot shift from empty array")
    return a.pop(0)


def a_unshift(vm, a, args):
    a[0:0] = args
    return None


def a_insert(vm, a, args):
    i = _index_arg("insert", a, args[0], extra=1)
    a.insert(i, args[1])
    return None


def find(a, v):
    """The first position of a value equal (`==`) to v, or -1. The arrays module shares it."""
    for i, x in enumerate(a):
        if equals(x, v):
            return i
    return -1


def rfind(a, v):
    """The last position of a value equal (`==`) to v, or -1."""
    for i in range(len(a) - 1, -1, -1):
        if equals(a[i], v):
            return i
    return -1


def a_remove(vm, a, args):
    i = find(a, args[0])
    if i < 0:
        return False
    del a[i]
    return True


def a_remove_at(vm, a, args):
    return a.pop(_index_arg("removeAt", a, args[0]))


def a_slice(vm, a, args):
    n = len(a)
    start = _position(_int_arg("slice", "start", args[0]), n)
    end = _opt_int("slice", "end", args, 1)
    end = n if end is None else _position(end, n)
    return a[start:end]


def a_index_of(vm, a, args):
    return float(find(a, args[0]))


def a_last_index_of(vm, a, args):
    return float(rfind(a, args[0]))


def a_includes(vm, a, args):
    return find(a, args[0]) >= 0


def a_join(vm, a, args):
    sep = _arg(args, 0)
    sep = "," if sep is None else to_str(sep)
    try:
        return sep.join(a)      # all strings
    except TypeError:
        return sep.join(to_str(x) for x in a)


def a_reverse(vm, a, args):
    a.reverse()
    return None         # the reference returns nil (sort too), and programs print it


def _sort_key(v):
    cls = v.__class__
    if cls is float or cls is int:
        return (0, 1, 0.0) if v != v else (0, 0, v)     # NaN after every other number
    if cls is str:
        return (1, 0, v)                                # code point order
    raise NeutronError(f"sort() can only compare numbers and strings, got {type_name(v)}; pass a comparator")


def sort_default(a):
    """Numbers ascending, then strings; stable; in place."""
    if a:
        cls = a[0].__class__
        if (cls is float or cls is str) and all(v.__class__ is cls and v == v for v in a):
            a.sort()        # all numbers (no NaN) or all strings: Python's own order is that one
            return a
    keys = [_sort_key(v) for v in a]      # every element is checked before anything moves
    order = sorted(range(len(a)), key=keys.__getitem__)
    a[:] = [a[i] for i in order]
    return a


def a_concat(vm, a, args):
    out = list(a)
    for v in args:
        if v.__class__ is list:
            out.extend(v)
        else:
            out.append(v)
    return out


def a_copy(vm, a, args):
    return list(a)


def a_clear(vm, a, args):
    a.clear()
    return None


def a_fill(vm, a, args):
    n = len(a)
    start = _position(_opt_int("fill", "start", args, 1, 0), n)
    end = _position(_opt_int("fill", "end", args, 2, n), n)
    for i in range(start, end):
        a[i] = args[0]
    return a


def a_first(vm, a, args):
    return a[0] if a else None


def a_last(vm, a, args):
    return a[-1] if a else None


def a_at(vm, a, args):
    i = _int_arg("at", "index", args[0])
    if i < 0:
        i += len(a)
    return a[i] if 0 <= i < len(a) else None


def a_is_empty(vm, a, args):
    return not a


MAX_FLAT = 10_000_000


def flatten(a, depth):
    """Without recursion, so deep nesting cannot exhaust the Python stack. Every element visited counts toward
    MAX_FLAT, so that an array holding itself (or shared sub-arrays) many times cannot make it run for ever."""
    out = []
    stack = []
    on_path = {id(a)}
    arr, i, d = a, 0, depth
    steps = 0
    while True:
        if i < len(arr):
            v = arr[i]
            i += 1
            steps += 1
            if steps > MAX_FLAT:
                raise NeutronError("flat() result is too large")
            if v.__class__ is list and d > 0:
                if id(v) in on_path and d >= _UNLIMITED:
                    raise NeutronError("flat() cannot flatten an array that contains itself")
                stack.append((arr, i, d))
                on_path.add(id(v))
                arr, i, d = v, 0, d - 1
            else:
                out.append(v)
        elif stack:
            on_path.discard(id(arr))
            arr, i, d = stack.pop()
        else:
            return out


def a_flat(vm, a, args):
    depth = _opt_int("flat", "depth", args, 0, 1)
    return flatten(a, max(depth, 0))


def _hash_key(v):
    """A set key for values whose `==` is plain value equality, else None."""
    cls = v.__class__
    if v is None or cls is str or cls is bool:
        return (cls, v)
    if cls is float or cls is int:
        return None if v != v else (float, float(v))
    return None


def unique(a):
    """A new array of a's elements without repeats (by `==`), first ones kept. The arrays module shares it."""
    out, seen, others = [], set(), []
    for v in a:
        key = _hash_key(v)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        elif any(equals(v, o) for o in others):
            continue
        else:
            others.append(v)
        out.append(v)
    return out


def a_unique(vm, a, args):
    return unique(a)


def _numbers(name, a):
    for v in a:
        if not _is_num(v):
            raise NeutronError(f"{name}() needs an array of numbers, found {type_name(v)}")
    return a


def a_min(vm, a, args):
    return float(min(_numbers("min", a))) if a else None


def a_max(vm, a, args):
    return float(max(_numbers("max", a))) if a else None


def a_sum(vm, a, args):
    total = 0.0
    for v in _numbers("sum", a):
        total += v          # left to right, like a loop in Neutron
    return total


ARRAY_METHODS = {
    "push": (a_push, 1, None),
    "pop": (a_pop, 0, 0),
    "shift": (a_shift, 0, 0),
    "unshift": (a_unshift, 1, None),
    "insert": (a_insert, 2, 2),
    "remove": (a_remove, 1, 1),
    "removeAt": (a_remove_at, 1, 1),
    "slice": (a_slice, 1, 2),
    "indexOf": (a_index_of, 1, 1),
    "lastIndexOf": (a_last_index_of, 1, 1),
    "includes": (a_includes, 1, 1),
    "contains": (a_includes, 1, 1),
    "join": (a_join, 0, 1),
    "reverse": (a_reverse, 0, 0),
    "concat": (a_concat, 0, None),
    "copy": (a_copy, 0, 0),
    "clone": (a_copy, 0, 0),
    "clear": (a_clear, 0, 0),
    "fill": (a_fill, 1, 3),
    "first": (a_first, 0, 0),
    "last": (a_last, 0, 0),
    "at": (a_at, 1, 1),
    "isEmpty": (a_is_empty, 0, 0),
    "flat": (a_flat, 0, 1),
    "unique": (a_unique, 0, 0),
    "min": (a_min, 0, 0),
    "max": (a_max, 0, 0),
    "sum": (a_sum, 0, 0),
}


def member_names(cls):
    """Every member a string (cls str) or an array (cls list) has: its methods and properties."""
    if cls is str:
        return [*STRING_METHODS, "length", "chars"]
    return [*ARRAY_METHODS, *ARRAY_CALLBACK_METHODS, "length"]


def call_string_method(vm, s, name, args):
    entry = STRING_METHODS.get(name)
    if entry is None:
        raise NeutronError(f"String does not have method '{name}'.", lambda: near_name(name, member_names(str)))
    fn, lo, hi = entry
    check_arity(name, lo, hi, len(args))
    return fn(vm, s, args)


def call_array_method(vm, a, name, args):
    """Only the native methods: callback methods go through the prelude (see the module docstring)."""
    entry = ARRAY_METHODS.get(name)
    if entry is None:
        raise NeutronError(f"Array does not have method '{name}'.", lambda: near_name(name, member_names(list)))
    fn, lo, hi = entry
    check_arity(name, lo, hi, len(args))
    return fn(vm, a, args)


# ---- methods written in Neutron -------------------------------------------------------------------------------------

ARRAY_CALLBACK_METHODS = {
    "map": "__array_map",
    "filter": "__array_filter",
    "find": "__array_find",
    "findIndex": "__array_find_index",
    "forEach": "__array_for_each",
    "reduce": "__array_reduce",
    "some": "__array_some",
    "every": "__array_every",
    "sort": "__array_sort",
    "flatMap": "__array_flat_map",
}

CALLBACK_ARITY = {name: (1, 1) for name in ARRAY_CALLBACK_METHODS}
CALLBACK_ARITY["reduce"] = (1, 2)
CALLBACK_ARITY["sort"] = (0, 1)


def callback_args(name, receiver, args):
    """The arguments of the prelude function for `receiver.name(*args)`.

    Every prelude function takes the array and one parameter per method argument, left-out ones being nil;
    reduce takes a last flag telling whether an initial value was given (it may be nil).
    """
    lo, hi = CALLBACK_ARITY[name]
    check_arity(name, lo, hi, len(args))
    out = [receiver, *args] + [None] * (hi - len(args))
    if name == "reduce":
        out.append(len(args) > 1)
    return out


def param_count(f):
    """How many arguments a callback declares (calls in Neutron need the exact count)."""
    cls = f.__class__
    if cls is Function:
        return len(f.code.params)
    if cls is Native:
        return f.min_args
    if cls is BoundMethod:
        if isinstance(f.method, str):
            table = STRING_METHODS if f.receiver.__class__ is str else ARRAY_METHODS
            entry = table.get(f.method)
            if entry is not None:
                return entry[1]
            return CALLBACK_ARITY.get(f.method, (1, 1))[0]
        return param_count(f.method)
    if cls is Class:
        init = f.methods.get("initialize")
        return 0 if init is None else param_count(init)
    return 1


def _p_callback_arity(vm, args):
    f, name = args
    if f.__class__ not in (Function, Native, BoundMethod, Class):
        raise NeutronError(f"{to_str(name)}() expects a function, got {type_name(f)}")
    return float(param_count(f))


def _p_array(v):
    """The prelude's helpers get arrays from the prelude's own code; a snapshot could hand them anything."""
    if v.__class__ is not list:
        raise NeutronError(f"Expected an array, got {type_name(v)}.")
    return v


def _p_sort(vm, args):
    return sort_default(_p_array(args[0]))


def _p_before(vm, args):
    """Whether a comparator's answer puts its first argument first: a negative number, or true."""
    r = args[0]
    if r.__class__ is bool:
        return r
    if _is_num(r):
        return r < 0
    raise NeutronError(f"sort() comparator must return a number or a boolean, got {type_name(r)}.")


def _p_copy(vm, args):
    return list(_p_array(args[0]))


def _p_replace(vm, args):
    _p_array(args[0])[:] = _p_array(args[1])
    return args[0]


def _p_extend(vm, args):
    if args[1].__class__ is list:
        _p_array(args[0]).extend(args[1])
    else:
        _p_array(args[0]).append(args[1])
    return None


def _p_error(vm, args):
    raise NeutronError(to_str(args[0]))


PRELUDE_NATIVES = {
    "__callback_arity": (_p_callback_arity, 2, 2),  # (f, method name) -> parameter count; checks f is callable
    "__sort_default": (_p_sort, 1, 1),
    "__before": (_p_before, 1, 1),
    "__copy": (_p_copy, 1, 1),
    "__replace": (_p_replace, 2, 2),
    "__extend": (_p_extend, 2, 2),
    "__error": (_p_error, 1, 1),
}


# Callbacks get as many of (element, index, array) as they declare; reduce's get (accumulator, element, index,
# array). The loops stop at the length the array had at the start, like JavaScript's. Each loop writes out the
# choice among those calls: a shared Neutron helper would add its frame to every stack trace that passes through a
# callback, and made find/some/every ~25% slower in the VM. The compiled tier mirrors the locals of __array_map,
# __array_filter and __array_for_each (tier/fastloops.py).
PRELUDE_FILE = os.path.join(os.path.dirname(__file__), "prelude.nt")
_prelude_text = None


def prelude_source():
    """The Neutron source of the callback methods (runtime/prelude.nt, package data), read on first use. Its line
    numbers show in stack traces (`at __array_map (<prelude>:7)`)."""
    global _prelude_text
    if _prelude_text is None:
        with open(PRELUDE_FILE, encoding="utf-8") as fh:
            _prelude_text = fh.read()
    return _prelude_text
