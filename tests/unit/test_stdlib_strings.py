"""strings module: natives called directly."""
import pytest

from neutron.errors import NeutronError
from neutron.stdlib.strings import module
from natives_harness import FakeVM


def call(name, *args):
    native = module.functions[name]
    assert native.min_args <= len(args) and (native.max_args is None or len(args) <= native.max_args)
    result = native.fn(FakeVM(), list(args))
    assert result.__class__ is not int
    return result


def err(name, *args):
    with pytest.raises(NeutronError) as e:
        call(name, *args)
    return e.value.message


def test_length_reverse_case_trim():
    assert call("length", "héllo") == 5.0
    assert call("length", "😀") == 1.0
    assert call("reverse", "héllo😀") == "😀olléh"
    assert call("upper", "straße é") == "STRASSE É"
    assert call("lower", "ÉCOLE") == "école"
    assert call("trim", " \t\r\n x y \n") == "x y"
    assert call("trim_left", "  x  ") == "x  "
    assert call("trim_right", "  x  ") == "  x"
    assert call("trim", "\u00a0x") == "\u00a0x"       # only space, tab, CR, LF
    assert err("length", 5.0) == "strings.length: argument 1 must be a string, got number."


def test_split_join():
    assert call("split", "a b  c") == ["a", "b", "", "c"]
    assert call("split", "a,b,,c", ",") == ["a", "b", "", "c"]
    assert call("split", "héllo", "") == ["h", "é", "l", "l", "o"]
    assert call("split", "", ",") == [""]
    assert call("split", "a--b", "--") == ["a", "b"]
    assert call("join", ["a", "b", "c"]) == "abc"
    assert call("join", ["a", 1.0, None], "-") == "a-1-nil"
    assert err("join", "abc") == "strings.join: argument 1 must be an array, got string."


def test_replace_and_search():
    assert call("replace", "a-b-c", "-", "+") == "a+b+c"
    assert call("replace", "abc", "", "-") == "-a-b-c-"
    assert call("replace_first", "a-b-c", "-", "+") == "a+b-c"
    assert call("contains", "hello", "ell") is True and call("contains", "hello", "xyz") is False
    assert call("contains", "hello", "") is True
    assert call("starts_with", "hello", "he") is True and call("ends_with", "hello", "lo") is True
    assert call("starts_with", "hello", "lo") is False
    assert call("index_of", "hello", "l") == 2.0
    assert call("index_of", "hello", "l", 3.0) == 3.0
    assert call("index_of", "hello", "l", -5.0) == 2.0
    assert call("index_of", "hello", "z") == -1.0
    assert call("index_of", "hello", "", 10.0) == -1.0
    assert call("index_of", "héllo", "l") == 2.0
    assert call("last_index_of", "hello", "l") == 3.0 and call("last_index_of", "hello", "z") == -1.0
    assert call("count", "banana", "an") == 2.0
    assert call("count", "aaaa", "aa") == 2.0
    assert call("count", "abc", "") == 0.0


def test_substring_repeat():
    assert call("substring", "hello", 1.0, 3.0) == "el"
    assert call("substring", "hello", 2.0) == "llo"
    assert call("substring", "hello", 3.0, 1.0) == ""
    assert call("substring", "hello", -2.0, 100.0) == "hello"
    assert call("substring", "héllo", 1.0, 2.0) == "é"
    assert call("repeat", "ab", 3.0) == "ababab"
    assert call("repeat", "ab", 0.0) == ""
    assert "negative" in err("repeat", "ab", -1.0)
    assert "too long" in err("repeat", "ab", 1e12)


def test_characters():
    assert call("char_at", "héllo", 1.0) == "é"
    assert err("char_at", "abc", 3.0) == "strings.char_at: index out of bounds."
    assert err("char_at", "abc", -1.0) == "strings.char_at: index out of bounds."
    assert call("char_code", "A") == 65.0
    assert call("char_code", "h😀", 1.0) == 128512.0
    assert err("char_code", "") == "strings.char_code: index out of bounds."
    assert call("from_char_code", 65.0) == "A"
    assert call("from_char_code", 233.0) == "é"
    assert call("from_char_code", 128512.0) == "😀"
    assert "not a valid character code" in err("from_char_code", -1.0)
    assert "not a valid character code" in err("from_char_code", 0xD800)
    assert "not a valid character code" in err("from_char_code", 1.5)
    assert "not a valid character code" in err("from_char_code", float("inf"))
    assert call("chars", "hé") == ["h", "é"]


def test_classification():
    assert call("is_empty", "") is True and call("is_empty", " ") is False
    assert call("is_alpha", "héllo") is True and call("is_alpha", "abc1") is False and call("is_alpha", "") is False
    assert call("is_digit", "0123") is True and call("is_digit", "12a") is False and call("is_digit", "") is False
    assert call("is_digit", "²") is False
    assert call("is_alnum", "abc123") is True and call("is_alnum", "a b") is False and call("is_alnum", "") is False
    assert call("is_space", " \t\n") is True and call("is_space", "") is False
