"""json.parse and json.stringify run on the C json module when they can: its results must be exactly those of the
Python parser and writer, errors included."""
import json as pyjson
import math
import os
import random
import re
import struct
import sys

from hypothesis import HealthCheck, given, settings, strategies as st

from neutron.errors import NeutronError
from neutron.stdlib import json as nj
from neutron.runtime.values import Buffer, Class, Function, Instance, Module

SCALE = float(os.environ.get("NEUTRON_FUZZ_SCALE", "1"))
FUZZ = settings(max_examples=max(1, int(400 * SCALE)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except NeutronError as e:
        return "error", e.message
    except Exception as e:      # the Python writer lets a few host errors through (non-string keys, huge ints)
        return type(e).__name__, str(e)


def same(a, b):
    """Equal with the same types, float signs and key order."""
    if a.__class__ is not b.__class__:
        return False
    if a.__class__ is float:
        return repr(a) == repr(b)
    if a.__class__ is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if a.__class__ is dict:
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


# ---- stringify ---------------------------------------------------------------------------------------------------

def stringify_both(value):
    fast = outcome(nj.stringify_value, value)
    slow = outcome(lambda v: nj.stringify_value(v, fast=False), value)
    assert fast == slow, (value, fast, slow)
    return fast


SPECIAL_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 1e15, -1e15, 1e15 - 1, 1e15 + 2, 1e16, -1e16, 1e17, 999999999999999.9,
                  123456789012345.6, 1e-307, 1e-308, 5e-324, -5e-324, 2.2250738585072014e-308, 7e-323, 1 / 3, 2 / 3,
                  0.1 + 0.2, 1e-5, 1.5e-5, 1e-4, 0.0001234, 1e21, 1.7976931348623157e308, 2.0000000000000004,
                  0.30000000000000004, 9007199254740993.0, math.inf, -math.inf, math.nan]
numbers = st.one_of(
    st.floats(),
    st.sampled_from(SPECIAL_FLOATS),
    st.integers(-10 ** 17, 10 ** 17).map(float),
    st.builds(lambda i, d: i / 10 ** d, st.integers(-10 ** 13, 10 ** 13), st.integers(0, 20)),
    st.builds(lambda m, e: float(f"{m}e{e}"), st.integers(-10 ** 17, 10 ** 17), st.integers(-330, 310)),
)
all_chars = st.characters(exclude_categories=())       # surrogates included
json_chars = st.sampled_from('"\\/\b\f\n\r\t\x00\x01\x1f\x7f é✓😀[]{}:,.0123456789e-+ '
                            '\ud800\udbff\udc00\udfff\u2028')
strings = st.text(st.one_of(json_chars, all_chars), max_size=12)
class_k = Class("K", {}, [])
OTHERS = [Buffer(bytearray(2)), Function.__new__(Function), class_k, Instance(class_k), Module("m", {}), (1.0,),
          type("S", (str,), {})("sub"), type("L", (list,), {})([1.0]), type("D", (dict,), {})(a=1.0),
          type("F", (float,), {})(2.0), 3, -7, 10 ** 15, 10 ** 15 - 1, -10 ** 16, 10 ** 400, 1e300]
leaves = st.one_of(st.none(), st.booleans(), numbers, strings, st.sampled_from(OTHERS))
keys = st.one_of(strings, strings, strings, st.sampled_from([1.0, None, True, 2]))
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=6),
                                                      st.dictionaries(keys, inner, max_size=6)), max_leaves=40)


@FUZZ
@given(values)
def test_stringify_fast_path_matches_the_writer(value):
    stringify_both(value)


plain_numbers = st.one_of(st.integers(-10 ** 14, 10 ** 14).map(float),
                          st.builds(lambda i, d: i / 10 ** d, st.integers(-10 ** 9, 10 ** 9), st.integers(0, 6)))
plain_values = st.recursive(
    st.one_of(st.none(), st.booleans(), plain_numbers, st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=6), inner, max_size=6)),
    max_leaves=40)


@FUZZ
@given(plain_values)
def test_stringify_takes_the_c_path_for_ordinary_values(value):
    if any(x == 0 and math.copysign(1, x) < 0 for x in _floats(value)):
        return      # -0 is left to the writer
    text = nj._fast_stringify(value)
    assert text is not None
    assert text == nj.stringify_value(value, fast=False)


def _floats(v):
    if v.__class__ is float:
        yield v
    elif v.__class__ is list:
        for x in v:
            yield from _floats(x)
    elif v.__class__ is dict:
        for x in v.values():
            yield from _floats(x)


def test_stringify_numbers():
    rnd = random.Random(7)
    xs = list(SPECIAL_FLOATS)
    xs += [struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0] for _ in range(20000)]
    xs += [rnd.uniform(-1e16, 1e16) for _ in range(2000)]
    xs += [round(rnd.uniform(-1e6, 1e6), rnd.randint(0, 17)) for _ in range(5000)]
    xs += [float(f"{rnd.randint(1, 10 ** 17)}e{rnd.randint(-340, 300)}") for _ in range(5000)]
    for x in xs:
        for v in (x, [x], {"k": x}):
            stringify_both(v)
    # the walk keeps the common floats as they are and turns integral ones into ints
    assert nj._fast_stringify([1.0, 2.5, 0.1, 1 / 3, 1e20, -3.0, 0.0, 1e-7]) == \
        "[1,2.5,0.1,0.333333333333333,1e+20,-3,0,1e-07]"


def test_stringify_strings_and_keys():
    for s in ["", "plain", 'q"uote', "back\\slash", "\x00\x01\x1f\x7f", "\b\f\n\r\t", "é✓😀", "\ud800", "a\udfffb",
              "\ud83d\ude00", "\u2028\u2029", "/"]:
        stringify_both(s)
        stringify_both([s, {s: s}])
    assert nj.stringify_value({"\ud800": ["\udc00x"]}) == '{"\\ud800":["\\udc00x"]}'
    for bad_key in (1.0, None, True, 3, (1,)):
        stringify_both({"a": 1.0, bad_key: 2.0})
        stringify_both([[{bad_key: 1.0}]])


def test_stringify_cycles_sharing_and_depth():
    a = [1.0]
    a.append(a)
    assert stringify_both(a) == ("error", "json.stringify: cannot convert a structure that contains itself.")
    d = {"x": 1.0}
    d["self"] = [d]
    assert stringify_both(d)[0] == "error"
    shared = {"n": 2.0}
    assert stringify_both([shared, [shared], {"s": shared}]) == ("ok", '[{"n":2},[{"n":2}],{"s":{"n":2}}]')
    for depth in (150, 199, 200, 201, 202, 400, 5000):
        nested = 1.0
        for i in range(depth):
            nested = [nested] if i % 2 else {"k": nested}
        stringify_both(nested)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 40000))
    try:
        for depth in (10000, 10001, 10002):
            nested = []
            for _ in range(depth):
                nested = [nested]
            stringify_both(nested)
    finally:
        sys.setrecursionlimit(limit)


def test_stringify_leaves_the_original_untouched():
    inner = [1.0, 2.5]
    doc = {"a": inner, "b": {"c": 3.0}, "d": ["x"]}
    assert nj.stringify_value(doc) == '{"a":[1,2.5],"b":{"c":3},"d":["x"]}'
    assert doc == {"a": [1.0, 2.5], "b": {"c": 3.0}, "d": ["x"]} and doc["a"] is inner
    assert all(x.__class__ is float for x in inner)


@FUZZ
@given(values, st.sampled_from(["  ", "\t", " " * 10]))
def test_stringify_pretty_holds_the_compact_text(value, indent):
    # the writer's pretty text is the compact text with line breaks, indents and ": " added outside strings
    compact = outcome(nj.stringify_value, value)
    pretty = outcome(nj.stringify_value, value, indent)
    assert compact[0] == pretty[0], (value, compact, pretty)
    if compact[0] != "ok":
        assert compact == pretty
        return
    assert pretty[1] == pretty[1].encode("utf-8").decode("utf-8")     # no raw surrogates
    assert pyjson.loads(pretty[1]) == pyjson.loads(compact[1])


def test_write_file_uses_the_same_text(tmp_path):
    call = nj.module.functions["writeFile"].fn
    p = str(tmp_path / "x.json")
    for value in ([1.0, -0.0, "\ud800", {"a": 1e15}], {"k": [0.5, None, True]}):
        call(None, [p, value])
        assert open(p, encoding="utf-8", errors="surrogatepass").read() == nj.stringify_value(value, fast=False)


# ---- parse -------------------------------------------------------------------------------------------------------

def python_parse(text):
    try:
        return "ok", nj.parse_text(text)
    except nj._ParseError as e:
        return "error", f"json.parse: {e.message} at {nj._where(text, e.pos)}."


def parse_both(text):
    fast = outcome(nj.module.functions["parse"].fn, None, [text])
    slow = python_parse(text)
    assert fast[0] == slow[0] and (same(fast[1], slow[1]) if fast[0] == "ok" else fast[1] == slow[1]), \
        (text, fast, slow)
    return fast


def _escape_upper(text):
    return re.sub(r"\\u[0-9a-f]{4}", lambda m: m.group(0).upper().replace("\\U", "\\u"), text)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.integers(-10 ** 30, 10 ** 30), st.text(all_chars, max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(all_chars, max_size=5), inner,
                                                                         max_size=5)),
    max_leaves=30)


@st.composite
def json_texts(draw):
    value = draw(json_values)
    style = draw(st.integers(0, 4))
    if style == 0:
        return nj.stringify_value(value, fast=False)
    if style == 1:
        return nj.stringify_value(value, "  ", fast=False)
    text = pyjson.dumps(value, ensure_ascii=style != 2, allow_nan=True,
                        indent=draw(st.sampled_from([None, 1, "\t"])))
    return _escape_upper(text) if style == 4 else text


TOKENS = ['{', '}', '[', ']', ',', ':', '"', '"a"', '\\', '\\u', 'd83d', '\\ud83d', '\\ude00', '\\uDE00', '\\uD800',
          '\\udbff\\udfff', '\\\\', '\\"', '1', '-', '0', '.', 'e', 'E', '+', '12.5e-3', 'true', 'fals', 'null', 'nul',
          'NaN', 'Infinity', '-Infinity', ' ', '\n', '\t', '\r', '\x0b', '\ufeff', '\ud800', 'x', '01', '1e400', '-0',
          '1.', '.5', '00', '9' * 30, '\x00', 'é', '😀', '\\x', '\\/']


@st.composite
def mutated_texts(draw):
    text = draw(json_texts())
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(text)))
        kind = draw(st.integers(0, 2))
        if kind == 0:
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos:]
        elif kind == 1:
            text = text[:pos] + text[pos + draw(st.integers(1, 3)):]
        else:
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos + 1:]
    return text


@FUZZ
@given(json_texts())
def test_parse_valid_texts(text):
    parse_both(text)


@FUZZ
@given(mutated_texts())
def test_parse_mutated_texts(text):
    parse_both(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=14).map("".join))
def test_parse_token_soup(text):
    parse_both(text)


@FUZZ
@given(plain_values)
def test_parse_takes_the_c_path_for_ordinary_texts(value):
    text = nj.stringify_value(value, fast=False)
    assert nj._fast_parse(text) is not nj._MISS
    parse_both(text)


def test_parse_cases():
    cases = ["null", " true ", "false", "42", "-0", "-0.0", "0e5", "1E400", "-1e400", "1e-400", "9" * 400,
             "123456789012345678901234567890", "0.1", "1.5e-7", '"\\u00e9"', '"raw\ncontrol\x01"', "[1,2,{}]",
             '{"a":1,"a":2,"b":3}', '{"b":1,"a":2,"b":3}', "[]", "{}", " [ ] ", "\t\n\r 1 \t\n\r",
             # errors: every one must keep the Python parser's message
             "", " ", "\ufeff1", "1 2", "[1,]", "{,}", '{"a"}', "{'a':1}", "NaN", "[NaN]", "Infinity", "-Infinity",
             "[-Infinity]", "nan", "01", "1.", ".5", "-", "+1", "1e", "1e+", "tru", "[1\x0b]", "\x0b1", '"abc',
             '"\\x"', '"\\u12G4"', '"\\u12"', "[1] x", "{} {}", '"\\', '{"a":1,}', "[" * 50, "]",
             # surrogate escapes: paired, lone, uppercase, escaped backslashes in front
             '"\\ud83d\\ude00"', '"\\uD83D\\uDE00"', '"\\ud83d"', '"\\ude00"', '"\\ud83d\\ud83d\\ude00"',
             '"\\ud83d\\ude00\\ude00"', '"\\\\ud83d\\ude00"', '"\\\\\\ud83d\\ude00"', '"\\ud83d x"',
             '"\\ud83dx\\ude00"',
             '["\\ud83d\\ude00", "\\ud800"]', '{"\\udc00": 1}', '"\\ud83d\\u0041"', '"\\ud83d\\ude0"', '"\ud800"',
             '"\\ud83d\\ude00', '"\\ud83d\\ude00\\',
             ]
    for text in cases:
        parse_both(text)
    assert nj._fast_parse('"\\ud83d\\ude00"') == "😀"       # pairs stay on the C path
    assert nj._fast_parse('"\\ud83d"') is nj._MISS
    assert nj._fast_parse('"\\\\ud83d\\ude00"') is nj._MISS


def test_parse_many_brackets_and_depth():
    flat = "[" + ",".join(["[]"] * 12000) + "]"
    assert nj._fast_parse(flat) is not nj._MISS
    parse_both(flat)
    tricky = '[' + ','.join(['"[[[[\\"[[{{"'] * 4000) + ']'
    assert nj._fast_parse(tricky) is not nj._MISS
    parse_both(tricky)
    parse_both('"' + "[" * 20000)
    parse_both("[" * 100000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 40000))
    try:
        for depth in (9999, 10000, 10001, 10002):
            parse_both("[" * depth + "]" * depth)
            parse_both("[" * depth + "1" + "]" * depth)
            parse_both('{"a":' * depth + "1" + "}" * depth)
            parse_both("[" * depth + "]" * depth + "[" * 11000)
            parse_both('["' + "[" * 11000 + '",' + "[" * depth + "]" * depth + "]")
        # many brackets, nested less than MAX_DEPTH: still the C path
        text = "[" + "[]," * 6000 + "[" * 5000 + "]" * 5000 + "]"
        assert nj._fast_parse(text) is not nj._MISS
        parse_both(text)
    finally:
        sys.setrecursionlimit(limit)


@FUZZ
@given(json_texts())
def test_nesting_check_is_the_real_depth(text):
    def depth(v):       # how many arrays and objects the deepest value is inside
        if v.__class__ is list:
            return max((1 + depth(x) for x in v), default=0)
        if v.__class__ is dict:
            return max((1 + depth(x) for x in v.values()), default=0)
        return 0
    status, value = python_parse(text)
    if status == "ok":
        d = depth(value)
        assert not nj._deeper_than(value, d) and (d == 0 or nj._deeper_than(value, d - 1))


def test_read_file_uses_the_same_parser(tmp_path):
    call = nj.module.functions["readFile"].fn
    p = tmp_path / "x.json"
    p.write_bytes('\ufeff{"a": [1, 2.5, "\\ud83d"]}'.encode())
    assert same(call(None, [str(p)]), {"a": [1.0, 2.5, "\ufffd"]})
    p.write_bytes(b'{"a": NaN}')
    try:
        call(None, [str(p)])
        raise AssertionError("NaN accepted")
    except NeutronError as e:
        assert e.message == f"json.readFile: Unexpected character 'N' at line 1, column 7 in '{p}'."


# ---- stringify: the raw route (the C encoder's own text, mended) ---------------------------------------------------

def raw_and_writer(value):
    if value.__class__ is not list and value.__class__ is not dict:
        return None     # the raw route takes arrays and objects
    raw = nj._raw_stringify(value, "json.stringify")
    slow = outcome(lambda v: nj.stringify_value(v, fast=False), value)
    if raw is not None:
        assert ("ok", raw) == slow, (value, raw, slow)
    return raw


TRICKY = [".0,", ".0]", ".0}", "1.0]", "1.0}}", "2.0\x01", "\x01", "\x01.0", "NaN", "Infinity", "-Infinity", "[]",
          "{}", "1" * 20, "0." + "3" * 16, "1234567890123456.0", "5e-324", "e-3", "e-300", "1e-300]", '"', "\\",
          '\\"', '".0]', "\\.0]", "é.0]", "\ud800.0]", "😀", "\u2028", "-0.0", "-0.0]"]
tricky_strings = st.one_of(st.sampled_from(TRICKY), st.lists(st.sampled_from(TRICKY), max_size=4).map("".join),
                           strings)
raw_numbers = st.one_of(st.integers(-10 ** 6, 10 ** 6).map(float), st.sampled_from(SPECIAL_FLOATS), numbers,
                        st.builds(lambda i: i / 10, st.integers(-10 ** 6, 10 ** 6)))
raw_leaves = st.one_of(st.none(), st.booleans(), raw_numbers, raw_numbers, tricky_strings,
                       st.sampled_from(OTHERS))
raw_values = st.recursive(raw_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.dictionaries(tricky_strings, inner, max_size=6)), max_leaves=40)


@FUZZ
@given(raw_values)
def test_raw_route_matches_the_writer(value):
    raw_and_writer(value)
    raw_and_writer([value])
    raw_and_writer({".0]": value, "k": [value, 1.0]})
    stringify_both(value)


plain_raw_values = st.recursive(
    st.one_of(st.none(), st.booleans(), plain_numbers, st.text(max_size=10), st.sampled_from(TRICKY[:13])),
    lambda inner: st.one_of(st.lists(inner, max_size=6),
                            st.dictionaries(st.one_of(st.text(max_size=6), st.sampled_from(TRICKY[:13])), inner,
                                            max_size=6)),
    max_leaves=40)


@FUZZ
@given(plain_raw_values)
def test_raw_route_takes_ordinary_values(value):
    # whole floats anywhere, -0, strings holding ".0]", "NaN", "\x01": all on the raw route, written as the writer does
    for v in ([value], {"v": value, "w": [value]}):
        text = raw_and_writer(v)
        assert text is not None, v


def test_raw_route_cases():
    zero = 0.0
    cases = [
        [1.0], [1.0, 2.0], {"a": 1.0}, {"a": {"b": [1.0]}}, [[[1.0]], 2.0, {"c": [3.0, {"d": 4.0}]}], [-0.0],
        {"z": -0.0}, [0.0, -zero, 1e14, 999999999999999.0, -999999999999999.0, 123.0, 0.5, 1e-5, 1e20, 1e300],
        ["1.0]", "x.0,", ".0}", "NaN", "Infinity", "\x01", "a\x01.0]b", "[]", "{}"], {"1.0]": 2.0, ".0": [3.0]},
        ['he said "1.0]"', "back\\slash.0]", "tab\t.0]"], ["é.0]", "😀", 2.0, "\u2028"], [[], {}, [[]], [{}]],
        {"": 1.0, "k": []}, [True, False, None, 7.0, "s"], ["1" * 30, 1.0], ["5e-324 1e-300 e-3", 2.0],
        list(range(-50, 50)), [float(i) for i in range(-50, 50)], [i / 4 for i in range(-50, 50)],
        # numbers whose repr is not what format_number writes: rewritten in the text
        [0.1 + 0.2], [1 / 3], [1e15], [1e15 + 2], [-1e15], [1234567890123456.0], [5e-324], [-5e-324], [1e-300],
        [2.2250738585072014e-308], [10 ** 15], [-10 ** 16], {"a": [1 / 3, {"b": -2 / 3}], "c": 1e-310},
        [i / 3 for i in range(100)], ["0." + "3" * 16, 1 / 3, "1e-300", -1e-300, "x" * 20 + "1" * 20],
        # and in a text that is not ASCII (cut as UTF-8 bytes), beside long digit runs in strings
        ["é", 1 / 3], {"é✓😀": [-2 / 3, "1" * 20, 1e15, {"\u2028": 10 ** 15}]}, ["\ud800", 1 / 7, "😀" * 3, -1e16 - 2],
        [1 / 3, "é" + "1" * 40 + ".0]", [2 / 3]], [[1e15 + 0.5], {"k": [1 / 3]}, 123456789012345.67, 1e17 + 8],
    ]
    for v in cases:
        assert raw_and_writer(v) is not None, v
    # left to the older route: nan and the infinities, odd types, odd keys, cycles, depth, ints beyond the floats
    left = [
        [math.nan], [math.inf], {"a": -math.inf}, [10 ** 400], ["é", 10 ** 400], [1 / 3, -10 ** 309],
        [(1.0,)], [type("S", (str,), {})("sub")], [type("F", (float,), {})(2.0)], [type("L", (list,), {})([1.0])],
        [type("D", (dict,), {})(a=1.0)], {1.0: 2.0}, {"a": 1.0, None: 2.0}, {True: 1.0}, {2: 1.0}, [{(1,): 1.0}],
    ]
    for v in left:
        assert raw_and_writer(v) is None, v
        stringify_both(v)
    a = [1.0]
    a.append(a)
    assert raw_and_writer(a) is None
    assert stringify_both(a) == ("error", "json.stringify: cannot convert a structure that contains itself.")
    b = []
    b.append(b)
    b.append(b)
    assert raw_and_writer(b) is None and stringify_both(b)[0] == "error"
    # buffers, functions and other values: written by the raw route's default
    k = Class("K", {}, [])
    v = [Buffer(bytearray(3)), Function.__new__(Function), k, Instance(k), Module("m", {}), {"b": Buffer(bytearray())}]
    assert raw_and_writer(v) == '["<buffer>",null,null,null,null,{"b":"<buffer>"}]'
    # a dict that once held a key that is not a string keeps the general key table: the older route
    d = {"a": 1.0, 2: 3.0}
    del d[2]
    assert stringify_both(d) == ("ok", '{"a":1}')
    # many long digit runs in strings: the raw route gives up looking rather than search long
    many = ["%020d" % i for i in range(200)] + [1.0]
    stringify_both(many)


def test_raw_route_depth_and_sharing():
    for depth in (1, 2, 50, 199, 200, 201, 202, 203, 300):
        nested = 1.0
        for i in range(depth):
            nested = [nested] if i % 2 else {"k": nested}
        text = raw_and_writer(nested)
        assert (text is not None) == (depth <= nj._FAST_DEPTH + 1), depth
        stringify_both(nested)
    shared = {"n": 2.0}
    assert raw_and_writer([shared, [shared], {"s": shared}]) == '[{"n":2},[{"n":2}],{"s":{"n":2}}]'
    x = [1.0, "s"]
    for _ in range(18):
        x = [x, x]
    assert stringify_both(x)[0] == "ok"
    x = [1.0]
    for _ in range(40):
        x = [x, x]
    assert stringify_both(x) == ("error", "json.stringify: the text would be longer than 100,000,000 characters "
                                          "(shared parts are written out at every place they occur).")
    wide = [[float(i), {"a": [i / 2]}] for i in range(60000)]       # past WALK_CHECK arrays and objects
    assert raw_and_writer(wide) is not None


def test_raw_route_takes_records():
    records = [{"id": float(i), "name": "user%d" % i, "active": i % 3 != 0, "score": (i * 37) % 1000 / 10,
                "tags": ["t%d" % (i % 5), "g%d" % (i % 7)], "address": {"city": "c%d" % (i % 40), "zip": 10000.0 + i}}
               for i in range(300)]
    text = raw_and_writer(records)
    assert text is not None and text == nj.stringify_value(records)
    assert pyjson.loads(text) == records


# ---- the raw route's whole floats that close arrays and objects (_mend_wholes) ---------------------------------------

@FUZZ
@given(raw_values, st.integers(1, 40), st.sampled_from([1.0, -0.0, 0.0, 1e15, 123.0, 0.5, "s"]))
def test_raw_route_repeated_closing_numbers(value, count, last):
    # the same closing text ("1.0}]" then "\x01") many times over: replaced in passes, the rest by the expression
    records = [{"v": value, "k": [value, {"n": last}]} for _ in range(count)]
    raw_and_writer(records)
    raw_and_writer([[value, last]] * count + [{"a": [last]}] * count + [value])
    stringify_both(records)


def test_mend_wholes_cases():
    wholes = nj._mend_wholes
    assert wholes("[1.0\x012.0]") == "[1\x012]"
    assert wholes('{"a":[1.0]}') == '{"a":[1]}'
    assert wholes('[{"a":1.0}\x01{"a":2.0}\x01{"a":3.0}]') == '[{"a":1}\x01{"a":2}\x01{"a":3}]'
    # text like a closing number inside strings is left alone (it is never followed by "\x01" or the end)
    s = '["x.0}}"\x01".0]"\x01{"k":".0}\\u0001"}\x01[7.0]]'
    assert wholes(s) == '["x.0}}"\x01".0]"\x01{"k":".0}\\u0001"}\x01[7]]'
    # more kinds of closing text than passes, and a closing text not seen again soon: the expression does the rest
    shapes = []
    for depth in range(1, 3 * nj._WHOLE_SUFFIXES):
        shapes.append("[" * depth + "5.0" + "]" * depth)
    text = "[" + "\x01".join(shapes * 3) + "\x01" + "x" * (2 * nj._WHOLE_NEAR) + "\x01[[9.0]]\x01[[9.0]]]"
    assert wholes(text) == nj._WHOLE.sub("", text.replace(".0\x01", "\x01"))
    for value in ([[float(i)] for i in range(3000)], [{"a": {"b": [float(i)]}} for i in range(500)] + [[1.0]],
                  [[[1.0], "s"], ["x" * 5000, [2.0]], [[3.0]]]):
        assert raw_and_writer(value) == nj.stringify_value(value, fast=False)


# ---- the raw route's walk by columns (a level of arrays or objects all of one length) --------------------------------

column_values = st.recursive(raw_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(tricky_strings, inner, max_size=3)), max_leaves=4)


@settings(FUZZ, max_examples=max(1, int(100 * SCALE)))
@given(st.lists(st.tuples(column_values, column_values, column_values), min_size=nj._COLUMNS_MIN, max_size=20),
       st.sampled_from(["arrays", "objects", "nested"]))
def test_raw_route_columns_match_the_writer(rows, shape):
    if shape == "arrays":
        value = [list(row) for row in rows]
    elif shape == "objects":
        value = [{"a": x, "b": y, ".0]": z} for x, y, z in rows]
    else:
        value = {"rows": [{"r": list(row), "n": float(i)} for i, row in enumerate(rows)]}
    raw_and_writer(value)
    stringify_both(value)


def test_raw_route_columns_cases():
    n = nj._COLUMNS_MIN
    k = Class("K", {}, [])
    ok = [
        [[float(i), "s", None] for i in range(n)],
        [{"a": float(i), "b": [1.0, {"c": 2.0}] if i % 2 else "x", "c": {}} for i in range(n)],     # mixed columns
        [[] for _ in range(n)], [{} for _ in range(n)], [[[], {}] for _ in range(n)],
        [[Buffer(bytearray(1)), Function.__new__(Function), [1.0]] for _ in range(n)],
        [[k, Instance(k), {"m": Module("m", {})}] for _ in range(n)],
        [{"x": 1 / 3, "y": [0.5, 1e15]} for _ in range(3 * n)],
    ]
    for v in ok:
        assert raw_and_writer(v) is not None, v
    left = [
        [[float(i), (1.0,)] for i in range(n)], [[type("S", (str,), {})("s")] for _ in range(n)],
        [{"a": 1.0} for _ in range(n - 1)] + [{2: 1.0}],                       # one key that is not a string
        [{1.0: 1.0} for _ in range(n)], [{"a": type("L", (list,), {})()} for _ in range(n)],
        [[math.nan, 1.0] for _ in range(n)],
    ]
    for v in left:
        assert raw_and_writer(v) is None, v
        stringify_both(v)
    # depth, shared parts and cycles met a column at a time
    deep = [1.0] * n
    for _ in range(nj._FAST_DEPTH + 5):
        deep = [deep] * 2 if len(deep) < n else [[x] for x in deep[:n]]
    stringify_both(deep)
    row = [1.0, "s"]
    rows = [row] * n
    assert raw_and_writer(rows) == "[" + ",".join(['[1,"s"]'] * n) + "]"
    cyclic = [[1.0] for _ in range(n)]
    cyclic[3].append(cyclic)
    assert raw_and_writer(cyclic) is None
    assert stringify_both(cyclic) == ("error", "json.stringify: cannot convert a structure that contains itself.")
    wide = [[float(i), {"a": [i / 2]}] for i in range(60000)]       # past WALK_CHECK arrays and objects, by columns
    assert raw_and_writer(wide) is not None
    shared = [[1.0, "x"]] * 3
    for _ in range(20):
        shared = [shared] * 20
    assert stringify_both(shared)[0] == "error"
