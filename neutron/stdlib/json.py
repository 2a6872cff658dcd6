"""json: JSON text <-> Neutron values.

    stringify(value[, pretty]) -> string     pretty: true (2 spaces), a number of spaces, or an indent string
    parse(text) -> value                     readFile(path) -> value       writeFile(path, value[, pretty]) -> true
    get(obj, key) -> value or nil            set(obj, key, value) -> obj   has(obj, key) -> bool
    delete(obj, key) -> obj                  keys(obj) -> array            values(obj) -> array
    merge(a, b) -> new object (b wins)       clone(value) -> deep copy

Numbers are written like `say` prints them (1, 1.5, 0.333333333333333); inf and nan become null. Functions,
classes, instances, modules and resources become null, a buffer the string "<buffer>". Objects keep their key
order. parse is strict JSON (except that raw control characters are allowed inside strings); errors give the
line and column.
"""
from __future__ import annotations

import gc
import math
import re
from itertools import accumulate, chain as _chain, compress

try:    # the C accelerators of the standard json module; without them only the Python code below is used
    from json import JSONDecoder as _JSONDecoder
    from json.encoder import c_encode_basestring as _c_quote, c_make_encoder as _c_make_encoder
    from json.scanner import c_make_scanner as _c_make_scanner
except ImportError:     # pragma: no cover
    _JSONDecoder = _c_quote = _c_make_encoder = _c_make_scanner = None

from ..errors import NeutronError
from .native import NativeModule, arg_dict, arg_error, arg_path, arg_str, opt
from ..runtime.values import MAX_TEXT, NUMBER_TEXT, WALK_CHECK, Buffer, format_number, type_name

module = NativeModule("json")

MAX_DEPTH = 10000      # nesting limit for parse, stringify and clone
_get_referents = gc.get_referents


# ---- stringify -----------------------------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\ud800-\udfff]')


def _escape_char(m):
    c = m.group(0)
    return _ESCAPES.get(c) or "\\u%04x" % ord(c)


def _quote_py(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, s) + '"'


def _quote_c(s: str) -> str:
    """The C encoder's quoting (the same escapes, in lower-case hexadecimal) with surrogates escaped after."""
    if s.__class__ is not str:
        return _quote_py(s)     # (a str subclass is quoted alike; anything else fails as it always did)
    q = _c_quote(s)
    return q if q.isascii() else _escape_surrogates(q)


quote = _quote_py if _c_quote is None else _quote_c


def _indent_of(fname, pretty):
    if pretty is None or pretty is False:
        return None
    if pretty is True:
        return "  "
    if pretty.__class__ is float or pretty.__class__ is int:
        if not pretty >= 0:
            raise NeutronError(f"{fname}: the indent must be a non-negative number.")
        n = int(min(pretty, 10))
        return " " * n if n > 0 else None
    if pretty.__class__ is str:
        return pretty[:10] or None
    raise NeutronError(f"{fname}: the pretty argument must be a boolean, a number or a string, got "
                       f"{type_name(pretty)}.")


class _Fallback(Exception):
    """The C path cannot reproduce this value's output exactly: the Python writer handles it."""


_FAST_DEPTH = 200       # deeper (or cyclic) values take the Python writer, which reports cycles and depth
_PLAIN_TYPES = frozenset((str, bool, type(None)))     # written the same way by the C encoder
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _surrogate_escape(m):
    return "\\u%04x" % ord(m.group(0))


def _fast_number(v):
    """v (a float or an int) as the int or float whose repr is format_number(v), or None for "null"."""
    if v.__class__ is int:
        if -1000000000000000 < v < 1000000000000000:
            return v
        raise _Fallback
    if v != v or v == math.inf or v == -math.inf:
        return None
    if v.is_integer() and -1e15 < v < 1e15:
        i = int(v)
        if i or math.copysign(1.0, v) > 0:
            return i
        raise _Fallback     # -0.0, which format_number writes as "-0"
    t = "%.15g" % v
    f = float(t)
    if f.is_integer() and -1e15 < f < 1e15:    # rounded to an integer: "%.15g" wrote it in plain digits
        return int(f)
    if repr(f) == t:
        return f
    raise _Fallback     # 1e15 <= |v| < 1e16 (repr has no exponent there), some subnormals


_SHORT = {}             # float -> whether repr writes it as "%.15g" does (at most 15 digits, normal, |x| < 1e15)
_SHORT_MAX = 4096       # the cache is bounded: values repeat in real documents, random ones only fill it


def _fast_float(x):
    """The int or float the C encoder must be given for the float x, or x itself when it writes x right."""
    if x.is_integer():
        if x and -1e15 < x < 1e15:
            return int(x)
        return _fast_number(x)
    short = _SHORT.get(x)
    if short is None:
        short = (1e-307 < x < 1e15 or -1e15 < x < -1e-307) and len(repr(x)) < 16
        if len(_SHORT) < _SHORT_MAX:
            _SHORT[x] = short
    return x if short else _fast_number(x)


def _fast_convert(v, depth, walk):
    """v with every number replaced by the int or float whose repr is what format_number writes, so that the C
    encoder prints exactly what the Python writer would; containers are copied only when something in them
    changes. Raises _Fallback for what the C encoder cannot reproduce. `walk` is [containers met, the value]: see
    check_size. Objects and arrays have a loop each, with floats handled first, because this walk is the hot part
    of stringify."""
    cls = v.__class__
    if cls is dict:
        if depth > _FAST_DEPTH:
            raise _Fallback
        walk[0] += 1
        if walk[0] == WALK_CHECK:
            check_size(walk[1], None, "json.stringify")
        depth += 1
        out = None
        for k, x in v.items():
            if k.__class__ is not str:
                raise _Fallback
            cls = x.__class__
            if cls is float:
                # a whole number other than 0 (-0 is not an int) as its int, without a call
                if not (-1e15 < x < 1e15 and (y := int(x)) == x and y):
                    y = _fast_float(x)
            elif cls in _PLAIN_TYPES:
                continue
            else:
                y = _fast_convert(x, depth, walk)
            if y is x:
                continue
            if out is None:
                out = v.copy()
            out[k] = y
        return v if out is None else out
    if cls is list:
        if depth > _FAST_DEPTH:
            raise _Fallback
        walk[0] += 1
        if walk[0] == WALK_CHECK:
            check_size(walk[1], None, "json.stringify")
        depth += 1
        out = None
        for i, x in enumerate(v):
            cls = x.__class__
            if cls is float:
                # a whole number other than 0 (-0 is not an int) as its int, without a call
                if not (-1e15 < x < 1e15 and (y := int(x)) == x and y):
                    y = _fast_float(x)
            elif cls in _PLAIN_TYPES:
                continue
            else:
                y = _fast_convert(x, depth, walk)
            if y is x:
                continue
            if out is None:
                out = v.copy()
            out[i] = y
        return v if out is None else out
    if cls is float or cls is int:
        return _fast_number(v)
    if cls in _PLAIN_TYPES:
        return v
    if cls is Buffer:
        return "<buffer>"
    return None


def _fast_default(o):
    raise _Fallback


try:    # markers, default, encoder, indent, key separator, item separator, sort_keys, skipkeys, allow_nan
    _c_encode = _c_make_encoder(None, _fast_default, _c_quote, None, ":", ",", False, False, False)
except TypeError:       # pragma: no cover - absent (None) or of another signature
    _c_encode = None


def _fast_stringify(value):
    """The compact text of value through the C encoder, or None when the Python writer must be used."""
    try:
        text = "".join(_c_encode(_fast_convert(value, 0, [0, value]), 0))
    except NeutronError:
        raise
    except Exception:
        return None
    return _escape_surrogates(text)


def _escape_surrogates(text):
    if not text.isascii():
        try:
            text.encode("utf-16-le")    # quicker than a search (or UTF-8); fails on surrogates, which the C
                                        # encoder leaves raw
        except UnicodeEncodeError:
            text = _SURROGATE.sub(_surrogate_escape, text)
    return text


# The raw route: for an array or object of ordinary values (strings, floats, booleans, nil, arrays and objects with
# string keys, nesting no deeper than _FAST_DEPTH) the C encoder writes the value as it is and the text is then
# mended with str operations, instead of a walk in Python that turns whole floats into ints. What the C encoder
# writes differently from format_number:
#   - a whole float as "1.0" (and -0 as "-0.0"): the ".0" is removed. The item separator is "\x01" while it
#     writes, a character that only appears escaped inside strings, so that ".0" followed by closing brackets and
#     then "\x01" or the end of the text is the end of a number, never part of a string (a string is closed by a
#     quote before any "\x01"); "\x01" then becomes ",".
#   - nan and the infinities: it refuses them (allow_nan off) and the older route writes null.
#   - numbers whose repr is not "%.15g": 16 significant digits or more, subnormals (and ints from 1e15 on): seen
#     as a run of 16 digits and dots, or an exponent of -100 or lower, at the end of a number, and rewritten by
#     format_number (see _mend_numbers).
# The level walk below finds, with C-level calls (gc.get_referents gives the items of lists and the values of
# objects with string keys), the values' types, the depth (which also rules out cycles: a cycle never ends) and
# the number of arrays and objects (for check_size), without writing anything. Large values with shared parts
# are left to the older route, so that a cycle that branches cannot make the walk long.

_NoneType = type(None)
_RAW_TYPES = frozenset((str, float, bool, _NoneType, int, list, dict))      # written alike when numbers are mended
_CONTAINERS = frozenset((list, dict))
_is_container = _CONTAINERS.__contains__
_ODD_BASES = (str, int, float, list, tuple, dict)      # subclasses the C encoder writes while the writer gives null
_RAW_MIN_ITEMS = 32        # in the first levels (see _raw_worth): below that, the fixed cost of the walk and the
                                # text passes is more than what they save
_RAW_PROBE_LEVELS = 4       # how deep _raw_worth looks for them
_RAW_MAX_ITEMS = 10_000_000     # a larger walk (shared parts written out many times) is left to the older route
_COLUMNS_MIN = 16           # arrays and objects of one length in a level, from this many on: walked by columns
_TYPE_SAMPLE = 61           # every this-many-th type is looked at before a count (see _type_set)


def _type_set(types):
    """The set of a list of types. A level or a column mostly holds one type: then a count (identity tests) instead
    of adding each to a set, which takes about three times as long. A sample tells most mixed lists first (the
    count is slow where the types differ)."""
    if types:
        first = types[0]
        if first is types[-1] and len(set(types[::_TYPE_SAMPLE])) == 1 and types.count(first) == len(types):
            return {first}
    return set(types)


def _odd_types(present):
    """Whether a set of types holds a subclass the C encoder would write otherwise than the writer."""
    return not present <= _RAW_TYPES and any(issubclass(t, _ODD_BASES) for t in present - _RAW_TYPES)


def _raw_walk(value, fname):
    """For an array or object: whether numbers occur in it, or None when it cannot take the raw route."""
    level = [value]
    containers = 1
    items = 0
    numbers = False
    depth = 1
    while True:
        refs = _get_referents(*level)       # the items of the arrays and objects in level
        n = len(level)
        width = len(refs) // n
        if n >= _COLUMNS_MIN and list(map(len, level)).count(width) == n:
            # arrays or objects all of one length (records, rows): column j holds the j-th item of each, and the
            # types are found a column at a time, so that a column of arrays or objects is the next level as it is
            # (a slice) instead of being picked out of all the items one by one
            if len(refs) != width * n:
                return None     # an object with a key that is not a string (its keys are among its referents)
            if not refs:
                return numbers
            items += len(refs)
            present = set()
            parts = []
            for j in range(width):
                column = refs[j::width]
                kinds = _type_set(list(map(type, column)))
                present |= kinds
                if kinds <= _CONTAINERS:
                    parts.append(column)
                elif list in kinds or dict in kinds:
                    parts.append(list(compress(column, map(_is_container, map(type, column)))))
            if _odd_types(present):
                return None
            numbers = numbers or float in present or int in present
            if not parts:
                return numbers
            level = parts[0] if len(parts) == 1 else list(_chain(*parts))
        else:
            if len(refs) != sum(map(len, level)):
                return None     # an object with a key that is not a string (its keys are among its referents)
            if not refs:
                return numbers
            items += len(refs)
            types = list(map(type, refs))
            present = _type_set(types)
            if _odd_types(present):
                return None
            numbers = numbers or float in present or int in present
            if present <= _CONTAINERS:
                level = refs
            elif list in present or dict in present:
                level = list(compress(refs, map(_is_container, types)))
            else:
                return numbers
        if containers + len(level) >= WALK_CHECK:
            if containers < WALK_CHECK:
                try:
                    check_size(value, None, fname)
                except NeutronError:
                    return None     # the older route meets it (or a cycle or depth error first) as it always did
            if len(set(map(id, level))) != len(level):
                return None     # shared parts (or a cycle, which this walk would follow until its depth limit)
        containers += len(level)
        depth += 1
        if depth > _FAST_DEPTH + 1 or items > _RAW_MAX_ITEMS:
            return None


def _raw_worth(value):
    """Whether an array or object holds enough items in its first _RAW_PROBE_LEVELS levels for the raw route to be
    the quicker (an object of a few keys whose values hold the bulk of the document counts by what is below it)."""
    if len(value) >= _RAW_MIN_ITEMS:
        return True
    level = [value]
    items = 0
    for _ in range(_RAW_PROBE_LEVELS):
        level = _get_referents(*level)
        if not level:
            return False
        items += len(level)
        if items >= _RAW_MIN_ITEMS:
            return True
    return False


def _raw_default(o):
    return "<buffer>" if o.__class__ is Buffer else None


try:    # as _c_encode, with the item separator "\x01" and the raw value's own default; without numbers, ","
    _c_raw = _c_make_encoder(None, _raw_default, _c_quote, None, ":", "\x01", False, False, False)
    _c_plain = _c_make_encoder(None, _raw_default, _c_quote, None, ":", ",", False, False, False)
except TypeError:       # pragma: no cover
    _c_raw = _c_plain = None
_WHOLE = re.compile("\\.0(?=[\\]}]*(?:\x01|\\Z))")      # a whole float's ".0", at the end of a number
_WHOLE_END = re.compile("\\.0[\\]}]+(?:\x01|\\Z)")     # the same, with the brackets that close after it
_WHOLE_NEAR = 4096      # a suffix seen again within this many characters is replaced in one pass
_WHOLE_SUFFIXES = 4     # at most this many passes, then the expression for the rest


def _mend_wholes(marked):
    """marked (with its "\x01" item separators) without the ".0" of its whole floats. Most are followed by "\x01"
    itself: a plain replace. Those that close arrays or objects are found by _WHOLE_END, each with its closing
    brackets and the "\x01" after them (that text is never inside a string, so all of its occurrences are whole
    floats): a suffix that occurs again soon (the last field of records) is replaced everywhere in one pass, quicker
    than an expression match for each; the rest are left to _WHOLE."""
    marked = marked.replace(".0\x01", "\x01")
    match = _WHOLE_END.search(marked)
    passes = 0
    while match is not None:
        start = match.start()
        suffix = match.group()
        if suffix[-1] != "\x01":
            return marked[:start] + suffix[2:]      # the end of the text, after its last number
        passes += 1
        if passes > _WHOLE_SUFFIXES or marked.find(suffix, match.end(), match.end() + _WHOLE_NEAR) < 0:
            return _WHOLE.sub("", marked)       # (nothing before start matches)
        marked = marked.replace(suffix, suffix[2:])
        match = _WHOLE_END.search(marked, start)
    return marked


_DIGITS = bytes.maketrans(b"123456789.", b"0000000000")
_NUMBER_END = re.compile(b"0*(?:[eE][+-]?0+)?(?=[\\]}]*(?:\x01|\\Z))")    # in the translated text
_ZEROS = re.compile(b"0*")
_NUMBER_BYTES = frozenset(b"0eE+-")          # in the translated text
_ODD_NUMBER_TRIES = 64


_LONG_RUN = re.compile(b"(0000000000000000(?<!00000000000000000)0*+(?:e[+-]?0++)?)(?=[\\]}]*+(?:\x01|\\Z))")
_G15 = "%.15g".__mod__         # format_number for every finite float (whole ones below 1e15 have no exponent)
_G15_BYTES = b"%.15g".__mod__
_TINY = b"e-000"


def _mend_numbers(marked):
    """marked (with its "\x01" item separators, whole floats mended) with every number that format_number writes
    otherwise rewritten by it, or None when the older route must decide (an int too large for a float). The
    numbers are found in the text with its digits and dots made "0" (a copy of the same length): a run of 16 or
    more at the end of a number (16 significant digits or more, ints and whole floats from 1e15 on). The split
    by _LONG_RUN keeps the lengths of the pieces, so the same pieces of the text itself are cut by C calls and
    their numbers rewritten by "%.15g" (the same as format_number for a finite float; an int is first made a float,
    as format_number does; a sign stays in the piece before). An exponent of -100 or lower (subnormals) is left
    to _mend_odd_numbers."""
    b = marked.encode("utf-8", "surrogatepass")
    t = b.translate(_DIGITS)
    if t.find(b"0000000000000000") < 0:
        if 45 not in t or t.find(_TINY) < 0:    # (a one-byte search for "-" is much quicker than that for "e-000")
            return marked
        return _mend_odd_numbers(marked)
    if 45 in t and t.find(_TINY) >= 0:
        return _mend_odd_numbers(marked)
    cut = _LONG_RUN.split(t)
    if len(cut) == 1:
        return marked       # the runs were all inside strings
    if marked.isascii():
        src, fmt, inf = marked, _G15, "inf"
    else:
        src, fmt, inf = b, _G15_BYTES, b"inf"
    ends = list(accumulate(map(len, cut)))
    ends.insert(0, 0)
    parts = list(map(src.__getitem__, map(slice, ends, ends[1:])))
    numbers = list(map(fmt, map(float, parts[1::2])))
    if inf in numbers:
        return None     # an int beyond the floats: the writer reports it
    parts[1::2] = numbers
    text = src[:0].join(parts)
    return text if src is marked else text.decode("utf-8", "surrogatepass")


def _mend_odd_numbers(marked):
    """marked (with its "\x01" item separators, whole floats mended) with every number that format_number writes
    otherwise (16 digits and dots in a row, or an exponent below -99, at the end of a number) rewritten by it, or
    None when the older route must decide (an int too large for a float, a text that is not ASCII, many long
    digit runs inside strings)."""
    t = marked.encode("utf-8", "surrogatepass").translate(_DIGITS)
    found = None
    misses = 0
    # (an exponent below -99 needs a "-": a one-byte search, much quicker than the search for "e-000")
    for pattern in (b"0000000000000000", b"e-000") if 45 in t else (b"0000000000000000",):
        pos = t.find(pattern)
        while pos >= 0:
            end = pos + len(pattern)
            m = _NUMBER_END.match(t, end)
            if m is None:
                misses += 1
                if misses > _ODD_NUMBER_TRIES:
                    return None     # many near misses in strings: the older route, rather than a long search
                pos = t.find(pattern, _ZEROS.match(t, end).end())
                continue
            start = pos
            while start and t[start - 1] in _NUMBER_BYTES:
                start -= 1
            if found is None:
                if not marked.isascii():
                    return None     # (positions in t are those of the UTF-8 bytes)
                found = {}
            found[start] = m.end()
            pos = t.find(pattern, m.end())
    if found is None:
        return marked
    out = []
    done = 0
    for start in sorted(found):
        end = found[start]
        if start < done:
            continue
        token = marked[start:end]
        try:
            if "." in token or "e" in token or "E" in token:
                text = format_number(float(token))
            else:
                text = format_number(int(token))    # an int, or a whole float from 1e15 on whose ".0" was removed
        except (OverflowError, ValueError):
            return None     # an int beyond the floats (the writer reports it), or what is not a number after all
        out.append(marked[done:start])
        out.append(text)
        done = end
    out.append(marked[done:])
    return "".join(out)


def _raw_stringify(value, fname):
    """The compact text of an array or object by the raw route, or None when it cannot take it."""
    numbers = _raw_walk(value, fname)
    if numbers is None:
        return None
    try:
        if not numbers:     # nothing to mend: written with "," at once
            return _escape_surrogates("".join(_c_plain(value, 0)))
        marked = "".join(_c_raw(value, 0))
    except Exception:       # nan or an infinity (ValueError), the recursion limit
        return None
    marked = _mend_numbers(_mend_wholes(marked))
    if marked is None:
        return None
    return _escape_surrogates(marked.replace("\x01", ","))


def stringify_value(value, indent=None, fname="json.stringify", fast=True) -> str:
    if fast and indent is None and _c_encode is not None:
        text = None
        if (value.__class__ is list or value.__class__ is dict) and _c_raw is not None and _raw_worth(value):
            text = _raw_stringify(value, fname)
        if text is None:
            text = _fast_stringify(value)
        if text is not None:
            return text
    # the Python writer: pretty output, and what the C path leaves to it (cycles, depth, -0, ...). It stays in
    # this function so that the stack depth at which it meets the recursion limit is what it always was (one frame
    # for each array or object; the items that are not are written in their container's loop).
    out = []
    append = out.append
    active = set()      # ids of the containers being written: a repeat means a cycle
    walk = [0]          # containers written (see check_size)
    colon = ":" if indent is None else ": "
    keys = {}           # key -> its quoted text and the colon (keys repeat from record to record)
    number_text = NUMBER_TEXT.get
    isfinite = math.isfinite
    # strings: the C encoder's quoting, their surrogates escaped in the whole text at the end (only strings hold
    # characters beyond ASCII)
    quote_str = quote if _c_quote is None else _c_quote

    def write(v, level):
        """Writes v, an array or an object."""
        if id(v) in active:
            raise NeutronError(f"{fname}: cannot convert a structure that contains itself.")
        if level > MAX_DEPTH:
            raise NeutronError(f"{fname}: nesting too deep.")
        walk[0] += 1
        if walk[0] == WALK_CHECK:
            check_size(value, indent, fname)
        is_list = v.__class__ is list
        if not v:
            append("[]" if is_list else "{}")
            return
        active.add(id(v))
        inner = "" if indent is None else "\n" + indent * (level + 1)
        sep = "," + inner
        append(("[" if is_list else "{") + inner)
        first = True
        for item in v if is_list else v.items():
            if first:
                first = False
            else:
                append(sep)
            if not is_list:
                key, item = item
                text = keys.get(key)
                if text is None:
                    text = keys[key] = quote(key) + colon
                append(text)
            cls = item.__class__
            if cls is str:
                append(quote_str(item))
            elif cls is float or cls is int:
                text = number_text(item)
                append(text if text is not None else format_number(item) if isfinite(item) else "null")
            elif cls is list or cls is dict:
                write(item, level + 1)
            else:
                append(_leaf_text(item))
        if indent is not None:
            append("\n" + indent * level)
        append("]" if is_list else "}")
        active.discard(id(v))

    try:
        if value.__class__ is list or value.__class__ is dict:
            write(value, 0)
        elif value.__class__ is str:
            append(quote_str(value))
        elif value.__class__ is float or value.__class__ is int:
            append(format_number(value) if math.isfinite(value) else "null")
        else:
            append(_leaf_text(value))
    except RecursionError:
        raise NeutronError(f"{fname}: nesting too deep.")
    return _escape_surrogates("".join(out))


def _leaf_text(v):
    """The text of a value that is not a string, a number, an array or an object."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v.__class__ is Buffer:
        return '"<buffer>"'
    return "null"


def check_size(value, indent, fname):
    """Called once a text has met WALK_CHECK arrays and objects: only shared parts (written out at every place they
    occur, see values.MAX_TEXT) can make it exponentially long, so its length is measured here (a lower bound, each
    array or object once, once per level when indented) and a text beyond MAX_TEXT is refused."""
    memo = {}
    step = 0 if indent is None else len(indent)

    def size(v, level):
        cls = v.__class__
        if cls is str:
            return len(v) + 2
        if cls is not list and cls is not dict:
            return 1
        key = (id(v), level if step else 0)
        n = memo.get(key)
        if n is None:
            memo[key] = 0           # (a cycle: the writer reports it)
            n = 2 + max(len(v) - 1, 0) + sum(size(x, level + 1) for x in (v if cls is list else v.values()))
            if cls is dict:
                n += sum(len(k) + 3 for k in v)
            if step and v:
                n += len(v) * (1 + step * (level + 1)) + 1 + step * level
            memo[key] = n
        return n
    try:
        too_long = size(value, 0) > MAX_TEXT
    except RecursionError:
        raise NeutronError(f"{fname}: nesting too deep.") from None
    if too_long:
        raise NeutronError(f"{fname}: the text would be longer than {MAX_TEXT:,} characters (shared parts are "
                           f"written out at every place they occur).")


@module.function("stringify", 1, 2)
def stringify(vm, args):
    return stringify_value(args[0], _indent_of("json.stringify", opt(args, 1)))


# ---- parse -----------------------------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_PLAIN = re.compile(r'[^"\\]*')
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class _ParseError(Exception):
    def __init__(self, message, pos):
        super().__init__(message)
        self.message = message
        self.pos = pos


def _where(text, pos):
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}"


def _show(c):
    if c.isprintable() and c not in "'\\":
        return c
    return {"\n": "\\n", "\t": "\\t", "\r": "\\r", "'": "\\'", "\\": "\\\\"}.get(c, "\\u%04x" % ord(c))


def _unexpected(text, pos):
    if pos >= len(text):
        return _ParseError("Unexpected end of input", pos)
    return _ParseError(f"Unexpected character '{_show(text[pos])}'", pos)


def _parse_string(text, pos):
    """`pos` is just after the opening quote; returns (string, position after the closing quote)."""
    start = pos - 1
    parts = []
    n = len(text)
    while True:
        m = _PLAIN.match(text, pos)
        parts.append(m.group(0))
        pos = m.end()
        if pos >= n:
            raise _ParseError("Unterminated string", start)
        c = text[pos]
        if c == '"':
            return "".join(parts), pos + 1
        # a backslash
        if pos + 1 >= n:
            raise _ParseError("Unterminated string", start)
        e = text[pos + 1]
        if e in _SIMPLE_ESCAPES:
            parts.append(_SIMPLE_ESCAPES[e])
            pos += 2
        elif e == "u":
            code, pos = _hex4(text, pos)
            if 0xD800 <= code < 0xDC00:
                # a high surrogate: pair it with a following low one, or it stands for nothing valid
                if text.startswith("\\u", pos) and _HEX4.match(text, pos + 2):
                    low = int(text[pos + 2:pos + 6], 16)
                    if 0xDC00 <= low < 0xE000:
                        parts.append(chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
                        pos += 6
                        continue
                parts.append("\ufffd")
            elif 0xDC00 <= code < 0xE000:
                parts.append("\ufffd")
            else:
                parts.append(chr(code))
        else:
            raise _ParseError(f"Invalid escape '\\{_show(e)}'", pos)


def _hex4(text, pos):
    m = _HEX4.match(text, pos + 2)
    if not m:
        raise _ParseError("Invalid \\u escape (4 hexadecimal digits expected)", pos)
    return int(m.group(0), 16), m.end()


def parse_text(text: str):
    """Parse a JSON document; raises _ParseError(message, position)."""
    n = len(text)
    ws = _WS.match

    def value(pos, depth):
        if depth > MAX_DEPTH:
            raise _ParseError("Nesting too deep", pos)
        pos = ws(text, pos).end()
        if pos >= n:
            raise _unexpected(text, pos)
        c = text[pos]
        if c == '"':
            return _parse_string(text, pos + 1)
        if c == "{":
            obj = {}
            pos = ws(text, pos + 1).end()
            if pos < n and text[pos] == "}":
                return obj, pos + 1
            while True:
                if pos >= n or text[pos] != '"':
                    raise _unexpected(text, pos)
                key, pos = _parse_string(text, pos + 1)
                pos = ws(text, pos).end()
                if pos >= n or text[pos] != ":":
                    raise _unexpected(text, pos)
                item, pos = value(pos + 1, depth + 1)
                obj[key] = item
                pos = ws(text, pos).end()
                if pos < n and text[pos] == ",":
                    pos = ws(text, pos + 1).end()
                    continue
                if pos < n and text[pos] == "}":
                    return obj, pos + 1
                raise _unexpected(text, pos)
        if c == "[":
            arr = []
            pos = ws(text, pos + 1).end()
            if pos < n and text[pos] == "]":
                return arr, pos + 1
            while True:
                item, pos = value(pos, depth + 1)
                arr.append(item)
                pos = ws(text, pos).end()
                if pos < n and text[pos] == ",":
                    pos += 1
                    continue
                if pos < n and text[pos] == "]":
                    return arr, pos + 1
                raise _unexpected(text, pos)
        if c == "-" or "0" <= c <= "9":
            m = _NUMBER.match(text, pos)
            if not m:
                raise _unexpected(text, pos + 1)
            return float(m.group(0)), m.end()
        for word, v in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, pos):
                return v, pos + len(word)
        # point at the first character that breaks a literal, like 'tru' -> the char after 'tru'
        for word in ("true", "false", "null"):
            if c == word[0]:
                i = 0
                while pos + i < n and i < len(word) and text[pos + i] == word[i]:
                    i += 1
                raise _unexpected(text, pos + i)
        raise _unexpected(text, pos)

    try:
        result, pos = value(0, 0)
    except RecursionError:
        raise _ParseError("Nesting too deep", 0)
    pos = ws(text, pos).end()
    if pos < n:
        raise _unexpected(text, pos)
    return result


class _Rejected(Exception):
    pass


def _reject_constant(name):
    raise _Rejected(name)       # NaN, Infinity, -Infinity are not JSON


try:
    _c_scan = _c_make_scanner(_JSONDecoder(parse_int=float, parse_constant=_reject_constant, strict=False))
except TypeError:       # pragma: no cover - absent (None)
    _c_scan = None
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_4 = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE_PAIR = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_ESCAPED_BACKSLASH_U = re.compile(r"\\\\u[dD][89a-fA-F]")
_MISS = object()


def _deeper_than(value, limit):
    """Whether a decoded value holds something inside more than `limit` arrays and objects. A level at a time:
    gc.get_referents gives the items of the arrays and objects among its arguments (decoded objects have string
    keys: their values only) and nothing for strings, numbers, booleans and nil."""
    level = [value]
    for _ in range(limit):
        level = _get_referents(*level)
        if not level:
            return False
    return bool(_get_referents(*level))


def _within_max_depth(text, value):
    """Whether value, decoded from text, nests no deeper than the Python parser allows (it refuses a value inside
    more than MAX_DEPTH arrays and objects)."""
    if len(text) <= MAX_DEPTH:
        return True
    return (value.__class__ is not list and value.__class__ is not dict) or not _deeper_than(value, MAX_DEPTH)


def _fast_parse(text):
    """text decoded by the C scanner, or _MISS when the Python parser must decide (errors included)."""
    if "\\" in text and _SURROGATE_ESCAPE.search(text):     # (a one-character search is much the quicker)
        # the C scanner keeps an unpaired surrogate escape where the Python parser writes U+FFFD: use it only
        # when every such escape is plainly one half of a pair
        if (_ESCAPED_BACKSLASH_U.search(text)
                or len(_SURROGATE_ESCAPE_4.findall(text)) != 2 * len(_SURROGATE_PAIR.findall(text))):
            return _MISS
    try:
        # its nesting is bounded by the recursion limit, as the Python parser's is (a RecursionError lands here)
        value, end = _c_scan(text, _WS.match(text).end())
    except Exception:       # StopIteration, JSONDecodeError, RecursionError, _Rejected, ...
        return _MISS
    if _WS.match(text, end).end() != len(text) or not _within_max_depth(text, value):
        return _MISS
    return value


def _parse(fname, text, where=""):
    if _c_scan is not None:
        value = _fast_parse(text)
        if value is not _MISS:
            return value
    try:
        return parse_text(text)
    except _ParseError as e:
        raise NeutronError(f"{fname}: {e.message} at {_where(text, e.pos)}{where}.")


@module.function("parse", 1)
def parse(vm, args):
    return _parse("json.parse", arg_str(args, 0, "json.parse"))


# ---- files ---------------------------------------------------------------------------------------------------

@module.function("readFile", 1)
def read_file(vm, args):
    path = arg_path(args, 0, "json.readFile")
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        raise NeutronError(f"json.readFile: cannot open '{path}': {e.strerror or e}.")
    if text.startswith("\ufeff"):
        text = text[1:]
    return _parse("json.readFile", text, f" in '{path}'")


@module.function("writeFile", 2, 3)
def write_file(vm, args):
    path = arg_path(args, 0, "json.writeFile")
    text = stringify_value(args[1], _indent_of("json.writeFile", opt(args, 2)), "json.writeFile")
    try:
        with open(path, "wb") as f:
            f.write(text.encode("utf-8"))
    except OSError as e:
        raise NeutronError(f"json.writeFile: cannot write '{path}': {e.strerror or e}.")
    return True


# ---- objects -------------------------------------------------------------------------------------------------

def _index(fname, arr, key):
    """An array position from a number or a numeric string (json.get(users, "0")), or None."""
    if key.__class__ is str:
        if not key.isdigit() or not key.isascii():
            return None
        key = float(key)
    elif not (key.__class__ is float or key.__class__ is int):
        raise arg_error(key, 1, fname, "key", "a string or a number")
    if not math.isfinite(key) or key != int(key):
        return None
    i = int(key)
    return i if 0 <= i < len(arr) else None


@module.function("get", 2)
def get(vm, args):
    target = args[0]
    if target.__class__ is list:
        i = _index("json.get", target, args[1])
        return None if i is None else target[i]
    obj = arg_dict(args, 0, "json.get")
    return obj.get(arg_str(args, 1, "json.get", "key"))


@module.function("set", 3)
def set_(vm, args):
    obj = arg_dict(args, 0, "json.set")
    obj[arg_str(args, 1, "json.set", "key")] = args[2]
    return obj


@module.function("has", 2)
def has(vm, args):
    target = args[0]
    if target.__class__ is list:
        return _index("json.has", target, args[1]) is not None
    return arg_str(args, 1, "json.has", "key") in arg_dict(args, 0, "json.has")


@module.function("delete", 2)
def delete(vm, args):
    obj = arg_dict(args, 0, "json.delete")
    obj.pop(arg_str(args, 1, "json.delete", "key"), None)
    return obj


@module.function("keys", 1)
def keys(vm, args):
    return list(arg_dict(args, 0, "json.keys"))


@module.function("values", 1)
def values(vm, args):
    return list(arg_dict(args, 0, "json.values").values())


@module.function("merge", 2)
def merge(vm, args):
    a = arg_dict(args, 0, "json.merge")
    b = arg_dict(args, 1, "json.merge")
    out = dict(a)
    out.update(b)
    return out


def deep_copy(v, memo=None, depth=0):
    """Copies arrays and objects at every depth, keeping shared parts shared; other values are immutable or
    identities (functions, instances) and are kept as they are."""
    cls = v.__class__
    if cls is not list and cls is not dict:
        return v
    if memo is None:
        memo = {}
    if depth > MAX_DEPTH:
        raise RecursionError
    done = memo.get(id(v))
    if done is not None:
        return done
    if cls is list:
        out = []
        memo[id(v)] = out
        out.extend(deep_copy(x, memo, depth + 1) for x in v)
    else:
        out = {}
        memo[id(v)] = out
        for k, x in v.items():
            out[k] = deep_copy(x, memo, depth + 1)
    return out


@module.function("clone", 1)
def clone(vm, args):
    try:
        return deep_copy(args[0])
    except RecursionError:
        raise NeutronError("json.clone: nesting too deep.")
