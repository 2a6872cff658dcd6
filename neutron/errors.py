"""User-facing errors, kept apart from internal ones.

A `Diagnostic` is a syntax, lexical or compile-time problem found before anything runs. `NeutronError` is a
runtime error raised by the VM or by a built-in: the VM turns it into a Neutron exception whose value is the
message string, catchable by `try`. Only the command line prints these and picks the exit status.
"""
from __future__ import annotations

from typing import Optional


class NeutronError(Exception):
    """A runtime error with a message a user can read, e.g. NeutronError("Division by zero.")."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def argument_count_error(expected: int, got: int, callee: str) -> NeutronError:
    """A Neutron function, method or constructor called with the wrong number of arguments. `callee` is
    "function 'f'", "method 'm'" or "constructor". (Natives and built-in methods word theirs after their own
    tables: VM.native_arity_message and methods.arity_error.)"""
    return NeutronError(f"Expected {expected} arguments but got {got} for {callee}.")


class Diagnostic:
    __slots__ = ("kind", "message", "path", "line", "col", "suggestion")

    def __init__(self, kind: str, message: str, path: str, line: int, col: int = 0, suggestion: Optional[str] = None):
        self.kind = kind            # 'SyntaxError', 'LexicalError' or 'CompileError'
        self.message = message
        self.path = path
        self.line = line
        self.col = col              # 0-based
        self.suggestion = suggestion

    def __eq__(self, other):
        return isinstance(other, Diagnostic) and all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None

    def __repr__(self):
        return f"Diagnostic({', '.join(f'{n}={getattr(self, n)!r}' for n in self.__slots__)})"


class CompileFailed(Exception):
    """Raised by the scanner, parser or compiler with every diagnostic found; nothing runs."""

    def __init__(self, diagnostics: list, source: str = ""):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics
        self.source = source


def source_line(source: str, line: int) -> Optional[str]:
    lines = source.split("\n")
    if 1 <= line <= len(lines):
        return lines[line - 1].rstrip("\r")
    return None


def format_diagnostics(failed: CompileFailed) -> str:
    """The layout of the reference: type, place, message, the source line with a caret, a suggestion."""
    out = []
    for i, d in enumerate(failed.diagnostics):
        if i >= 4:
            out.append(f"[{d.path}:{d.line}] {d.kind}: {d.message}\n")
            continue
        where = f"{d.path} at line {d.line}" + (f", column {d.col}" if d.col > 0 else "")
        out.append(f"\n{d.kind} in {where}:\n  {d.message}\n")
        text = source_line(failed.source, d.line)
        if text is not None:
            out.append(f"\n{d.line:4d} | {text}\n     | {' ' * d.col}^\n")
        if d.suggestion:
            out.append(f"\nSuggestion: {d.suggestion}\n")
    n = len(failed.diagnostics)
    out.append(f"\n\nFound {n} error{'s' if n != 1 else ''}.\n")
    return "".join(out)


class ProgramExit(Exception):
    """Raised by `sys.exit(n)`: unwinds everything and ends the process with status n (finally blocks do not run)."""

    def __init__(self, status: int = 0):
        super().__init__(status)
        self.status = status
