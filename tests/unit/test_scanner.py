"""The scanner: token kinds, values and positions (1-based lines, 0-based columns in characters), comments,
numbers, escapes, interpolation, and the lexical errors it reports while going on."""
import itertools

import pytest

from neutron.frontend.scanner import scan
from neutron.frontend.tokens import EOF, ERROR, IDENT, INTERP, KEYWORDS, NUMBER, PUNCTUATORS, STRING, TYPE_NAMES


def kinds(source):
    tokens, diagnostics = scan(source)
    assert diagnostics == []
    return [t.kind for t in tokens]


def one(source):
    """The single token of source (besides EOF), scanned without errors."""
    tokens, diagnostics = scan(source)
    assert diagnostics == [], diagnostics
    assert len(tokens) == 2 and tokens[1].kind == EOF, tokens
    return tokens[0]


def string_value(source):
    tok = one(source)
    assert tok.kind == STRING
    return tok.value


def errors(source):
    return [(d.kind, d.message, d.line, d.col) for d in scan(source)[1]]


# ---- positions -------------------------------------------------------------------------------------------

def test_lines_are_one_based_and_columns_zero_based():
    tokens, _ = scan("var x = 1;\n  say(x);")
    assert [(t.lexeme, t.line, t.col) for t in tokens] == [
        ("var", 1, 0), ("x", 1, 4), ("=", 1, 6), ("1", 1, 8), (";", 1, 9),
        ("say", 2, 2), ("(", 2, 5), ("x", 2, 6), (")", 2, 7), (";", 2, 8), ("", 2, 9),
    ]


def test_positions_after_multiline_string_and_comment():
    tokens, _ = scan('a\n  "x\ny" b\n#{ \n\n }# c')
    assert [(t.lexeme, t.line, t.col) for t in tokens[:-1]] == [
        ("a", 1, 0), ('"x\ny"', 2, 2), ("b", 3, 3), ("c", 6, 4)]


def test_columns_count_characters_not_bytes():
    tokens, _ = scan('"héllo wörld" x')
    assert tokens[1].col == 14


def test_tabs_and_crlf_are_whitespace():
    tokens, _ = scan("a\r\n\tb")
    assert [(t.lexeme, t.line, t.col) for t in tokens[:2]] == [("a", 1, 0), ("b", 2, 1)]


def test_token_end():
    tokens, _ = scan('x "ab\ncd" yy')
    assert tokens[0].end() == (1, 1)
    assert tokens[1].end() == (2, 3)
    assert tokens[2].end() == (2, 6)


def test_byte_order_mark_and_shebang_are_skipped():
    assert kinds("\ufeffx") == [IDENT, EOF]
    tokens, _ = scan("#!/usr/bin/env neutron\nsay(1);")
    assert tokens[0].kind == "say" and tokens[0].line == 2


# ---- comments ----------------------------------------------------------------------------------------------

def test_line_comment():
    assert kinds("x // comment ; y\nz") == [IDENT, IDENT, EOF]


@pytest.mark.parametrize("source", [
    "#{ comment }# x",
    "#{ comment #} x",
    "#{ outer #{ inner }# still comment }# x",
    "#{ outer #{ inner #} still #} x",
    "#{\n multi\n line\n}# x",
    "#{ \"quotes\" don't matter // nor this }# x",
])
def test_block_comments(source):
    assert kinds(source) == [IDENT, EOF]


def test_unterminated_block_comment():
    assert errors("x\n  #{ never closed #{ }#") == [("LexicalError", "Unterminated block comment.", 2, 2)]


def test_lone_hash_is_unexpected():
    assert errors("x # y") == [("LexicalError", "Unexpected character '#'", 1, 2)]


# ---- numbers -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, value", [
    ("0", 0.0), ("42", 42.0), ("3.25", 3.25), ("1e3", 1000.0), ("1E3", 1000.0), ("1.5e-10", 1.5e-10),
    ("2e+2", 200.0), ("0x1F", 31.0), ("0XfF", 255.0), ("007", 7.0),
])
def test_numbers_are_floats(source, value):
    tok = one(source)
    assert tok.kind == NUMBER and tok.value == value and type(tok.value) is float


def test_number_edges():
    assert [t.lexeme for t in scan("1.")[0]] == ["1", ".", ""]
    assert [t.lexeme for t in scan("1e")[0]] == ["1", "e", ""]
    assert [t.lexeme for t in scan("3.x")[0]] == ["3", ".", "x", ""]
    assert [t.kind for t in scan(".5")[0]] == [".", NUMBER, EOF]


# ---- strings -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, value", [
    (r'"a\nb"', "a\nb"), (r'"\t"', "\t"), (r'"\r"', "\r"), (r'"\\"', "\\"), (r'"\""', '"'), (r'"\'"', "'"),
    (r"'\''", "'"), (r"'\"'", '"'), (r'"\a"', "\a"), (r'"\b"', "\b"), (r'"\f"', "\f"), (r'"\v"', "\v"),
    (r'"\0"', "\0"), (r'"\x41"', "A"), (r'"\xa9"', "\u00a9"), (r'"\101"', "A"), (r'"\7"', "\7"),
    (r'"\08"', "\x008"), (r'"\0101"', "\x081"), (r'"\u20AC"', "\u20ac"), (r'"\U0001F600"', "\U0001f600"),
    (r'"\uD83D\uDE00"', "\U0001f600"), (r'"\q"', "\\q"), (r'"\8"', "\\8"), (r'"\$"', "$"),
    (r'"\${x}"', "${x}"), (r'"$x"', "$x"), (r'"a$"', "a$"), ('"a\nb"', "a\nb"), ("'single'", "single"),
    ('""', ""),
])
def test_escapes(source, value):
    assert string_value(source) == value


@pytest.mark.parametrize("source, value", [
    (r'r"\d+\.\d+"', r"\d+\.\d+"), (r"r'C:\Users\n'", r"C:\Users\n"), ('r"${x}"', "${x}"), ('r""', ""),
])
def test_raw_strings(source, value):
    tok = one(source)
    assert tok.kind == STRING and tok.value == value and tok.lexeme == source


def test_r_alone_is_an_identifier():
    assert kinds("r + r2") == [IDENT, "+", IDENT, EOF]


@pytest.mark.parametrize("source, message", [
    (r'"\xZ1"', "Invalid escape '\\x': expected 2 hexadecimal digits."),
    (r'"\x4"', "Invalid escape '\\x': expected 2 hexadecimal digits."),
    (r'"\u12G4"', "Invalid escape '\\u': expected 4 hexadecimal digits."),
    (r'"\U0001F60"', "Invalid escape '\\U': expected 8 hexadecimal digits."),
    (r'"\U00110000"', "Invalid escape '\\U00110000': the largest code point is \\U0010FFFF."),
    (r'"\uD800"', "Invalid escape '\\uD800': unpaired surrogate."),
])
def test_bad_escapes(source, message):
    assert errors(source) == [("LexicalError", message, 1, 1)]


def test_scanning_continues_after_bad_escape():
    tokens, diagnostics = scan('"\\xZZ ok" y')
    assert len(diagnostics) == 1
    assert tokens[0].value == "ZZ ok" and tokens[1].lexeme == "y"


def test_unterminated_string():
    assert errors('x = "abc') == [("LexicalError", "Unterminated string.", 1, 4)]
    assert errors("\n  'abc\n") == [("LexicalError", "Unterminated string.", 2, 2)]
    assert errors('r"abc') == [("LexicalError", "Unterminated string.", 1, 0)]


# ---- interpolation -----------------------------------------------------------------------------------------

def parts(source):
    tok = one(source)
    assert tok.kind == INTERP
    return [p if isinstance(p, str) else [t.lexeme for t in p] for p in tok.value]


def test_interpolation_parts():
    assert parts('"a ${x} b"') == ["a ", ["x", "}"], " b"]
    assert parts('"${x}"') == [["x", "}"]]
    assert parts('"${1}${2}"') == [["1", "}"], ["2", "}"]]
    assert parts("'${x}'") == [["x", "}"]]


def test_interpolation_with_braces_and_strings_inside():
    assert parts('"${ {"a": 1}["a"] }"') == [["{", '"a"', ":", "1", "}", "[", '"a"', "]", "}"]]
    assert parts('"${ f("}") }"') == [["f", "(", '"}"', ")", "}"]]
    assert parts('"${ f(\'}\') }"') == [["f", "(", "'}'", ")", "}"]]


def test_nested_interpolation():
    tok = one('"a${ "b${c}" }"')
    inner = tok.value[1][0]
    assert inner.kind == INTERP and [t.lexeme for t in inner.value[1]] == ["c", "}"]


def test_interpolation_token_positions_are_real():
    tokens, _ = scan('x = 1;\nsay("v = ${\n  a + b}");')
    inner = tokens[6].value[1]
    assert [(t.lexeme, t.line, t.col) for t in inner] == [("a", 3, 2), ("+", 3, 4), ("b", 3, 6), ("}", 3, 7)]
    assert (tokens[7].lexeme, tokens[7].line, tokens[7].col) == (")", 3, 9)


def test_unterminated_interpolation():
    diags = errors('x = "a ${b')
    assert ("LexicalError", "Unterminated interpolation: expected '}' to close '${'.", 1, 7) in diags


def test_deeply_nested_interpolation_is_an_error_not_a_crash():
    diags = errors('"${' * 500)
    assert diags[-1][1] == "String interpolation nested too deeply."


# ---- words and punctuators ---------------------------------------------------------------------------------

def test_keywords():
    for word in KEYWORDS:
        assert kinds(word) == [word, EOF]


@pytest.mark.parametrize("word", ["safe", "int", "float", "string", "bool", "array", "object", "any", "super",
                                  "not", "init", "initialize", "print", "_x9"])
def test_contextual_words_are_identifiers(word):
    tok = one(word)
    assert tok.kind == IDENT and tok.lexeme == word


def test_every_punctuator():
    for p in PUNCTUATORS:
        tok = one(p)
        assert tok.kind == p and tok.lexeme == p


def test_no_punctuator_beyond_the_list():
    """The converse of test_every_punctuator, for every run of up to three punctuation characters."""
    chars = "(){}[],.;:+-*/%&|^~?!=<>"
    for n in (1, 2, 3):
        for run in itertools.product(chars, repeat=n):
            tokens, _ = scan("".join(run))
            assert all(t.kind in PUNCTUATORS for t in tokens[:-1]), "".join(run)


def test_type_keywords_are_named_as_the_runtime_names_them():
    from neutron.runtime.values import TYPE_CHECKS, TYPE_DISPLAY
    assert {k: TYPE_DISPLAY[k] for k in TYPE_NAMES} == TYPE_NAMES
    assert set(TYPE_NAMES) <= set(TYPE_CHECKS)


def test_longest_punctuator_wins():
    assert kinds("a+=1") == [IDENT, "+=", NUMBER, EOF]
    assert kinds("a?.b") == [IDENT, "?.", IDENT, EOF]
    assert kinds("...x") == ["...", IDENT, EOF]
    assert kinds("x++ + ++y") == [IDENT, "++", "+", "++", IDENT, EOF]
    assert kinds("a/b/=c") == [IDENT, "/", IDENT, "/=", IDENT, EOF]
    assert kinds("a<<=b") == [IDENT, "<<", "=", IDENT, EOF]


def test_unexpected_characters_are_reported_and_skipped():
    tokens, diagnostics = scan("a @ b ` c")
    assert [t.kind for t in tokens] == [IDENT, ERROR, IDENT, ERROR, IDENT, EOF]
    assert [(d.message, d.col) for d in diagnostics] == [
        ("Unexpected character '@'", 2), ("Unexpected character '`'", 6)]


def test_smart_quotes_get_a_suggestion():
    (d,) = scan("\u201chi")[1]
    assert "straight quotes" in d.suggestion


def test_non_ascii_letters_are_not_identifiers():
    assert errors("é") == [("LexicalError", "Unexpected character 'é'", 1, 0)]


def test_control_characters_are_shown_escaped():
    assert errors("\x00") == [("LexicalError", "Unexpected character '\\x00'", 1, 0)]
