"""log module: natives called directly with a fake vm that records its output."""
import re

import pytest

from neutron.errors import NeutronError
from neutron.stdlib import log as nlog
from neutron.stdlib.log import module
from natives_harness import FakeVM

LINE = re.compile(r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] \[(DEBUG|INFO|WARN|ERROR)\] (.*)\n$")


def call(vm, name, *args):
    native = module.functions[name]
    assert native.min_args <= len(args) and (native.max_args is None or len(args) <= native.max_args)
    return native.fn(vm, list(args))


def test_constants_and_arities():
    assert module.constants == {"DEBUG": 0.0, "INFO": 1.0, "WARN": 2.0, "ERROR": 3.0}
    assert all(type(v) is float for v in module.constants.values())
    for name in ("debug", "info", "warn", "error"):
        assert (module.functions[name].min_args, module.functions[name].max_args) == (1, None)


def test_line_format_and_default_level():
    vm = FakeVM()
    assert call(vm, "get_level") == 1.0
    assert call(vm, "debug", "hidden") is None
    call(vm, "info", "started", 3.0, "jobs", None, True, [1.0, "a"], {"k": 2.5})
    call(vm, "warn", "careful")
    call(vm, "error", "bad")
    assert len(vm.output) == 3
    m = LINE.match(vm.output[0])
    assert m and m.groups() == ("INFO", "started 3 jobs nil true [1, a] {k: 2.5}")
    assert LINE.match(vm.output[1]).groups() == ("WARN", "careful")
    assert LINE.match(vm.output[2]).groups() == ("ERROR", "bad")


def test_set_level_numbers_and_names():
    vm = FakeVM()
    call(vm, "set_level", 0.0)
    call(vm, "debug", "d")
    assert LINE.match(vm.output[-1]).group(1) == "DEBUG"
    call(vm, "set_level", "error")
    assert call(vm, "get_level") == 3.0
    call(vm, "warn", "w")
    assert len(vm.output) == 1
    call(vm, "set_level", "WARNING")
    assert call(vm, "get_level") == 2.0
    call(vm, "set_level", "Info")
    assert call(vm, "get_level") == 1.0
    call(vm, "set_level", module.constants["WARN"])
    assert call(vm, "get_level") == 2.0
    assert type(call(vm, "get_level")) is float


def test_set_level_errors():
    vm = FakeVM()
    for bad in (4.0, -1.0, 1.5):
        with pytest.raises(NeutronError, match=r"^log.set_level: the level must be 0, 1, 2 or 3"):
            call(vm, "set_level", bad)
    with pytest.raises(NeutronError, match=r"^log.set_level: unknown level 'loud'"):
        call(vm, "set_level", "loud")
    with pytest.raises(NeutronError, match=r"^log.set_level: argument 1 \(level\) must be a number or a level name"):
        call(vm, "set_level", None)
    assert call(vm, "get_level") == 1.0


def test_timestamp_toggle():
    vm = FakeVM()
    call(vm, "set_timestamp", False)
    call(vm, "info", "plain")
    assert vm.output == ["[INFO] plain\n"]
    call(vm, "set_timestamp", True)
    call(vm, "info", "x")
    assert LINE.match(vm.output[-1])
    with pytest.raises(NeutronError, match=r"^log.set_timestamp: argument 1 must be a boolean, got number"):
        call(vm, "set_timestamp", 1.0)


def test_colour_only_on_a_terminal_and_when_enabled():
    plain = FakeVM(tty=False)
    call(plain, "warn", "w")
    assert "\x1b[" not in plain.output[0]
    tty = FakeVM(tty=True)
    call(tty, "set_timestamp", False)
    call(tty, "warn", "w")
    assert tty.output[-1] == "\x1b[33m[WARN]\x1b[0m w\n"
    call(tty, "set_color", False)
    call(tty, "warn", "w")
    assert tty.output[-1] == "[WARN] w\n"
    with pytest.raises(NeutronError, match=r"^log.set_color: argument 1 must be a boolean"):
        call(tty, "set_color", "yes")


def test_set_file_appends_plain_lines(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("old\n")
    vm = FakeVM(tty=True)
    call(vm, "set_file", str(path))
    call(vm, "info", "to", "file")
    call(vm, "debug", "filtered")
    call(vm, "error", "é")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0] == "old\n"
    assert [LINE.match(l).groups() for l in lines[1:]] == [("INFO", "to file"), ("ERROR", "é")]
    assert len(vm.output) == 2                   # still written to stdout too
    call(vm, "set_file", None)
    call(vm, "info", "not in file")
    assert len(path.read_text().splitlines()) == 3


def test_set_file_errors(tmp_path):
    vm = FakeVM()
    with pytest.raises(NeutronError, match=r"^log.set_file: cannot open '.*': "):
        call(vm, "set_file", str(tmp_path / "missing-dir" / "x.log"))
    with pytest.raises(NeutronError, match=r"^log.set_file: argument 1 \(path\) must be a string"):
        call(vm, "set_file", 3.0)
    # a file that disappears later gives an error naming the logging function
    target = tmp_path / "d"
    target.mkdir()
    call(vm, "set_file", str(target / "x.log"))
    (target / "x.log").unlink()
    target.rmdir()
    with pytest.raises(NeutronError, match=r"^log.warn: cannot write to the log file"):
        call(vm, "warn", "x")


def test_settings_are_neutron_values_and_survive_save_load(tmp_path):
    vm = FakeVM()
    assert module.save_state(vm) is None
    call(vm, "set_level", "debug")
    call(vm, "set_color", False)
    call(vm, "set_timestamp", False)
    call(vm, "set_file", str(tmp_path / "a.log"))
    state = module.save_state(vm)
    assert state == {"level": 0.0, "file": str(tmp_path / "a.log"), "color": False, "timestamp": False}
    resumed = FakeVM(tty=True)
    module.load_state(resumed, state)
    call(resumed, "debug", "again")
    assert resumed.output == ["[DEBUG] again\n"]
    assert (tmp_path / "a.log").read_text() == "[DEBUG] again\n"
    state["level"] = 3.0                       # the saved value is a copy
    assert call(resumed, "get_level") == 0.0


def test_load_state_ignores_bad_values():
    vm = FakeVM()
    module.load_state(vm, {"level": 9.0, "file": 3.0, "color": "x"})
    assert nlog.settings(vm) == {"level": 1.0, "file": None, "color": True, "timestamp": True}
    module.load_state(vm, None)
    assert "log" not in vm.module_state
