"""json module: natives called directly."""
import json as pyjson
import math
from neutron.stdlib.json import module
from neutron.runtime.values import Buffer, Function, Instance, Class, Module

from natives_harness import callers

call, err = callers(module)


# ---- stringify -------------------------------------------------------------------------------------------------

def test_stringify_scalars():
    assert call("stringify", None) == "null"
    assert call("stringify", True) == "true"
    assert call("stringify", False) == "false"
    assert call("stringify", 42.0) == "42"
    assert call("stringify", 1.5) == "1.5"
    assert call("stringify", -0.0) == "-0"
    assert call("stringify", 1 / 3) == "0.333333333333333"
    assert call("stringify", 1e20) == "1e+20"
    assert call("stringify", math.inf) == "null"
    assert call("stringify", math.nan) == "null"
    assert call("stringify", "hello") == '"hello"'


def test_stringify_escapes():
    assert call("stringify", 'Line 1\nLine 2\tTabbed"Quoted"') == r'"Line 1\nLine 2\tTabbed\"Quoted\""'
    assert call("stringify", "a\\b\b\f\r\x01\x1f") == r'"a\\b\b\f\r\u0001\u001f"'
    assert call("stringify", "héllo ✓ 😀") == '"héllo ✓ 😀"'
    assert call("stringify", "\ud800") == r'"\ud800"'


def test_stringify_containers_keep_order():
    person = {"name": "Alice", "age": 30.0, "active": True}
    assert call("stringify", person) == '{"name":"Alice","age":30,"active":true}'
    assert call("stringify", [1.0, "a", None, [2.0, {}], []]) == '[1,"a",null,[2,{}],[]]'
    assert call("stringify", {"z": 1.0, "a": 2.0}) == '{"z":1,"a":2}'


def test_stringify_pretty():
    person = {"name": "Alice", "age": 30.0, "tags": ["a", "b"], "empty": {}, "none": []}
    expected = ('{\n  "name": "Alice",\n  "age": 30,\n  "tags": [\n    "a",\n    "b"\n  ],\n'
                '  "empty": {},\n  "none": []\n}')
    assert call("stringify", person, True) == expected
    assert call("stringify", person, 2.0) == expected
    assert call("stringify", [1.0], 4.0) == "[\n    1\n]"
    assert call("stringify", [1.0], "\t") == "[\n\t1\n]"
    assert call("stringify", [1.0], False) == "[1]"
    assert call("stringify", [1.0], 0.0) == "[1]"
    assert call("stringify", [1.0], None) == "[1]"
    assert "pretty" in err("stringify", [1.0], [])
    assert "indent" in err("stringify", [1.0], -1.0)


def test_stringify_other_values():
    f = Function.__new__(Function)
    k = Class("K", {}, [])
    assert call("stringify", [f, k, Instance(k), Module("m", {})]) == "[null,null,null,null]"
    assert call("stringify", Buffer(bytearray(3))) == '"<buffer>"'


def test_stringify_cycles_and_sharing():
    a = [1.0]
    a.append(a)
    assert err("stringify", a) == "json.stringify: cannot convert a structure that contains itself."
    shared = [1.0]
    assert call("stringify", [shared, shared]) == "[[1],[1]]"
    deep = []
    cur = deep
    for _ in range(5000):
        nxt = []
        cur.append(nxt)
        cur = nxt
    assert "nesting too deep" in err("stringify", deep)


# ---- parse -----------------------------------------------------------------------------------------------------

def test_parse_scalars():
    assert call("parse", "null") is None
    assert call("parse", "true") is True
    assert call("parse", " false ") is False
    v = call("parse", "42")
    assert v == 42 and v.__class__ is float
    assert call("parse", "42.5") == 42.5
    assert call("parse", "-0.5e2") == -50
    assert call("parse", "1E3") == 1000
    assert call("parse", '"hello world"') == "hello world"


def test_parse_structures_in_document_order():
    v = call("parse", '{"name":"Bob","age":25,"skills":["coding","design"],"x":{"z":1,"y":2}}')
    assert list(v) == ["name", "age", "skills", "x"]
    assert list(v["x"]) == ["z", "y"]
    assert v["skills"] == ["coding", "design"]
    assert all(x.__class__ is float for x in (v["age"], v["x"]["z"]))
    assert call("parse", "[]") == [] and call("parse", "{}") == {}
    assert call("parse", ' [ 1 , [ ] , { "a" : null } ] ') == [1.0, [], {"a": None}]
    assert call("parse", '{"a":1,"a":2}') == {"a": 2.0}


def test_parse_escapes():
    assert call("parse", r'"a\"b\\c\/d\b\f\n\r\t"') == 'a"b\\c/d\b\f\n\r\t'
    assert call("parse", r'"\u00e9\u4e2d"') == "é中"
    assert call("parse", r'"\ud83d\ude00"') == "😀"
    assert call("parse", r'"\uD83D\uDE00!"') == "😀!"
    assert call("parse", r'"\ud83d x"') == "\ufffd x"
    assert call("parse", r'"\ude00"') == "\ufffd"
    assert call("parse", '"raw\nnewline"') == "raw\nnewline"
    assert call("parse", '"héllo"') == "héllo"


def test_parse_errors_give_line_and_column():
    assert err("parse", "{") == "json.parse: Unexpected end of input at line 1, column 2."
    assert err("parse", "") == "json.parse: Unexpected end of input at line 1, column 1."
    assert err("parse", "[1, x]") == "json.parse: Unexpected character 'x' at line 1, column 5."
    assert err("parse", '{\n  "a": 1,\n  "b" 2\n}') == "json.parse: Unexpected character '2' at line 3, column 7."
    assert err("parse", '{"a":1 "b":2}') == "json.parse: Unexpected character '\"' at line 1, column 8."
    assert err("parse", "[1,]") == "json.parse: Unexpected character ']' at line 1, column 4."
    assert err("parse", "{'a':1}") == "json.parse: Unexpected character '\\'' at line 1, column 2."
    assert err("parse", "tru") == "json.parse: Unexpected end of input at line 1, column 4."
    assert err("parse", "trux") == "json.parse: Unexpected character 'x' at line 1, column 4."
    assert err("parse", "01") == "json.parse: Unexpected character '1' at line 1, column 2."
    assert err("parse", "1.") == "json.parse: Unexpected character '.' at line 1, column 2."
    assert err("parse", "-") == "json.parse: Unexpected end of input at line 1, column 2."
    assert err("parse", "[1] 2") == "json.parse: Unexpected character '2' at line 1, column 5."
    assert err("parse", '"abc') == "json.parse: Unterminated string at line 1, column 1."
    assert err("parse", r'"a\qb"') == "json.parse: Invalid escape '\\q' at line 1, column 3."
    assert err("parse", r'"\u12G4"').startswith("json.parse: Invalid \\u escape")
    assert err("parse", "\n\n  @") == "json.parse: Unexpected character '@' at line 3, column 3."
    assert err("parse", 5.0) == "json.parse: argument 1 must be a string, got number."


def test_parse_deep_nesting_is_an_error_not_a_crash():
    msg = err("parse", "[" * 100000)
    assert msg.startswith("json.parse: ")


def test_round_trip_matches_python_json():
    doc = {"a": [1.0, 2.5, "x", None, True], "b": {"c": "é\n\"", "d": []}}
    text = call("stringify", doc)
    assert pyjson.loads(text) == doc
    assert call("parse", text) == doc
    assert call("parse", call("stringify", doc, True)) == doc


# ---- files -----------------------------------------------------------------------------------------------------

def test_files(tmp_path):
    p = str(tmp_path / "c.json")
    assert call("writeFile", p, {"name": "Alice", "n": 1.0}) is True
    assert open(p).read() == '{"name":"Alice","n":1}'
    assert call("readFile", p) == {"name": "Alice", "n": 1.0}
    assert call("writeFile", p, [1.0], True) is True
    assert open(p).read() == "[\n  1\n]"
    missing = str(tmp_path / "missing.json")
    assert err("readFile", missing) == f"json.readFile: cannot open '{missing}': No such file or directory."
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": }')
    assert err("readFile", str(bad)) == f"json.readFile: Unexpected character '}}' at line 1, column 7 in '{bad}'."
    assert "cannot write" in err("writeFile", str(tmp_path / "no" / "x.json"), 1.0)


# ---- object helpers --------------------------------------------------------------------------------------------

def test_get_set_has_delete():
    obj = {"user": "alice", "score": 100.0}
    assert call("get", obj, "user") == "alice"
    assert call("get", obj, "missing") is None
    assert call("get", ["a", "b"], "1") == "b"
    assert call("get", ["a", "b"], 0.0) == "a"
    assert call("get", ["a", "b"], "5") is None
    assert call("get", ["a", "b"], "x") is None
    assert err("get", "str", "k") == "json.get: argument 1 must be an object, got string."
    assert err("get", obj, 1.0) == "json.get: argument 2 (key) must be a string, got number."
    assert call("set", obj, "age", 30.0) is obj and obj["age"] == 30
    assert list(obj) == ["user", "score", "age"]
    assert call("has", obj, "age") is True and call("has", obj, "nope") is False
    assert call("has", [1.0], 0.0) is True and call("has", [1.0], 1.0) is False
    assert call("delete", obj, "score") is obj and "score" not in obj
    assert call("delete", obj, "never") is obj


def test_keys_values_merge():
    obj = {"name": "Alice", "age": 30.0}
    assert call("keys", obj) == ["name", "age"]
    assert call("values", obj) == ["Alice", 30.0]
    merged = call("merge", {"name": "Alice", "age": 30.0}, {"age": 31.0, "city": "NYC"})
    assert merged == {"name": "Alice", "age": 31.0, "city": "NYC"}
    assert list(merged) == ["name", "age", "city"]
    assert err("keys", [1.0]) == "json.keys: argument 1 must be an object, got array."
    assert err("merge", {}, None) == "json.merge: argument 2 must be an object, got nil."


def test_clone_is_deep_and_keeps_sharing():
    inner = {"x": 1.0}
    obj = {"a": inner, "b": inner, "list": [inner]}
    copy = call("clone", obj)
    assert copy == obj and copy is not obj
    assert copy["a"] is not inner and copy["a"] is copy["b"] is copy["list"][0]
    copy["a"]["x"] = 2.0
    assert inner["x"] == 1.0
    cyc = []
    cyc.append(cyc)
    c2 = call("clone", cyc)
    assert c2[0] is c2
    assert call("clone", 5.0) == 5.0
