"""Checkpoints asked for from outside the program: `neutron --snapshot PATH` with signals, periodic checkpoints and
rotation, and `--checkpoint-on-error PATH`.

- SIGTERM and SIGHUP (and SIGINT with `--checkpoint-on SIGINT`): the program stops at the next safepoint, PATH is
  written and the process ends with EXIT_STOPPED (75, sysexits' EX_TEMPFAIL); `neutron --resume PATH` continues
  there. SIGUSR1: PATH is written and the program goes on. Without --checkpoint-on, SIGINT ends the run as ever
  (status 130).
- `--checkpoint-every DURATION`: a thread asks for a checkpoint to PATH every DURATION.
- `--keep N`: the last N snapshots are kept as PATH, PATH.1, ... (atomic.replace_file rotates them).
- `--checkpoint-on-error PATH`: a built-in call that fails, or a `throw`, with no handler in the program to catch
  it, writes PATH as the program was just before that operation; a resume runs it again.

A request is served at a safepoint (the VM: jumps, calls, returns; the compiled tier: loop back-edges and function
entries, see Tier.trace) or by a blocking built-in while it waits (sleeps, reading standard
input, http requests and servers; stdlib/sys.wait): VM.on_request is Watch.serve.
"""
from __future__ import annotations

import os
import re
import signal
import sys
import threading

from ..errors import NeutronError, ProgramExit
from ..runtime.frames import NotASafepoint
from .run import run_of

EXIT_STOPPED = 75       # sysexits' EX_TEMPFAIL: stopped from outside, PATH continues the run
EXIT_NOT_SAVED = 74     # stopped from outside but PATH could not be written (EX_IOERR)

OPTIONS = ("--snapshot", "--checkpoint-every", "--keep", "--checkpoint-on", "--checkpoint-on-error")
STOP_SIGNALS = ("SIGTERM", "SIGHUP")
CHOOSABLE = ("SIGINT", "SIGQUIT")       # --checkpoint-on: these stop with a checkpoint too
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


class Options:
    def __init__(self):
        self.snapshot = None
        self.every = None           # seconds
        self.keep = 1
        self.stop_signals = list(STOP_SIGNALS)
        self.error_path = None

    def __bool__(self):
        return self.snapshot is not None or self.error_path is not None


def duration(text):
    """Seconds in '30s', '5m', '1h', '500ms' or a plain number of seconds; None if not a duration."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", text)
    if m is None:
        return None
    value = float(m.group(1)) * _UNITS[m.group(2) or "s"]
    return value if value > 0 else None


def parse(argv):
    """(Options, the rest of argv) from the options in front of the program; or (None, a message for a usage error)."""
    opts = Options()
    i = 0
    while i < len(argv) and argv[i] in OPTIONS:
        name = argv[i]
        if i + 1 >= len(argv):
            return None, f"{name} needs a value"
        value = argv[i + 1]
        i += 2
        if name == "--snapshot" or name == "--checkpoint-on-error":
            if not value or value.startswith("-"):
                return None, f"{name} needs the path of a snapshot file"
            if name == "--snapshot":
                opts.snapshot = value
            else:
                opts.error_path = value
        elif name == "--checkpoint-every":
            seconds = duration(value)
            if seconds is None:
                return None, f"--checkpoint-every needs a duration such as 30s, 5m or 1h, got '{value}'"
            opts.every = seconds
        elif name == "--keep":
            if not value.isdigit() or not 1 <= int(value) <= 1000:
                return None, f"--keep needs a number of snapshots from 1 to 1000, got '{value}'"
            opts.keep = int(value)
        else:
            sig = value.upper()
            sig = sig if sig.startswith("SIG") else "SIG" + sig
            if sig not in CHOOSABLE + STOP_SIGNALS:
                return None, f"--checkpoint-on takes {' or '.join(CHOOSABLE)}, got '{value}'"
            if sig not in opts.stop_signals:
                opts.stop_signals.append(sig)
    if opts.snapshot is None and (opts.every is not None or opts.keep != 1 or opts.stop_signals != list(STOP_SIGNALS)):
        return None, "--checkpoint-every, --keep and --checkpoint-on need --snapshot PATH"
    return opts, argv[i:]


class Watch:
    """The options' effects on one VM: install() before the program runs, finish() after it."""

    def __init__(self, vm, opts, err=None):
        self.vm = vm
        self.opts = opts
        self.err = err if err is not None else sys.stderr
        self.saved = {}             # signal number -> the handler before ours
        self.done = threading.Event()
        self.served = threading.Event()    # a request was served (written or not)
        self.alarm = False                  # --checkpoint-every runs on SIGALRM (else on a thread: _tick)
        self.error_written = None   # the path written for a failure, once
        self.failure_seen = False

    def install(self):
        vm, opts = self.vm, self.opts
        run = run_of(vm)
        if opts.snapshot is not None:
            path = os.path.abspath(opts.snapshot)
            run.keep[path] = opts.keep
            if run.home is None:
                run.home = path
            vm.safepoints = True
            vm.on_request = self.serve
            main = threading.current_thread() is threading.main_thread()
            if main:
                for name in opts.stop_signals:
                    self._handle(name, "stop")
                self._handle("SIGUSR1", "save")
            if opts.every is not None:
                # a timer signal rather than a thread: a live second thread slows some compiled code (a sort
                # by a comparator ran at half speed beside one waiting on an Event)
                if main and hasattr(signal, "setitimer"):
                    self._handle("SIGALRM", "tick")
                    self.alarm = True
                    signal.setitimer(signal.ITIMER_REAL, opts.every)
                else:
                    threading.Thread(target=self._tick, name="neutron-checkpoint-every", daemon=True).start()
        if opts.error_path is not None:
            vm.on_call_error = self.failed
        return self

    def _handle(self, name, what):
        num = getattr(signal, name, None)
        if num is None:
            return
        self.saved[num] = signal.getsignal(num)
        signal.signal(num, lambda signum, frame: self.ask(what, signum))

    def ask(self, what, signum=None):
        vm = self.vm
        if what == "tick":                 # --checkpoint-every's timer; re-armed once the request is served
            if vm.request is None:
                vm.ask("save")
            return
        if vm.request == "stop":
            return
        if what == "stop":
            self.stopped_by = signal.Signals(signum).name if signum is not None else "request"
        vm.ask(what)

    def was_served(self):
        self.served.set()
        if self.alarm:                      # the period counts from the end of the last write
            signal.setitimer(signal.ITIMER_REAL, self.opts.every)

    def ask_again(self, what):
        vm = self.vm
        if what == "stop" or vm.request is None:
            vm.ask(what)

    def _tick(self):
        # the period counts from the end of the last write: a checkpoint slower than the period leaves the program
        # time to run between two
        while not self.done.wait(self.opts.every):
            if self.vm.request is None:
                self.served.clear()
                self.vm.ask("save")
                while not self.served.wait(1.0) and not self.done.is_set():
                    pass

    def finish(self):
        self.done.set()
        if self.alarm:
            self.alarm = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        for num, handler in self.saved.items():
            try:
                signal.signal(num, handler if handler is not None else signal.SIG_DFL)
            except (ValueError, OSError, TypeError):
                pass
        self.saved = {}

    # -- at a safepoint --
    def serve(self, vm, mode):
        what = vm.take_request()
        if what is None:
            return
        path = self.opts.snapshot
        try:
            frames = vm.live_frames(mode)
            vm.write_snapshot(vm, path, frames, mode == "call", vm.call_result, "--snapshot")
        except NotASafepoint:
            # compiled code that Python's sort calls (a comparator): asked again a moment later, after the sort
            later = threading.Timer(0.05, self.ask_again, (what,))
            later.daemon = True
            later.start()
            return
        except NeutronError as e:
            self.was_served()
            vm.flush()
            self.err.write(f"neutron: cannot write the snapshot: {e.message}\n")
            if what == "stop":
                raise ProgramExit(EXIT_NOT_SAVED) from None
            return
        self.was_served()
        if os.environ.get("NEUTRON_CHECKPOINT_LOG"):
            self.err.write(f"neutron: checkpoint written to {path}\n")
        if what == "stop":
            vm.flush()
            self.err.write(f"neutron: stopped by {getattr(self, 'stopped_by', 'request')}; the program is saved in "
                           f"{path} (continue it with: neutron --resume {path})\n")
            raise ProgramExit(EXIT_STOPPED)

    # -- a failure --
    def failed(self, vm, mode):
        """A built-in call failed or a value is thrown: when nothing in the program catches it, the program as it
        was just before is written to the error path (once)."""
        self.failure_seen = True
        if self.error_written is not None:
            return
        try:
            frames = vm.live_frames(mode)
        except RuntimeError:        # (the compiled tier found no call site to describe: nothing is written)
            return
        if any(f.handlers for f in frames):
            return                  # a handler takes it: not a failure of the run
        try:
            vm.write_snapshot(vm, self.opts.error_path, frames, False, None, "--checkpoint-on-error")
        except NeutronError as e:
            self.err.write(f"neutron: cannot write the snapshot for the failure: {e.message}\n")
            return
        self.error_written = self.opts.error_path

    def report(self, status):
        """After the run: what became of the failure snapshot (said after the error's report)."""
        if self.opts.error_path is None or status != 1:
            return
        path = self.opts.error_path
        if self.error_written is not None:
            self.err.write(f"neutron: {path} resumes at the failing operation: run it again with "
                           f"neutron --resume {path}\n")
        else:
            self.err.write(f"neutron: no snapshot written to {path}: the error is not in a call of a built-in "
                           f"function with effects or a throw (running it again would fail the same way)\n")
