"""How compiled code and the tier signal: a Neutron throw as a Python exception, a code object the tier cannot
compile, the unwinding after a deoptimization, and what a Neutron handler catches."""
from __future__ import annotations

from ..errors import NeutronError


class NThrow(Exception):
    """A Neutron `throw` of any value, as a Python exception (its one argument: BaseException's own __init__ is
    C, a Python one was a tenth of a throw-and-catch loop)."""

    @property
    def value(self):
        return self.args[0]


class Unsupported(Exception):
    """This code object (or entry point) cannot be compiled; the program falls back to the VM."""


class Deopt(BaseException):
    """Unwinds compiled code after its frames were captured, so the VM can run them."""

    def __init__(self, frames):
        super().__init__()
        self.frames = frames


# What a Neutron handler catches: running out of memory too, as in the VM. CPython 3.11 reports a Python call whose
# frame finds no memory as SystemError("error return without exception set"), the only SystemError compiled code meets.
NEXC = (NeutronError, NThrow, MemoryError, SystemError)


def exception_value(e):
    """The Neutron value of a caught exception: the message of a runtime error, the thrown value of a throw."""
    if e.__class__ is NThrow:
        return e.value
    if e.__class__ is MemoryError or e.__class__ is SystemError:
        return "Out of memory."
    return e.message
