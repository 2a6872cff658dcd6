"""Tasks and processes: lines of execution with their own frame stacks, run one at a time by the VM (or the compiled
tier), switching where one waits (async.sleep, async.await, sys.sleep, process.receive, ...), as fibers do.

A frame stack is plain data, so a waiting task is nothing but its frames and what it waits for; a checkpoint writes
them all (durable/writer.py, the Task kind), whichever task takes it. The running task's frames are the VM's; a
native that waits records what it waits for in the scheduler and raises Suspend, which leaves the VM loop (its frame
already past the call, the arguments popped) and reaches the scheduler; the compiled tier captures its live Python
frames as VM frames first (tier/fibers.py). When the wait ends, the call's result is pushed on the task's top frame
(or its error thrown there) and the task goes on.

Order is deterministic when nothing waits on the outside world: ready tasks run first in, first out; sleepers wake
in the order of their deadlines (absolute times, so that a resumed sleep waits only what is left).

The program ends when the main program has ended and no task or process can go on: tasks still sleeping are
waited for; processes waiting for a message that nothing can send any more end with it. A wait that nothing can
ever end (the main program awaiting a task that awaits it, receiving with nothing alive to send) is a "Deadlock"
error thrown where it waits.
"""
from __future__ import annotations

import heapq
import queue
import threading
import time
from collections import deque

from ..errors import NeutronError
from .frames import Frame, Uncaught
from .values import BoundMethod, Cell, Function, Task

WAITING = ("sleeping", "awaiting", "receiving", "io")
ENDED = ("done", "failed", "killed")
SLICE = 0.05        # longest sleep in one piece: Ctrl-C (passed on to the tier's worker thread) is heard soon


NOTHING = object()


class Suspend(BaseException):
    """The running task waits: raised by a native after the scheduler recorded what for (BaseException, so that
    nothing on the way mistakes it for an error)."""


def run_program(vm, run):
    """Run the program with `run` (the VM's loop, the tier's run); once there are tasks, the scheduler takes over:
    at the first wait, when the main program ends with tasks left, or from the start of a resume that has them."""
    s = vm.scheduler
    if s is not None:
        return s.execute()
    try:
        result = run()
    except Suspend:
        return vm.scheduler.execute(waiting=True)
    if vm.scheduler is not None:
        return vm.scheduler.execute(done=result)
    return result


def scheduler_of(vm):
    s = vm.scheduler
    if s is None:
        s = vm.scheduler = Scheduler(vm)
        # A VM watching for hot code (tiered running) stops watching: the hand-over to the compiled tier happens
        # between instructions of one frame stack, not amid the scheduler's (tasks then run where they are).
        vm.heat = None
        vm.hot_at = float("inf")
        vm.module_state["async"] = s        # saved and loaded by the async module (stdlib/async_.py)
    return s


def entry_frame(vm, callee, args, who):
    """The first frame of a task calling callee(args)."""
    this = None
    if callee.__class__ is BoundMethod and callee.method.__class__ is Function:
        this, callee = callee.receiver, callee.method
        if len(args) != len(callee.code.params):
            vm.fit_args(callee, args)
    elif callee.__class__ is not Function:
        raise NeutronError(f"{who}: argument 1 must be a function written in Neutron, got "
                           f"{'a built-in function' if callable(getattr(callee, 'fn', None)) else _kind(callee)}.")
    elif callee.code.is_method:
        vm.check_arity(callee, len(args))
    elif len(args) != len(callee.code.params):
        args = vm.fit_args(callee, args)
    code = callee.code
    locals_ = ([this] if this is not None else []) + list(args)
    locals_ += [None] * (code.nlocals - len(locals_))
    for s in code.cell_params:
        locals_[s] = Cell(locals_[s])
    return Frame(callee, code, locals_)


def _kind(v):
    from .values import described      # lazy: error messages only
    return described(v)


class Scheduler:
    def __init__(self, vm):
        self.vm = vm
        self.main = Task(0, "main", 0, vm.frames)
        self.main.state = "running"
        self.main.fresh = False
        self.current = self.main
        self.next_id = 1
        self.next_pid = 1
        self.seq = 0
        self.ready = deque()
        self.timers = []            # heap of (deadline, seq, task)
        self.procs = {0: self.main}     # pid -> the process (alive or not yet forgotten)
        self.failures = []          # failed tasks and processes, reported at the end unless observed
        self.awaiting = {}          # id -> a task blocked in async.await
        self.ended = deque()        # pids of ended processes still in procs, oldest first
        self.io = {}                # id -> a task whose blocking call runs in a thread (offload)
        self.io_done = queue.Queue()    # (task, wake) from those threads
        self.driving = False
        self.pool = None            # worker processes (procpool.py), made at the first process's step
        self.shipped = 0            # process steps run by workers
    # ---- making tasks -------------------------------------------------------------------------------------------

    def new_task(self, kind, frame, pid=None):
        t = Task(self.next_id, kind, self.current.pid if pid is None else pid, [frame])
        self.next_id += 1
        return t

    def start(self, frame):
        t = self.new_task("task", frame)
        self.ready.append(t)
        return t

    def start_timer(self, frame, ms):
        t = self.new_task("timer", frame)
        t.state = "sleeping"
        self.add_timer(t, ms)
        return t

    def spawn(self, frame):
        pid = self.next_pid
        self.next_pid += 1
        t = self.new_task("process", frame, pid)
        self.procs[pid] = t
        self.ready.append(t)
        return t

    def add_timer(self, t, ms):
        t.deadline = time.time() + max(ms, 0.0) / 1000.0
        self.seq += 1
        t.timer_seq = self.seq
        heapq.heappush(self.timers, (t.deadline, self.seq, t))

    # ---- waiting (called by natives; each raises Suspend) -----------------------------------------------------

    def suspend(self, state):
        t = self.current
        t.state = state
        t.fresh = False
        vm = self.vm
        if vm.tier is not None:
            t.frames = vm.live_frames("call")
        raise Suspend()

    def sleep(self, ms, value):
        t = self.current
        t.wake = ("value", value)
        if ms <= 0:
            t.fresh = False
            self.ready.append(t)
            self.suspend("ready")
        self.add_timer(t, ms)
        self.suspend("sleeping")

    def await_(self, target):
        t = self.current
        if target.state == "done":
            target.observed = True
            return target.result
        if target.state in ("failed", "killed"):
            target.observed = True
            if target.state == "killed":
                raise NeutronError(f"async.await: {target} was killed.")
            value, is_error = target.error[:2]
            if is_error:
                raise NeutronError(value)
            t.wake = ("throw", value, False)     # a thrown value goes on as itself: thrown where the await is
            self.ready.appendleft(t)
            self.suspend("ready")
        if target is t:
            raise NeutronError("Deadlock: a task cannot await itself.")
        t.waiting_on = target
        target.waiters.append(t)
        self.awaiting[t.id] = t
        self.suspend("awaiting")

    def receive(self, timeout_ms):
        t = self.current
        proc = self.procs.get(t.pid)
        if proc is None:
            raise NeutronError(f"process.receive: process {t.pid} has ended: its tasks have no mailbox.")
        if proc.mailbox:
            return proc.mailbox.pop(0)
        if timeout_ms is not None and timeout_ms <= 0:
            return None
        if t.pid == 0 and timeout_ms is None and self.process_count() == 0 and not self.others_alive():
            raise NeutronError("process.receive: the main program has no processes, so no message can come "
                               "(it would wait forever).")
        proc.receivers.append(t)
        if timeout_ms is not None:
            t.wake = ("value", None)
            self.add_timer(t, timeout_ms)
        else:
            t.timer_seq = None
        self.suspend("receiving")

    def offload(self, work):
        """Blocking I/O (an http request): work() runs in a thread while the other tasks run, and the task gets its
        result (or its error) when it is done. work must touch no Neutron state. With nothing else to run, it
        simply runs here."""
        if not (self.ready or self.timers or self.io):
            return work()
        t = self.current
        done = self.io_done

        def run():
            try:
                wake = ("value", work())
            except NeutronError as e:
                wake = ("throw", e.message, True)
            except Exception as e:      # (work reports its own errors; this keeps the task from waiting forever)
                wake = ("throw", f"I/O failed: {e}", True)
            done.put((t, wake))
        self.io[t.id] = t
        threading.Thread(target=run, daemon=True).start()
        self.suspend("io")

    def collect_io(self, timeout=None):
        """Tasks whose I/O has ended become ready; waits up to `timeout` seconds for the first one (None: not)."""
        try:
            item = self.io_done.get(timeout=timeout) if timeout else self.io_done.get_nowait()
        except queue.Empty:
            return
        while True:
            t, wake = item
            if self.io.pop(t.id, None) is not None and t.state == "io":
                t.wake = wake
                t.state = "ready"
                self.ready.append(t)
            try:
                item = self.io_done.get_nowait()
            except queue.Empty:
                return

    # ---- processes ----------------------------------------------------------------------------------------------

    def alive(self, pid):
        p = self.procs.get(pid)
        return p is not None and p.state not in ENDED

    def process_count(self):
        return sum(1 for pid, p in self.procs.items() if pid and p.state not in ENDED)

    def others_alive(self):
        return any(x is not self.current for x in self.ready) or bool(self.timers) or bool(self.io)

    def deliver(self, pid, message):
        p = self.procs[pid]
        if p.receivers:
            r = p.receivers.pop(0)
            r.wake = ("value", message)
            r.timer_seq = None
            r.state = "ready"
            self.ready.append(r)
        else:
            p.mailbox.append(message)

    def kill(self, pid):
        """Ends process `pid` where it is (its tasks go on). Killing the running process suspends it for good."""
        p = self.procs[pid]
        if p.state in ENDED:
            return
        was = p.state
        if was == "remote" and self.pool:
            self.pool.abandon(p)
        p.state = "killed"
        p.frames = []
        p.timer_seq = None
        p.mailbox = []
        if was in WAITING:
            self.unblock(p)
            p.state = "killed"
        try:
            self.ready.remove(p)
        except ValueError:
            pass
        self.forget(p)
        if p is self.current:
            raise Suspend()

    def forget(self, p):
        """An ended process keeps no mailbox; its pid stays known (is_alive answers false), the latest 4096."""
        p.mailbox = []
        self.ended.append(p.pid)
        if len(self.ended) > 4096:
            self.procs.pop(self.ended.popleft(), None)

    # ---- running ------------------------------------------------------------------------------------------------

    def execute(self, waiting=False, done=NOTHING):
        """Run every task to its end; returns the main program's result. `waiting`: the running task has just
        suspended; `done`: it has just ended with this result; else it starts (or goes on) from the VM's frames."""
        if self.driving:
            raise RuntimeError("scheduler re-entered")
        self.driving = True
        vm = self.vm
        try:
            t = self.current
            if done is not NOTHING:
                if t.state in ENDED:        # a run the scheduler already finished (the tier handed it to the VM)
                    return self.main.result
                self.finish(t, done)
            elif not waiting:
                if t.state != "running":        # a new entry at the prompt, after the program had ended
                    t = self.current = self.main
                    self.main.error = None
                t.frames = vm.frames
                self.step(t, resumed=True)
            while True:
                t = self.next_ready()
                if t is None:
                    break
                self.step(t)
            if self.main.state == "failed":
                raise Uncaught(*self.main.error)
            vm.frames = []
            vm.result = self.main.result
            return self.main.result
        finally:
            self.driving = False
            self.close_pool()

    def step(self, t, resumed=False):
        """Run task t until it waits or ends (`resumed`: it was running when the snapshot was taken, its frames
        as they were)."""
        vm = self.vm
        if t.kind == "process" and not resumed and self.ship(t):
            return
        self.current = t
        t.state = "running"
        wake, t.wake = (None, None) if resumed else (t.wake, None)
        t.fresh = False
        try:
            if vm.tier is not None:
                result = vm.tier.run_fiber(t.frames, wake)
            else:
                vm.frames = t.frames
                if wake is not None:
                    if wake[0] == "value":
                        t.frames[-1].stack.append(wake[1])
                    else:
                        vm.throw(wake[1], wake[2])
                result = vm.run_task()
        except Suspend:
            if t.state == "running":        # killed itself, or a native forgot to say why: it cannot go on
                t.state = "killed"
            return
        except Uncaught as u:
            self.fail(t, u)
            return
        self.finish(t, result)

    # ---- processes in worker processes (procpool.py) --------------------------------------------------------

    def ship(self, t):
        """Run process t's next step in an idle worker process, if there is one and something else can run here
        meanwhile (else running it here costs less, and keeps the order of a program that waits for it); True if
        it went."""
        if t.placement is not None:
            if t.placement == "local":
                t.placement = None
            return False
        if not self.ready:
            return False
        if self.pool is None:
            self.pool = (self.vm.workers(self.vm) if self.vm.workers is not None else None) or False
        if not self.pool or not self.pool.ship(t):
            return False
        t.state = "remote"
        t.frames, t.mailbox, t.wake = [], [], None
        self.shipped += 1
        return True

    def remote_busy(self):
        return bool(self.pool) and self.pool.busy()

    def collect_remote(self, timeout):
        """Processes back from the workers: ended, failed, or at a call to make here (their next step is local)."""
        for t, box, output in self.pool.results(timeout):
            if output:
                self.vm.out.write(output)
            if t.state != "remote":         # killed meanwhile
                continue
            if box is None:
                self.fail(t, Uncaught(f"Process {t.pid} was lost: the worker process running it ended.", True, []))
            elif box.state == "done":
                self.finish(t, box.result)
            elif box.state == "failed":
                self.fail(t, Uncaught(*box.error))
            else:
                t.frames, t.fresh, t.wake = box.frames, True, None
                t.mailbox = box.mailbox + t.mailbox
                t.placement = "local"
                t.state = "ready"
                self.ready.append(t)

    def gather(self):
        """Wait for the processes the workers run to come back (a checkpoint writes them with the others)."""
        while self.remote_busy():
            self.collect_remote(SLICE)

    def close_pool(self):
        """At the end of a run (or its error, or Ctrl-C): a process still in a worker ends with it."""
        if self.pool:
            for w in self.pool.workers:
                if w.task is not None and w.task.state == "remote":
                    w.task.state = "killed"
            self.pool.close()
        self.pool = None

    def finish(self, t, result):
        t.state = "done"
        t.result = result
        t.frames = []
        for w in t.waiters:
            w.wake = ("value", result)
            w.waiting_on = None
            self.awaiting.pop(w.id, None)
            w.state = "ready"
            self.ready.append(w)
        t.waiters = []
        if t.kind == "process":
            self.forget(t)

    def fail(self, t, u):
        t.state = "failed"
        hint = u.hint
        if callable(hint):
            try:
                hint = hint()
            except Exception:       # advice must never hide the error itself
                hint = None
        t.error = (u.value, u.is_error, u.trace, hint)
        t.frames = []
        if t is self.main:
            return
        if t.waiters:
            t.observed = True
        for w in t.waiters:
            w.wake = ("throw", u.value, u.is_error)
            w.waiting_on = None
            self.awaiting.pop(w.id, None)
            w.state = "ready"
            self.ready.append(w)
        t.waiters = []
        self.failures.append(t)
        if t.kind == "process":
            self.forget(t)

    def next_ready(self):
        """The next task to run, sleeping until a deadline when all wait for one; None when the program is over.
        When every task waits for something that cannot come, the deadlock error is thrown into one of them."""
        while True:
            if self.main.state == "failed":
                return None
            remote = self.remote_busy()
            if remote:
                self.collect_remote(0)
            if self.io:
                self.collect_io()
            self.expire()
            if self.ready:
                return self.ready.popleft()
            if self.timers or remote or self.io:
                wait = min(self.timers[0][0] - time.time(), SLICE) if self.timers else SLICE
                if wait > 0:
                    if remote:
                        self.collect_remote(wait / 2 if self.io else wait)
                    if self.io:
                        self.collect_io(wait / 2 if remote else wait)
                    elif not remote:
                        time.sleep(wait)
                continue
            stuck = self.stuck()
            if stuck is None:
                return None
            t, why = stuck
            self.unblock(t)
            t.wake = ("throw", f"Deadlock: {why}, and no task or process can run to end the wait.", True)
            return t

    def expire(self):
        timers = self.timers
        now = time.time()
        while timers and timers[0][0] <= now:
            _, seq, t = heapq.heappop(timers)
            if t.timer_seq != seq or t.state not in ("sleeping", "receiving"):
                continue
            t.timer_seq = None
            if t.state == "receiving":
                p = self.procs.get(t.pid)
                if p is not None and t in p.receivers:
                    p.receivers.remove(t)
            t.state = "ready"
            self.ready.append(t)

    def stuck(self):
        """(task, why) of a wait that can never end, or None when what is left may end quietly (processes
        waiting for messages after the main program ended)."""
        main = self.main
        if main.state == "awaiting":
            return main, "the main program " + self.chain(main)
        if main.state == "receiving":
            return main, "the main program waits for a message"
        if self.awaiting:
            t = self.awaiting[min(self.awaiting)]
            return t, f"task {t.id} " + self.chain(t)
        return None

    @staticmethod
    def chain(t):
        """`awaits task 2, which awaits task 1, which awaits task 2`."""
        parts, seen = [], {id(t)}
        while t.state == "awaiting" and t.waiting_on is not None:
            t = t.waiting_on
            parts.append(f"task {t.id}")
            if id(t) in seen:
                break
            seen.add(id(t))
        if t.state == "receiving":
            parts[-1] += " (waiting for a message)"
        return "awaits " + ", which awaits ".join(parts)

    def unblock(self, t):
        self.awaiting.pop(t.id, None)
        self.io.pop(t.id, None)
        if t.waiting_on is not None and t in t.waiting_on.waiters:
            t.waiting_on.waiters.remove(t)
        t.waiting_on = None
        p = self.procs.get(t.pid)
        if p is not None and t in p.receivers:
            p.receivers.remove(t)
        t.timer_seq = None
        t.state = "ready"

    def unobserved(self):
        """Failures nobody awaited: reported when the program ends."""
        return [t for t in self.failures if not t.observed]
