"""time module: natives called directly (no real clock values are compared exactly)."""
import time as pytime

import pytest

from neutron.errors import NeutronError
from neutron.stdlib.time import module
from natives_harness import FakeVM


def call(name, *args, vm=None):
    native = module.functions[name]
    assert native.min_args <= len(args) and (native.max_args is None or len(args) <= native.max_args)
    return native.fn(vm or FakeVM(), list(args))


def err(name, *args):
    with pytest.raises(NeutronError) as e:
        call(name, *args)
    return e.value.message


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    yield
    monkeypatch.undo()
    pytime.tzset()


def test_now_is_whole_milliseconds():
    before = pytime.time() * 1000
    t = call("now")
    after = pytime.time() * 1000
    assert t.__class__ is float and t == int(t)
    assert before - 1 <= t <= after + 1


def test_monotonic():
    a = call("monotonic")
    b = call("monotonic")
    assert a.__class__ is float and b >= a


def test_format_defaults_and_custom(utc):
    ms = 1705329025000.0       # 2024-01-15 14:30:25 UTC
    assert call("format", ms) == "2024-01-15 14:30:25"
    assert call("format", ms, "%Y-%m-%d") == "2024-01-15"
    assert call("format", ms, "%A, %B %d, %Y at %I:%M %p") == "Monday, January 15, 2024 at 02:30 PM"
    assert call("format", ms, "%Y%m%d_%H%M%S") == "20240115_143025"
    assert call("format", 999.0) == "1970-01-01 00:00:00"
    assert call("format", -1.0) == "1969-12-31 23:59:59"
    assert call("format", ms, "%y %a %b %%") == "24 Mon Jan %"


def test_format_honours_tz(monkeypatch):
    ms = 1705329025000.0
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert call("format", ms, "%H:%M %Z") == "23:30 JST"
    monkeypatch.setenv("TZ", "America/New_York")
    assert call("format", ms, "%H:%M") == "09:30"
    monkeypatch.undo()
    pytime.tzset()


def test_format_utc(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert call("format_utc", 1705329025000.0) == "2024-01-15 14:30:25"
    assert call("format_utc", 0.0, "%H") == "00"
    monkeypatch.undo()
    pytime.tzset()


def test_format_errors():
    assert err("format", "now") == "time.format: argument 1 (timestamp) must be a number, got string."
    assert err("format", 0.0, 5.0) == "time.format: argument 2 (format) must be a string, got number."
    assert "finite" in err("format", float("inf"))
    assert "out of range" in err("format", 1e300)


def test_sleep():
    vm = FakeVM()
    start = pytime.monotonic()
    assert call("sleep", 20.0, vm=vm) is None
    assert pytime.monotonic() - start >= 0.015
    assert vm.flushes == 1
    assert call("sleep", 0.0) is None
    assert "non-negative" in err("sleep", -5.0)
    assert err("sleep", "1") == "time.sleep: argument 1 (milliseconds) must be a number, got string."
