"""Text passes over generated code: `elif` chains, `while (test):` loops, built-in names renamed, helper names
hidden from Neutron globals, and which Neutron globals can be read as Python globals."""
from __future__ import annotations

import builtins as _pybuiltins
import keyword
import re
from types import CodeType as _CodeType

_RENAMED = ("float", "int", "len", "list", "str", "dict", "KeyError", "IndexError", "TypeError",
            "ZeroDivisionError", "ValueError", "OverflowError", "NameError", "AttributeError", "Function", "Instance", "Module", "Class",
            "Cell", "NeutronError", "NThrow")
_RENAME = re.compile(r"""('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|\b(""" + "|".join(_RENAMED) + r")\b")
_RESERVED = set(dir(_pybuiltins)) | set(keyword.kwlist) | set(keyword.softkwlist) | \
    set(_RENAMED) | {"d", "F", "L", "S", "FC"}
_LOCAL_NAME = re.compile(r"(?:l|s|t|h|he)[0-9]+$")


# Helper names in generated code start with a letter no Neutron identifier has (Neutron names are ASCII): its
# Python globals are the program's globals, looked up before the builtins that hold the helpers, and a Neutron
# global may well be called `_float` or `_call`.
HIDE = "\u01c2"        # ǂ
_HELPER_REF = re.compile(r"""('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|_B\['_(\w+)'\]|(?<![.\w])_(\w+)""")


_RENAMED_SET = frozenset(_RENAMED)


def hidden(name):
    """The name a helper (`_name`) or renamed built-in (`float`) has in the compiled code; others as they are."""
    if name.startswith("_"):
        return name if name.startswith("__") else HIDE + name[1:]
    return HIDE + name if name in _RENAMED_SET else name


def hide_names(co):
    """The compiled code with its helpers' and renamed built-ins' names hidden (`_add` -> `ǂadd`, `float` ->
    `ǂfloat`), in it and the functions it defines: what rename and hide_helpers do to the text, done to the names
    the code looks up, which is much cheaper than two passes over the text. Generated code uses no attribute whose
    name starts with one underscore or is a renamed built-in's, so every such name is a helper's or a built-in's;
    string constants are left alone (a cache slot's key in `_B[...]` is written hidden: Calls.fill)."""
    consts = tuple(hide_names(c) if c.__class__ is _CodeType else c for c in co.co_consts)
    return co.replace(co_names=tuple(map(hidden, co.co_names)), co_consts=consts)


def hide_helpers(src):
    """`_name` -> `ǂname` outside string literals (attributes after a dot stay), `_B['_name']` included: the text
    of what hide_names does, for NEUTRON_TIER_DUMP."""
    def repl(m):
        if m.group(1):
            return m.group(1)
        if m.group(2) is not None:
            return f"{HIDE}B['{HIDE}{m.group(2)}']"
        return HIDE + m.group(3)
    return _HELPER_REF.sub(repl, src)


def rename(src):
    """Built-in names in generated code refer to closure cells (`float` -> `_float`): its globals are the
    program's, where a Neutron global may be called `float` or `Instance`. String literals are left alone."""
    return _RENAME.sub(lambda m: m.group(1) or "_" + m.group(2), src)


def plain_global(name):
    """Whether a Neutron global can be read as a Python global name (else through the dict)."""
    return name.isascii() and name.isidentifier() and not name.startswith("_") and name not in _RESERVED \
        and not _LOCAL_NAME.match(name)


def flatten_elif(lines):
    """`else:` holding nothing but an if-chain becomes `elif`: long else-if chains stay within Python's limit of
    100 indentation levels."""
    out = list(lines)
    i = 0
    while i < len(out) - 1:
        ind, text, ip, site = out[i]
        nxt = out[i + 1]
        if text == "else:" and nxt[0] == ind + 1 and nxt[1].startswith("if ") and nxt[1].endswith(":"):
            j = i + 2
            ok = True
            while j < len(out) and out[j][0] > ind:
                if out[j][0] == ind + 1 and not (out[j][1].startswith("elif ") or out[j][1] == "else:"):
                    ok = False
                    break
                j += 1
            if ok:
                out[i] = (ind, "el" + nxt[1], nxt[2], nxt[3])
                del out[i + 1]
                for k in range(i + 1, j - 1):
                    a, b, c, e = out[k]
                    out[k] = (a - 1, b, c, e)
        i += 1
    return out


# The most source text (without indentation) of a loop body that while_tests folds its test into: CPython 3.11
# specializes a comparison only when the conditional jump right after it needs no EXTENDED_ARG, and `while (c):`
# jumps across the whole body (about one code unit per three characters of generated text; 255 at most)
SHORT_BODY = 400


def _body_size(out, i, ind):
    n = 0
    while i < len(out) and out[i][0] > ind:
        n += len(out[i][1])
        if n > SHORT_BODY:
            break
        i += 1
    return n


def while_tests(lines):
    """`while True:` whose body starts `if not (c): break` becomes `while (c):` (CPython then tests at the
    bottom of the loop: one jump less per iteration) when the body is short (SHORT_BODY)."""
    out = list(lines)
    i = 0
    while i < len(out) - 3:
        ind, text, ip, site = out[i]
        if text == "while True:":
            a, b, c = out[i + 1], out[i + 2], out[i + 3]
            if a[0] == ind + 1 and a[1].startswith("if not (") and a[1].endswith("):") and a[3] is None and \
                    b[0] == ind + 2 and b[1] == "break" and c[0] == ind + 1 and \
                    not (c[1].startswith("else") or c[1].startswith("elif")) and \
                    _body_size(out, i + 3, ind) <= SHORT_BODY:
                out[i] = (ind, "while " + a[1][len("if not "):], a[2], None)
                del out[i + 1:i + 3]
        i += 1
    return out
