"""Execution state as plain data: a VM frame, a for-in iterator, and the two exceptions that end a run. The VM runs
these, the snapshot writes and reads them, the compiled tier builds them from its Python frames."""
from __future__ import annotations

from .values import to_str

MAX_FRAMES = 250_000        # documented in README: deeper recursion raises a catchable "Stack overflow."
NO_RESULT = object()        # "no value": a frame's result not set, a field or member absent


class Frame:
    __slots__ = ("func", "code", "ip", "locals", "stack", "handlers", "result")

    def __init__(self, func, code, locals_, ip=0):
        self.func = func
        self.code = code
        self.ip = ip
        self.locals = locals_
        self.stack = []
        self.handlers = []          # (target ip, stack depth)
        self.result = NO_RESULT     # when set, returned instead of the frame's own return value


class Iter:
    """A for-in iterator: the keys (objects) or a count (arrays, strings) fixed when the loop starts."""
    __slots__ = ("keys", "n", "i")

    def __init__(self, keys, n, i=0):
        self.keys = keys
        self.n = n
        self.i = i


class Uncaught(Exception):
    def __init__(self, value, is_error, trace, hint=None):
        super().__init__(to_str(value))
        self.value = value
        self.is_error = is_error
        self.trace = trace          # [(function name, file, line, column or -1)], innermost first
        self.hint = hint            # the runtime error's advice for the report (NeutronError.hint)

    @property
    def message(self):
        return to_str(self.value) if self.is_error else "Uncaught exception: " + to_str(self.value)


class Hot(Exception):
    """Raised by a watching VM (VM.heat) when a code object has run hot: its frames are consistent, the running
    frame at the call's first instruction or at the loop's head, so that the compiled tier can go on from there."""


class NotASafepoint(RuntimeError):
    """The running program cannot be described here (compiled code called by Python's sort): a request from outside
    waits for the next safepoint."""


class StopForResume(Exception):
    """Raised after a test-only checkpoint: the process ends here and a new VM resumes from the file."""
