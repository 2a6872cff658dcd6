"""regex module: natives called directly."""
import pytest

from neutron.errors import NeutronError
from neutron.stdlib.regex import module
from natives_harness import callers


call, _ = callers(module)


def test_registered_names_and_arities():
    expected = {"test": 2, "search": 2, "find": 2, "findAll": 2, "replace": 3, "split": 2, "isValid": 1, "escape": 1}
    for name, arity in expected.items():
        f = module.functions[name]
        assert (f.min_args, f.max_args) == (arity, arity)
        assert f.qualname == "regex." + name


def test_test_is_a_full_match():
    assert call("test", "hello", "hello") is True
    assert call("test", "12345", r"\d+") is True
    assert call("test", "hello world", "hello") is False
    assert call("test", "", "") is True
    assert call("test", "hello@example.com", r"\w+@\w+\.\w+") is True


def test_search_is_partial():
    assert call("search", "The quick brown fox", "quick") is True
    assert call("search", "The quick brown fox", r"\bfox\b") is True
    assert call("search", "The quick brown fox", "slow") is False


def test_find_returns_match_details():
    r = call("find", "Email: test@example.com", r"[a-z]+@[a-z]+\.[a-z]+")
    assert r == {"matched": "test@example.com", "position": 7.0, "length": 16.0, "groups": ["test@example.com"]}
    r = call("find", "Date: 2025-12-01", r"(\d+)-(\d+)-(\d+)")
    assert r["groups"] == ["2025-12-01", "2025", "12", "01"]
    assert all(type(r[k]) is float for k in ("position", "length"))
    assert call("find", "abc", "z") is None


def test_find_positions_count_code_points():
    r = call("find", "héllo wörld 😀 x", "x")
    assert r["position"] == 14.0
    r = call("find", "😀😀ab", "a(b)")
    assert (r["position"], r["length"]) == (2.0, 2.0)


def test_find_unmatched_group_is_empty_string_and_named_groups():
    r = call("find", "ab", "(a)(z)?b")
    assert r["groups"] == ["ab", "a", ""]
    assert "named" not in r
    r = call("find", "2025-12", r"(?<year>\d{4})-(?<month>\d\d)")
    assert r["named"] == {"year": "2025", "month": "12"}
    assert r["groups"] == ["2025-12", "2025", "12"]


def test_named_backreference():
    assert call("test", "abab", r"(?<x>ab)\k<x>") is True
    assert call("test", "abba", r"(?<x>ab)\k<x>") is False


def test_findall():
    found = call("findAll", "Phone: 123-456-7890, Fax: 098-765-4321", r"\d{3}-\d{3}-\d{4}")
    assert [m["matched"] for m in found] == ["123-456-7890", "098-765-4321"]
    assert [m["position"] for m in found] == [7.0, 26.0]
    assert call("findAll", "abc", r"\d") == []
    # empty matches do not loop forever
    assert [m["position"] for m in call("findAll", "ab", "x*")] == [0.0, 1.0, 2.0]


def test_replace_all_with_references():
    assert call("replace", "Hello World", "World", "Neutron") == "Hello Neutron"
    assert call("replace", "1-2-3-4-5", "-", ", ") == "1, 2, 3, 4, 5"
    assert call("replace", "1234567890", r"(\d{3})(\d{3})(\d{4})", "($1) $2-$3") == "(123) 456-7890"
    assert call("replace", "abc", "b", "[$&]") == "a[b]c"
    assert call("replace", "abc", "b", "[$`|$']") == "a[a|c]c"
    assert call("replace", "abc", "b", "$$") == "a$c"
    assert call("replace", "abc", "b", "$0") == "abc"
    assert call("replace", "abc", "(b)", "$2") == "a$2c"           # no group 2: literal
    assert call("replace", "abc", "(b)", "$11") == "ab1c"          # group 1 then "1"
    assert call("replace", "abc", "b", "$") == "a$c"
    assert call("replace", "abc", "(?<m>b)", "<$<m>>") == "a<b>c"
    assert call("replace", "abc", "(b)", "$<m>") == "a$<m>c"       # no named groups: literal
    assert call("replace", "ab", "(a)(z)?", "[$2]") == "[]b"
    # Python's own syntax is not special
    assert call("replace", "abc", "(b)", r"\1\g<1>") == r"a\1\g<1>c"


def test_replace_zero_width():
    assert call("replace", "abc", "", "-") == "-a-b-c-"
    assert call("replace", "aaa", "a*", "X") == "XX"


def test_split():
    assert call("split", "apple,banana;orange|grape", "[,;|]") == ["apple", "banana", "orange", "grape"]
    assert call("split", "The   quick  brown   fox", r"\s+") == ["The", "quick", "brown", "fox"]
    assert call("split", "a,b,,c,", ",") == ["a", "b", "", "c", ""]
    assert call("split", "abc", "") == ["a", "b", "c"]
    assert call("split", "", ",") == [""]
    assert call("split", "", "") == []
    assert call("split", "a1b2c", r"(\d)") == ["a", "b", "c"]       # groups are not included
    assert call("split", "abc", "x") == ["abc"]


def test_is_valid():
    assert call("isValid", r"\d+") is True
    assert call("isValid", "[invalid") is False
    assert call("isValid", "(") is False
    assert call("isValid", "a{2,1}") is False


def test_escape():
    assert call("escape", "a.b*c?d+e") == r"a\.b\*c\?d\+e"
    assert call("escape", r"\^$.|?*+()[]{}") == r"\\\^\$\.\|\?\*\+\(\)\[\]\{\}"
    text = "The price is $5.00 (approx)"
    assert call("search", text, call("escape", "$5.00 (approx)")) is True
    assert call("test", "a.b", call("escape", "a.b")) is True
    assert call("test", "axb", call("escape", "a.b")) is False


def test_invalid_pattern_errors_give_the_reason_position_and_pattern():
    with pytest.raises(NeutronError) as e:
        call("test", "a", "(")
    assert str(e.value) == "Invalid regex pattern: missing ), unterminated subpattern at position 0 in '('."
    with pytest.raises(NeutronError) as e:
        call("find", "a", "ab[")
    assert str(e.value) == "Invalid regex pattern: unterminated character set at position 2 in 'ab['."
    # positions refer to the pattern as written, not to its translation
    with pytest.raises(NeutronError) as e:
        call("search", "a", r"\s.\d)")
    assert str(e.value).endswith("at position 5 in '\\s.\\d)'.")
    for name, args in (("search", ("a", "*")), ("findAll", ("a", "(")), ("replace", ("a", "(", "")),
                       ("split", ("a", "["))):
        with pytest.raises(NeutronError, match="^Invalid regex pattern: "):
            call(name, *args)


def test_argument_type_errors():
    with pytest.raises(NeutronError, match=r"^regex.test: argument 1 \(text\) must be a string, got number"):
        call("test", 1.0, "a")
    with pytest.raises(NeutronError, match=r"^regex.find: argument 2 \(pattern\) must be a string, got nil"):
        call("find", "a", None)
    with pytest.raises(NeutronError, match=r"argument 3 \(replacement\) must be a string"):
        call("replace", "a", "a", 1.0)
    with pytest.raises(NeutronError, match=r"^regex.escape: argument 1"):
        call("escape", [])
    with pytest.raises(NeutronError, match=r"^regex.isValid: argument 1"):
        call("isValid", True)


def test_ecmascript_classes_are_ascii_for_digits_and_words():
    assert call("test", "٣", r"\d") is False          # Arabic-Indic digit
    assert call("test", "é", r"\w") is False
    assert call("test", "é", r"\W") is True
    assert call("search", "é", r"\b") is False
    assert call("test", "\u00a0", r"\s") is True       # ECMAScript \s includes Unicode spaces
    assert call("test", "\u3000", r"[\s]") is True
    assert call("test", "\ufeff", r"\S") is False
    assert call("test", "x", r"\S") is True


def test_dot_dollar_and_empty_classes():
    assert call("test", "a\n", "a$") is False           # Python's $ would match before the newline
    assert call("search", "a\n", "a$") is False
    assert call("search", "ab", "b$") is True
    assert call("test", "\r", ".") is False
    assert call("test", "\u2028", ".") is False
    assert call("test", "é", ".") is True
    assert call("search", "abc", "[]") is False
    assert call("test", "\n", "[^]") is True
    assert call("test", "[", "[[]") is True
    assert call("test", "&", "[a&&b]") is True
    assert call("test", "$", "[$]") is True
    assert call("test", ".", "[.]") is True
    assert call("test", "x", "[.]") is False


def test_ecmascript_escapes():
    assert call("test", "A", r"\A") is True             # identity escape in ECMAScript
    assert call("test", "q", r"\q") is True
    assert call("test", "\x01", r"\cA") is True
    assert call("test", "xz", r"\xz") is True           # \x without hex digits is the letter x
    assert call("test", "é", r"\u00e9") is True
    assert call("test", "u12", r"\u12") is True
    assert call("test", "\x08", r"[\b]") is True
    assert call("test", "/", r"\/") is True
    assert call("test", "a-b", r"a\-b") is True
    assert call("test", "B", r"[\B]") is True


def test_lookaround_and_non_capturing():
    assert call("find", "price: 42 dollars", r"\d+(?= dollars)")["matched"] == "42"
    assert call("find", "$42", r"(?<=\$)\d+")["matched"] == "42"
    assert call("find", "x42", r"(?<!\$)\d+")["matched"] == "42"
    assert call("find", "abab", "(?:ab)+")["groups"] == ["abab"]


def test_pattern_cache_returns_same_object():
    from neutron.stdlib.regex import compile_pattern
    assert compile_pattern("a+b") is compile_pattern("a+b")
