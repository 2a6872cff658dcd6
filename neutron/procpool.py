"""Worker processes that run Neutron processes in parallel, one operating-system process per core.

The scheduler (runtime/tasks.py) stays the one place that knows every task and process: mailboxes, sleeps,
deadlocks and checkpoints are its own. When a process is about to run and a worker is idle, the scheduler ships
it there instead: the process (its frames, its mailbox, everything they reach; it shares nothing, so nothing else
is needed) goes through the snapshot's own format (durable/transfer.py), and the worker runs it in a VM of its own
until it ends, fails, or calls a built-in that touches more than the process itself (send, sleep, a checkpoint,
output to a log, the random generator, ...). That call is not made there: the worker rewinds the process to it
and sends it back, and the scheduler runs it from there, the call first. Its `say` output comes back with it.
Computing (the part that benefits) runs in parallel; everything observable happens in the one scheduler, so a
checkpoint waits for the workers' processes to come back and writes them like the others.

Workers are started by `python -m` in a fresh interpreter (no fork of a threaded process), speak length-prefixed
frames on their stdin and stdout, ignore Ctrl-C (the main process ends them) and end when their stdin closes.
"""
from __future__ import annotations

import io
import os
import select
import signal
import struct
import subprocess
import sys

from .bytecode.opcodes import CALL_ARRAY, INVOKE
from .durable.format import SnapshotError
from .durable.transfer import Unsendable, decode_value, encode_value
from .errors import NeutronError
from .runtime.frames import Uncaught
from .runtime.tasks import Suspend
from .runtime.values import Task

HEADER = struct.Struct("<II")
# quiet built-ins (runtime/effects.py) that still must run in the main process: its clock of sleeps, its exit,
# its arguments and resumption, its working directory (sys.chdir may have moved it), its random generator
LOCAL = {"sys.sleep", "time.sleep", "sys.exit", "sys.resumed", "sys.args", "sys.input", "sys.read", "sys.exists",
         "sys.stat", "sys.listdir", "sys.cwd", "json.readFile", "sys.info"}
WORKERS_OFF = "NEUTRON_PROCESS_WORKERS"     # =0: processes run in the main process only


def workers_wanted():
    n = os.environ.get(WORKERS_OFF)
    if n is not None:
        try:
            return max(0, int(n))
        except ValueError:
            return 0
    return (os.cpu_count() or 1) - 1        # the main process computes too


def write_frame(out, *parts):
    out.write(HEADER.pack(len(parts[0]), len(parts[1]) if len(parts) > 1 else 0))
    for p in parts:
        out.write(p)
    out.flush()


def read_exact(inp, n):
    data = bytearray()
    while len(data) < n:
        chunk = inp.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def read_frame(inp):
    head = read_exact(inp, HEADER.size)
    if head is None:
        return None
    a, b = HEADER.unpack(head)
    first = read_exact(inp, a)
    second = read_exact(inp, b) if b else b""
    if first is None or second is None:
        return None
    return first, second


# ---- the main process's side ----------------------------------------------------------------------------------

class Worker:
    def __init__(self, proc):
        self.proc = proc
        self.task = None        # the process it runs now


class Pool:
    def __init__(self, vm, n):
        self.vm = vm
        self.size = n
        self.workers = []
        self.env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.env["PYTHONPATH"] = root + (os.pathsep + self.env["PYTHONPATH"] if self.env.get("PYTHONPATH") else "")

    def start_worker(self):
        proc = subprocess.Popen([sys.executable, "-c", "from neutron.procpool import worker_main; worker_main()"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env,
                                start_new_session=True)     # (Ctrl-C is the main process's to handle)
        w = Worker(proc)
        self.workers.append(w)
        return w

    def idle(self):
        for w in self.workers:
            if w.task is None:
                return w
        if len(self.workers) < self.size:
            try:
                return self.start_worker()
            except OSError:
                self.size = len(self.workers)
        return None

    def ship(self, t):
        """Send process t to an idle worker; False when none is idle or t cannot leave this process."""
        w = self.idle()
        if w is None:
            return False
        box = Task(t.id, "process", t.pid, t.frames)
        box.fresh, box.wake, box.mailbox = t.fresh, t.wake, t.mailbox
        try:
            data = encode_value(box)
        except (Unsendable, NeutronError):
            t.placement = "never"
            return False
        try:
            write_frame(w.proc.stdin, data)
        except OSError:
            self.drop(w)
            return False
        w.task = t
        return True

    def busy(self):
        return any(w.task is not None for w in self.workers)

    def results(self, timeout):
        """[(task, returned box or None if the worker died, output)] of the workers done within `timeout` s."""
        busy = {w.proc.stdout.fileno(): w for w in self.workers if w.task is not None}
        if not busy:
            return []
        ready, _, _ = select.select(list(busy), [], [], timeout)
        out = []
        for fd in ready:
            w = busy[fd]
            t, w.task = w.task, None
            frame = read_frame(w.proc.stdout)
            box = None
            if frame is not None:
                try:
                    box = decode_value(self.vm, frame[0])
                except SnapshotError:
                    box = None
            if box is None or box.__class__ is not Task:
                self.drop(w)
                out.append((t, None, ""))
                continue
            out.append((t, box, frame[1].decode("utf-8", "surrogatepass")))
        return out

    def abandon(self, t):
        """Process t was killed while a worker runs it: that worker is ended (it may never come back)."""
        for w in self.workers:
            if w.task is t:
                self.drop(w)

    def drop(self, w):
        if w in self.workers:
            self.workers.remove(w)
        try:
            w.proc.kill()
            w.proc.wait()
        except OSError:
            pass
        for f in (w.proc.stdin, w.proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def close(self):
        for w in list(self.workers):
            if w.task is not None:
                self.drop(w)
                continue
            try:
                w.proc.stdin.close()
                w.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.drop(w)


def make_pool(vm):
    n = workers_wanted()
    if n <= 0:
        return None
    pool = Pool(vm, n)
    try:
        for _ in range(n):      # started together: each takes a moment to import Neutron
            pool.start_worker()
    except OSError:
        pool.size = len(pool.workers)
    return pool


# ---- the worker's side -----------------------------------------------------------------------------------------

class Rewind(Suspend):
    """The process called a built-in that must run in the main process: it goes back there, at that call."""


class Alone:
    """The scheduler as a process in a worker sees it: itself and its mailbox."""

    def __init__(self, box):
        self.current = box

    def receive(self, timeout_ms):
        return self.current.mailbox.pop(0)


def worker_point(vm, box):
    quiet = vm.quiet

    def point(frame, ip, callee=None, args=None, recv=None):
        if callee is None:
            return          # say: its output goes back with the process
        q = callee.qualname
        if q == "process.self" or q == "process.receive" and box.mailbox:
            return
        if quiet[q] and q not in LOCAL and not q.startswith("random.") and not q.startswith("process.") and \
                not q.startswith("async."):
            return
        frame.ip = ip - 1       # back to the call, its operands on the stack again (as VM.stop_here does)
        o = frame.code.instrs[ip - 1][0]
        if o == INVOKE:
            frame.stack += [recv, *args]
        elif o == CALL_ARRAY:
            frame.stack += [callee, args]
        else:
            frame.stack += [callee, *args]
        raise Rewind()
    return point


def run_box(vm, box):
    """Run the process in `box` until it ends, fails or rewinds; the box says which."""
    vm.frames = box.frames
    vm.scheduler = Alone(box)
    vm.point = worker_point(vm, box)
    wake, box.wake = box.wake, None
    try:
        if wake is not None:
            if wake[0] == "value":
                box.frames[-1].stack.append(wake[1])
            else:
                vm.throw(wake[1], wake[2])
        result = vm.run_task()
    except Rewind:
        box.state, box.fresh, box.frames = "ready", True, vm.frames
        return
    except Uncaught as u:
        hint = u.hint
        if callable(hint):
            try:
                hint = hint()
            except Exception:
                hint = None
        box.state, box.error, box.frames = "failed", (u.value, u.is_error, u.trace, hint), []
        return
    except (MemoryError, RecursionError):
        box.state, box.error, box.frames = "failed", ("Out of memory.", True, [], None), []
        return
    box.state, box.result, box.frames = "done", result, []


def worker_main():
    from .runner import new_vm      # lazy: the worker's wiring, not the package's import-time dependency
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr         # nothing else may write on the frames' channel
    vm = new_vm(["<process>"], "<process>", io.StringIO())
    try:
        while True:
            frame = read_frame(inp)
            if frame is None:
                return
            box = decode_value(vm, frame[0])
            vm.out = io.StringIO()
            run_box(vm, box)
            write_frame(out, encode_value(box), vm.out.getvalue().encode("utf-8", "surrogatepass"))
    except (Exception, KeyboardInterrupt):      # the main process hears of it (the process was lost) and goes on
        return
