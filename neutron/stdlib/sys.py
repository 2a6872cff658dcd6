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
    checkpoint(path) -> true         resumed() -> bool                hibernate(path[, code])

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
hibernates too: the resume continues after the exit (see runtime/effects.py).

rmdir only removes directories inside the current directory or inside the system's temporary directory
(where tmpfile() paths live), never the current directory itself or one of its parents.
File names given to text functions are read and written as UTF-8; write and append also accept a buffer.
"""
from __future__ import annotations

import math
import os
import platform
import secrets
import shlex
import shutil
import stat as _stat
import subprocess
import sys as _pysys
import tempfile
import time as _pytime

from ..errors import NeutronError, ProgramExit
from .native import NativeModule, arg_error, arg_num, arg_path, arg_str, opt
from ..runtime.values import Buffer, to_str, type_name

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
    line = _pysys.stdin.readline()
    if line == "":
        return None
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line


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
    ms = arg_num(args, 0, "sys.sleep", "milliseconds")
    if not ms >= 0 or ms == float("inf"):
        raise NeutronError(f"sys.sleep: milliseconds must be a non-negative number, got {to_str(ms)}.")
    if getattr(vm, "scheduler", None) is not None:     # with tasks or processes, the others run meanwhile
        vm.scheduler.sleep(ms, True)
    vm.flush()
    _pytime.sleep(ms / 1000.0)
    return True


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


@module.function("checkpoint", 1)
def checkpoint(vm, args):
    """Write the whole running program to `path`; a resume continues right after this call, which returns true
    in both processes. Prints nothing on stdout (NEUTRON_CHECKPOINT_LOG=1 reports on stderr)."""
    _checkpoint(vm, arg_path(args, 0, "sys.checkpoint", "path"), "sys.checkpoint")
    return True


def _checkpoint(vm, path, who):
    t0 = _pytime.perf_counter()
    vm.checkpoint(path, who)
    if os.environ.get("NEUTRON_CHECKPOINT_LOG"):
        _pysys.stderr.write(f"neutron: checkpoint written to {path} ({os.path.getsize(path)} bytes, "
                            f"{(_pytime.perf_counter() - t0) * 1000:.1f} ms)\n")


@module.function("hibernate", 1, 2)
def hibernate(vm, args):
    """Write the program to `path` so that a resume continues right after this call (which returns true there),
    then end the process with `status` (default 0)."""
    path = arg_path(args, 0, "sys.hibernate", "path")
    status = _status(args, 1, "sys.hibernate")
    _checkpoint(vm, path, "sys.hibernate")
    raise ProgramExit(status)


@module.function("resumed", 0)
def resumed(vm, args):
    """True in a process started with `neutron --resume`, so that a program can reconnect."""
    return bool(vm.resumed)
