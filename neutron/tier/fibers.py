"""Tasks in the compiled tier (runtime/tasks.py schedules tasks and processes; Tier.run_fiber runs one).

A task waits by raising Suspend from a native after the scheduler captured its live compiled frames as VM frames
(the capture a checkpoint makes), so the Python frames it unwinds hold nothing still needed; when the task goes on,
each of its VM frames runs through a continuation from its position, as after a resume. Switching costs a capture
and, the first time at each place, a continuation's compilation: compute-bound tasks run at the tier's speed, which
running tasks in the VM alone would give up.
"""
from __future__ import annotations

import sys

from .exceptions import Deopt


def to_vm(tier, frames):
    """Give up on the compiled tier for the rest of the run: this task goes on in the VM, and so do the others."""
    vm = tier.vm
    tier.detach()
    vm.frames = frames
    return vm.run_task()


def leave(tier, value):
    """From inside a native called by compiled code, `value` being its result: the rest of the run is the VM's.
    The compiled frames are captured as after a call (the result pushed on the innermost) and unwound; the tier's
    run loop (Tier.drive) gives them to the VM."""
    frames = tier.capture("call", sys._getframe(2))
    if not frames:
        tier.detach()
        return value
    frames[-1].stack.append(value)
    raise Deopt(frames)
