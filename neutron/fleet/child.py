"""One attempt of a run, in its own OS process: resume the run's latest snapshot and run it, its snapshots going
to the worker (which stores them under its lease) instead of to files.

The process talks to its worker over a socket, in frames (header JSON, then bytes):
    load                          -> {args, env, files, resumed} and the snapshot's bytes
    save {seq}  + snapshot bytes  -> {ok} once stored, or {lost}: another worker holds the run now
    once_get {key} / once_put {key, value}
    end {outcome, status[, until]}   outcome: done | exit | error | hibernate | sleep
Its standard output and error are pipes the worker reads line by line.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import struct
import sys
import tempfile

from .. import runner
from ..durable import encode_snapshot, load_snapshot, SnapshotError
from ..durable.run import run_of
from ..errors import NeutronError, ProgramExit

EXIT_LOST = 75          # the run was taken over (lease lost or cancelled): this copy stops at once
FRAME = struct.Struct("!II")
PLACE = "<fleet store>"


def send(sock, header, payload=b""):
    h = json.dumps(header).encode()
    sock.sendall(FRAME.pack(len(h), len(payload)) + h + payload)


def recv(sock):
    head = _exactly(sock, FRAME.size)
    if head is None:
        return None, b""
    hlen, plen = FRAME.unpack(head)
    h = _exactly(sock, hlen)
    payload = _exactly(sock, plen) if plen else b""
    if h is None or payload is None:
        return None, b""
    return json.loads(h), payload


def _exactly(sock, n):
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class Link:
    """The process's side of the socket to its worker."""

    def __init__(self, sock):
        self.sock = sock

    def ask(self, header, payload=b""):
        send(self.sock, header, payload)
        reply, data = recv(self.sock)
        if reply is None:           # the worker is gone: nothing this copy does can count any more
            os._exit(EXIT_LOST)
        if reply.get("lost"):
            sys.stderr.write("neutron: this run was taken over by another worker or cancelled; this copy stops\n")
            sys.stderr.flush()
            os._exit(EXIT_LOST)
        return reply, data


def warm_up(compiled):
    """Load, once in the spawner, what every attempt needs (the built-in modules, the snapshot reader and writer,
    the compiled tier if used) by running a small program through a snapshot: each fork then starts warm."""
    from ..stdlib import MODULES, native_module     # lazy: only the spawner warms up
    for name in MODULES:
        native_module(name)
    path = os.path.join(tempfile.mkdtemp(prefix="neutron-warm-"), "warm.nt")
    snap = json.dumps(os.path.join(os.path.dirname(path), "w.snap"))      # in the folder removed below, not the cwd
    source = f'use sys;\nuse time;\nvar xs = [1, 2, 3].map(fun (x) {{ return x * 2; }});\nsys.checkpoint({snap});\n' \
             'say(xs.length + time.now() * 0);\n'

    try:
        with open(path, "w") as fh:
            fh.write(source)
        snapshots = []
        vm = runner.new_vm(out=io.StringIO())
        vm.write_snapshot = lambda vm, path, frames, push_result, result, who="": snapshots.append(
            b"".join(encode_snapshot(vm, frames, push_result, result, who)[0]))
        runner.run_file(path, out=io.StringIO(), err=io.StringIO(), mode="vm")
        code, _ = runner.compile_file(path, io.StringIO(), vm)
        runner.start(vm, code)
        runner.execute(vm, io.StringIO())
        again = runner.new_vm(out=io.StringIO())
        load_snapshot(again, snapshots[0])
        runner.use_tier(again, "compiled" if compiled else "vm")
        runner.execute(again, io.StringIO())
    finally:
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def main(sock):
    """Run one attempt; returns the exit status."""
    link = Link(sock)
    info, data = link.ask({"op": "load"})
    os.environ.clear()
    os.environ.update(info["env"])
    home = tempfile.mkdtemp(prefix="neutron-run-", dir=run_base())
    try:
        write_files(home, info["files"])
        os.chdir(home)
        return attempt(link, info, data)
    finally:
        os.chdir("/")
        shutil.rmtree(home, ignore_errors=True)


def run_base():
    """Where attempts' working folders go: the temporary folder TMPDIR names, else /dev/shm when there is one (a
    folder made and removed there costs microseconds, on a disk's file system milliseconds), else the system's."""
    if "TMPDIR" not in os.environ and os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        return "/dev/shm"
    return None


def write_files(home, files):
    """The program's files (the entry file and those it uses), at their paths relative to where it was
    submitted: `use` and `using` find them as they did there."""
    for rel, text in files.items():
        path = os.path.normpath(os.path.join(home, rel))
        if not path.startswith(home + os.sep):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(text)


def attempt(link, info, data):
    err = sys.stderr
    vm = runner.new_vm(out=sys.stdout)
    try:
        load_snapshot(vm, data)
    except SnapshotError as e:
        err.write(f"neutron: cannot resume the run's snapshot: {e}\n")
        link.ask({"op": "end", "outcome": "error", "status": runner.EXIT_SNAPSHOT})
        return runner.EXIT_SNAPSHOT
    vm.resumed = bool(info["resumed"])
    vm.wake_now = bool(info.get("wake_now"))       # `fleet wake` of a sleeping run: its sleep ends at once
    vm.argv = [vm.script_path] + list(info["args"])
    vm.snapshot_place = PLACE
    vm.write_snapshot = lambda vm, path, frames, push_result, result, who="sys.checkpoint": save(
        link, vm, frames, push_result, result, who)
    install_hooks(vm, link, float(info.get("sleep_threshold", 10.0)))
    runner.use_tier(vm, "compiled" if info.get("compiled") else "vm")
    outcome, until = "done", None
    try:
        status = runner.execute(vm, err, session=True)
        if status != 0:
            outcome = "error"
    except ProgramExit as e:
        status = e.status
        last = vm.last_checkpoint
        outcome = "hibernate" if last is not None and vm.effects == last[1] else "exit"
    except Sleep as s:
        status, outcome, until = 0, "sleep", s.until
    vm.flush()
    sys.stdout.flush()
    err.flush()
    end = {"op": "end", "outcome": outcome, "status": status if isinstance(status, int) else 0}
    if until is not None:
        end["until"] = until
    link.ask(end)
    return end["status"]


def save(link, vm, frames, push_result, result, who):
    parts, stored = encode_snapshot(vm, frames, push_result, result, who)
    reply, _ = link.ask({"op": "save", "seq": run_of(vm).seq + 1}, b"".join(parts))
    if reply.get("error"):
        raise NeutronError(f"{who}: cannot store the snapshot: {reply['error']}")
    stored()


class Sleep(BaseException):
    """A durable sleep: the run is saved and its process ends; a worker resumes it at `until` (seconds since
    1970). A BaseException, so that no handler of the program runs: the program is not over, only parked."""

    def __init__(self, until):
        super().__init__(until)
        self.until = until


def install_hooks(vm, link, threshold):
    """The fleet's answers to the VM's hooks: a sleep of `threshold` seconds or more is a durable sleep (the run
    is saved inside the sleep and its process ends; resumed at the deadline, it goes on from there), and
    sys.once's records are kept in PostgreSQL with the run."""

    def long_sleep(vm, deadline):
        vm.checkpoint(PLACE, "sys.sleep")
        raise Sleep(deadline)

    vm.long_sleep = long_sleep
    vm.long_sleep_threshold = threshold
    vm.once_store = OnceStore(link)


class OnceStore:
    """sys.once's records of the run, in PostgreSQL through the worker; values (nil, booleans, numbers, strings,
    arrays and objects) as JSON."""

    def __init__(self, link):
        self.link = link

    def get(self, key):
        reply, _ = self.link.ask({"op": "once_get", "key": key})
        if not reply.get("found"):
            return False, None
        return True, json.loads(reply["value"], parse_int=float)     # Neutron's numbers are floats

    def put(self, key, value):
        self.link.ask({"op": "once_put", "key": key, "value": json.dumps(value)})
