"""User-facing errors, kept apart from internal ones.

A `Diagnostic` is a syntax, lexical or compile-time problem found before anything runs. `NeutronError` is a
runtime error raised by the VM or by a built-in: the VM turns it into a Neutron exception whose value is the
message string, catchable by `try`. Only the command line prints these and picks the exit status.
"""
from __future__ import annotations

from typing import Optional


class NeutronError(Exception):
    """A runtime error with a message a user can read, e.g. NeutronError("Division by zero."). `hint` is advice
    that the error report prints below it (a near name, a conversion to use), or a function that makes it when the
    report is written; a `catch` gets the message alone."""

    def __init__(self, message: str, hint: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def argument_count_error(expected: int, got: int, callee: str, hint: Optional[str] = None) -> NeutronError:
    """A Neutron function, method or constructor called with the wrong number of arguments. `callee` is
    "function 'f'", "method 'm'" or "the constructor of class 'C'". (Natives and built-in methods word theirs
    after their own tables: VM.native_arity_message and methods.arity_error.)"""
    return NeutronError(f"Expected {expected} argument{'' if expected == 1 else 's'} but got {got} for {callee}.",
                        hint)


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


MAX_ERRORS = 20         # problems kept and shown per source (a file of random bytes would have one per byte)
LINE_WIDTH = 100        # characters of a source line shown under an error; a longer one is cut around the column


class Diagnostics(list):
    """The problems one stage (scanner, parser, compiler) finds: the first MAX_ERRORS are kept, the others only
    counted in `dropped`."""
    dropped = 0

    def append(self, d):
        if len(self) < MAX_ERRORS:
            super().append(d)
        else:
            self.dropped += 1

    @staticmethod
    def merge(*stages):
        """The problems of several stages in source order, the first MAX_ERRORS kept."""
        found = sorted((d for stage in stages for d in stage), key=lambda d: (d.line, d.col))
        out = Diagnostics(found[:MAX_ERRORS])
        out.dropped = len(found) - len(out) + sum(getattr(stage, "dropped", 0) for stage in stages)
        return out


class CompileFailed(Exception):
    """Raised by the scanner, parser or compiler with every diagnostic found; nothing runs."""

    def __init__(self, diagnostics: list, source: str = ""):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics
        self.source = source


def source_line(source: str, line: int) -> Optional[str]:
    if line < 1:
        return None
    lines = source.split("\n", line)        # no further than the line wanted: sources may be large
    if line <= len(lines):
        return lines[line - 1].rstrip("\r")
    return None


def excerpt(text: str, col: int, width: int = LINE_WIDTH) -> tuple:
    """(text, col) of a source line cut to about `width` characters around column col, with '...' where cut."""
    if len(text) <= width:
        return text, col
    start = min(max(0, col - width // 2), len(text) - width)
    end = start + width
    head = "..." if start > 0 else ""
    return head + text[start:end] + ("..." if end < len(text) else ""), col - start + len(head)


def _shown(text: str) -> str:
    """A source line as printed under an error: a byte that was not UTF-8 (a lone surrogate) or a control
    character shows as U+FFFD, one column wide like what it replaces."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in text)


def format_diagnostics(failed: CompileFailed) -> str:
    """The layout of the reference: type, place, message, the source line with a caret, a suggestion. The first
    four in full, then one line each; at most MAX_ERRORS, and the count of all."""
    out = []
    shown = failed.diagnostics[:MAX_ERRORS]
    for i, d in enumerate(shown):
        if i >= 4:
            out.append(f"[{d.path}:{d.line}] {d.kind}: {d.message}\n")
            continue
        where = f"{d.path} at line {d.line}" + (f", column {d.col}" if d.col > 0 else "")
        out.append(f"\n{d.kind} in {where}:\n  {d.message}\n")
        text = source_line(failed.source, d.line)
        if text is not None:
            text, col = excerpt(text, d.col)
            text = _shown(text)
            out.append(f"\n{d.line:4d} | {text}\n     | {' ' * col}^\n")
        if d.suggestion:
            out.append(f"\nSuggestion: {d.suggestion}\n")
    n = len(failed.diagnostics) + getattr(failed.diagnostics, "dropped", 0)
    if n > len(shown):
        out.append(f"Too many errors: {n - len(shown)} more not shown.\n")
    out.append(f"\n\nFound {n} error{'s' if n != 1 else ''}.\n")
    return "".join(out)


class ProgramExit(Exception):
    """Raised by `sys.exit(n)`: unwinds everything and ends the process with status n (finally blocks do not run)."""

    def __init__(self, status: int = 0):
        super().__init__(status)
        self.status = status
