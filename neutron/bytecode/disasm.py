"""The disassembler: code objects as text, one instruction a line, as `python3 -m dis` shows Python's.

`instructions(code)` gives the rows (offset, line, opname, arg, shown); `disassemble(code)` prints a code object and,
after it, every function nested in it. `neutron --disassemble FILE.nt` prints a program's.

It reads only the opcode table and code objects: constants are formatted here, as the runtime prints them, so that
the front end's output can be read without the runtime.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from . import opcodes as op
from .code import Code


class Instruction(NamedTuple):
    offset: int         # index in code.instrs (jump targets are such indexes)
    line: int           # source line
    opname: str
    arg: object         # the operand as stored: None, an int or, for INVOKE, (names index, argc)
    shown: str          # the operand made readable: constant, name, local, jump target; "" when it says nothing more


def instructions(code: Code) -> list:
    lines = code.lines
    return [Instruction(i, code.where(i)[0] if i < len(lines) else 0, op.NAMES[o], arg, _shown(code, o, arg))
            for i, (o, arg) in enumerate(code.instrs)]


def disassemble(code: Code) -> str:
    """The code object, then each function nested in it (depth first), separated by blank lines."""
    out = []
    work = [code]
    while work:
        c = work.pop()
        if out:
            out.append("")
        out.extend(_listing(c))
        work.extend(reversed([k for k in c.consts if k.__class__ is Code]))
    return "\n".join(out) + "\n"


def _listing(code):
    extra = ", method" if code.is_method else ""
    if code.cell_params:
        extra += ", cells " + " ".join(map(str, code.cell_params))
    rows = [f"Disassembly of {code.name} (file {code.filename}, arity {code.arity}, {code.nlocals} locals{extra}):"]
    targets = {arg for o, arg in code.instrs if o in op.JUMPS}
    last = None
    for ins in instructions(code):
        line = "" if ins.line == last else str(ins.line)
        last = ins.line
        mark = ">>" if ins.offset in targets else ""
        arg = "" if ins.arg is None else ins.arg if ins.arg.__class__ is not tuple else " ".join(map(str, ins.arg))
        shown = f" ({ins.shown})" if ins.shown else ""
        rows.append(f"{line:>4} {mark:>2} {ins.offset:>4} {ins.opname:<18} {arg:>5}{shown}".rstrip())
    return rows


def _shown(code, o, arg):
    kind = op.OPERAND[o]
    if kind == "const":
        return constant(code.consts[arg])
    if kind == "name":
        return code.names[arg]
    if kind == "name,argc":
        return f"{code.names[arg[0]]}/{arg[1]}"
    if kind == "target":
        return f"to {arg}"
    if kind == "slot":
        named = (["this"] if code.is_method else []) + list(code.params)
        return named[arg] if arg < len(named) else ""
    if kind == "free":
        from_local, index = code.freevars[arg]
        return f"outer {'slot' if from_local else 'free'} {index}"
    return ""       # count, argc: the number says it all


def constant(v) -> str:
    """A constant as a Neutron reader would write it: numbers and nil/true/false as printed, strings quoted."""
    cls = v.__class__
    if cls is float or cls is int:
        return number(v)
    if cls is str:
        return quoted(v)
    if v is None:
        return "nil"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if cls is tuple:            # (type, message) of CHECK_TYPE, (name, type) of ADD_FIELD
        return ", ".join(constant(x) for x in v)
    if cls is Code:
        return f"<code {v.name}>"
    return repr(v)


def number(n) -> str:
    """As the runtime prints numbers (values.format_number): whole ones with all their digits, else %.15g."""
    if -1e15 < n < 1e15:
        i = int(n)
        if i == n:
            return "-0" if i == 0 and math.copysign(1.0, n) < 0 else str(i)
        return "%.15g" % n
    if n != n:
        return "nan"
    if n in (math.inf, -math.inf):
        return "inf" if n > 0 else "-inf"
    return "%.15g" % n


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def quoted(s: str) -> str:
    """A string as a Neutron literal: double quotes, the usual escapes, `\\${` for a literal `${`."""
    out = []
    for i, ch in enumerate(s):
        e = _ESCAPES.get(ch)
        if e is not None:
            out.append(e)
        elif ch == "$" and s.startswith("{", i + 1):
            out.append("\\$")
        elif ch.isprintable():
            out.append(ch)
        else:
            cp = ord(ch)
            out.append(f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}")
    return '"' + "".join(out) + '"'
