"""math module: natives called directly."""
import math

import pytest

from neutron.errors import NeutronError
from neutron.stdlib.math import module
from neutron.runtime.values import format_number
from natives_harness import FakeVM


def call(name, *args, vm=None):
    native = module.functions[name]
    assert native.min_args <= len(args) and (native.max_args is None or len(args) <= native.max_args)
    result = native.fn(vm or FakeVM(), list(args))
    if result.__class__ is not bool:
        assert result.__class__ is float, f"{name} returned {type(result).__name__}"
    return result


def err(name, *args):
    with pytest.raises(NeutronError) as e:
        call(name, *args)
    return e.value.message


def test_constants():
    assert module.constants["PI"] == math.pi
    assert module.constants["E"] == math.e
    assert module.constants["TAU"] == math.tau
    assert module.constants["INF"] == math.inf
    assert math.isnan(module.constants["NAN"])


def test_arithmetic():
    assert call("add", 15.0, 25.0) == 40
    assert format_number(call("add", 3.14, 2.86)) == "6"
    assert call("subtract", 10.0, 15.0) == -5
    assert call("multiply", 2.5, 4.0) == 10
    assert call("divide", 20.0, 4.0) == 5
    assert format_number(call("divide", 7.0, 3.0)) == "2.33333333333333"
    assert err("divide", 1.0, 0.0) == "math.divide: division by zero."
    assert err("add", "1", 2.0) == "math.add: argument 1 must be a number, got string."
    assert err("add", 1.0, None) == "math.add: argument 2 must be a number, got nil."


def test_pow():
    assert call("pow", 5.0, 2.0) == 25
    assert call("pow", 16.0, 0.5) == 4
    assert call("pow", 2.0, -3.0) == 0.125
    assert call("pow", -8.0, 3.0) == -512
    assert call("pow", 0.0, 0.0) == 1
    assert "negative power" in err("pow", 0.0, -1.0)
    assert "fractional" in err("pow", -8.0, 0.5)
    assert "too large" in err("pow", 10.0, 400.0)


def test_roots_and_abs():
    assert call("sqrt", 144.0) == 12
    assert format_number(call("sqrt", 2.0)) == "1.4142135623731"
    assert err("sqrt", -1.0) == "math.sqrt: argument must not be negative, got -1."
    assert err("sqrt", "x") == "math.sqrt: argument 1 must be a number, got string."
    assert call("cbrt", 27.0) == pytest.approx(3)
    assert call("cbrt", -8.0) == pytest.approx(-2)
    assert call("abs", -17.0) == 17
    assert call("abs", 0.0) == 0


def test_rounding():
    assert call("floor", 2.7) == 2 and call("floor", -2.1) == -3
    assert call("ceil", 2.1) == 3 and call("ceil", -2.7) == -2
    assert call("trunc", -2.7) == -2 and call("trunc", 2.7) == 2
    assert call("floor", math.inf) == math.inf
    assert call("round", 2.5) == 3
    assert call("round", -2.5) == -3
    assert call("round", 0.5) == 1
    assert call("round", 1.4999999999999998) == 1
    assert call("round", 0.49999999999999994) == 0
    assert call("round", -0.4) == 0 and math.copysign(1, call("round", -0.4)) == -1
    assert call("round", 2.675, 2.0) == 2.68
    assert call("round", 1234.5, -2.0) == 1200
    assert call("round", -1.005, 2.0) == -1.01
    assert "digits" in err("round", 1.0, 0.5)
    assert "digits" in err("round", 1.0, math.inf)


def test_min_max_sum():
    assert call("max", 1.0, 5.0, 3.0) == 5
    assert call("min", 1.0, 5.0, -3.0) == -3
    assert call("max", [4.0, 9.0, 2.0]) == 9
    assert call("min", 7.0) == 7
    assert math.isnan(call("max", 1.0, math.nan))
    assert err("max", []) == "math.max: needs at least one number."
    assert err("min", 1.0, "2") == "math.min: argument 2 must be a number, got string."
    assert err("min", [1.0, "2"]) == "math.min: element 2 must be a number, got string."
    assert call("sum", 0.1, 0.2, 0.3) == 0.6
    assert call("sum", []) == 0


def test_logs_and_exp():
    assert call("log", math.e) == 1
    assert call("log", 8.0, 2.0) == pytest.approx(3)
    assert call("log", 100.0, 10.0) == pytest.approx(2)
    assert call("log10", 1000.0) == 3
    assert call("log2", 1024.0) == 10
    assert call("exp", 0.0) == 1
    assert err("log", 0.0) == "math.log: argument must be positive, got 0."
    assert "base" in err("log", 8.0, 1.0)
    assert "base" in err("log", 8.0, -2.0)
    assert err("log10", -1.0) == "math.log10: argument must be positive, got -1."
    assert err("exp", 1000.0) == "math.exp: the result is too large."


def test_trig():
    assert call("sin", 0.0) == 0
    assert call("cos", 0.0) == 1
    assert call("tan", math.pi / 4) == pytest.approx(1)
    assert call("asin", 1.0) == math.pi / 2
    assert call("acos", 1.0) == 0
    assert call("atan", 1.0) == math.pi / 4
    assert call("atan2", 1.0, -1.0) == pytest.approx(3 * math.pi / 4)
    assert "between -1 and 1" in err("asin", 2.0)
    assert "between -1 and 1" in err("acos", -1.5)
    assert "finite" in err("sin", math.inf)
    assert call("sinh", 0.0) == 0 and call("cosh", 0.0) == 1 and call("tanh", 0.0) == 0
    assert call("degrees", math.pi) == 180
    assert call("radians", 180.0) == math.pi


def test_misc():
    assert call("hypot", 3.0, 4.0) == 5
    assert call("hypot", 2.0, 3.0, 6.0) == 7
    assert call("sign", -3.0) == -1 and call("sign", 0.0) == 0 and call("sign", 2.5) == 1
    assert call("clamp", 15.0, 0.0, 10.0) == 10
    assert call("clamp", -5.0, 0.0, 10.0) == 0
    assert call("clamp", 5.0, 0.0, 10.0) == 5
    assert "lower bound" in err("clamp", 1.0, 5.0, 0.0)
    assert call("fmod", -7.0, 3.0) == -1
    assert call("fmod", 7.5, 2.0) == 1.5
    assert err("fmod", 1.0, 0.0) == "math.fmod: modulo by zero."
    assert call("gcd", 12.0, 18.0) == 6
    assert call("lcm", 4.0, 6.0) == 12
    assert "integer" in err("gcd", 1.5, 2.0)
    assert call("factorial", 5.0) == 120
    assert call("factorial", 0.0) == 1
    assert "negative" in err("factorial", -1.0)
    assert "too large" in err("factorial", 171.0)
    assert call("is_nan", math.nan) is True and call("is_nan", 1.0) is False and call("is_nan", "x") is False
    assert call("is_finite", 1.0) is True and call("is_finite", math.inf) is False
    assert call("is_finite", "1") is False


def test_random_uses_the_random_modules_generator():
    from neutron.stdlib.random import module as rmod
    vm = FakeVM()
    rmod.functions["seed"].fn(vm, [42.0])
    a = [call("random", vm=vm) for _ in range(3)]
    rmod.functions["seed"].fn(vm, [42.0])
    b = [call("random", vm=vm) for _ in range(3)]
    assert a == b
    assert all(0 <= x < 1 for x in a)


# ---- the fast form of pure functions (called directly by compiled code) -----------------------------------------

from hypothesis import given, strategies as st  # noqa: E402

FAST = sorted(name for name, native in module.functions.items() if native.fast is not None)
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 3.0, 100.0, 709.0, 710.0, -710.0, 1e-320, 1e300, -1e300, 1e308,
           math.inf, -math.inf, math.nan, math.pi / 2, 1e16]


def same_as_native(name, x):
    native = module.functions[name]
    try:
        fast = native.fast(x)
    except (ValueError, OverflowError):
        with pytest.raises(NeutronError):       # where fast gives up, the native reports an error
            native.fn(None, [x])
        return
    slow = native.fn(None, [x])
    assert fast.__class__ is float
    assert (math.isnan(fast) and math.isnan(slow)) or (fast == slow and math.copysign(1, fast) == math.copysign(1, slow)), \
        (name, x, fast, slow)


def test_the_pure_functions_have_a_fast_form():
    assert {"sqrt", "sin", "cos", "abs", "exp"} <= set(FAST)


@pytest.mark.parametrize("name", FAST)
def test_fast_form_agrees_on_special_values(name):
    for x in SPECIAL:
        same_as_native(name, x)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_fast_form_agrees_on_any_float(x):
    for name in FAST:
        same_as_native(name, x)
