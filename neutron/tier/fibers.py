"""Running one task's frames compiled (runtime/tasks.py schedules tasks and processes).

A task waits by raising Suspend from a native after the scheduler captured its live compiled frames as VM frames
(the capture a checkpoint makes), so the Python frames it unwinds hold nothing still needed; when the task goes on,
each of its VM frames runs through a continuation from its position, as after a resume. Switching costs a capture
and, the first time at each place, a continuation's compilation: compute-bound tasks run at the tier's speed, which
running tasks in the VM alone would give up.
"""
from __future__ import annotations

import sys

from ..errors import NeutronError
from ..runtime import frames as FR
from .exceptions import NEXC, Deopt, NThrow, Unsupported, exception_value

_NOTHING = object()


def run_fiber(tier, frames, wake):
    """Tier.run for a task: its frames to the end (the result), Suspend when it waits, Uncaught when it fails.
    `wake`: the waiting call's outcome, ("value", v) pushed or ("throw", v, is_error) thrown into the top frame."""
    vm = tier.vm
    vm.frames = frames
    tier.pending = frames
    tier.stop_code = sys._getframe().f_code
    value = _NOTHING
    exc = None
    trace = []
    if wake is not None:
        if wake[0] == "value":
            value = wake[1]
        else:
            exc = NeutronError(wake[1]) if wake[2] else NThrow(wake[1])
    while frames:
        f = frames.pop()
        if exc is not None:
            if not f.handlers:
                trace.append((f.func.name if f.func is not None else f.code.name, f.code.filename,
                              *(f.code.where(f.ip - 1) if 0 < f.ip <= len(f.code.lines) else (0, -1))))
                continue
            target, depth = f.handlers.pop()
            del f.stack[depth:]
            f.stack.append(exception_value(exc))
            f.ip = target
            exc = None
            trace = []
        elif value is not _NOTHING:
            f.stack.append(value)
        try:
            cont = tier.continuation(f)
        except Unsupported:
            frames.append(f)
            return to_vm(tier, frames)
        try:
            r = cont(len(frames) + 1, f.func, f.locals, f.stack)
        except NEXC as e:
            exc = e
            trace = tier.tb_trace(e.__traceback__)
            continue
        except Deopt as e:
            frames.extend(e.frames)
            return to_vm(tier, frames)
        value = r if f.result is FR.NO_RESULT else f.result
    if exc is not None:
        raise FR.Uncaught(exception_value(exc), exc.__class__ is not NThrow, trace, getattr(exc, "hint", None))
    return None if value is _NOTHING else value


def to_vm(tier, frames):
    """Give up on the compiled tier for the rest of the run: this task goes on in the VM, and so do the others."""
    vm = tier.vm
    tier.detach()
    vm.frames = frames
    return vm.run_task()


def leave(tier, value):
    """From inside a native called by compiled code, `value` being its result: the rest of the run is the VM's.
    The compiled frames are captured as after a call (the result pushed on the innermost) and unwound; the tier's
    run loop (or run_fiber) gives them to the VM."""
    frames = tier.capture("call", sys._getframe(2))
    if not frames:
        tier.detach()
        return value
    frames[-1].stack.append(value)
    raise Deopt(frames)
