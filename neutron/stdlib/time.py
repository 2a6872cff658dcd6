"""time: clocks, formatting, waiting.

    now() -> milliseconds since 1970-01-01 UTC (a whole number)
    format(ms[, fmt]) -> string   strftime format, default "%Y-%m-%d %H:%M:%S", in local time (honours TZ)
    format_utc(ms[, fmt]) -> string   the same in UTC
    monotonic() -> milliseconds from an arbitrary start that never goes backwards (for measuring durations)
    sleep(ms) -> nil   (its deadline travels in a snapshot written meanwhile: see sys.sleep)
"""
from __future__ import annotations

import math
import os
import time as _pytime

from ..errors import NeutronError
from .native import NativeModule, arg_ms, arg_num, arg_str, opt
from .sys import sleep_for
from ..runtime.values import format_number

module = NativeModule("time")

DEFAULT_FORMAT = "%Y-%m-%d %H:%M:%S"
_tz_seen = [None]


def _sync_tz():
    # The C library reads TZ once; re-read it whenever it differs from what it last saw.
    tz = os.environ.get("TZ")
    if tz != _tz_seen[0]:
        _tz_seen[0] = tz
        if hasattr(_pytime, "tzset"):
            _pytime.tzset()


@module.function("now", 0)
def now(vm, args):
    return float(_pytime.time_ns() // 1_000_000)


@module.function("monotonic", 0)
def monotonic(vm, args):
    return _pytime.monotonic_ns() / 1_000_000


def _format(fname, args, convert):
    ms = arg_num(args, 0, fname, "timestamp")
    fmt = opt(args, 1)
    fmt = DEFAULT_FORMAT if fmt is None else arg_str(args, 1, fname, "format")
    if not math.isfinite(ms):
        raise NeutronError(f"{fname}: the timestamp must be finite, got {format_number(ms)}.")
    try:
        t = convert(math.floor(ms / 1000))
        return _pytime.strftime(fmt, t)
    except (OverflowError, OSError, ValueError) as e:
        if "null" in str(e) or "embedded" in str(e):
            raise NeutronError(f"{fname}: invalid format string.")
        raise NeutronError(f"{fname}: timestamp {format_number(ms)} is out of range.")


@module.function("format", 1, 2)
def format_(vm, args):
    _sync_tz()
    return _format("time.format", args, _pytime.localtime)


@module.function("format_utc", 1, 2)
def format_utc(vm, args):
    return _format("time.format_utc", args, _pytime.gmtime)


@module.function("sleep", 1)
def sleep(vm, args):
    return sleep_for(vm, arg_ms(args, 0, "time.sleep", finite=True), None)
