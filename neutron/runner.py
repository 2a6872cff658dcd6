"""Running programs and snapshots, and turning what goes wrong into messages and exit statuses.

Exit statuses (documented in README.md): 0 success, 1 runtime error or uncaught exception, 2 command-line usage
error or unreadable script file, 65 syntax or compile error (nothing ran), 66 snapshot that cannot be resumed,
70 internal error, 130 interrupted (Ctrl-C); `sys.exit(n)` ends with n.
"""
from __future__ import annotations

import io
import os
import re
import sys

from . import loader
from .runtime.effects import Quiet
from .errors import CompileFailed, ProgramExit, format_diagnostics, source_line
from .runtime.frames import Frame, Hot, StopForResume, Uncaught
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
]


def _is_builtin_code(path):
    return path == "<prelude>" or path.startswith("<") and path.endswith(" module>")


def _builtin_name(name, path):
    """How a stack trace names a function of the built-ins written in Neutron: as the program calls it."""
    if path == "<prelude>":
        from .runtime.methods import ARRAY_CALLBACK_METHODS     # lazy: start-up
        method = next((m for m, p in ARRAY_CALLBACK_METHODS.items() if p == name), None)
        return f"Array.{method}" if method is not None else "a built-in array method"
    return f"{path[1:-len(' module>')]}.{name}"


def shown_trace(trace):
    """The stack trace's lines, innermost first. A run of frames in built-in code written in Neutron (a callback
    method's loop, a module function and the helpers it calls) is shown as the one built-in the program called."""
    out = []
    for i, (name, path, line, _) in enumerate(trace):
        if not _is_builtin_code(path):
            out.append(f"  at {name} ({os.path.basename(path)}:{line})\n")
        elif i + 1 == len(trace) or not _is_builtin_code(trace[i + 1][1]):
            out.append(f"  at {_builtin_name(name, path)}\n")
    return out


_UNDEFINED = re.compile(r"Undefined variable '([A-Za-z_][A-Za-z0-9_]*)'\.$")
_DECLARES = {"fun": "function", "class": "class", "enum": "enum", "var": "variable"}


def declared_later(vm, message, path):
    """For "Undefined variable 'f'." where the file declares `f` at its top level: the advice that the declaration
    has not run yet (it comes later), instead of the advice to declare it."""
    m = _UNDEFINED.match(message)
    source = vm.sources.get(path)
    if m is None or source is None:
        return None
    from .frontend.scanner import scan         # lazy: a resumed run needs no front end until it reports this
    from .frontend.tokens import TYPE_NAMES     # lazy: as above
    tokens, _ = scan(source, path)
    depth = 0
    for i, t in enumerate(tokens[:-2]):
        if t.kind == "{":
            depth += 1
        elif t.kind == "}":
            depth -= 1
        elif depth == 0 and t.kind in _DECLARES:
            named = tokens[i + 1]
            if t.kind == "var" and named.lexeme in TYPE_NAMES and tokens[i + 2].kind == "IDENT":
                named = tokens[i + 2]           # var int x
            if named.kind == "IDENT" and named.lexeme == m.group(1):
                what = _DECLARES[t.kind]
                use = "called" if what == "function" else "used"
                return (f"'{named.lexeme}' is defined later (line {named.line}): a {what} can be {use} only "
                        f"after its declaration has run.")
    return None


def _caret_line(text, col):
    """The line under a quoted source line that points at column col (tabs kept, so that it lines up)."""
    return "".join("\t" if c == "\t" else " " for c in text[:col]) + "^"


def _hint(u):
    hint = u.hint
    if callable(hint):              # made only now: a program that catches the error pays nothing for it
        try:
            hint = hint()
        except Exception:           # advice must never hide the error itself
            hint = None
    return hint


def format_uncaught(vm, u: Uncaught, color=False) -> str:
    trace = u.trace
    # the place shown is the innermost one in the program's own files, not in a built-in method or module written
    # in Neutron (an argument error raised there is the caller's)
    name, path, line, col = next((e for e in trace if not _is_builtin_code(e[1])), trace[0]) if trace else \
        ("<script>", vm.script_path, 0, -1)
    red, bold, dim, reset = ("\033[31m", "\033[1m", "\033[2m", "\033[0m") if color else ("", "", "", "")
    where = f" at line {line}" if trace else ""
    out = [f"\n{red}{bold}RuntimeError{reset} in {path}{where}:\n  {bold}{u.message}{reset}\n"]
    text = source_line(vm.sources.get(path, ""), line) if path in vm.sources else None
    if text is not None:
        out.append(f"\n{dim}{line:4d} |{reset} {text}\n")
        if 0 <= col < len(text):
            out.append(f"{dim}     |{reset} {red}{_caret_line(text, col)}{reset}\n")
    if u.is_error:
        # one piece of advice: the error's own, else the general one for its kind (unless the message gives one)
        advice = declared_later(vm, u.message, path) or _hint(u)
        if advice is None and "Did you " not in u.message:
            advice = next((a for prefix, a in SUGGESTIONS if u.message.startswith(prefix)), None)
        if advice:
            out.append(f"\nSuggestion: {advice}\n")
    out.append("\nStack trace:\n")
    shown = shown_trace(trace)
    if len(shown) > 30:
        shown = shown[:20] + [f"  ... {len(shown) - 25} more frames ...\n"] + shown[-5:]
    out.extend(shown)
    out.append("\n\nFound 1 error.\n")
    return "".join(out)


def execute(vm: VM, err, session=False, after_error=None) -> int:
    """Run the VM's frames to the end; returns the exit status. In a session (the prompt) `sys.exit` propagates.
    after_error() runs after an uncaught error's report."""
    try:
        run(vm)
        return report_unobserved(vm, err)
    except Uncaught as u:
        vm.flush()
        err.write(format_uncaught(vm, u, color=_isatty(err)))
        if after_error is not None:
            after_error()
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


def run(vm):
    """Run the program: compiled when the tier is attached; else in the VM, which may find code that runs hot (Hot)
    and hand the program to the compiled tier (neutron/tier/) from there."""
    tier = getattr(vm, "tier", None)
    if tier is not None:
        return tier.execute()
    while True:
        try:
            return vm.execute()
        except Hot:
            from . import tier as compiled   # lazy: start-up, only a program with hot code compiles
            if compiled.warm(vm):
                return vm.tier.execute()


def report_unobserved(vm, err):
    """A task or process that failed with nobody awaiting it: reported when the program ends (status 1)."""
    s = vm.scheduler
    failed = s.unobserved() if s is not None else []
    if not failed:
        return EXIT_OK
    vm.flush()
    for t in failed:
        value, is_error, trace, hint = t.error
        what = f"Process {t.pid}" if t.kind == "process" else f"Task {t.id}"
        err.write(f"\n{what} failed and nothing awaited it:")
        err.write(format_uncaught(vm, Uncaught(value, is_error, trace, hint), color=_isatty(err)))
        t.observed = True
    return EXIT_RUNTIME


def _isatty(stream):
    try:
        return stream.isatty() and not os.environ.get("NO_COLOR")
    except (AttributeError, ValueError):
        return False


PROMPT = "<repl>"       # the script path of a session at the prompt, and so of a snapshot taken there


def new_vm(argv=(), script_path="<script>", out=None):
    """A VM with its hooks installed: the loader for `use`, `using` and preludes, durable's writer for snapshots."""
    vm = VM(argv, script_path, out)
    vm.importer = loader
    vm.write_snapshot = write_snapshot
    vm.quiet = Quiet()
    vm.once_store = OnceStore(vm)
    vm.workers = process_pool
    return vm


class OnceStore:
    """sys.once's records in files beside the run's snapshots (durable/once.py), loaded on first use."""

    def __init__(self, vm):
        self.vm = vm
        self.store = None

    def files(self):
        if self.store is None:
            from .durable.once import FileStore     # lazy: start-up (few runs call sys.once)
            self.store = FileStore(self.vm)
        return self.store

    def get(self, key):
        return self.files().get(key)

    def put(self, key, value):
        self.files().put(key, value)

    def snapshot_written(self):
        if self.store is not None:
            self.store.snapshot_written()


def process_pool(vm):
    """Worker processes that run `process` processes in parallel (procpool.py), or None."""
    from . import procpool     # lazy: start-up (programs without processes)
    return procpool.make_pool(vm)


def write_snapshot(vm, path, frames, push_result, result, who="sys.checkpoint"):
    from .durable import write_snapshot   # lazy: start-up (a program that never checkpoints)
    write_snapshot(vm, path, frames, push_result, result, who)


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


HOT_AT = 1000       # calls plus loop back-edges of one code object after which the tier compiles it (tiered mode)


def use_tier(vm, mode):
    """How the program runs: `mode` 'vm' (the VM alone), 'compiled' (the compiled tier from the start) or 'tiered'
    (the VM first, the compiled tier once code runs hot); without a mode, tiered unless NEUTRON_VM=1 or
    NEUTRON_TIER=0 (the VM alone) or NEUTRON_TIER=eager (compiled from the start) is set."""
    if mode is None:
        setting = os.environ.get("NEUTRON_TIER", "1").strip().lower()
        mode = "vm" if os.environ.get("NEUTRON_VM") or setting in ("0", "") else \
            "compiled" if setting == "eager" else "tiered"
    if mode == "compiled":
        from . import tier           # lazy: start-up (NEUTRON_VM=1 runs without the tier)
        tier.attach(vm)
    elif mode == "tiered":
        vm.heat = {}
        vm.hot_at = HOT_AT


def run_file(path, argv=(), out=None, err=None, stop_at=None, stop_path=None, mode=None, ops=None):
    """Run a program; `ops` (durable.signals.Options) asks for checkpoints from outside (--snapshot, ...)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    vm = new_vm([path] + list(argv), path, out)
    vm.stop_at, vm.stop_path = stop_at, stop_path
    use_tier(vm, mode)
    code, status = compile_file(path, err, vm)
    if code is None:
        return vm, status
    start(vm, code)
    return vm, watched(vm, err, ops)


def watched(vm, err, ops):
    """execute, with the checkpoints asked for from outside (durable/signals.py) when `ops` names some."""
    if not ops:
        return execute(vm, err)
    from .durable.signals import Watch     # lazy: start-up (plain runs)
    watch = Watch(vm, ops, err).install()
    try:
        return execute(vm, err, after_error=lambda: watch.report(EXIT_RUNTIME))
    finally:
        watch.finish()


def parse_ops(argv):
    """The options for checkpoints from outside in front of the program (durable.signals.OPTIONS): (Options,
    rest of argv), or (None, a usage message)."""
    from .durable.signals import parse     # lazy: start-up (plain runs)
    return parse(argv)


OPS_OPTIONS = ("--snapshot", "--checkpoint-every", "--keep", "--checkpoint-on", "--checkpoint-on-error")


def resume_file(snap_path, argv=(), out=None, err=None, stop_at=None, stop_path=None, mode=None, ops=None):
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
    run = vm.durable            # (load_snapshot made it)
    run.resumed_from = os.path.abspath(snap_path)
    if run.home is None:
        run.home = run.resumed_from
    vm.argv = [vm.script_path] + list(argv)
    vm.stop_at, vm.stop_path = stop_at, stop_path
    if vm.script_path == PROMPT:        # taken at the prompt: the session goes on there (repl.repl(vm=vm))
        return vm, None
    use_tier(vm, mode)
    warn_if_changed(vm, err)
    return vm, watched(vm, err, ops)


def warn_if_changed(vm, err):
    path = vm.script_path
    saved = vm.sources.get(path)
    if saved is None or not os.path.isfile(path):
        return
    try:
        now = loader.read_source(path)
    except OSError:
        return
    if now != saved:
        err.write(f"neutron: note: {path} has changed since the snapshot was taken; the snapshot's code is used.\n")


# ---- looking inside snapshots (`neutron snapshot ...`), keys ------------------------------------------------------

def snapshot_command(args, out=None, err=None, highlight=None):
    """`neutron snapshot info|stack|vars FILE`: durable.inspect, with a VM to read into and local variables named
    by compiling the snapshot's sources."""
    from .durable import inspect      # lazy: start-up (plain runs)
    return inspect.main(args, out if out is not None else sys.stdout, err if err is not None else sys.stderr,
                        lambda: new_vm(out=io.StringIO()), slot_names, highlight)


def slot_names(sources):
    """{(file, function name, instructions): {slot: local variable name}} of the code compiled from `sources`
    (file -> text); a file that does not compile names nothing."""
    from .frontend.compiler import Compiler     # lazy: start-up (only `neutron snapshot vars` names slots)
    from .frontend.parser import parse          # lazy: as above

    class Naming(Compiler):
        def add_local(self, name, node=None, type_=None, static=False, hidden=False):
            loc = super().add_local(name, node, type_, static, hidden)
            if not hidden:
                table.setdefault(self.fs.code, {})[loc.slot] = name
            return loc

    out = {}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))     # the compiler walks nested statements recursively
    try:
        for filename, text in sources.items():
            table = {}
            try:
                Naming(filename, text).compile_program(parse(text, filename, filename.endswith(".ntsc")), False)
            except (CompileFailed, RecursionError):
                continue
            for code, names in table.items():
                out[(code.filename, code.name, tuple(code.instrs))] = names
    finally:
        sys.setrecursionlimit(limit)
    return out


def keys_usable(err=None):
    """False, once said on stderr, when NEUTRON_SNAPSHOT_KEY(S) holds something that is not a key."""
    if not (os.environ.get("NEUTRON_SNAPSHOT_KEY") or os.environ.get("NEUTRON_SNAPSHOT_KEYS")):
        return True
    from .durable.seal import check_environment     # lazy: start-up without a key stays as it was
    problem = check_environment()
    if problem is not None:
        (err if err is not None else sys.stderr).write(f"neutron: {problem}\n")
    return problem is None
