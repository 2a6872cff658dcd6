"""Running programs and snapshots, and turning what goes wrong into messages and exit statuses.

Exit statuses (documented in README.md): 0 success, 1 runtime error or uncaught exception, 2 command-line usage
error or unreadable script file, 65 syntax or compile error (nothing ran), 66 snapshot that cannot be resumed,
70 internal error, 130 interrupted (Ctrl-C); `sys.exit(n)` ends with n.
"""
from __future__ import annotations

import hashlib
import os
import sys

from . import loader
from .errors import CompileFailed, ProgramExit, format_diagnostics, source_line
from .runtime.frames import Frame, StopForResume, Uncaught
from .runtime.values import Function
from .runtime.vm import VM

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_COMPILE, EXIT_SNAPSHOT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 65, 66, \
    70, 130


SUGGESTIONS = [   # (start of a runtime error message, advice)
    ("Undefined variable", "Did you forget to declare the variable with 'var'? Or maybe you need to import a "
                           "module with 'use'?"),
    ("Operands must be", "Mathematical operations require numeric values. Use type conversion if needed."),
    ("Operand must be", "Mathematical operations require numeric values. Use type conversion if needed."),
    ("Expected ", "Check the function definition to see how many arguments it expects."),
    ("Array index out of bounds", "Array indices must be within bounds (0 to length-1)."),
    ("Division by zero", "Check that the divisor is not zero before performing division or modulo operations."),
    ("Modulo by zero", "Check that the divisor is not zero before performing division or modulo operations."),
    ("Stack overflow", "This usually indicates infinite recursion. Check your recursive function calls."),
    ("Can only call functions", "Only functions, methods and classes can be called with '(...)'."),
]


def _is_builtin_code(path):
    return path == "<prelude>" or path.startswith("<") and path.endswith(" module>")


def format_uncaught(vm, u: Uncaught, color=False) -> str:
    trace = u.trace
    # the place shown is the innermost one in the program's own files, not in a built-in method or module written
    # in Neutron (an argument error raised there is the caller's)
    name, path, line = next((e for e in trace if not _is_builtin_code(e[1])), trace[0]) if trace else \
        ("<script>", vm.script_path, 0)
    red, bold, dim, reset = ("\033[31m", "\033[1m", "\033[2m", "\033[0m") if color else ("", "", "", "")
    where = f" at line {line}" if trace else ""
    out = [f"\n{red}{bold}RuntimeError{reset} in {path}{where}:\n  {bold}{u.message}{reset}\n"]
    text = source_line(vm.sources.get(path, ""), line) if path in vm.sources else None
    if text is not None:
        out.append(f"\n{dim}{line:4d} |{reset} {text}\n")
    if u.is_error:
        advice = next((a for prefix, a in SUGGESTIONS if u.message.startswith(prefix)), None)
        if advice:
            out.append(f"\nSuggestion: {advice}\n")
    out.append("\nStack trace:\n")
    shown = trace if len(trace) <= 30 else trace[:20] + [None] + trace[-5:]
    for entry in shown:
        if entry is None:
            out.append(f"  ... {len(trace) - 25} more frames ...\n")
            continue
        fname, fpath, fline = entry
        out.append(f"  at {fname} ({os.path.basename(fpath)}:{fline})\n")
    out.append("\n\nFound 1 error.\n")
    return "".join(out)


def execute(vm: VM, err, session=False) -> int:
    """Run the VM's frames to the end; returns the exit status. In a session (the prompt) `sys.exit` propagates."""
    try:
        tier = getattr(vm, "tier", None)           # the compiled tier (neutron/tier/), when attached
        (tier.execute if tier is not None else vm.execute)()
        return EXIT_OK
    except Uncaught as u:
        vm.flush()
        err.write(format_uncaught(vm, u, color=_isatty(err)))
        return EXIT_RUNTIME
    except ProgramExit as e:
        if session:
            raise
        return e.status
    except CompileFailed as e:          # a file brought in by `using` or `use` does not compile
        vm.flush()
        err.write(format_diagnostics(e))
        return EXIT_COMPILE
    except StopForResume:
        return "stopped"
    except KeyboardInterrupt:
        vm.flush()
        err.write("\nInterrupted.\n")
        return EXIT_INTERRUPTED
    except MemoryError:                 # not even the error report fitted: drop the program's state, then report
        vm.frames.clear()
        vm.flush()
        err.write(format_uncaught(vm, Uncaught("Out of memory.", True, []), color=_isatty(err)))
        return EXIT_RUNTIME
    finally:
        vm.flush()


def _isatty(stream):
    try:
        return stream.isatty() and not os.environ.get("NO_COLOR")
    except (AttributeError, ValueError):
        return False


def new_vm(argv=(), script_path="<script>", out=None):
    """A VM with its hooks installed: the loader for `use`, `using` and preludes, durable's writer for snapshots."""
    vm = VM(argv, script_path, out)
    vm.importer = loader
    vm.write_snapshot = write_snapshot
    return vm


def write_snapshot(vm, path, frames, push_result, result):
    from .durable import write_snapshot   # lazy: start-up (a program that never checkpoints)
    write_snapshot(vm, path, frames, push_result, result)


def start(vm, code):
    """Make `code` (a file's top level, or an entry at the prompt) the one frame to run, over the VM's globals."""
    vm.frames[:] = [Frame(Function(code, (), vm.globals), code, [None] * code.nlocals)]


def compile_file(path, err, vm=None):
    """Read and compile a script; returns (code, source) or (None, status)."""
    try:
        source = loader.read_source(path)
    except OSError as e:
        err.write(f"neutron: cannot open '{path}': {e.strerror}\n")
        return None, EXIT_USAGE
    if vm is not None:
        vm.sources[path] = source
    try:
        imports = [] if vm is not None else None
        code = loader.compile_source(source, path, safe=path.endswith(".ntsc"), imports=imports)
        if imports:
            loader.precompile_imports(vm, imports, path)
        return code, source
    except CompileFailed as e:
        err.write(format_diagnostics(e))
        return None, EXIT_COMPILE


def use_tier(vm, mode):
    """Attach the compiled tier (neutron/tier/) unless `mode` is 'vm' or, without a mode, NEUTRON_VM=1 or
    NEUTRON_TIER=0 is set."""
    if mode is None:
        on = not os.environ.get("NEUTRON_VM") and os.environ.get("NEUTRON_TIER", "1") not in ("0", "")
    else:
        on = mode == "compiled"
    if on:
        from . import tier           # lazy: start-up (NEUTRON_VM=1 runs without the tier)
        tier.attach(vm)


def run_file(path, argv=(), out=None, err=None, stop_at=None, stop_path=None, mode=None):
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    vm = new_vm([path] + list(argv), path, out)
    vm.stop_at, vm.stop_path = stop_at, stop_path
    use_tier(vm, mode)
    code, status = compile_file(path, err, vm)
    if code is None:
        return vm, status
    start(vm, code)
    return vm, execute(vm, err)


def resume_file(snap_path, argv=(), out=None, err=None, stop_at=None, stop_path=None, mode=None):
    from .durable import SnapshotError, load_snapshot     # lazy: start-up of plain runs
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        with open(snap_path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        err.write(f"neutron: cannot resume '{snap_path}': {e.strerror}\n")
        return None, EXIT_SNAPSHOT
    vm = new_vm(out=out)
    try:
        load_snapshot(vm, data)
    except SnapshotError as e:
        err.write(f"neutron: cannot resume '{snap_path}': {e}\n")
        return None, EXIT_SNAPSHOT
    vm.resumed = True
    vm.argv = [vm.script_path] + list(argv)
    vm.stop_at, vm.stop_path = stop_at, stop_path
    use_tier(vm, mode)
    warn_if_changed(vm, err)
    return vm, execute(vm, err)


def warn_if_changed(vm, err):
    path = vm.script_path
    saved = vm.sources.get(path)
    if saved is None or not os.path.isfile(path):
        return
    try:
        now = loader.read_source(path)
    except OSError:
        return
    if hashlib.sha256(now.encode("utf-8", "surrogatepass")).digest() != \
            hashlib.sha256(saved.encode("utf-8", "surrogatepass")).digest():
        err.write(f"neutron: note: {path} has changed since the snapshot was taken; the snapshot's code is used.\n")
