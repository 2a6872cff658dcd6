"""fmt module: natives called directly."""
import math
from neutron.stdlib.fmt import module
from neutron.runtime.values import BoundMethod, Buffer, Class, Function, Instance, Module, Native

from natives_harness import callers

call, err = callers(module)


def fn():
    f = Function.__new__(Function)
    f.name = "f"
    return f


def test_to_int():
    for v, want in [(42.7, 42), (-42.7, -42), ("123", 123), ("  -3.9 ", -3), ("12px", 12), ("1e3", 1000),
                    ("", 0), (True, 1), (False, 0), (None, 0), (".5", 0)]:
        got = call("to_int", v)
        assert got == want and got.__class__ is float, v
    assert err("to_int", "abc") == "Cannot convert string 'abc' to integer: invalid format."
    assert err("to_int", [1.0]) == "fmt.to_int: cannot convert array to an integer."
    assert err("to_int", {}) == "fmt.to_int: cannot convert object to an integer."
    assert "inf" in err("to_int", "inf")


def test_to_float():
    assert call("to_float", 42.0) == 42
    assert call("to_float", "3.14") == 3.14
    assert call("to_float", " -2.5e-1x") == -0.25
    assert call("to_float", True) == 1 and call("to_float", None) == 0
    assert call("to_float", "inf") == math.inf
    assert err("to_float", "x1") == "Cannot convert string 'x1' to float: invalid format."
    assert err("to_float", fn()) == "fmt.to_float: cannot convert function to a number."


def test_to_str():
    assert call("to_str", 42.0) == "42"
    assert call("to_str", 2.5) == "2.5"
    assert call("to_str", 1 / 3) == "0.333333333333333"
    assert call("to_str", "hello") == "hello"
    assert call("to_str", True) == "true" and call("to_str", None) == "nil"
    assert err("to_str", [1.0]) == "fmt.to_str: cannot convert array to a string."
    assert err("to_str", Module("m", {})) == "fmt.to_str: cannot convert module to a string."


def test_bases():
    assert call("to_bin", 10.0) == "1010"
    assert call("to_bin", "5") == "101"
    assert call("to_bin", True) == "1" and call("to_bin", None) == "0" and call("to_bin", 0.0) == "0"
    assert call("to_bin", 10.9) == "1010"
    assert call("to_bin", -1.0) == "1" * 32
    assert call("to_bin", -5.0) == "11111111111111111111111111111011"
    assert call("to_hex", 255.0) == "ff" and call("to_hex", "4096") == "1000"
    assert call("to_oct", 8.0) == "10" and call("to_oct", 420.0) == "644"
    assert "negative" in err("to_hex", -1.0)
    assert "negative" in err("to_oct", -8.0)
    assert err("to_bin", [1.0]) == "fmt.to_bin: cannot convert array to an integer."


def test_to_fixed():
    assert call("to_fixed", 3.14159, 2.0) == "3.14"
    assert call("to_fixed", 2.675, 2.0) == "2.68"
    assert call("to_fixed", 2.0, 3.0) == "2.000"
    assert call("to_fixed", -1.5, 0.0) == "-2"
    assert call("to_fixed", math.inf, 2.0) == "inf"
    assert "digits" in err("to_fixed", 1.0, -1.0)


def test_type():
    k = Class("K", {}, [])
    cases = [(None, "nil"), (True, "bool"), (1.0, "number"), ("s", "string"), ([], "array"), ({}, "object"),
             (fn(), "function"), (Native("x.y", None), "function"), (BoundMethod([], "push"), "function"),
             (Module("m", {}), "module"), (k, "unknown"), (Instance(k), "unknown"),
             (Buffer(bytearray(1)), "unknown")]
    for v, want in cases:
        assert call("type", v) == want


def test_predicates():
    assert call("is_int", 3.0) is True and call("is_int", 3.5) is False and call("is_int", "3") is False
    assert call("is_int", math.inf) is False
    assert call("is_float", 3.0) is True and call("is_float", 3.5) is True and call("is_float", True) is False
    assert call("is_string", "") is True and call("is_string", 1.0) is False
    assert call("is_bool", False) is True and call("is_bool", 0.0) is False
    assert call("is_nil", None) is True and call("is_nil", False) is False
    assert call("is_array", []) is True and call("is_array", {}) is False
    assert call("is_object", {}) is True and call("is_object", []) is False
    k = Class("K", {}, [])
    for v in (fn(), Native("a.b", None), BoundMethod("s", "upper"), k):
        assert call("is_callable", v) is True
    for v in (Instance(k), "f", None, Module("m", {})):
        assert call("is_callable", v) is False


def test_padding():
    assert call("pad_left", "5", 3.0, "0") == "005"
    assert call("pad_left", 5.0, 3.0, "0") == "005"
    assert call("pad_left", "abc", 6.0) == "   abc"
    assert call("pad_right", "abc", 6.0, ".") == "abc..."
    assert call("pad_left", "abcdef", 3.0) == "abcdef"
    assert call("pad_left", "x", 4.0, "ab") == "ababx"       # the pad is repeated whole
    assert call("pad_right", "x", 4.0, "ab") == "xabab"
    assert call("pad_left", "é", 3.0) == "  é"
    assert call("pad_left", True, 5.0) == " true"
    assert "empty" in err("pad_left", "x", 3.0, "")
    assert err("pad_left", [1.0], 3.0) == "fmt.pad_left: argument 1 must be a string, got array."
    assert err("pad_right", "x", "3") == "fmt.pad_right: argument 2 (width) must be a number, got string."
