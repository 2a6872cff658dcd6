"""Built-in methods of strings and arrays, called directly (no VM). The callback methods (map, sort with a
comparator, ...) are Neutron code in runtime/prelude.nt; here only their helpers, their argument lists and the
fact that the prelude compiles are checked."""
import math

import pytest

from neutron.runtime import methods as B
from neutron.errors import NeutronError
from neutron.runtime.values import BoundMethod, Class, Function, Native


def S(s, name, *args):
    return B.call_string_method(None, s, name, list(args))


def A(a, name, *args):
    return B.call_array_method(None, a, name, list(args))


def s_err(s, name, *args):
    with pytest.raises(NeutronError) as e:
        S(s, name, *args)
    return e.value.message


def a_err(a, name, *args):
    with pytest.raises(NeutronError) as e:
        A(a, name, *args)
    return e.value.message


def F(*xs):
    return [float(x) for x in xs]


def is_float(v):
    return v.__class__ is float


# ---- tables --------------------------------------------------------------------------------------------------------

def test_tables_are_well_formed():
    for table in (B.STRING_METHODS, B.ARRAY_METHODS, B.PRELUDE_NATIVES):
        for name, (fn, lo, hi) in table.items():
            assert callable(fn), name
            assert isinstance(lo, int) and lo >= 0, name
            assert hi is None or (isinstance(hi, int) and hi >= lo), name
    for name, target in B.ARRAY_CALLBACK_METHODS.items():
        assert target.startswith("__") and f"fun {target}(" in B.prelude_source()
        assert name not in B.ARRAY_METHODS
        assert name in B.CALLBACK_ARITY
    assert "length" not in B.ARRAY_METHODS     # the reference: "Array does not have method 'length'."


def test_unknown_methods():
    assert s_err("x", "nope") == "String does not have method 'nope'."
    assert a_err([], "length") == "Array does not have method 'length'."
    assert a_err([], "map") == "Array does not have method 'map'."   # callbacks go through the prelude


def test_arity_messages():
    assert s_err("x", "contains") == "contains() expects 1 argument, got 0"
    assert s_err("x", "upper", 1.0) == "upper() expects 0 arguments, got 1"
    assert s_err("x", "substring") == "substring() received invalid arguments: expected 1 to 2 arguments, got 0"
    assert a_err([], "push") == "push() received invalid arguments: expected 1 arguments, got 0"
    assert a_err([], "insert", 0.0) == "insert() expects 2 arguments, got 1"


# ---- strings: basics -----------------------------------------------------------------------------------------------

def test_length_counts_code_points():
    assert S("héllo", "length") == 5.0 and is_float(S("", "length"))
    assert S("😀a", "length") == 2.0


def test_contains_includes():
    assert S("hello", "contains", "ll") is True
    assert S("hello", "contains", "") is True
    assert S("hello", "includes", "z") is False
    assert S("a1b", "contains", 1.0) is True            # numbers convert, as in the reference
    assert s_err("x", "contains", None) == "contains() substring must be a string, got nil"
    assert s_err("x", "includes", []) == "includes() substring must be a string, got array"


def test_split():
    assert S("a,b", "split", ",") == ["a", "b"]
    assert S("a,b,,c", "split", ",") == ["a", "b", "", "c"]
    assert S(",a,", "split", ",") == ["", "a", ""]
    assert S("", "split", ",") == [""]
    assert S("héllo", "split", "") == ["h", "é", "l", "l", "o"]
    assert S("", "split", "") == []
    assert S("a::b::c", "split", "::") == ["a", "b", "c"]
    assert S("a,b,c", "split", ",", 1.0) == ["a", "b,c"]
    assert S("a,b,c", "split", ",", 0.0) == ["a,b,c"]
    assert S("a,b,c", "split", ",", -1.0) == ["a", "b", "c"]
    assert S("abc", "split", "", 1.0) == ["a", "bc"]
    assert S("abc", "split", "", 5.0) == ["a", "b", "c"]
    assert S("  a \t b\n", "split") == ["a", "b"]
    assert S("a b c", "split", None, 1.0) == ["a", "b c"]
    assert S("1x2", "split", "x") == ["1", "2"]
    assert S("a1b", "split", 1.0) == ["a", "b"]
    assert s_err("x", "split", [1.0]) == "split() separator must be a string, got array"
    assert s_err("x", "split", ",", "2") == "split() limit must be a number, got string"


def test_substring():
    assert S("hello", "substring", 1.0, 4.0) == "ell"
    assert S("hello", "substring", 1.0) == "ello"
    assert S("hello", "substring", 4.0, 1.0) == "ell"      # swapped
    assert S("hello", "substring", -3.0, 2.0) == "he"      # clamped
    assert S("hello", "substring", 2.0, 99.0) == "llo"
    assert S("hello", "substring", 9.0) == ""
    assert S("héllo", "substring", 1.0, 2.0) == "é"
    assert S("hello", "substring", 1.5, 3.9) == "el"       # truncated
    assert S("hello", "substring", 1.0, math.inf) == "ello"
    assert S("hello", "substring", 1.0, None) == "ello"
    assert s_err("x", "substring", "1") == "substring() start must be a number, got string"
    assert s_err("x", "substring", 0.0, True) == "substring() end must be a number, got boolean"


def test_find_family():
    assert S("hello", "find", "ll") == 2.0 and is_float(S("hello", "find", "ll"))
    assert S("hello", "find", "z") == -1.0
    assert S("hello", "rfind", "l") == 3.0
    assert S("hello", "find", "l", 3.0) == 3.0
    assert S("hello", "find", "l", 0.0, 3.0) == 2.0
    assert S("hello", "find", "lo", 0.0, 4.0) == -1.0
    assert S("hello", "rfind", "l", 0.0, 3.0) == 2.0
    assert S("hello", "find", "h", -2.0) == 0.0            # negative positions count as 0
    assert S("hello", "find", "", 2.0) == 2.0
    assert S("héllo wörld", "find", "wö") == 6.0
    assert S("hello", "index", "ll") == 2.0
    assert S("hello", "rindex", "l") == 3.0
    assert s_err("hello", "index", "z") == "substring not found"
    assert s_err("hello", "rindex", "z") == "substring not found"
    assert s_err("hello", "index", "h", 1.0) == "substring not found"
    assert S("hello", "indexOf", "l") == 2.0
    assert S("hello", "lastIndexOf", "l") == 3.0
    assert S("hello", "indexOf", "l", 3.0) == 3.0


def test_count():
    assert S("banana", "count", "a") == 3.0
    assert S("aaaa", "count", "aa") == 2.0                 # non-overlapping
    assert S("banana", "count", "a", 2.0) == 2.0
    assert S("banana", "count", "x") == 0.0


def test_strip_family():
    assert S(" \t hello \n", "strip") == "hello"
    assert S("  hello  ", "lstrip") == "hello  "
    assert S("  hello  ", "rstrip") == "  hello"
    assert S("xxhixx", "strip", "x") == "hi"
    assert S("abchicba", "strip", "abc") == "hi"
    assert S("xxhi", "lstrip", "x") == "hi"
    assert S("hixx", "rstrip", "x") == "hi"
    assert S("\u3000hi\u00a0", "strip") == "hi"            # Unicode whitespace
    assert S("  hi ", "trim") == "hi"
    assert S("  hi ", "trimStart") == "hi "
    assert S("  hi ", "trimEnd") == "  hi"
    assert S("  hi ", "trimLeft") == "hi "
    assert S("  hi ", "trimRight") == "  hi"
    assert S("", "strip") == ""
    assert S("hi", "strip", "") == "hi"


def test_replace():
    assert S("hello", "replace", "l", "x") == "hexxo"
    assert S("hello", "replace", "l", "x", 1.0) == "hexlo"
    assert S("hello", "replace", "l", "x", -1.0) == "hexxo"
    assert S("hello", "replace", "l", "x", 0.0) == "hello"
    assert S("abc", "replace", "", "-") == "-a-b-c-"
    assert S("héllo", "replace", "é", "e") == "hello"
    assert S("a.b.c", "replaceAll", ".", "/") == "a/b/c"
    assert S("v1", "replace", 1.0, 2.0) == "v2"
    assert s_err("x", "replace", "x", None) == "replace() new must be a string, got nil"


def test_case_conversion():
    assert S("café", "upper") == "CAFÉ"
    assert S("RÉSUMÉ", "lower") == "résumé"
    assert S("naïve", "toUpperCase") == "NAÏVE"
    assert S("ZÜRICH", "toLowerCase") == "zürich"
    assert S("straße", "upper") == "STRASSE"
    assert S("hELLO wORLD", "capitalize") == "Hello world"
    assert S("hello world", "title") == "Hello World"
    assert S("  hello world  ", "title") == "  Hello World  "
    assert S("Hello", "swapcase") == "hELLO"
    assert S("Straße", "casefold") == "strasse"
    assert S("", "upper") == ""


def test_classification():
    assert S("abc123", "isalnum") is True
    assert S("Café123", "isalnum") is True
    assert S("abc", "isalpha") is True
    assert S("Café123", "isalpha") is False
    assert S("你好", "isalpha") is True
    assert S("123", "isdigit") is True
    assert S("12.3", "isdigit") is False
    assert S("hello", "islower") is True
    assert S("hello1", "islower") is True
    assert S("Hello", "islower") is False
    assert S("HELLO", "isupper") is True
    assert S("   \t\n", "isspace") is True
    assert S("Hello World", "istitle") is True
    assert S("Hello world", "istitle") is False
    assert S("café", "isunicode") is True
    assert S("cafe", "isunicode") is False
    for name in ("isalnum", "isalpha", "isdigit", "islower", "isupper", "isspace", "istitle", "isunicode"):
        assert S("", name) is False, name
    assert S("", "isEmpty") is True and S(" ", "isEmpty") is False


def test_slice_documented_examples():
    text = "hello world"
    assert S(text, "slice", 0.0, 5.0) == "hello"
    assert S(text, "slice", 6.0) == "world"
    assert S(text, "slice", 0.0, -6.0) == "hello"
    assert S(text, "slice", -1.0, -1.0, -1.0) == "dlrow olleh"
    # the reference documentation prints "hlowrl" here, which no slicing rule gives; every 2nd of [0, 10) is this
    assert S(text, "slice", 0.0, -1.0, 2.0) == "hlowr"
    assert S("hello", "slice", 1.0, 4.0, 1.0) == "ell"
    assert S("hello", "slice", 1.0, -1.0) == "ell"


def test_slice_rules():
    assert S("hello", "slice", -3.0) == "llo"
    assert S("hello", "slice", -99.0, 99.0) == "hello"
    assert S("hello", "slice", 3.0, 1.0) == ""
    assert S("hello", "slice", 0.0, 5.0, 2.0) == "hlo"
    assert S("hello", "slice", 4.0, 0.0, -1.0) == "olle"
    assert S("hello", "slice", -1.0, -6.0, -1.0) == "olleh"
    assert S("hello", "slice", -2.0, -1.0, -1.0) == "lleh"    # end -1 with a negative step: through the start
    assert S("hello", "slice", 99.0, -1.0, -2.0) == "olh"
    assert S("hello", "slice", None, None, -1.0) == "olleh"
    assert S("héllo", "slice", 1.0, 2.0) == "é"
    assert S("", "slice", 0.0) == ""
    assert s_err("hello", "slice", 0.0, 5.0, 0.0) == "slice() step cannot be zero"
    assert s_err("hello", "slice", "0") == "slice() start must be a number, got string"


def test_normalize():
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert S(decomposed, "normalize", "NFC") == composed
    assert S(composed, "normalize", "NFD") == decomposed
    assert S("\ufb01", "normalize", "NFKC") == "fi"
    assert S("\u2460", "normalize", "NFKD") == "1"
    assert S(decomposed, "normalize") == composed
    assert s_err("x", "normalize", "nfc") == "Normalize error: Invalid normalization form: nfc"
    assert s_err("x", "normalize", "XYZ") == "Normalize error: Invalid normalization form: XYZ"


def test_encode():
    assert S("hello", "encode", "utf-8") == "hello"
    assert S("Hello, 世界!", "encode", "UTF-16") == "Hello, 世界!"
    assert S("café", "encode", "latin-1") == "café"
    assert S("abc", "encode") == "abc"
    assert S("abc", "encode", "ascii") == "abc"
    assert s_err("café", "encode", "ascii").startswith("Encode error: ")
    assert "é" in s_err("café", "encode", "ascii")
    assert s_err("世", "encode", "latin-1").startswith("Encode error: ")
    assert s_err("x", "encode", "ebcdic") == "Encode error: Unsupported encoding: ebcdic"


def test_starts_ends():
    assert S("hello", "startsWith", "he") is True
    assert S("hello", "startsWith", "lo") is False
    assert S("hello", "endsWith", "lo") is True
    assert S("hello", "starts_with", "") is True
    assert S("hello", "ends_with", "x") is False


def test_repeat_and_pad():
    assert S("ab", "repeat", 3.0) == "ababab"
    assert S("ab", "repeat", 0.0) == "" and S("ab", "repeat", -2.0) == ""
    assert S("ab", "repeat", 2.9) == "abab"
    assert s_err("ab", "repeat", 1e12).startswith("repeat() result is too long")
    assert S("5", "padStart", 3.0, "0") == "005"
    assert S("5", "padStart", 3.0) == "  5"
    assert S("abc", "padStart", 8.0, "12") == "12121abc"
    assert S("abc", "padEnd", 6.0, "xy") == "abcxyx"
    assert S("abc", "padStart", 2.0) == "abc"
    assert S("abc", "padEnd", 10.0, "") == "abc"
    assert S("é", "padLeft", 3.0, "*") == "**é"
    assert S("é", "padRight", 3.0, "*") == "é**"


def test_char_access():
    assert S("héllo", "charAt", 1.0) == "é"
    assert S("hello", "charAt", -1.0) == "o"
    assert S("hello", "charAt", 9.0) == ""
    assert S("hello", "charAt") == "h"
    assert S("A", "charCodeAt", 0.0) == 65.0 and is_float(S("A", "charCodeAt", 0.0))
    assert S("😀", "codePointAt", 0.0) == float(0x1F600)
    assert S("é", "charCodeAt") == 233.0
    assert S("a", "codePointAt", 5.0) is None


def test_reverse_lines():
    assert S("héllo", "reverse") == "olléh"
    assert S("", "reverse") == ""
    assert S("a\nb\r\nc\rd", "lines") == ["a", "b", "c", "d"]
    assert S("a\n\nb\n", "lines") == ["a", "", "b"]
    assert S("", "lines") == []


# ---- strings: format -----------------------------------------------------------------------------------------------

def test_format_positional_and_auto():
    assert S("Hello {0}, you are {1} years old!", "format", "Alice", 30.0) == "Hello Alice, you are 30 years old!"
    assert S("{0} + {0} = {1}", "format", 5.0, 10.0) == "5 + 5 = 10"
    assert S("{} and {}", "format", "a", "b") == "a and b"
    assert S("{{}} {{0}} }}", "format") == "{} {0} }"
    assert S("lone } stays", "format") == "lone } stays"
    assert S("no fields", "format", 1.0) == "no fields"
    assert S("{} {} {}", "format", None, True, [1.0, "a"]) == "nil true [1, a]"
    assert S("{0}", "format", 0.1 + 0.2) == "0.3"
    assert S("{0}", "format", 1e20) == "1e+20"
    assert S("{name} is {age}", "format", {"name": "Bob", "age": 3.0}) == "Bob is 3"
    assert S("é{0}é", "format", "ü") == "éüé"


def test_format_errors():
    assert s_err("{1}", "format", "a") == "Format error: Format argument index out of range"
    assert s_err("{} {}", "format", "a") == "Format error: Format argument index out of range"
    assert s_err("{", "format", "a") == "Format error: Unmatched '{' in format string"
    assert s_err("{nope}", "format", "a") == "Format error: Unknown format field 'nope'"
    assert s_err("{0:d}", "format", "x") == "Format error: Unknown format code 'd' for a string"
    assert s_err("{0:q}", "format", 1.0) == "Format error: Unknown format code 'q' for a number"
    assert s_err("{0:d}", "format", math.inf) == "Format error: Cannot format inf as an integer"
    assert s_err("{0:999999999}", "format", 1.0).startswith("Format error: ")
    assert s_err("{0:{1}}", "format", 1.0, 2.0).startswith("Format error: ")
    assert s_err("{0:=5}", "format", "x").startswith("Format error: ")


def test_format_specs():
    assert S("{0:.2f}", "format", 3.14159) == "3.14"
    assert S("Price: ${0:.2f}", "format", 29.99) == "Price: $29.99"
    assert S("{0:>10}", "format", "hi") == "        hi"
    assert S("{0:0>5}", "format", 42.0) == "00042"
    assert S("{:<10}|", "format", "ab") == "ab        |"
    assert S("{:^7}|", "format", "ab") == "  ab   |"
    assert S("{:*^7}", "format", 5.0) == "***5***"
    assert S("{0:<10} {1:>8} {2:>10}", "format", "Name", "Age", "Salary") == "Name            Age     Salary"
    assert S("{:d}", "format", 3.7) == "3"
    assert S("{:d}", "format", -3.7) == "-3"
    assert S("{:05d}", "format", 42.0) == "00042"
    assert S("{:+d}", "format", 5.0) == "+5"
    assert S("{:+}", "format", 2.5) == "+2.5"
    assert S("{:x} {:X} {:o} {:b}", "format", 255.0, 255.0, 8.0, 5.0) == "ff FF 10 101"
    assert S("{:e}", "format", 12345.678) == "1.234568e+04"
    assert S("{:.1%}", "format", 0.256) == "25.6%"
    assert S("{:,}", "format", 1234567.0) == "1,234,567"
    assert S("{:.3}", "format", 3.14159) == "3.14"
    assert S("{:>5}", "format", 3.0) == "    3"
    assert S("{:f}", "format", 3.0) == "3.000000"
    assert S("{:s}", "format", 3.0) == "3"
    assert S("{:>6}", "format", True) == "  true"
    assert S("{:>4}", "format", None) == " nil"


# ---- arrays --------------------------------------------------------------------------------------------------------

def test_push_pop_shift_unshift():
    a = []
    assert A(a, "push", 1.0) is None
    assert A(a, "push", 2.0, 3.0) is None and a == F(1, 2, 3)
    assert A(a, "pop") == 3.0 and a == F(1, 2)
    assert A(a, "shift") == 1.0 and a == F(2)
    assert A(a, "unshift", 0.0, 1.0) is None and a == F(0, 1, 2)
    assert a_err([], "pop") == "Cannot pop from empty array"
    assert a_err([], "shift") == "Cannot shift from empty array"


def test_insert_remove():
    a = F(1, 2, 3)
    assert A(a, "insert", 0.0, "x") is None and a == ["x", 1.0, 2.0, 3.0]
    A(a, "insert", 4.0, "end")
    assert a[-1] == "end"
    A(a, "insert", -1.0, "y")
    assert a == ["x", 1.0, 2.0, 3.0, "y", "end"]
    assert a_err([1.0], "insert", 3.0, 0.0) == "insert() index 3 is out of bounds for an array of length 1"
    b = [1.0, "a", 1.0]
    assert A(b, "remove", 1.0) is True and b == ["a", 1.0]
    assert A(b, "remove", "zz") is False
    assert A([[1.0]], "remove", [1.0]) is True
    c = F(1, 2, 3)
    assert A(c, "removeAt", 1.0) == 2.0 and c == F(1, 3)
    assert A(c, "removeAt", -1.0) == 3.0 and c == F(1)
    assert a_err(c, "removeAt", 5.0) == "removeAt() index 5 is out of bounds for an array of length 1"
    assert a_err(c, "removeAt", "0") == "removeAt() index must be a number, got string"


def test_slice():
    a = F(1, 2, 3, 4, 5)
    assert A(a, "slice", 1.0, 3.0) == F(2, 3)
    assert A(a, "slice", 2.0) == F(3, 4, 5)
    assert A(a, "slice", -2.0) == F(4, 5)
    assert A(a, "slice", 1.0, -1.0) == F(2, 3, 4)
    assert A(a, "slice", -99.0, 99.0) == a and A(a, "slice", 0.0) is not a
    assert A(a, "slice", 3.0, 1.0) == []
    assert a_err(a, "slice", "1") == "slice() start must be a number, got string"


def test_search():
    a = [1.0, "1", [2.0], None, 1.0]
    assert A(a, "indexOf", 1.0) == 0.0 and is_float(A(a, "indexOf", 1.0))
    assert A(a, "indexOf", "1") == 1.0
    assert A(a, "indexOf", [2.0]) == 2.0
    assert A(a, "indexOf", None) == 3.0
    assert A(a, "indexOf", 7.0) == -1.0
    assert A(a, "lastIndexOf", 1.0) == 4.0
    assert A(a, "lastIndexOf", 7.0) == -1.0
    assert A(a, "includes", "1") is True
    assert A(a, "contains", False) is False
    assert A([{"k": 1.0}], "includes", {"k": 1.0}) is True


def test_join():
    assert A(F(1, 2, 3), "join") == "1,2,3"
    assert A(F(1, 2, 3), "join", ", ") == "1, 2, 3"
    assert A([1.5, "a", None, True, [1.0, "b"]], "join", "|") == "1.5|a|nil|true|[1, b]"
    assert A([], "join", "-") == ""
    assert A(F(1, 2), "join", 0.0) == "102"


def test_reverse_and_default_sort():
    a = F(1, 2, 3)
    assert A(a, "reverse") is None and a == F(3, 2, 1)
    b = [3.0, "b", 1.0, "a", "B", -2.5, "é"]
    assert B.sort_default(b) is b
    assert b == [-2.5, 1.0, 3.0, "B", "a", "b", "é"]
    nan = [2.0, float("nan"), 1.0]
    B.sort_default(nan)
    assert nan[:2] == F(1, 2) and nan[2] != nan[2]
    bad = [2.0, None, 1.0]
    with pytest.raises(NeutronError) as e:
        B.sort_default(bad)
    assert e.value.message == "sort() can only compare numbers and strings, got nil; pass a comparator"
    assert bad == [2.0, None, 1.0]      # left untouched


def test_concat_copy_clear_fill():
    a = F(1, 2)
    c = A(a, "concat", F(3), 4.0, [[5.0]])
    assert c == [1.0, 2.0, 3.0, 4.0, [5.0]] and a == F(1, 2)
    assert A(a, "concat") == a and A(a, "concat") is not a
    assert A(a, "copy") == a and A(a, "copy") is not a
    nested = [[1.0]]
    assert A(nested, "clone")[0] is nested[0]            # shallow
    assert A(a, "clear") is None and a == []
    f = F(1, 2, 3, 4)
    assert A(f, "fill", 0.0) is f and f == F(0, 0, 0, 0)
    assert A(F(1, 2, 3, 4), "fill", 9.0, 1.0, 3.0) == F(1, 9, 9, 4)
    assert A(F(1, 2, 3, 4), "fill", 9.0, -2.0) == F(1, 2, 9, 9)


def test_first_last_at_is_empty():
    assert A(F(1, 2), "first") == 1.0 and A(F(1, 2), "last") == 2.0
    assert A([], "first") is None and A([], "last") is None
    assert A(F(1, 2, 3), "at", -1.0) == 3.0
    assert A(F(1, 2, 3), "at", 3.0) is None
    assert A([], "isEmpty") is True and A([None], "isEmpty") is False


def test_flat_unique():
    assert A([1.0, [2.0, [3.0, [4.0]]]], "flat") == [1.0, 2.0, [3.0, [4.0]]]
    assert A([1.0, [2.0, [3.0, [4.0]]]], "flat", 2.0) == [1.0, 2.0, 3.0, [4.0]]
    assert A([1.0, [2.0, [3.0, [4.0]]]], "flat", math.inf) == F(1, 2, 3, 4)
    assert A([[1.0]], "flat", 0.0) == [[1.0]]
    deep = [1.0]
    for _ in range(5000):
        deep = [deep]
    assert A(deep, "flat", math.inf) == F(1)
    cyclic = [1.0]
    cyclic.append(cyclic)
    with pytest.raises(NeutronError) as e:
        A(cyclic, "flat", math.inf)
    assert e.value.message == "flat() cannot flatten an array that contains itself"
    assert A(cyclic, "flat") == [1.0, 1.0, cyclic]          # one level is fine
    assert len(A(cyclic, "flat", 50.0)) == 52               # a finite depth ends
    shared = [2.0]
    assert A([shared, shared], "flat", math.inf) == F(2, 2)   # the same array twice is not a cycle
    assert A([1.0, "1", 1.0, None, None, [1.0], [1.0], True, True], "unique") == [1.0, "1", None, [1.0], True]


def test_min_max_sum():
    assert A(F(3, 1, 2), "min") == 1.0 and A(F(3, 1, 2), "max") == 3.0
    assert A([], "min") is None and A([], "max") is None
    assert A(F(1, 2, 3.5), "sum") == 6.5 and is_float(A([], "sum")) and A([], "sum") == 0.0
    assert a_err([1.0, "2"], "sum") == "sum() needs an array of numbers, found string"
    assert a_err([True], "max") == "max() needs an array of numbers, found boolean"


# ---- callback methods: argument lists and helpers -------------------------------------------------------------------

def test_callback_args():
    f = object()
    arr = [1.0]
    assert B.callback_args("map", arr, [f]) == [arr, f]
    assert B.callback_args("sort", arr, []) == [arr, None]
    assert B.callback_args("sort", arr, [f]) == [arr, f]
    assert B.callback_args("reduce", arr, [f]) == [arr, f, None, False]
    assert B.callback_args("reduce", arr, [f, None]) == [arr, f, None, True]
    assert B.callback_args("reduce", arr, [f, 0.0]) == [arr, f, 0.0, True]
    with pytest.raises(NeutronError) as e:
        B.callback_args("map", arr, [])
    assert e.value.message == "map() expects 1 argument, got 0"
    with pytest.raises(NeutronError):
        B.callback_args("reduce", arr, [f, 1.0, 2.0])


def _prelude_native(name, *args):
    fn, lo, hi = B.PRELUDE_NATIVES[name]
    assert lo <= len(args) and (hi is None or len(args) <= hi)
    return fn(None, list(args))


def test_callback_arity_helper():
    from neutron.bytecode.code import Code
    code = Code("f", "<test>")
    code.params = ["a", "b"]
    f = Function(code, (), {})
    assert _prelude_native("__callback_arity", f, "map") == 2.0
    assert _prelude_native("__callback_arity", Native("fmt.x", None, 1, 2), "map") == 1.0
    assert _prelude_native("__callback_arity", BoundMethod("abc", "contains"), "filter") == 1.0
    assert _prelude_native("__callback_arity", BoundMethod([], "push"), "forEach") == 1.0
    assert _prelude_native("__callback_arity", BoundMethod(object(), f), "map") == 2.0
    assert _prelude_native("__callback_arity", Class("P", {}, []), "map") == 0.0
    assert _prelude_native("__callback_arity", Class("P", {"initialize": f}, []), "map") == 2.0
    for bad, kind in ((5.0, "number"), (None, "nil"), ("f", "string")):
        with pytest.raises(NeutronError) as e:
            _prelude_native("__callback_arity", bad, "map")
        assert e.value.message == f"map() expects a function, got {kind}"


def test_prelude_natives():
    assert _prelude_native("__before", -1.0) is True
    assert _prelude_native("__before", 0.0) is False
    assert _prelude_native("__before", 2.0) is False
    assert _prelude_native("__before", True) is True
    with pytest.raises(NeutronError) as e:
        _prelude_native("__before", "x")
    assert e.value.message == "sort() comparator must return a number or a boolean, got string."
    a = F(2, 1)
    c = _prelude_native("__copy", a)
    assert c == a and c is not a
    assert _prelude_native("__replace", a, F(7)) is a and a == F(7)
    out = []
    _prelude_native("__extend", out, F(1, 2))
    _prelude_native("__extend", out, 3.0)
    assert out == F(1, 2, 3)
    s = ["b", 1.0]
    assert _prelude_native("__sort_default", s) is s and s == [1.0, "b"]
    with pytest.raises(NeutronError) as e:
        _prelude_native("__error", "reduce of empty array with no initial value")
    assert e.value.message == "reduce of empty array with no initial value"


def test_prelude_parses_and_defines_every_function():
    from neutron.frontend import parser
    program = parser.parse(B.prelude_source(), "<prelude>")
    decls = {s.name: len(s.params) for s in program.body}
    for name, target in B.ARRAY_CALLBACK_METHODS.items():
        lo, hi = B.CALLBACK_ARITY[name]
        extra = 1 if name == "reduce" else 0        # reduce's has-initial-value flag
        assert decls[target] == 1 + hi + extra, name


def test_prelude_compiles():
    from neutron import loader
    loader.compile_source(B.prelude_source(), "<prelude>")



def test_number_text_table_is_bounded_and_keeps_no_zero():
    from neutron.runtime import values as V
    for i in range(-3, 3 * V.NUMBER_TEXT_MAX):
        assert V.format_number(float(i)) == str(i)
    assert len(V.NUMBER_TEXT) <= V.NUMBER_TEXT_MAX
    assert 0.0 not in V.NUMBER_TEXT
    assert V.format_number(-0.0) == "-0" and V.format_number(0.0) == "0"
    assert V.format_number(2.5) == "2.5" and 2.5 not in V.NUMBER_TEXT
    assert V.format_number(3.0 * V.NUMBER_TEXT_MAX) == str(3 * V.NUMBER_TEXT_MAX)
