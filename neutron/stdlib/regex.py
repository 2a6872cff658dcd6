"""The `regex` module: regular expressions with ECMAScript (JavaScript) syntax, run on Python's `re`.

Functions take (text, pattern[, replacement]): test (whole text), search (anywhere), find (first match as
{matched, position, length, groups}), findAll, replace (every match), split, isValid, escape.
Positions and lengths count characters (code points), like every string operation in Neutron.

Patterns are translated to Python syntax before compiling (compiled patterns are cached):
- `\\d`, `\\w`, `\\b` are ASCII-only, as in ECMAScript (`re.ASCII`); `\\s` is ECMAScript's set (ASCII and
  Unicode spaces, U+FEFF, U+2028/2029).
- `.` matches anything but \\n, \\r, U+2028 and U+2029; `$` matches only at the very end (Python's `$` also
  matches before a final newline); `^` only at the start (there is no multiline flag).
- `(?<name>...)` and `\\k<name>` become Python's `(?P<name>...)` and `(?P=name)`.
- `[]` matches nothing and `[^]` matches any character.
- ECMAScript's identity escapes are kept: `\\q`, `\\A`, `\\Z`, `\\e`... mean the letter itself; `\\cX` is a
  control character; `\\x` or `\\u` without enough hex digits mean the letter.
Known differences that are not translated: lookbehind must have a fixed width; a backreference to a group that
did not take part in the match fails (ECMAScript matches the empty string); `\\S` inside a character class is
ASCII-only; Python-only syntax (inline flags like `(?i)`, possessive quantifiers) is accepted.

Match objects: `groups[0]` is the whole match and a group that did not take part is "" (as in the reference);
when the pattern has named groups, the object also has `named`, an object name -> text.
Replacement strings use ECMAScript syntax: `$1`..`$99`, `$&` (the match), `` $` `` (before it), `$'` (after it),
`$<name>`, `$$` (a dollar); `$0` is also the whole match (as in the reference).
split keeps empty fields (also a trailing one) and leaves out captured groups; an empty match splits between
characters, never at the very start or end (as JavaScript's String.split).
"""
from __future__ import annotations

import functools
import re
import warnings

from .native import NativeModule, NeutronError, arg_str

module = NativeModule("regex")

_SPACE_SET = " \\t\\n\\r\\f\\v\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_DOT = "[^\\n\\r\\u2028\\u2029]"
_HEX = "0123456789abcdefABCDEF"
# Escapes whose meaning is the same in ECMAScript and Python (besides those handled one by one).
_SAME_ESCAPES = set("dDwWfnrtv0123456789")


def _translate(pattern: str):
    """ECMAScript pattern -> (Python pattern, map from each output index to the source index)."""
    out = []
    pos_map = []
    i = 0
    n = len(pattern)
    in_class = False

    def emit(text, at):
        out.append(text)
        pos_map.extend([at] * len(text))

    while i < n:
        c = pattern[i]
        start = i
        if c == "\\":
            if i + 1 >= n:
                emit("\\", start)           # let re report the trailing backslash
                i += 1
                continue
            e = pattern[i + 1]
            i += 2
            if e == "s" and not in_class:
                emit("[" + _SPACE_SET + "]", start)
            elif e == "s":
                emit(_SPACE_SET, start)
            elif e == "S" and not in_class:
                emit("[^" + _SPACE_SET + "]", start)
            elif e in _SAME_ESCAPES or e == "S":
                emit("\\" + e, start)
            elif e in "bB":
                if e == "B" and in_class:
                    emit("B", start)
                else:
                    emit("\\" + e, start)
            elif e == "x":
                if len(pattern[i:i + 2]) == 2 and all(h in _HEX for h in pattern[i:i + 2]):
                    emit("\\x" + pattern[i:i + 2], start)
                    i += 2
                else:
                    emit("x", start)
            elif e == "u":
                if len(pattern[i:i + 4]) == 4 and all(h in _HEX for h in pattern[i:i + 4]):
                    emit("\\u" + pattern[i:i + 4], start)
                    i += 4
                else:
                    emit("u", start)
            elif e == "c":
                if i < n and pattern[i].isascii() and pattern[i].isalpha():
                    emit("\\x%02x" % (ord(pattern[i]) % 32), start)
                    i += 1
                else:
                    emit("\\\\c", start)
            elif e == "k" and not in_class and i < n and pattern[i] == "<":
                end = pattern.find(">", i)
                if end < 0:
                    emit("k", start)
                else:
                    emit("(?P=" + pattern[i + 1:end] + ")", start)
                    i = end + 1
            elif e.isascii() and e.isalpha():
                emit(e, start)              # identity escape: the letter itself
            else:
                emit("\\" + e, start)       # escaped punctuation or other character
            continue
        if in_class:
            if c == "]":
                in_class = False
                emit("]", start)
            elif c in "[&~|":
                emit("\\" + c, start)       # literal in ECMAScript; Python warns of future set syntax
            else:
                emit(c, start)
            i += 1
            continue
        if c == "[":
            if pattern.startswith("[]", i):
                emit("(?!)", start)
                i += 2
            elif pattern.startswith("[^]", i):
                emit("[\\s\\S]", start)
                i += 3
            else:
                in_class = True
                if pattern.startswith("[^", i):
                    emit("[^", start)
                    i += 2
                else:
                    emit("[", start)
                    i += 1
            continue
        if c == ".":
            emit(_DOT, start)
        elif c == "$":
            emit("\\Z", start)
        elif c == "(" and pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            emit("(?P<", start)
            i += 3
            continue
        else:
            emit(c, start)
        i += 1
    pos_map.append(n)
    return "".join(out), pos_map


@functools.lru_cache(maxsize=512)
def _compile_cached(pattern: str):
    translated, pos_map = _translate(pattern)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(translated, re.ASCII)
    except re.error as e:
        where = ""
        if e.pos is not None:
            where = f" at position {pos_map[min(e.pos, len(pos_map) - 1)]}"
        raise _PatternError(f"{e.msg}{where}") from None
    except (OverflowError, RecursionError, ValueError) as e:
        raise _PatternError(str(e)) from None


class _PatternError(Exception):
    pass


def compile_pattern(pattern: str):
    try:
        return _compile_cached(pattern)
    except _PatternError as e:
        raise NeutronError(f"Invalid regex pattern: {e} in '{pattern}'.")     # the reference's words first


def _args(args, fname):
    text = arg_str(args, 0, fname, "text")
    pattern = arg_str(args, 1, fname, "pattern")
    return text, compile_pattern(pattern)


def _match_object(m):
    groups = [m.group(0)]
    for g in range(1, (m.re.groups or 0) + 1):
        v = m.group(g)
        groups.append(v if v is not None else "")
    result = {"matched": m.group(0), "position": float(m.start()), "length": float(m.end() - m.start()),
              "groups": groups}
    if m.re.groupindex:
        result["named"] = {name: (m.group(name) if m.group(name) is not None else "")
                           for name in m.re.groupindex}
    return result


@module.function("test", 2)
def test(vm, args):
    text, rx = _args(args, "regex.test")
    return rx.fullmatch(text) is not None


@module.function("search", 2)
def search(vm, args):
    text, rx = _args(args, "regex.search")
    return rx.search(text) is not None


@module.function("find", 2)
def find(vm, args):
    text, rx = _args(args, "regex.find")
    m = rx.search(text)
    return _match_object(m) if m is not None else None


@module.function("findAll", 2)
def find_all(vm, args):
    text, rx = _args(args, "regex.findAll")
    return [_match_object(m) for m in rx.finditer(text)]


def _parse_replacement(rep: str, rx):
    """Split an ECMAScript replacement string into literal strings and references:
    ('g', n) group n, ('n', name) named group, ('pre',) and ('post',) the text around the match."""
    parts = []
    lit = []
    i = 0
    n = len(rep)
    ngroups = rx.groups
    while i < n:
        c = rep[i]
        if c != "$" or i + 1 >= n:
            lit.append(c)
            i += 1
            continue
        d = rep[i + 1]
        ref = None
        if d == "$":
            lit.append("$")
            i += 2
            continue
        if d == "&":
            ref, i = ("g", 0), i + 2
        elif d == "`":
            ref, i = ("pre",), i + 2
        elif d == "'":
            ref, i = ("post",), i + 2
        elif d.isdigit() and d.isascii():
            two = rep[i + 1:i + 3]
            if len(two) == 2 and two.isdigit() and two.isascii() and 1 <= int(two) <= ngroups:
                ref, i = ("g", int(two)), i + 3
            elif int(d) <= ngroups:
                ref, i = ("g", int(d)), i + 2
        elif d == "<" and rx.groupindex:
            end = rep.find(">", i + 2)
            if end >= 0:
                ref, i = ("n", rep[i + 2:end]), end + 1
        if ref is None:
            lit.append("$")
            i += 1
            continue
        if lit:
            parts.append("".join(lit))
            lit = []
        parts.append(ref)
    if lit:
        parts.append("".join(lit))
    return parts


def _expand(parts, m, text):
    out = []
    for p in parts:
        if p.__class__ is str:
            out.append(p)
        elif p[0] == "g":
            out.append(m.group(p[1]) or "")
        elif p[0] == "n":
            out.append((m.group(p[1]) or "") if p[1] in m.re.groupindex else "")
        elif p[0] == "pre":
            out.append(text[:m.start()])
        else:
            out.append(text[m.end():])
    return "".join(out)


@module.function("replace", 3)
def replace(vm, args):
    text, rx = _args(args, "regex.replace")
    rep = arg_str(args, 2, "regex.replace", "replacement")
    parts = _parse_replacement(rep, rx)
    if all(p.__class__ is str for p in parts):
        literal = "".join(parts)
        return rx.sub(lambda m: literal, text)
    return rx.sub(lambda m: _expand(parts, m, text), text)


@module.function("split", 2)
def split(vm, args):
    text, rx = _args(args, "regex.split")
    size = len(text)
    if size == 0:
        return [] if rx.match(text) is not None else [""]
    out = []
    p = 0           # end of the last separator
    q = 0           # where to look for the next one
    while q < size:
        m = rx.search(text, q)
        if m is None or m.start() >= size:
            break
        if m.end() == p:
            # An empty match right where the last field starts does not split.
            q = m.start() + 1
            continue
        out.append(text[p:m.start()])
        p = q = m.end()
    out.append(text[p:])
    return out


@module.function("isValid", 1)
def is_valid(vm, args):
    pattern = arg_str(args, 0, "regex.isValid", "pattern")
    try:
        _compile_cached(pattern)
        return True
    except _PatternError:
        return False


_SPECIAL = set("\\^$.|?*+()[]{}")


@module.function("escape", 1)
def escape(vm, args):
    text = arg_str(args, 0, "regex.escape", "text")
    return "".join("\\" + c if c in _SPECIAL else c for c in text)
