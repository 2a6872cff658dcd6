"""process: processes that share nothing and talk by messages (runtime/tasks.py runs them, as it runs async tasks).

    spawn(fn, ...args) -> pid       starts fn(args) in a new process; fn and args are copied into it
    send(pid, value) -> bool        puts a copy of value in the process's mailbox; false if it is not alive
    receive([timeout_ms]) -> value  the oldest message, waiting for one (nil when the timeout ends first)
    self() -> pid                   0 in the main program
    is_alive(pid) -> bool
    kill(pid)                       ends the process where it is
    process_count() -> n            processes alive (the main program not counted)
    process_sleep(ms)               waits while the others run

A process is a task with its own mailbox and its own copy of everything it was given: the function with the
globals its code names, taken at the spawn (runtime/copying.py). The scheduler switches between tasks and
processes where one waits (receive, process_sleep, sys.sleep, async); a process about to run while something else
can run here goes to a worker process (procpool.py) and computes in parallel. A checkpoint holds them all.
"""
from __future__ import annotations

from ..runtime.copying import deep_copy
from ..runtime.tasks import entry_frame, scheduler_of
from .native import NativeModule, NeutronError, arg_ms, arg_num, to_str

module = NativeModule("process")


def _pid(args, i, fname):
    pid = arg_num(args, i, fname, "pid")
    if pid != pid or pid in (float("inf"), float("-inf")) or pid != int(pid):
        raise NeutronError(f"{fname}: a pid is a whole number, got {to_str(pid)}.")
    return int(pid)


@module.function("spawn", 1, None)
def spawn(vm, args):
    s = scheduler_of(vm)
    fn, fargs = deep_copy([args[0], list(args[1:])])
    pid = float(s.spawn(entry_frame(vm, fn, fargs, "process.spawn")).pid)
    if vm.tier is not None:
        # The compiled tier runs each function with one globals table, and every process has its own: a program
        # with processes runs in the VM from its first spawn on.
        return vm.tier.leave(pid)
    return pid


@module.function("send", 2)
def send(vm, args):
    pid = _pid(args, 0, "process.send")
    s = scheduler_of(vm)
    if not s.alive(pid):
        return False
    s.deliver(pid, deep_copy(args[1]))
    return True


@module.function("receive", 0, 1)
def receive(vm, args):
    timeout = arg_ms(args, 0, "process.receive") if args and args[0] is not None else None
    return scheduler_of(vm).receive(timeout)


@module.function("self", 0)
def self_(vm, args):
    s = vm.scheduler
    return 0.0 if s is None else float(s.current.pid)


@module.function("is_alive", 1)
def is_alive(vm, args):
    pid = _pid(args, 0, "process.is_alive")
    return pid == 0 or (vm.scheduler is not None and vm.scheduler.alive(pid))


@module.function("kill", 1)
def kill(vm, args):
    pid = _pid(args, 0, "process.kill")
    if pid == 0:
        raise NeutronError("process.kill: pid 0 is the main program, which cannot be killed (sys.exit ends the "
                           "program).")
    s = scheduler_of(vm)
    if s.alive(pid):
        s.kill(pid)
    return None


@module.function("process_count", 0)
def process_count(vm, args):
    return float(0 if vm.scheduler is None else vm.scheduler.process_count())


@module.function("process_sleep", 1)
def process_sleep(vm, args):
    scheduler_of(vm).sleep(arg_ms(args, 0, "process.process_sleep"), None)
