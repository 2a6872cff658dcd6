"""Robustness fuzzing: a mistake in a Neutron program, or a bad argument to a built-in, never reaches the user as a
Python traceback or an internal error (status 70).

Three families, each bounded so that the whole file runs in well under a minute and a half:

  * mutated programs: the test programs under tests/lang/ with tokens or characters deleted, duplicated, swapped,
    or with punctuation, keywords and odd literals inserted. Each mutant runs through neutron.runner.run_file with
    io.StringIO streams, in a forked child (so that sys.exit, chdir, files written, endless loops and runaway
    memory stay there), in a scratch copy of the test's folder, with a time budget and an address-space limit.
    The outcome must be a normal one: never an exception out of run_file, never "Traceback" or "internal error"
    on stderr. Running out of the time budget is inconclusive (a mutation can make any loop endless), unless
    the time went into compiling.
  * native calls: every function of every standard module (`module.functions`) and every string and array
    method (builtins.STRING_METHODS / ARRAY_METHODS) called with random Neutron values of random arity, and also
    swept systematically: every accepted argument count and position with each of a list of odd values (NaN,
    infinities, huge numbers, lone surrogates from non-UTF-8 bytes, self-containing and deeply nested arrays and
    objects, ...), alone and in pairs. A call returns a Neutron value or raises NeutronError, nothing else.
    Functions acting on the machine (exit, exec, input, sleep, http) are left out; the file functions run with
    a scratch current directory and harmless relative paths.
  * methods and functions written in Neutron (array callback methods, the `arrays` module's prelude) called by
    a small program with random receivers, arguments and callbacks: the run ends normally or with an Uncaught
    Neutron error.

NEUTRON_FUZZ_SCALE multiplies the number of examples (default 1).
"""
from __future__ import annotations

import contextlib
import gc
import io
import json
import math
import os
import re
import reprlib
import resource
import select
import shutil
import signal
import tempfile
import time
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neutron.runtime import methods as B
from neutron.errors import CompileFailed, NeutronError
from neutron.loader import compile_source
from neutron.runner import run_file
from neutron.testing import MODES
from neutron.stdlib import MODULES, native_module
from neutron.frontend.tokens import KEYWORDS, PUNCTUATORS
from neutron.runtime.values import Buffer, BoundMethod, Class, Function, Instance, Module, Native, Resource
from neutron.runner import new_vm, start
from neutron.runtime.frames import Uncaught
from neutron.runtime.vm import VM
from neutron.stdlib import instantiate

SCALE = float(os.environ.get("NEUTRON_FUZZ_SCALE", "1"))
TESTS = Path(__file__).resolve().parents[1]


def examples(n):
    return max(1, int(n * SCALE))


# ==== mutated programs ===========================================================================================

# Programs that wait for input, sleep, talk to the network or run commands are not mutated.
SKIP_WORDS = re.compile(r"http|sys\.input|sys\.sleep|time\.sleep|sys\.exec")

PROGRAM_FILES = sorted(p for p in (TESTS / "lang").rglob("*") if p.suffix in (".nt", ".ntsc") and p.is_file()
                       and not SKIP_WORDS.search(p.read_text(encoding="utf-8", errors="replace")))

# A rough tokenizer for mutating: strings, comments, names, numbers, operators, other characters, blanks.
# Joining the pieces gives the source back.
_PIECE = re.compile(r'''"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?|//[^\n]*|[A-Za-z_][A-Za-z0-9_]*'''
                    r'''|0[xX][0-9A-Fa-f]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\.\.\.|\?\.|\+\+|--|->|&&|\|\|'''
                    r'''|[!=<>]=|=>|<<|>>|[-+*/%]=|\s+|.''', re.S)

INSERTS = sorted(set(PUNCTUATORS) | set(KEYWORDS)) + [
    '"', "'", "${", "#{", "}#", "#", "\\", "$", "@", "`", "0x", "1e", "1e999", "0.", "-0", "nil", "x", "safe",
    "int", "string", "this.x", "()", "[]", "{}", "\n", "\t", "\u00e9", "\U0001f600", "\x00", "\ufeff",
    '"${x}"', '"${"', "'\\u'", '"\\x4"', '"\\U0011FFFF"', "fun (a) {", "class C {", "return", ";;", "0 / 0",
]

_program_cache = {}


def program_pieces(path):
    pieces = _program_cache.get(path)
    if pieces is None:
        text = path.read_text(encoding="utf-8")
        pieces = _program_cache[path] = _PIECE.findall(text)
        assert "".join(pieces) == text
    return pieces


# Replacements that keep the program well-formed more often, so that mutants get past the parser and exercise the
# runtime: a value for a value, an operator for an operator, a name for a name of the same program.
VALUE_SWAPS = ["nil", "true", "false", "0", "-1", "0.5", "1e308", "-0", "(0/0)", '""', '"\\u00e9"', "[]", "[nil]",
               "{}", "{a: 1}", "fun (x) { return x; }", "[1, [2]]", '"0"', "(-1e308 * 10)", "x", "this",
               "(1e308 * 10 - 1e308 * 10)", '"ab" * 3', "[[1], {}]"]
BINARY_OPERATORS = ["+", "-", "*", "/", "%", "<", "<=", ">", ">=", "==", "!=", "and", "or", "&", "|", "^", "<<",
                    ">>", "&&", "||"]
_VALUE = re.compile(r"""[0-9].*|".*|'.*|nil|true|false""", re.S)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _is_name(piece):
    return bool(_NAME.fullmatch(piece)) and piece not in KEYWORDS


def _swappable(piece):
    return bool(_VALUE.fullmatch(piece)) or _is_name(piece) or piece in BINARY_OPERATORS


def _replacement(draw, piece, pieces):
    if _VALUE.fullmatch(piece):
        return draw(st.sampled_from(VALUE_SWAPS))
    if _is_name(piece):
        names = sorted({p for p in pieces if _is_name(p)} | {"length", "push", "x", "nosuch"})
        return draw(st.sampled_from(names))
    return draw(st.sampled_from(BINARY_OPERATORS))


@st.composite
def mutant(draw):
    path = draw(st.sampled_from(PROGRAM_FILES))
    pieces = list(program_pieces(path))
    for _ in range(draw(st.integers(1, 3))):
        # half of the mutations keep the program well-formed more often, so that the runtime is reached
        kind = draw(st.sampled_from(("delete", "duplicate", "swap", "insert", "replace", "char_delete",
                                     "char_insert", "char_duplicate", "truncate") + ("same_kind",) * 9))
        if kind.startswith("char_") or kind == "truncate":
            source = "".join(pieces)
            if not source:
                continue
            at = draw(st.integers(0, len(source) - 1))
            if kind == "char_delete":
                source = source[:at] + source[at + 1:]
            elif kind == "char_duplicate":
                source = source[:at] + source[at] + source[at:]
            elif kind == "char_insert":
                source = source[:at] + draw(st.sampled_from("(){}[];,.\"'$#\\+-*/=<>!?:&|^~@\n ")) + source[at:]
            else:
                source = source[:at]
            pieces = _PIECE.findall(source)
            continue
        solid = [i for i, p in enumerate(pieces) if not p.isspace() and (kind != "same_kind" or _swappable(p))]
        if not solid:
            continue
        i = draw(st.sampled_from(solid))
        if kind == "delete":
            pieces[i] = ""
        elif kind == "duplicate":
            pieces[i] = pieces[i] + " " + pieces[i]
        elif kind == "swap":
            j = draw(st.sampled_from(solid))
            pieces[i], pieces[j] = pieces[j], pieces[i]
        elif kind == "insert":
            pieces[i] = draw(st.sampled_from(INSERTS)) + " " + pieces[i]
        elif kind == "replace":
            pieces[i] = draw(st.sampled_from(INSERTS))
        else:
            pieces[i] = _replacement(draw, pieces[i], pieces)
    return path, "".join(pieces)


class _OutOfTime(BaseException):
    """Raised by the alarm in the child; a BaseException so that no `except Exception` in Neutron swallows it."""


COMPILE_BUDGET = 5.0     # CPU seconds


def _on_alarm(signum, frame):
    raise _OutOfTime()


def _vm_size():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(path, source, budget, mode, compiled):
    """In the forked child: compile, then run, under a time budget. Returns a JSON-able report. `compiled()` is
    called between the two phases."""
    gc.callbacks.clear()                            # the test runner's own hooks must not see the alarm
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGPROF, _on_alarm)
    phase = "compile"
    try:
        # Compiling is timed in CPU seconds, with room: a hung compiler shows at any budget, while a wall-clock
        # budget failed the 10,000-term sum (0.2 s on a quiet machine) on a loaded one. Repeats, in case a handler swallows
        # the first alarm.
        signal.setitimer(signal.ITIMER_PROF, COMPILE_BUDGET, 0.05)
        try:
            compile_source(source, str(path), safe=str(path).endswith(".ntsc"))
        except CompileFailed:
            pass
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        phase = "run"
        compiled()
        out, err = io.StringIO(), io.StringIO()
        signal.setitimer(signal.ITIMER_REAL, budget, 0.05)
        try:
            _, status = run_file(str(path), (), out, err, **({"mode": mode} if mode else {}))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return {"status": status, "stderr": err.getvalue()[-6000:]}
    except _OutOfTime:
        return {"status": "timeout", "phase": phase}
    except BaseException as e:      # noqa: B902 -- anything escaping run_file is what this test looks for
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        if isinstance(e, MemoryError) and phase == "run":
            return {"status": "memory", "trace": traceback.format_exc()[-3000:]}
        return {"status": "exception", "phase": phase, "trace": traceback.format_exc()[-6000:]}


def run_isolated(folder, name, source, mode=None, budget=1.5, hard_limit=20.0):
    """Write `source` as `name` in `folder` and run it in a forked child; returns the child's report."""
    path = Path(folder) / name
    path.write_text(source, encoding="utf-8", errors="surrogatepass")
    limit = _vm_size() + (1 << 30)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                    # child
        try:
            os.close(r)
            if limit > 1 << 30:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            os.chdir(folder)
            report = _child(path, source, budget, mode, lambda: os.write(w, b"C"))
            data = json.dumps(report).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(w, view):]
        finally:
            os._exit(0)
    os.close(w)
    chunks, deadline = [], time.monotonic() + hard_limit
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                # a runaway run that even the alarm could not stop (the compiled tier runs in a worker thread,
                # which an alarm reaches only between its own steps) is as inconclusive as any other overrun
                return {"status": "killed", "phase": "run" if chunks else "compile"}
            ready, _, _ = select.select([r], [], [], left)
            if ready:
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    data = b"".join(chunks)
    if not data.startswith(b"C"):
        return {"status": "died"} if not data else json.loads(data)
    if len(data) == 1:
        return {"status": "died", "phase": "run"}
    return json.loads(data[1:])


@pytest.fixture(scope="module")
def stage():
    """A scratch copy of each test folder (its helpers and data files), made when first needed."""
    root = Path(tempfile.mkdtemp(prefix="neutron-robust-"))
    copies = {}

    def folder_for(path):
        src = path.parent
        dst = copies.get(src)
        if dst is None:
            dst = copies[src] = root / str(len(copies))
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.snap"))
        return dst
    yield folder_for
    shutil.rmtree(root, ignore_errors=True)


def check_report(report, source):
    status = report["status"]
    if status in ("timeout", "killed") and report["phase"] == "run":
        return                                      # a mutated loop may never end: inconclusive
    assert status not in ("timeout", "killed", "died"), f"{status} while compiling or running:\n{source}"
    assert status != "exception", f"an exception escaped run_file:\n{report['trace']}\n--- program:\n{source}"
    assert status != "memory", f"MemoryError escaped run_file:\n{report['trace']}\n--- program:\n{source}"
    assert status != 70, f"internal error status:\n{report['stderr']}\n--- program:\n{source}"
    assert isinstance(status, int), f"unexpected status {status!r}"
    stderr = report["stderr"]
    assert "Traceback" not in stderr and "internal error" not in stderr, f"{stderr}\n--- program:\n{source}"
    if status == 65:
        assert re.search(r"(Syntax|Lexical|Compile)Error in .+ at line \d+", stderr), stderr


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="runs mutated programs in forked children")


@needs_fork
@settings(max_examples=examples(500), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(case=mutant(), mode=st.sampled_from(MODES))
def test_mutated_programs_never_crash(stage, case, mode):
    path, source = case
    folder = stage(path)
    report = run_isolated(folder, "mutant" + path.suffix, source, mode)
    check_report(report, f"// {path.relative_to(TESTS)}, mutated, run in mode {mode}\n{source}")


@needs_fork
def test_the_isolation_harness(stage, monkeypatch):
    """A budget overrun is inconclusive, a normal error passes, and an exception escaping run_file is caught."""
    folder = stage(PROGRAM_FILES[0])
    report = run_isolated(folder, "loop.nt", "while (true) {}", budget=0.2)
    assert report == {"status": "timeout", "phase": "run"}
    check_report(report, "")
    report = run_isolated(folder, "ok.nt", "say(1);\nvar x = ;\n")
    assert report["status"] == 65
    check_report(report, "")

    def endless(*args, **kwargs):
        while True:
            pass
    monkeypatch.setattr(f"{__name__}.COMPILE_BUDGET", 0.3)
    monkeypatch.setattr(f"{__name__}.compile_source", endless)
    report = run_isolated(folder, "hangs.nt", "say(1);\n")
    assert report == {"status": "timeout", "phase": "compile"}
    with pytest.raises(AssertionError, match="timeout while compiling"):
        check_report(report, "")
    monkeypatch.undo()

    def broken(obj, idx):
        raise ValueError("planted")
    monkeypatch.setattr("neutron.runtime.vm.index_get", broken)      # the forked child inherits the plant
    report = run_isolated(folder, "planted.nt", "say([1][nil]);\n", mode="vm")
    assert report["status"] == "exception" and "planted" in report["trace"]
    with pytest.raises(AssertionError, match="escaped run_file"):
        check_report(report, "")


# ==== native functions and methods ===============================================================================

def _compiled_function():
    code = compile_source("fun f(x) { return x; }", "<fuzz>")
    return next(Function(c, (), {}) for c in code.consts if hasattr(c, "instrs"))


_KLASS = Class("Point", {}, [])
SPECIAL_VALUES = [
    Buffer(bytearray(b"\x00ab\xff")), Buffer(bytearray()), Instance(_KLASS, {"x": 1.0}), _KLASS,
    BoundMethod("abc", "upper"), _compiled_function(),
]

NUMBERS = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 3.0, 0.5, -2.5, 7.9, 10.0, 16.0, 36.0, 37.0, 100.0, 255.0, 256.0,
                     65535.0, 1114111.0, 1114112.0, 55296.0, 1e15, 2.0 ** 53, 2.0 ** 63, 2.0 ** 64, 1e18, 1e300,
                     1.7976931348623157e308, 5e-324, 1e-7, math.inf, -math.inf, math.nan, -1e300, -2.0 ** 63]),
    st.integers(-300, 300).map(float),
    st.floats(),
)

STRINGS = st.one_of(
    st.sampled_from(["", " ", "a", "abc", "Hello World", "\u00e9", "e\u0301", "\u65e5\u672c", "\U0001f600", "\x00",
                     "\n", "\t\r\n", "%", "%d", "%s", "%.2f", "%-5s", "{}", "{0}", "{1:>5}", "{:x}", "{", "}",
                     "\\", "/", ".", "./a", "a/b/../c", "", "*", "a*", "(", "[", "[a-", "(?P<x>a)", "a{2,1}",
                     "(a)\\1", "\\d+", "^$", "a,b,,c", '{"a": 1, "b": [1, 2]}', "[1, 2", "1e999", "NaN",
                     "-0", "0x1F", "true", "null", "12", "  3.5  ", "DEBUG", "warn", "%%", "%Y-%m-%d",
                     "=", "&", "a=1&b=2", "%zz", "%E9", "\u0130", "\u00df", "\ufb03", "\u212a", "0b101",
                     "base64==", "Zm9v", "zz", "abc" * 40,
                     # bytes that are not UTF-8 (from files, the environment, crypto.hex_decode) are kept as
                     # U+DC80..U+DCFF, Python's "surrogateescape"
                     "\udcff", "a\udc80b", "\udcc3\udca9", "%\udce9"]),
    st.text(max_size=12),
)

SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS, st.sampled_from(SPECIAL_VALUES))


def _cyclic(value):
    if isinstance(value, list):
        value.append(value)
    else:
        value["self"] = value
    return value


VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(STRINGS, inner, max_size=4),
    ),
    max_leaves=12,
) | st.one_of(st.lists(SCALARS, max_size=3), st.dictionaries(STRINGS, SCALARS, max_size=3)).map(_cyclic)


def neutron_value_problem(value):
    """None when `value` is a Neutron value, all the way down (without recursion); otherwise what is wrong."""
    seen, todo = set(), [value]
    while todo:
        v = todo.pop()
        cls = v.__class__
        if v is None or cls is bool or cls is float or cls is str or cls in NEUTRON_TYPES:
            continue
        if cls is not list and cls is not dict:
            return f"{v!r} of Python type {type(v).__name__}"
        if id(v) in seen:
            continue
        seen.add(id(v))
        if cls is dict:
            for k in v:
                if k.__class__ is not str:
                    return f"object key {k!r} of type {type(k).__name__}"
            todo.extend(v.values())
        else:
            todo.extend(v)
    return None


NEUTRON_TYPES = (Function, Native, Class, Instance, BoundMethod, Module, Buffer, Resource)


# Functions that act on the machine, never called here. The file functions are called in a scratch directory
# with harmless paths by test_file_functions_never_crash.
MACHINE = {"sys.exit", "sys.hibernate", "sys.exec", "sys.input", "sys.sleep", "time.sleep"}   # end or block the process
FILES = {"sys.read", "sys.write", "sys.append", "sys.cp", "sys.mv", "sys.rm", "sys.rmdir", "sys.mkdir",
         "sys.chmod", "sys.exists", "sys.listdir", "sys.stat", "json.readFile", "json.writeFile", "sys.tmpfile",
         "sys.chdir", "sys.checkpoint", "log.set_file"}
PURE_HTTP = {"http.urlEncode", "http.urlDecode", "http.parseQuery"}
WAITING = {"async", "process"}      # their calls wait inside the scheduler's loop (tests/stdlib/async, .../process)


def _natives():
    out = []
    for mod in MODULES:
        for name, native in native_module(mod).functions.items():
            q = f"{mod}.{name}"
            if name.startswith("_") or q in MACHINE or q in FILES or (mod == "http" and q not in PURE_HTTP) or \
                    mod in WAITING:
                continue
            out.append(native)
    return out


NATIVES = {n.qualname: n for n in _natives()}
FILE_NATIVES = {q: native_module(q.split(".")[0]).functions[q.split(".")[1]] for q in sorted(FILES)}


def fresh_vm(tmp=None):
    vm = new_vm(["fuzz.nt", "--flag", "\u00e9"], "fuzz.nt", io.StringIO())
    for mod in ("random", "log"):
        instantiate(vm, mod)             # their state lives in the VM
    return vm


def arity(draw, lo, hi):
    top = (lo + 3) if hi is None else hi
    if draw(st.integers(0, 9)) == 0:
        return draw(st.integers(0, top + 2))    # sometimes a wrong count: the VM's check must say so
    return draw(st.integers(lo, top))


def native_call(vm, native, args):
    n = len(args)
    if n < native.min_args or (native.max_args is not None and n > native.max_args):
        raise NeutronError(VM.native_arity_message(native, n))    # what the VM raises before calling
    return native.fn(vm, args)


# errors of the language's own operations, raised the same way inside any function, and the messages that follow
# the reference's wording (which names the operation its own way: "stack.pop: stack is empty.")
GENERIC_ERRORS = ("Cannot compare values nested", "Division by zero.", "Cannot convert string ", "stack.", "queue.",
                  "Invalid regex pattern: ")


def check_call(what, call, name=None):
    """call() returns a Neutron value or raises NeutronError (whose message names `name`, when given)."""
    old = signal.signal(signal.SIGALRM, _on_alarm) if hasattr(signal, "SIGALRM") else None
    if old is not None:
        signal.setitimer(signal.ITIMER_REAL, 10.0)
    try:
        result = call()
    except NeutronError as e:
        assert isinstance(e.message, str) and e.message, f"{what}: empty error message"
        assert name is None or name in e.message or e.message.startswith(GENERIC_ERRORS), \
            f"{what}: the error does not name {name}: {e.message!r}"
        return
    except _OutOfTime:
        pytest.fail(f"{what}: took more than 10 s")
    except Exception as e:
        pytest.fail(f"{what} raised {type(e).__name__}: {e}\n{traceback.format_exc()[-3000:]}")
    finally:
        if old is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    problem = neutron_value_problem(result)
    assert problem is None, f"{what} returned a non-Neutron value: {problem}"


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 6, 4, 40, 40


def _show(args):
    return _REPR.repr(args)


@settings(max_examples=examples(2500), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.data_too_large])
@given(data=st.data())
def test_native_functions_never_crash(data):
    native = NATIVES[data.draw(st.sampled_from(sorted(NATIVES)), label="function")]
    n = arity(data.draw, native.min_args, native.max_args)
    args = data.draw(st.lists(VALUES, min_size=n, max_size=n), label="args")
    vm = fresh_vm()
    check_call(f"{native.qualname}({_show(args)})", lambda: native_call(vm, native, args), native.qualname)


@settings(max_examples=examples(1500), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.data_too_large])
@given(data=st.data())
def test_string_methods_never_crash(data):
    name = data.draw(st.sampled_from(sorted(B.STRING_METHODS)), label="method")
    _, lo, hi = B.STRING_METHODS[name]
    recv = data.draw(STRINGS, label="receiver")
    n = arity(data.draw, lo, hi)
    args = data.draw(st.lists(VALUES, min_size=n, max_size=n), label="args")
    vm = fresh_vm()
    check_call(f"{recv!r}.{name}({_show(args)})", lambda: B.call_string_method(vm, recv, name, args))


@settings(max_examples=examples(1000), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.data_too_large])
@given(data=st.data())
def test_array_methods_never_crash(data):
    name = data.draw(st.sampled_from(sorted(B.ARRAY_METHODS)), label="method")
    _, lo, hi = B.ARRAY_METHODS[name]
    recv = data.draw(st.lists(VALUES, max_size=6) | st.lists(SCALARS, max_size=3).map(_cyclic), label="receiver")
    n = arity(data.draw, lo, hi)
    args = data.draw(st.lists(VALUES, min_size=n, max_size=n), label="args")
    vm = fresh_vm()
    check_call(f"{_show(recv)}.{name}({_show(args)})", lambda: B.call_array_method(vm, recv, name, args))


def _nested(n, make):
    v = 1.0
    for _ in range(n):
        v = make(v)
    return v


def _looped():
    v = [1.0]
    v.append(v)
    return v


def _looped_object():
    v = {"a": 1.0}
    v["self"] = v
    return v


# Values that break careless code. Arrays and objects are made fresh for every call (functions may change them).
_ODD_SCALARS = [None, True, False, 0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.5, 255.0, 1114112.0, 55296.0, 2.0 ** 53,
                2.0 ** 64, 1e300, 1.7976931348623157e308, 5e-324, math.inf, -math.inf, math.nan, 3e8,
                "", " ", "abc", "\u00e9", "\U0001f600", "\x00", "\n", "%d", "{0}", "{", "\\", "..", "/", "[", "*",
                "1e999", "NaN", "0x1F", "\udcff", "a\udc80b", "\u0130"] + SPECIAL_VALUES
_ODD_MAKERS = [list, lambda: [1.0], lambda: [None], lambda: ["a", "b"], lambda: [1.0, "a"], lambda: [[1.0]],
               lambda: [math.nan, 1.0], dict, lambda: {"a": 1.0}, lambda: {"": None}, _looped, _looped_object,
               lambda: _nested(1500, lambda v: [v]), lambda: _nested(1500, lambda v: {"k": v})]
ODD_COUNT = len(_ODD_SCALARS) + len(_ODD_MAKERS)


def odd_value(k):
    n = len(_ODD_SCALARS)
    return _ODD_SCALARS[k] if k < n else _ODD_MAKERS[k - n]()


FILLERS = (lambda: 1.0, lambda: "ab", lambda: [1.0, 2.0], lambda: {"a": 1.0})


def sweep_calls(lo, hi):
    """(count, position, odd value index, filler) for every argument position of every allowed count: the odd
    value with each kind of plain value around it."""
    for n in range(lo, (lo + 2 if hi is None else hi) + 1):
        for pos in range(max(n, 1)):
            for k in range(ODD_COUNT):
                for fill in (FILLERS if n > 1 else FILLERS[:1]):
                    yield n, pos, k, fill


def sweep_args(n, pos, k, fill):
    args = [fill() for _ in range(n)]
    if n:
        args[pos] = odd_value(k)
    return args


PAIRED = range(0, ODD_COUNT, 3)       # a third of the odd values, for two odd arguments at once


def sweep_pairs(lo, hi):
    """Argument lists with two odd values (the others 1.0), for every pair of positions."""
    for n in range(max(lo, 2), (lo + 2 if hi is None else hi) + 1):
        for p in range(n):
            for q in range(p + 1, n):
                for j in PAIRED:
                    for k in PAIRED:
                        args = [1.0] * n
                        args[p], args[q] = odd_value(j), odd_value(k)
                        yield args


@pytest.mark.parametrize("module", [m for m in MODULES if any(q.startswith(m + ".") for q in NATIVES)])
def test_each_module_function_with_each_odd_value(module):
    """Every function, every argument count it accepts, every position: each odd value with plain others."""
    vm = fresh_vm()
    for q in sorted(q for q in NATIVES if q.startswith(module + ".")):
        native = NATIVES[q]
        for n, pos, k, fill in sweep_calls(native.min_args, native.max_args):
            args = sweep_args(n, pos, k, fill)
            check_call(f"{q}({_show(args)})", lambda: native_call(vm, native, args), q)
        for args in sweep_pairs(native.min_args, native.max_args):
            check_call(f"{q}({_show(args)})", lambda: native_call(vm, native, args), q)


@pytest.mark.parametrize("kind", ["string", "array"])
def test_each_method_with_each_odd_value(kind):
    vm = fresh_vm()
    table = B.STRING_METHODS if kind == "string" else B.ARRAY_METHODS
    call = B.call_string_method if kind == "string" else B.call_array_method
    receivers = [i for i in range(ODD_COUNT) if isinstance(odd_value(i), str if kind == "string" else list)]
    for name, (_, lo, hi) in sorted(table.items()):
        for n, pos, k, fill in sweep_calls(lo, hi):
            r = receivers[(k + pos) % len(receivers)]      # each receiver in turn, not every pairing
            recv = odd_value(r)
            args = sweep_args(n, pos, k, fill)
            check_call(f"{_show(recv)}.{name}({_show(args)})", lambda: call(vm, recv, name, args))
        for i, args in enumerate(sweep_pairs(lo, hi)):
            recv = odd_value(receivers[i % len(receivers)])
            check_call(f"{_show(recv)}.{name}({_show(args)})", lambda: call(vm, recv, name, args))


SAFE_PATHS = st.sampled_from(["a.txt", "b.txt", "d", "d/x.txt", "d/e", "missing/x", "", ".", "a.txt/x", "data.json",
                              "\u00e9.txt", "sub dir", "d/"])


def harmless_paths(args):
    """Only relative names inside the scratch directory: no absolute paths, no '..', no NUL."""
    return [("a.txt" if isinstance(a, str) and not re.fullmatch(r"(?!/)(?!.*\.\.)[^\x00]*", a) else a)
            for a in args]


@contextlib.contextmanager
def scratch_directory():
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="neutron-files-") as tmp:
        os.chdir(tmp)
        try:
            os.mkdir("d")
            os.mkdir("d/e")
            Path("a.txt").write_text("hello\n")
            Path("d/x.txt").write_text("x")
            Path("data.json").write_text('{"a": [1, 2, {"b": null}]}')
            yield tmp
        finally:
            os.chdir(old)
            os.chmod(tmp, 0o700)
            for root, dirs, _ in os.walk(tmp):      # a chmod may have locked a folder
                for d in dirs:
                    os.chmod(os.path.join(root, d), 0o700)


@settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large])
@given(data=st.data())
def test_file_functions_never_crash(data):
    native = FILE_NATIVES[data.draw(st.sampled_from(sorted(FILE_NATIVES)), label="function")]
    n = arity(data.draw, native.min_args, native.max_args)
    args = []
    for i in range(n):
        path_like = i == 0 or native.qualname in ("sys.cp", "sys.mv")
        args.append(data.draw(SAFE_PATHS | VALUES if path_like else VALUES, label=f"arg{i}"))
    args = harmless_paths(args)
    vm = fresh_vm()
    with scratch_directory():
        check_call(f"{native.qualname}({_show(args)})", lambda: native_call(vm, native, args), native.qualname)


@pytest.mark.parametrize("name", sorted(FILE_NATIVES))
def test_each_file_function_with_each_odd_value(name):
    native = FILE_NATIVES[name]
    vm = fresh_vm()
    with scratch_directory():
        for n, pos, k, fill in sweep_calls(native.min_args, native.max_args):
            args = harmless_paths(sweep_args(n, pos, k, fill))
            check_call(f"{name}({_show(args)})", lambda: native_call(vm, native, args), name)


# ==== methods and functions written in Neutron ===================================================================

CALLBACKS = {
    "f_id": "fun (x) { return x; }",
    "f_none": "fun () { return true; }",
    "f_two": "fun (a, b) { return a; }",
    "f_three": "fun (a, b, c) { return nil; }",
    "f_four": "fun (a, b, c, d) { return 1; }",
    "f_cmp": "fun (a, b) { return a - b; }",
    "f_throw": "fun (x) { throw \"no\"; }",
    "f_str": "fun (a, b) { return \"x\"; }",
}
PROGRAM_HEADER = "use arrays;\n" + "".join(f"var {k} = {v};\n" for k, v in CALLBACKS.items()) + \
    "class K { fun initialize(a) { this.a = a; } }\n"
ARRAYS_PRELUDE = sorted(name for name, v in instantiate(fresh_vm(), "arrays").members.items()
                        if isinstance(v, Function))
CALLABLES = st.sampled_from(sorted(CALLBACKS) + ["K", "math.sqrt", "\"ab\".upper", "[1].push"])


@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large])
@given(data=st.data())
def test_neutron_written_methods_never_crash(data):
    """`a0.map(a1)`, `arrays.reduce(a0, a1, a2)`, ... with values put straight into the program's globals."""
    if data.draw(st.booleans(), label="module?"):
        name = data.draw(st.sampled_from(ARRAYS_PRELUDE), label="arrays function")
        n = data.draw(st.integers(0, 4), label="arity")
        receiver, call = None, f"arrays.{name}"
    else:
        name = data.draw(st.sampled_from(sorted(B.ARRAY_CALLBACK_METHODS)), label="method")
        lo, hi = B.CALLBACK_ARITY[name]
        n = data.draw(st.integers(max(0, lo - 1), hi + 1), label="arity")
        receiver = data.draw(st.lists(VALUES, max_size=5), label="receiver")
        call = f"a_recv.{name}"
    args, names = [], []
    for i in range(n):
        if data.draw(st.integers(0, 2), label="callable?") == 0:
            names.append(data.draw(CALLABLES, label=f"callback{i}"))
        else:
            args.append(data.draw(VALUES, label=f"arg{i}"))
            names.append(f"a{len(args) - 1}")
    source = PROGRAM_HEADER + "use math;\n" + f"var result = {call}({', '.join(names)});\n"
    vm = fresh_vm()
    vm.script_path = "<fuzz>"
    vm.globals["a_recv"] = receiver
    for i, a in enumerate(args):
        vm.globals[f"a{i}"] = a
    code = compile_source(source, "<fuzz>")

    def run():
        try:
            start(vm, code)
            vm.execute()
        except Uncaught as u:
            if not u.is_error:
                assert u.value == "no"
            return None
        return vm.globals.get("result")
    check_call(f"{call}({_show(args)}) as {names}", run)


class _FullDisk(io.StringIO):
    """A standard output on a full disk."""

    def write(self, s):
        raise OSError(28, "No space left on device")

    def flush(self):
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("flag", [[], ["--vm"]])
def test_output_on_a_full_disk_is_a_clear_error(tmp_path, monkeypatch, flag):
    from neutron import cli
    prog = tmp_path / "p.nt"
    prog.write_text('say("hello");\n', encoding="utf-8")
    err = io.StringIO()
    monkeypatch.setattr("sys.stdout", _FullDisk())
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setenv("NEUTRON_VM", "")     # restored afterwards: --vm sets it
    status = cli.main(flag + [str(prog)])
    assert status == 74
    assert err.getvalue() == "neutron: cannot write the output: No space left on device\n"


def test_repeating_an_empty_string_any_number_of_times():
    src = 'say("[" + "" * 1e19 + "]" + "".repeat(1e19) + "|" + ("ab" * 2).length);\n'
    for mode in ("vm", "compiled"):
        out = io.StringIO()
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "r.nt")
            with open(p, "w") as fh:
                fh.write(src)
            _, status = run_file(p, [], out, io.StringIO(), mode=mode)
        assert (status, out.getvalue()) == (0, "[]|4\n"), mode
