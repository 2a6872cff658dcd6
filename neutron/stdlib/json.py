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

import math
import re

from ..errors import NeutronError
from ..natives import NativeModule, arg_dict, arg_str, opt
from ..values import Buffer, format_number, type_name

module = NativeModule("json")

MAX_DEPTH = 10000      # nesting limit for parse, stringify and clone


# ---- stringify -----------------------------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\ud800-\udfff]')


def _escape_char(m):
    c = m.group(0)
    return _ESCAPES.get(c) or "\\u%04x" % ord(c)


def quote(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, s) + '"'


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


def stringify_value(value, indent=None, fname="json.stringify") -> str:
    out = []
    active = set()      # ids of the containers being written: a repeat means a cycle

    def write(v, level):
        cls = v.__class__
        if cls is str:
            out.append(quote(v))
        elif v is None:
            out.append("null")
        elif v is True:
            out.append("true")
        elif v is False:
            out.append("false")
        elif cls is float or cls is int:
            out.append(format_number(v) if math.isfinite(v) else "null")
        elif cls is list or cls is dict:
            if id(v) in active:
                raise NeutronError(f"{fname}: cannot convert a structure that contains itself.")
            if level > MAX_DEPTH:
                raise NeutronError(f"{fname}: nesting too deep.")
            active.add(id(v))
            is_list = cls is list
            opener, closer = ("[", "]") if is_list else ("{", "}")
            if not v:
                out.append(opener + closer)
            else:
                out.append(opener)
                inner = None if indent is None else "\n" + indent * (level + 1)
                first = True
                for item in (v if is_list else v.items()):
                    if not first:
                        out.append(",")
                    first = False
                    if inner is not None:
                        out.append(inner)
                    if is_list:
                        write(item, level + 1)
                    else:
                        out.append(quote(item[0]))
                        out.append(":" if indent is None else ": ")
                        write(item[1], level + 1)
                if indent is not None:
                    out.append("\n" + indent * level)
                out.append(closer)
            active.discard(id(v))
        elif cls is Buffer:
            out.append('"<buffer>"')
        else:
            out.append("null")

    try:
        write(value, 0)
    except RecursionError:
        raise NeutronError(f"{fname}: nesting too deep.")
    return "".join(out)


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


def _parse(fname, text, where=""):
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
    path = arg_str(args, 0, "json.readFile")
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
    path = arg_str(args, 0, "json.writeFile")
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
        raise NeutronError(f"{fname}: argument 2 (key) must be a string or a number, got {type_name(key)}.")
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
