"""async: tasks that interleave where one waits (runtime/tasks.py runs them).

    run(fn, ...args) -> task         starts fn(args) as a task; the caller goes on
    await(task) -> its result        waits for it; a throw inside the task is thrown again here, with its value
    sleep(ms) -> true                waits ms milliseconds while other tasks run
    timer(fn, ms) -> task            runs fn() after ms milliseconds; can be awaited

Tasks run one at a time and switch only where one waits (async.sleep, async.await, sys.sleep, process.receive,
...), so their order is deterministic. A checkpoint taken by any of them holds them all; the scheduler is this
module's saved state.
"""
from __future__ import annotations

from ..runtime.tasks import Scheduler, entry_frame, scheduler_of
from ..runtime.values import Task
from .native import NativeModule, NeutronError, arg_ms, type_name

module = NativeModule("async")


@module.function("run", 1, None)
def run(vm, args):
    s = scheduler_of(vm)
    return s.start(entry_frame(vm, args[0], list(args[1:]), "async.run"))


@module.function("await", 1)
def await_(vm, args):
    task = args[0]
    if task.__class__ is not Task or task.kind == "main" or task.kind == "process":
        raise NeutronError(f"async.await: argument 1 must be a task (from async.run or async.timer), got "
                           f"{type_name(task) if task.__class__ is not Task else 'a process'}.")
    return scheduler_of(vm).await_(task)


@module.function("sleep", 1)
def sleep(vm, args):
    ms = arg_ms(args, 0, "async.sleep")
    scheduler_of(vm).sleep(ms, True)


@module.function("timer", 2)
def timer(vm, args):
    ms = arg_ms(args, 1, "async.timer")
    s = scheduler_of(vm)
    return s.start_timer(entry_frame(vm, args[0], [], "async.timer"), ms)


# ---- the scheduler in a snapshot ------------------------------------------------------------------------------

def save_state(vm):
    s = vm.scheduler
    if s is None:
        return None
    s.gather()
    return {"main": s.main, "current": s.current, "next_id": float(s.next_id), "next_pid": float(s.next_pid),
            "seq": float(s.seq), "ready": list(s.ready), "timers": [[d, float(q), t] for d, q, t in s.timers],
            "procs": [s.procs[pid] for pid in sorted(s.procs)], "failures": list(s.failures),
            "awaiting": [s.awaiting[i] for i in sorted(s.awaiting)], "io": [s.io[i] for i in sorted(s.io)]}


def load_state(vm, value):
    if value is None:
        return
    if value.__class__ is not dict:
        raise ValueError("scheduler")
    try:
        _load(vm, value)
    except AttributeError:
        raise ValueError("tasks") from None


def _count(v):
    if v.__class__ is not float or not 0 <= v < 2 ** 53 or v != int(v):
        raise ValueError("count")
    return int(v)


def _tasks(v):
    if v.__class__ is not list or not all(t.__class__ is Task for t in v):
        raise ValueError("tasks")
    return v


GOING_ON = ("ready", "sleeping", "awaiting", "receiving", "io")     # states that go on from their own frames


def _load(vm, value):
    """The scheduler from its saved state, checked so that nothing a file says can make it fail later."""
    s = Scheduler(vm)
    s.main, s.current = _tasks([value["main"], value["current"]])
    s.next_id, s.next_pid, s.seq = _count(value["next_id"]), _count(value["next_pid"]), _count(value["seq"])
    s.ready.extend(_tasks(value["ready"]))
    timers = value["timers"]
    if timers.__class__ is not list:
        raise ValueError("timers")
    for entry in timers:
        if entry.__class__ is not list or len(entry) != 3 or entry[0].__class__ is not float:
            raise ValueError("timer")
        d, q, t = entry[0], _count(entry[1]), _tasks([entry[2]])[0]
        s.timers.append((d, q, t))
    s.timers.sort(key=lambda e: e[:2])
    s.procs = {p.pid: p for p in _tasks(value["procs"])}
    s.ended.extend(pid for pid in sorted(s.procs) if pid and s.procs[pid].state in ("done", "failed", "killed"))
    s.failures = _tasks(value["failures"])
    s.awaiting = {t.id: t for t in _tasks(value["awaiting"])}
    for t in _tasks(value.get("io", [])):
        # a request in flight at the checkpoint was the old process's: the task hears that it failed
        if t.state == "io":
            t.state = "ready"
            t.wake = ("throw", "The request was in flight when the snapshot was taken and did not survive the "
                               "resume; make it again.", True)
            s.ready.append(t)
    main, current = s.main, s.current
    if main.kind != "main" or main.pid != 0 or s.procs.get(0) is not main or current.state != "running" or \
            any(p.kind != "process" for pid, p in s.procs.items() if pid):
        raise ValueError("tasks")
    seen, todo = set(), [main, current, *s.ready, *(t for _, _, t in s.timers), *s.procs.values(), *s.failures,
                         *s.awaiting.values()]
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if (t.state in GOING_ON) != bool(t.frames) and t is not current or t.fresh and t.wake is not None or \
                t.state == "awaiting" and t.waiting_on is None or \
                not all(w.state == "awaiting" for w in t.waiters) or \
                not all(r.state == "receiving" for r in t.receivers):
            raise ValueError("task state")
        todo += t.waiters + t.receivers
        if t.waiting_on is not None:
            todo.append(t.waiting_on)
    if not all(t.state == "ready" for t in s.ready):
        raise ValueError("ready")
    vm.scheduler = s
    vm.module_state["async"] = s


module.save_state = save_state
module.load_state = load_state
