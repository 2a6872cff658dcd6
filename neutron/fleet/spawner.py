"""The process that starts the runs' processes: forked by the worker before it starts anything else, it has
Neutron (VM, compiled tier, snapshot reader) loaded already, and forks one child per attempt of a run. A resume
so costs a fork, not an interpreter's start-up.

Each child gets its standard output and error and its socket to the worker (passed over a Unix socket with
SCM_RIGHTS), runs in a session of its own (a Ctrl-C meant for the worker does not reach it) and is killed when
the spawner dies, which is killed when the worker dies (PR_SET_PDEATHSIG): a worker that dies leaves no copy of
a run behind.

Protocol on the worker's socket (SOCK_SEQPACKET, one JSON message each):
    worker -> spawner  {"id": n} with three descriptors (stdout, stderr, control socket)
    spawner -> worker  {"id": n, "pid": p}, later {"id": n, "status": s} (the exit status; 128+N for signal N)
"""
from __future__ import annotations

import ctypes
import errno
import functools
import gc
import json
import os
import select
import signal
import socket
import sys

PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl():
    """libc's prctl, looked up once (in the spawner: its forks have it)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent(parent):
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:      # the parent died before prctl
        os._exit(1)


def start(compiled=False):
    """Fork the spawner; returns (its pid, the worker's end of the socket). Call before any thread exists.
    `compiled`: the runs use the compiled tier (else the VM, whose resumes cost less)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            die_with_parent(parent)
            serve(theirs, compiled)
        finally:
            os._exit(0)
    theirs.close()
    return pid, ours


def serve(sock, compiled):
    from . import child     # lazy: loaded here, once, so that every fork has it
    child.warm_up(compiled)
    gc.collect()
    gc.freeze()             # the forks' collections leave the spawner's objects (and their pages) alone
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    signal.set_wakeup_fd(wake_w)
    me = os.getpid()
    children = {}
    while True:
        try:
            ready, _, _ = select.select([sock, wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in ready:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        if sock in ready:
            try:
                msg, fds, _, _ = socket.recv_fds(sock, 65536, 3)
            except OSError:
                msg, fds = b"", []
            if not msg:
                for pid in children:
                    _kill(pid)
                os._exit(0)
            req = json.loads(msg)
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                os.close(wake_r)
                os.close(wake_w)
                sock.close()
                _run_child(child, me, fds)
            for fd in fds:
                os.close(fd)
            children[pid] = req["id"]
            _send(sock, {"id": req["id"], "pid": pid})
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            ident = children.pop(pid, None)
            if ident is not None:
                code = os.waitstatus_to_exitcode(status)
                _send(sock, {"id": ident, "status": code if code >= 0 else 128 - code})


def _send(sock, msg):
    try:
        sock.send(json.dumps(msg).encode())
    except OSError:
        os._exit(0)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _run_child(child, parent, fds):
    status = 70
    try:
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        die_with_parent(parent)
        os.setsid()
        out, err, ctl = fds
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in (null, out, err):
            os.close(fd)
        sys.stdout.reconfigure(line_buffering=True)
        sys.stderr.reconfigure(line_buffering=True)
        status = child.main(socket.socket(fileno=ctl))
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 1
    except BaseException as e:     # an internal error: said on the run's stderr, the attempt fails
        try:
            sys.stderr.write(f"neutron: internal error: {type(e).__name__}: {e}\n")
        except OSError as e2:
            if e2.errno != errno.EPIPE:
                pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os._exit(status if isinstance(status, int) else 70)
