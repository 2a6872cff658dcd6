"""Collects every Neutron test program (tests/**/*.nt and *.ntsc) as pytest items.

A test program states what it must print in comments beside the statements that print it:

    say(1/3);               // expect: 0.333333333333333
    say(10 / 0);            // expect runtime error: Division by zero.
    var x = ;               // expect error: Expect expression.
    sys.exit(3);            // expect exit: 3

`// expect: TEXT` lines give stdout, in order. `expect runtime error` means the program ends with status 1 and
MESSAGE on stderr, in a report naming the comment's line: the line where the error happened (or, when that is in a
helper file, the innermost line of the test's own file in the stack trace). `expect error` means a syntax or compile
error: status 65, MESSAGE on stderr, nothing on stdout. `expect exit: N` means the program ends with status N.
Otherwise the status must be 0. A MESSAGE is a substring of stderr, searched outside the lines that quote the
program (`   3 | code`, which would quote the expectation itself). stdout must match the `expect:` lines exactly;
a Python traceback on stderr always fails.

Files named *.lib.nt (or *.lib.ntsc) and files inside a `lib/` folder are helpers that tests import; they are
not tests. The copies of the acceptance programs in tests/cli/acceptance/ are run by tests/cli/test_acceptance.py.

For each program and each mode in neutron.testing.MODES there are two items:
  file.nt::vm            one plain run;
  file.nt::vm-roundtrip  runs stopped at their K-th checkpointable point (snapshot written, then resumed by a
                         fresh VM) for a few K taken from the plain run's count of points; the joined output of
                         both halves must be the same.
Round-trip items carry the marker `roundtrip`, and the fuzzers (tests/fuzz) the marker `fuzz`:
`pytest -m "not roundtrip and not fuzz"` runs the quick set.
NEUTRON_TEST_MODES=vm (comma-separated) restricts the modes; NEUTRON_TEST_POINTS=all makes round trips stop at
every point instead of three (slow, thorough); NEUTRON_TEST_TIMEOUT sets the seconds allowed for one run
(default 120). The suite sets NEUTRON_TIER_STRICT: generated code that Python rejects fails the test instead of
continuing in the VM.
"""
from __future__ import annotations

import difflib
import os
import re
import shutil
import signal
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
SUFFIXES = (".nt", ".ntsc")
EXCLUDED_DIRS = {TESTS_DIR / "cli" / "acceptance"}

if str(TESTS_DIR.parent) not in sys.path:    # `pytest` (unlike `python -m pytest`) does not put the repo on the path
    sys.path.insert(0, str(TESTS_DIR.parent))
# and the tests that start `python -m neutron` must run this checkout too, not an installed copy
os.environ["PYTHONPATH"] = os.pathsep.join([str(TESTS_DIR.parent)] + (
    [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
# generated code that Python rejects is an error here, not a quiet fall-back to the VM (see tier/runtime.STRICT)
os.environ["NEUTRON_TIER_STRICT"] = "1"
# Started in the background by a non-interactive shell, pytest inherits an ignored SIGINT (and so would the programs
# it starts): a test of Ctrl-C, such as test_tier's of the worker thread, would then wait forever.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

try:
    from neutron.testing import MODES, run as _run
    _IMPORT_ERROR = None
except Exception as exc:  # the runner is not importable: every item fails with this reason
    MODES = ("vm",)
    _run = None
    _IMPORT_ERROR = exc


def _selected_modes():
    wanted = os.environ.get("NEUTRON_TEST_MODES")
    if not wanted:
        return tuple(MODES)
    names = [m.strip() for m in wanted.split(",") if m.strip()]
    return tuple(m for m in MODES if m in names)


TIMEOUT = float(os.environ.get("NEUTRON_TEST_TIMEOUT", "120"))


# ---- expectations ----------------------------------------------------------------------------------------------

_EXPECT_OUT = re.compile(r"// expect: ?(.*)$")
_EXPECT_RUNTIME = re.compile(r"// expect runtime error: ?(.*)$")
_EXPECT_ERROR = re.compile(r"// expect error: ?(.*)$")
_EXPECT_EXIT = re.compile(r"// expect exit: ?(-?\d+)\s*$")


@dataclass
class Expectation:
    stdout: list = field(default_factory=list)     # expected lines
    runtime_error: str | None = None
    compile_errors: list = field(default_factory=list)
    exit_status: int | None = None
    runtime_error_line: int = 0

    @property
    def status(self) -> int:
        if self.compile_errors:
            return 65
        if self.runtime_error is not None:
            return 1
        if self.exit_status is not None:
            return self.exit_status
        return 0


def parse_expectations(text: str, where: str = "") -> Expectation:
    exp = Expectation()
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        m = _EXPECT_RUNTIME.search(line)
        if m:
            if exp.runtime_error is not None:
                raise ValueError(f"{where}:{number}: a program can end with only one runtime error")
            exp.runtime_error = m.group(1).strip()
            exp.runtime_error_line = number
            continue
        m = _EXPECT_ERROR.search(line)
        if m:
            exp.compile_errors.append(m.group(1).strip())
            continue
        m = _EXPECT_EXIT.search(line)
        if m:
            exp.exit_status = int(m.group(1))
            continue
        m = _EXPECT_OUT.search(line)
        if m:
            exp.stdout.append(m.group(1))
    kinds = sum((exp.runtime_error is not None, bool(exp.compile_errors), exp.exit_status is not None))
    if kinds > 1:
        raise ValueError(f"{where}: mixes `expect runtime error`, `expect error` and `expect exit`")
    if exp.compile_errors and exp.stdout:
        raise ValueError(f"{where}: a program with a compile error prints nothing, yet it has `expect:` lines")
    return exp


_SOURCE_ECHO = re.compile(r"^\s*\d*\s?\| ")


def _without_source_echo(stderr: str) -> str:
    """stderr less the lines that quote the program (`   3 | code` and the caret line `     | ^`): they hold the
    test's own `// expect ...` comment, which must not count as the message."""
    return "\n".join(line for line in stderr.split("\n") if not _SOURCE_ECHO.match(line))


_ERROR_AT = re.compile(r"RuntimeError in (.+) at line (\d+):$", re.M)
_TRACE_ENTRY = re.compile(r"^  at .+ \((.+):(\d+)\)$", re.M)


def reported_line(stderr: str, name: str):
    """The line of the test file `name` that a runtime error report names: its headline's line when the error is
    in that file, else the innermost stack-trace entry in it (the call that led into a helper file); or None."""
    m = _ERROR_AT.search(stderr)
    if m is None:
        return None
    if os.path.basename(m.group(1)) == name:
        return int(m.group(2))
    return next((int(line) for file, line in _TRACE_ENTRY.findall(stderr) if file == name), None)


# Runtime errors reported at a wrong line in every mode, a known bug of the runtime: test file -> the line reported
# today (the comment is on the right line). When the report gets it right, the test fails until the entry goes.
WRONG_LINE_TODAY = {
}


def check_outcome(exp: Expectation, outcome, path: Path) -> list:
    """Returns the list of problems (empty when the outcome is what the comments of the program at `path` say)."""
    problems = []
    want = "".join(line + "\n" for line in exp.stdout)
    got = outcome.stdout
    if got != want:
        diff = difflib.unified_diff(want.splitlines(), got.splitlines(), "expected stdout", "actual stdout",
                                    lineterm="", n=3)
        text = "\n".join(diff)
        if not text:  # same lines, different line ends
            text = f"expected {want!r}\n  actual {got!r}"
        problems.append("stdout differs:\n" + text)
    if outcome.status != exp.status:
        problems.append(f"exit status {outcome.status}, expected {exp.status}")
    messages = _without_source_echo(outcome.stderr)
    for message in ([exp.runtime_error] if exp.runtime_error is not None else []) + exp.compile_errors:
        if message not in messages:
            problems.append(f"stderr does not contain {message!r} (outside the echoed source lines)")
    if exp.runtime_error is not None and outcome.status == 1:
        line = reported_line(outcome.stderr, path.name)
        known = WRONG_LINE_TODAY.get(path.relative_to(TESTS_DIR).as_posix())
        if line != (exp.runtime_error_line if known is None else known):
            problems.append(f"the runtime error is reported at line {line} of {path.name}, but the `expect runtime "
                            f"error` comment is on line {exp.runtime_error_line}"
                            + ("" if known is None else f" (and WRONG_LINE_TODAY says {known}: update it)"))
    if "Traceback (most recent call last)" in outcome.stderr:
        problems.append("stderr holds a Python traceback (an internal error)")
    return problems


# ---- running ---------------------------------------------------------------------------------------------------

class RunTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise RunTimeout(f"the run took longer than {TIMEOUT:g} s (NEUTRON_TEST_TIMEOUT)")


def _is_helper(path: Path) -> bool:
    return path.name.endswith((".lib.nt", ".lib.ntsc")) or "lib" in path.relative_to(TESTS_DIR).parts[:-1]


def _stage(source: Path, workdir: Path) -> Path:
    """Copies the test and its folder's helpers (lib files, lib/ folders, data files) into workdir."""
    for entry in source.parent.iterdir():
        if entry.is_dir():
            if entry.name == "lib":
                shutil.copytree(entry, workdir / "lib")
        elif entry == source or not entry.name.endswith(SUFFIXES) or _is_helper(entry):
            shutil.copy2(entry, workdir / entry.name)
    return workdir / source.name


def run_program(source: Path, mode: str, checkpoint_at=None):
    if _run is None:
        raise RuntimeError(f"cannot import neutron.testing: {_IMPORT_ERROR!r}")
    workdir = Path(tempfile.mkdtemp(prefix="neutron-test-"))
    use_alarm = TIMEOUT > 0 and hasattr(signal, "SIGALRM")
    previous = None
    try:
        program = _stage(source, workdir)
        if use_alarm:
            previous = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
        return _run(str(program), mode=mode, checkpoint_at=checkpoint_at, cwd=str(workdir))
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        shutil.rmtree(workdir, ignore_errors=True)


def choose_points(points: int) -> list:
    """The first, a middle and the last checkpointable point of a run; every point with NEUTRON_TEST_POINTS=all."""
    if not points or points <= 0:
        return []
    if os.environ.get("NEUTRON_TEST_POINTS") == "all":
        return list(range(1, points + 1))
    return sorted({1, max(1, (points + 1) // 2), points})


class NeutronTestFailure(Exception):
    def __init__(self, report: str):
        super().__init__(report)
        self.report = report


def _short_trace(exc, frames=4) -> str:
    lines = traceback.format_exception(exc)
    return "".join(lines[:1] + lines[-(frames + 1):]) if len(lines) > frames + 2 else "".join(lines)


def _describe(outcome) -> str:
    stderr = outcome.stderr.strip()
    if len(stderr) > 3000:
        stderr = stderr[:3000] + "\n[...]"
    return f"--- status {outcome.status}, {getattr(outcome, 'points', '?')} points; stderr:\n{stderr or '(empty)'}"


# ---- collection --------------------------------------------------------------------------------------------------

def pytest_configure(config):
    config.addinivalue_line("markers", "roundtrip: a Neutron program run through checkpoint and resume")
    config.addinivalue_line("markers", "neutron: a Neutron test program")


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix not in SUFFIXES:
        return None
    try:
        file_path.relative_to(TESTS_DIR)
    except ValueError:
        return None
    if _is_helper(file_path) or any(d in file_path.parents for d in EXCLUDED_DIRS):
        return None
    return NeutronFile.from_parent(parent, path=file_path)


_plain_outcomes = {}     # (path, mode) -> outcome of the plain run, reused by the round-trip item


class NeutronFile(pytest.File):
    def collect(self):
        text = self.path.read_text(encoding="utf-8")
        expectation = parse_expectations(text, str(self.path))
        for mode in _selected_modes():
            yield NeutronItem.from_parent(self, name=mode, mode=mode, expectation=expectation, roundtrip=False)
            item = NeutronItem.from_parent(self, name=f"{mode}-roundtrip", mode=mode, expectation=expectation,
                                           roundtrip=True)
            item.add_marker(pytest.mark.roundtrip)
            yield item


class NeutronItem(pytest.Item):
    def __init__(self, *, mode, expectation, roundtrip, **kwargs):
        super().__init__(**kwargs)
        self.mode = mode
        self.expectation = expectation
        self.roundtrip = roundtrip
        self.add_marker(pytest.mark.neutron)

    def _plain(self):
        key = (str(self.path), self.mode)
        outcome = _plain_outcomes.get(key)
        if outcome is None:
            outcome = self._run()
            _plain_outcomes[key] = outcome
        return outcome

    def _run(self, checkpoint_at=None):
        """One run; an exception escaping the runner (an internal error) becomes a short failure report."""
        try:
            return run_program(self.path, self.mode, checkpoint_at)
        except RunTimeout as exc:
            raise NeutronTestFailure(str(exc)) from None
        except Exception as exc:
            at = "" if checkpoint_at is None else f" (stopping at point {checkpoint_at})"
            raise NeutronTestFailure(f"the runner raised {exc!r}{at}\n{_short_trace(exc)}") from None

    def runtest(self):
        if not self.roundtrip:
            outcome = self._run()
            _plain_outcomes[(str(self.path), self.mode)] = outcome
            problems = check_outcome(self.expectation, outcome, self.path)
            if problems:
                raise NeutronTestFailure("\n".join(problems) + "\n" + _describe(outcome))
            return
        plain = self._plain()
        ks = choose_points(getattr(plain, "points", 0))
        failures = []
        for k in ks:
            try:
                outcome = self._run(checkpoint_at=k)
            except NeutronTestFailure as exc:
                failures.append(f"== resume at point {k} of {plain.points}: {exc.report}")
                continue
            problems = check_outcome(self.expectation, outcome, self.path)
            if problems:
                failures.append(f"== resume at point {k} of {plain.points}:\n" + "\n".join(problems) + "\n"
                                + _describe(outcome))
        if failures:
            raise NeutronTestFailure(f"checkpoint/resume at points {ks} (of {plain.points}); failed:\n"
                                     + "\n".join(failures))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, NeutronTestFailure):
            return f"{self.path.relative_to(TESTS_DIR.parent)} [{self.name}]\n{excinfo.value.report}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, 0, f"{self.path.relative_to(TESTS_DIR.parent)}::{self.name}"
