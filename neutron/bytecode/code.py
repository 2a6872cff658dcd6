"""Code objects: one per function (and one per file's top level)."""
from __future__ import annotations

from . import opcodes as op


class Code:
    __slots__ = ("name", "filename", "params", "param_types", "return_type", "instrs", "consts", "names", "lines",
                 "cols", "nlocals", "cell_params", "freevars", "callsites", "is_method", "max_depth", "min_args")

    def __init__(self, name, filename):
        self.name = name                # '<script>', '<anonymous>' or the function's name
        self.filename = filename
        self.params = []                # parameter names (a method's `this` is not one of them)
        self.param_types = []           # per parameter: type name or None
        self.return_type = None
        self.instrs = []                # list of (op, arg)
        self.consts = []
        self.names = []                 # names used by *_GLOBAL, *_PROP, INVOKE, USE
        self.lines = []                 # source line of each instruction
        self.cols = []                  # its 0-based source column (runtime errors' caret), -1 when unknown
        self.nlocals = 0                # slots, including parameters and `this`
        self.cell_params = []           # parameter slots that closures capture (wrapped in a Cell on entry)
        self.freevars = []              # per captured variable: (from_enclosing_local: bool, index)
        self.callsites = []             # per call instruction: (instruction index, operand-stack depth before it)
        self.is_method = False          # slot 0 holds `this`
        self.max_depth = 0
        self.min_args = 1 << 30         # set for built-in Neutron functions whose trailing parameters may be left out

    def where(self, ip):
        """(line, column) of instruction ip, for stack traces."""
        cols = self.cols
        lines = self.lines
        if lines[ip] == 0:      # the rethrow after a finally (compiler.stmt_Try): shown at the line before it
            while ip > 0 and lines[ip] == 0:
                ip -= 1
            return lines[ip], -1
        return lines[ip], (cols[ip] if ip < len(cols) else -1)

    @property
    def arity(self):
        return len(self.params)

    def __repr__(self):
        return f"<code {self.name} {self.filename}>"


def compute_depths(code: Code):
    """Operand-stack depth before every instruction, by following every path; builds the call-site table.

    It doubles as a check on the compiler: two paths reaching one instruction with different depths is a bug.
    """
    instrs = code.instrs
    depth = [None] * len(instrs)
    work = [(0, 0)]
    while work:
        ip, d = work.pop()
        while ip < len(instrs):
            if depth[ip] is not None:
                if depth[ip] != d:
                    raise AssertionError(f"stack depth mismatch in {code.name} at {ip}: {depth[ip]} != {d}")
                break
            depth[ip] = d
            o, arg = instrs[ip]
            if o in op.JUMPS:
                work.append((arg, d + op.stack_effect(o, arg, jump=True)))
            d += op.stack_effect(o, arg)
            if d < 0:
                raise AssertionError(f"stack underflow in {code.name} at {ip}")
            if o == op.JUMP or o == op.RETURN or o == op.THROW:
                break
            ip += 1
    code.callsites = [(i, depth[i]) for i, (o, _) in enumerate(instrs) if o in op.CALLS and depth[i] is not None]
    code.max_depth = max((x for x in depth if x is not None), default=0)
    return depth
