"""sys: files, directories, the environment, the process.

Functions (arguments in brackets are optional):
    read(path) -> string             write(path, text) -> true        append(path, text) -> true
    cp(src, dst) -> true             mv(src, dst) -> true             rm(path) -> true, or false if missing
    exists(path) -> bool             mkdir(path) -> true if created, false if it already was a directory
    rmdir(path[, recursive]) -> true listdir(path) -> sorted names    stat(path) -> {size, mtime, is_file, is_directory}
    chmod(path, mode) -> true        tmpfile() -> a fresh path (not created)
    cwd() -> string                  chdir(path) -> true              env(name) -> string or nil (unset or empty)
    args() -> the script path followed by the program's arguments
    info() -> {platform, arch, user, hostname, cwd}
    input([prompt]) -> a line without its newline, or nil at end of input
    exit([code])                     sleep(ms) -> true                alloc(n) -> a buffer of n zero bytes
    exec(command[, options]) -> the command's standard output (a string)
    checkpoint([path]) -> true       resumed() -> bool                hibernate([path[, code]])
    once(key, fn) -> fn's result, recorded for the run (written in Neutron: sys.nt)

exec runs the program named by the first word of `command` directly, without a shell: the string is split into
words like a shell would (quotes group words) but `|`, `;`, `&&`, `$VAR` and globs have no special meaning.
Options (an object):
    {"shell": true}   run the command through /bin/sh instead, with all of the shell's syntax
    {"full": true}    return {status, stdout, stderr} instead of the output alone (status: the exit status, or
                      128 + n when killed by signal n); without it the child's stderr goes to the program's stderr
A non-zero exit status is not an error; a command that cannot be started is.

checkpoint writes the whole running program to `path`; `neutron --resume path` continues after the call.
hibernate(path[, code]) does the same, then ends the process with `code` (default 0): the resume continues after
the hibernate call. An exit that follows a checkpoint with nothing observable in between (no output, no writing,
no network, no process started, no other checkpoint; reading files, the environment or the clock does not count)
hibernates too: the resume continues after the exit (see runtime/effects.py). The path may be left out (or nil)
only in a fleet run, whose snapshots go to the fleet's store.

sleep's deadline is an absolute time kept in the program's state while it sleeps: a snapshot written meanwhile (a
signal, a periodic checkpoint) resumes inside the same sleep, which ends at the same deadline (past it, at once).
once(key, fn) calls fn the first time the run reaches it with key and records the result (plain data) durably
before returning it; after a resume from an older snapshot it returns the record without calling fn (see
durable/once.py). Sleeps, input and the http module's waits serve the checkpoints asked for from outside
(`neutron --snapshot`, durable/signals.py) while they wait.

rmdir only removes directories inside the current directory or inside the system's temporary directory
(where tmpfile() paths live), never the current directory itself or one of its parents.
File names given to text functions are read and written as UTF-8; write and append also accept a buffer.
"""
from __future__ import annotations

import math
import os
import platform
import secrets
import select
import shlex
import shutil
import stat as _stat
import subprocess
import sys as _pysys
import tempfile
import threading
import time as _pytime

from ..errors import NeutronError, ProgramExit
from .native import NativeModule, arg_error, arg_ms, arg_num, arg_path, arg_str, opt
from ..runtime.values import BoundMethod, Buffer, Class, Function, Native, to_str, type_name

module = NativeModule("sys")


def _os_fail(fname, verb, path, e: OSError):
    reason = e.strerror or str(e)
    raise NeutronError(f"sys.{fname}: cannot {verb} '{path}': {reason}.")


def _content_bytes(v) -> bytes:
    if v.__class__ is Buffer:
        return bytes(v.data)
    return to_str(v).encode("utf-8", "replace")


# ---- files -----------------------------------------------------------------------------------------------------

@module.function("read", 1)
def read(vm, args):
    path = arg_path(args, 0, "sys.read")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        _os_fail("read", "open", path, e)
    return data.decode("utf-8", "replace")


def _write(fname, args, mode):
    path = arg_path(args, 0, f"sys.{fname}")
    data = _content_bytes(args[1])
    try:
        with open(path, mode) as f:
            f.write(data)
    except OSError as e:
        _os_fail(fname, "write", path, e)
    return True


@module.function("write", 2)
def write(vm, args):
    return _write("write", args, "wb")


@module.function("append", 2)
def append(vm, args):
    return _write("append", args, "ab")


@module.function("cp", 2)
def cp(vm, args):
    src = arg_path(args, 0, "sys.cp", what="source")
    dst = arg_path(args, 1, "sys.cp", what="destination")
    try:
        shutil.copy(src, dst)
    except shutil.SameFileError:
        raise NeutronError(f"sys.cp: cannot copy '{src}' to '{dst}': they are the same file.")
    except OSError as e:
        _os_fail("cp", "copy", src, e)
    return True


@module.function("mv", 2)
def mv(vm, args):
    src = arg_path(args, 0, "sys.mv", what="source")
    dst = arg_path(args, 1, "sys.mv", what="destination")
    if not os.path.lexists(src):
        raise NeutronError(f"sys.mv: cannot move '{src}': No such file or directory.")
    try:
        shutil.move(src, dst)
    except (OSError, shutil.Error) as e:
        if isinstance(e, OSError):
            _os_fail("mv", "move", src, e)
        raise NeutronError(f"sys.mv: cannot move '{src}': {e}.")
    return True


@module.function("rm", 1)
def rm(vm, args):
    path = arg_path(args, 0, "sys.rm")
    try:
        os.remove(path)
    except FileNotFoundError:
        return False
    except OSError as e:
        _os_fail("rm", "remove", path, e)
    return True


@module.function("exists", 1)
def exists(vm, args):
    return os.path.exists(arg_path(args, 0, "sys.exists"))


# ---- directories -------------------------------------------------------------------------------------------------

@module.function("mkdir", 1)
def mkdir(vm, args):
    path = arg_path(args, 0, "sys.mkdir")
    if os.path.isdir(path):
        return False
    try:
        os.makedirs(path)
    except OSError as e:
        _os_fail("mkdir", "create directory", path, e)
    return True


def _inside(path, root):
    return path != root and path.startswith(root.rstrip(os.sep) + os.sep)


@module.function("rmdir", 1, 2)
def rmdir(vm, args):
    path = arg_path(args, 0, "sys.rmdir")
    recursive = opt(args, 1, False)
    if recursive is not None and recursive.__class__ is not bool:
        raise NeutronError(f"sys.rmdir: argument 2 (recursive) must be a boolean, got {type_name(recursive)}.")
    if not os.path.lexists(path):
        raise NeutronError(f"sys.rmdir: cannot remove '{path}': No such file or directory.")
    # Judge the place of the entry itself, not of what a symlink points to.
    target = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))),
                          os.path.basename(os.path.abspath(path)))
    target = os.path.normpath(target)
    cwd = os.path.realpath(os.getcwd())
    tmp = os.path.realpath(tempfile.gettempdir())
    if target == cwd or _inside(cwd, target) or not (_inside(target, cwd) or _inside(target, tmp)):
        raise NeutronError(f"sys.rmdir: refusing to remove '{path}': it is not inside the current directory.")
    if os.path.islink(path) or not os.path.isdir(path):
        raise NeutronError(f"sys.rmdir: cannot remove '{path}': Not a directory.")
    try:
        if recursive:
            shutil.rmtree(path)
        else:
            os.rmdir(path)
    except OSError as e:
        _os_fail("rmdir", "remove", path, e)
    return True


@module.function("listdir", 1)
def listdir(vm, args):
    path = arg_path(args, 0, "sys.listdir")
    try:
        names = os.listdir(path)
    except OSError as e:
        _os_fail("listdir", "list", path, e)
    return sorted(names)    # the OS order is arbitrary; programs should not depend on it


@module.function("stat", 1)
def stat(vm, args):
    path = arg_path(args, 0, "sys.stat")
    try:
        st = os.stat(path)
    except OSError as e:
        _os_fail("stat", "stat", path, e)
    return {
        "size": float(st.st_size),
        "mtime": _pytime.strftime("%Y-%m-%d %H:%M:%S", _pytime.localtime(st.st_mtime)),
        "is_file": _stat.S_ISREG(st.st_mode),
        "is_directory": _stat.S_ISDIR(st.st_mode),
    }


@module.function("chmod", 2)
def chmod(vm, args):
    path = arg_path(args, 0, "sys.chmod")
    mode = arg_num(args, 1, "sys.chmod", "mode")
    if not 0 <= mode <= 0o7777 or mode != int(mode):
        raise NeutronError(f"sys.chmod: mode must be an integer between 0 and 4095 (0o7777), got {to_str(mode)}.")
    try:
        os.chmod(path, int(mode))
    except OSError as e:
        _os_fail("chmod", "change the mode of", path, e)
    return True


@module.function("tmpfile", 0)
def tmpfile(vm, args):
    return os.path.join(tempfile.gettempdir(), f"neutron-{os.getpid()}-{secrets.token_hex(8)}")


# ---- the process and its environment -----------------------------------------------------------------------------

@module.function("cwd", 0)
def cwd(vm, args):
    try:
        return os.getcwd()
    except OSError as e:
        raise NeutronError(f"sys.cwd: cannot get the current directory: {e.strerror}.")


@module.function("chdir", 1)
def chdir(vm, args):
    path = arg_path(args, 0, "sys.chdir")
    try:
        os.chdir(path)
    except OSError as e:
        _os_fail("chdir", "change to", path, e)
    return True


@module.function("env", 1)
def env(vm, args):
    value = os.environ.get(arg_str(args, 0, "sys.env"))
    return value if value else None


@module.function("args", 0)
def args_(vm, args):
    return list(vm.argv)


def _platform():
    p = _pysys.platform
    if p.startswith("linux"):
        return "linux"
    if p == "darwin":
        return "macos"
    if p in ("win32", "cygwin"):
        return "windows"
    return "unknown"


def _arch():
    m = platform.machine().lower()
    if m in ("x86_64", "amd64"):
        return "x64"
    if m in ("i386", "i486", "i586", "i686", "x86"):
        return "x86"
    if m in ("arm64", "aarch64"):
        return "arm64"
    return "unknown"


@module.function("info", 0)
def info(vm, args):
    try:
        import getpass      # lazy: start-up (only sys.info needs it)
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    import socket           # lazy: start-up (only sys.info needs it)
    try:
        host = socket.gethostname()
    except OSError:
        host = "unknown"
    return {"platform": _platform(), "arch": _arch(), "user": user, "hostname": host, "cwd": cwd(vm, [])}


@module.function("input", 0, 1)
def input_(vm, args):
    prompt = opt(args, 0)
    if prompt is not None:
        vm.write(to_str(prompt))
    vm.flush()
    line = _pysys.stdin.readline() if vm.on_request is None else _read_line(vm)
    if line == "":
        return None
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line


_input = bytearray()     # standard input read but not yet returned, when it is read by _read_line


def _read_line(vm):
    """A line of standard input read from its file descriptor, serving requests from outside while none is there
    (a stop leaves the call: its snapshot runs it again). "" at the end of the input."""
    try:
        fd = _pysys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return _pysys.stdin.readline()

    def step(timeout):
        while True:
            end = _input.find(b"\n")
            if end >= 0:
                line = bytes(_input[:end + 1])
                del _input[:end + 1]
                return line
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                line = bytes(_input)
                _input.clear()
                return line
            _input.extend(chunk)
            timeout = 0

    return wait(vm, step).decode("utf-8", "replace")


def _status(args, i, fname):
    code = opt(args, i)
    if code is not None:
        code = arg_num(args, i, fname, "code")
        if not math.isfinite(code) or code != int(code):
            raise NeutronError(f"{fname}: the exit code must be an integer, got {to_str(code)}.")
    return int(code or 0)


@module.function("exit", 0, 1)
def exit_(vm, args):
    status = _status(args, 0, "sys.exit")
    vm.hibernate()
    raise ProgramExit(status)


@module.function("sleep", 1)
def sleep(vm, args):
    return sleep_for(vm, arg_ms(args, 0, "sys.sleep", finite=True), True)


def sleep_for(vm, ms, result):
    """sys.sleep and time.sleep: wait `ms` milliseconds, then return `result`."""
    if getattr(vm, "scheduler", None) is not None:     # with tasks or processes, the others run meanwhile
        vm.scheduler.sleep(ms, result)     # (the task waits: this raises)
    return sleep_until(vm, _pytime.time() + ms / 1000.0, result)


# ---- sleeping: the deadline is an absolute time that travels in a snapshot ---------------------------------------
# While a sleep is in progress its deadline is the module's state (vm.module_state["sys"], saved by save_state): a
# snapshot written meanwhile (a signal, a periodic checkpoint, the long_sleep hook) resumes inside the same sleep,
# which then lasts until the same deadline (past it, the program goes on at once).

SLICE = 0.1     # seconds between looks at a request from outside while waiting (vm.on_request installed)


def sleep_until(vm, deadline, result):
    """Wait until `deadline` (seconds since 1970), then return `result` (the sleep call's value)."""
    vm.flush()
    saved = vm.call_result
    vm.module_state["sys"] = {"sleepUntil": deadline}          # (seconds: the double travels exactly)
    vm.call_result = result
    try:
        if vm.long_sleep is not None and deadline - _pytime.time() >= vm.long_sleep_threshold:
            vm.long_sleep(vm, deadline)
        wait(vm, lambda timeout: _pytime.sleep(timeout), deadline, "call")
    finally:
        vm.module_state.pop("sys", None)
        vm.call_result = saved
    return result


def wait(vm, step, deadline=None, mode="redo"):
    """Block by calls of step(timeout) until `deadline` (None: until step returns something other than None),
    serving requests from outside (a checkpoint, a stop) between steps, at most SLICE apart. `mode` says how a
    snapshot taken meanwhile resumes: "call" (the call returns vm.call_result), "redo" (the call runs again)."""
    while True:
        if vm.request is not None:
            vm.serve(mode)
            continue
        if deadline is None:
            got = step(SLICE if vm.on_request is not None else None)
            if got is not None:
                return got
            continue
        left = deadline - _pytime.time()
        if left <= 0:
            return None
        step(min(left, SLICE) if vm.on_request is not None else left)


def waiting(vm, work):
    """work() (a blocking call: a network request), in a thread of its own when requests from outside may come
    meanwhile: those are served while it runs (a stop leaves it; its snapshot runs the call again)."""
    if vm.on_request is None:
        return work()
    box = {}
    done = threading.Event()

    def run():
        try:
            box["value"] = work()
        except BaseException as e:      # handed to the program's thread
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=run, name="neutron-call", daemon=True).start()
    wait(vm, lambda timeout: True if done.wait(timeout) else None)
    if "error" in box:
        raise box.pop("error")
    return box["value"]


def save_state(vm):
    s = vm.module_state.get("sys")
    return None if s is None else dict(s)


def load_state(vm, value):
    """A snapshot taken during a sleep: the resumed program first sleeps until the same deadline."""
    if value is None:
        return
    until = value.get("sleepUntil") if value.__class__ is dict else None
    if until.__class__ is not float or not math.isfinite(until):
        raise ValueError("bad sleep deadline")
    vm.module_state["sys"] = {"sleepUntil": until}      # (what `neutron snapshot info` shows)
    vm.at_start.append(lambda vm: _finish_sleep(vm, until))


def _finish_sleep(vm, deadline):
    # the snapshot holds the sleep's result on the caller's stack: taken off while the sleep is in progress again
    if not vm.frames or not vm.frames[-1].stack:
        return
    stack = vm.frames[-1].stack
    result = stack.pop()
    if getattr(vm, "wake_now", False):      # woken early from outside (`neutron fleet wake`): the sleep ends now
        deadline = min(deadline, _pytime.time())
    stack.append(sleep_until(vm, deadline, result))


module.save_state = save_state
module.load_state = load_state


# ---- effects that happen once: sys.once(key, fn) is written in Neutron (sys.nt) over these two ------------------

@module.function("_onceGet", 1)
def _once_get(vm, args):
    """[true, value] when the run recorded a result for the key, else [false, nil]."""
    key = arg_str(args, 0, "sys.once", "key")
    found, value = vm.once_store.get(key)
    return [True, value] if found else [False, None]


@module.function("_oncePut", 2)
def _once_put(vm, args):
    key = arg_str(args, 0, "sys.once", "key")
    vm.once_store.put(key, plain(args[1]))
    return args[1]


@module.function("_onceCheck", 2)
def _once_check(vm, args):
    arg_str(args, 0, "sys.once", "key")
    f = args[1]
    if f.__class__ not in (Function, BoundMethod, Native, Class):
        raise arg_error(f, 1, "sys.once", "fn", "a function")
    return True


MAX_DEPTH = 1000


def plain(value, who="sys.once"):
    """A copy of `value` made of nil, booleans, finite numbers, strings, arrays and objects, else a NeutronError:
    what a store of sys.once records can keep."""
    def copy(v, depth):
        cls = v.__class__
        if v is None or cls is bool or cls is str:
            return v
        if cls is float:
            if not math.isfinite(v):
                raise NeutronError(f"{who}: the result cannot be recorded: {to_str(v)} is not a finite number.")
            return v
        if depth > MAX_DEPTH:
            raise NeutronError(f"{who}: the result cannot be recorded: it nests deeper than {MAX_DEPTH} levels "
                               f"(or holds itself).")
        if cls is list:
            return [copy(x, depth + 1) for x in v]
        if cls is dict:
            return {k: copy(x, depth + 1) for k, x in v.items()}
        raise NeutronError(f"{who}: the result cannot be recorded: a {type_name(v)} is not plain data (record nil, "
                           f"booleans, numbers, strings, arrays and objects).")
    return copy(value, 0)


module.prelude = "sys.nt"


@module.function("alloc", 1)
def alloc(vm, args):
    n = arg_num(args, 0, "sys.alloc", "size")
    if not 0 <= n < 2 ** 40 or n != int(n):
        raise NeutronError(f"sys.alloc: size must be a non-negative integer, got {to_str(n)}.")
    try:
        return Buffer(bytearray(int(n)))
    except (MemoryError, OverflowError):
        raise NeutronError(f"sys.alloc: cannot allocate {to_str(n)} bytes.")


@module.function("exec", 1, 2)
def exec_(vm, args):
    command = arg_path(args, 0, "sys.exec", what="command")
    options = opt(args, 1)
    if options is None:
        options = {}
    elif options.__class__ is not dict:
        raise arg_error(options, 1, "sys.exec", "options", "an object")
    for key in options:
        if key not in ("shell", "full"):
            raise NeutronError(f"sys.exec: unknown option '{key}' (known: shell, full).")
    shell = options.get("shell") not in (None, False)
    full = options.get("full") not in (None, False)
    if shell:
        argv = ["/bin/sh", "-c", command]
    else:
        try:
            argv = shlex.split(command)
        except ValueError as e:
            raise NeutronError(f"sys.exec: cannot split the command: {e}.")
        if not argv:
            raise NeutronError("sys.exec: the command is empty.")
    vm.flush()
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE if full else None)
    except OSError as e:
        raise NeutronError(f"sys.exec: cannot run '{argv[0]}': {e.strerror or e}.")
    out = done.stdout.decode("utf-8", "replace")
    if not full:
        return out
    status = done.returncode if done.returncode >= 0 else 128 - done.returncode
    return {"status": float(status), "stdout": out, "stderr": done.stderr.decode("utf-8", "replace")}


# ---- durable execution -------------------------------------------------------------------------------------------
# The VM writes the snapshot (through its write_snapshot hook) and sets `resumed` when it was started from one.


@module.function("checkpoint", 0, 1)
def checkpoint(vm, args):
    """Write the whole running program to `path`; a resume continues right after this call, which returns true
    in both processes. Prints nothing on stdout (NEUTRON_CHECKPOINT_LOG=1 reports on stderr)."""
    _checkpoint(vm, _place(vm, args, "sys.checkpoint"), "sys.checkpoint")
    return True


def _place(vm, args, fname):
    """The snapshot's path: the argument, else the run's own place (a fleet run's store: vm.snapshot_place)."""
    if opt(args, 0) is not None:
        return arg_path(args, 0, fname, "path")
    place = getattr(vm, "snapshot_place", None)
    if place is None:
        raise NeutronError(f"{fname}: needs the path of the snapshot file (only a fleet run has a place of its "
                           f"own).")
    return place


def _checkpoint(vm, path, who):
    t0 = _pytime.perf_counter()
    vm.checkpoint(path, who)
    if os.environ.get("NEUTRON_CHECKPOINT_LOG") and os.path.isfile(path):
        _pysys.stderr.write(f"neutron: checkpoint written to {path} ({os.path.getsize(path)} bytes, "
                            f"{(_pytime.perf_counter() - t0) * 1000:.1f} ms)\n")


@module.function("hibernate", 0, 2)
def hibernate(vm, args):
    """Write the program to `path` so that a resume continues right after this call (which returns true there),
    then end the process with `status` (default 0)."""
    path = _place(vm, args, "sys.hibernate")
    status = _status(args, 1, "sys.hibernate")
    _checkpoint(vm, path, "sys.hibernate")
    raise ProgramExit(status)


@module.function("resumed", 0)
def resumed(vm, args):
    """True in a process started with `neutron --resume`, so that a program can reconnect."""
    return bool(vm.resumed)
