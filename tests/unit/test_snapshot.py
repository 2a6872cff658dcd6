"""Snapshots, in-process: what survives a checkpoint and resume, the file format, failed writes and damaged files;
and, in a separate process, that a resume does without the front end.

Programs are written to tmp_path and run with neutron.runner.run_file / resume_file on StringIO streams. Each
program receives the snapshot path as its first argument (`var P = sys.args()[1];`). A resume happens with the
source file deleted unless a test says otherwise, so everything must come from the snapshot.
"""
from __future__ import annotations

import ast
import errno
import io
import os
import random
import stat
import struct
import subprocess
import sys
import time
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neutron
from neutron import durable as S
from neutron.durable import atomic, columns, reader, writer
from neutron.durable.format import FORMAT_VERSION, MAGIC, read_fields
from neutron.runner import EXIT_SNAPSHOT, resume_file, run_file
from neutron.runner import new_vm

HEAD = "use sys;\nvar P = sys.args()[1];\n"


# ---- helpers ----------------------------------------------------------------------------------------------------

def run_prog(tmp_path, source, argv=None, name="prog.nt"):
    """Run `source` (HEAD is prepended) with the snapshot path tmp_path/snap as argument 1."""
    path = tmp_path / name
    path.write_text(HEAD + source, encoding="utf-8")
    snap = tmp_path / "snap"
    out, err = io.StringIO(), io.StringIO()
    vm, status = run_file(str(path), [str(snap)] if argv is None else list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def resume(snap, argv=()):
    out, err = io.StringIO(), io.StringIO()
    vm, status = resume_file(str(snap), list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def split_run(tmp_path, source, after, keep_source=False):
    """Run the program uninterrupted, then resume its (last) snapshot with the source gone.

    `after` is what the program prints after its last checkpoint: the uninterrupted run must end with it and the
    resumed run must print exactly it. Returns the uninterrupted run's stdout."""
    status, out, err = run_prog(tmp_path, source)
    assert (status, err) == (0, ""), err
    assert out.endswith(after), out
    if not keep_source:
        os.unlink(tmp_path / "prog.nt")
    status2, out2, err2 = resume(tmp_path / "snap")
    assert (status2, err2) == (0, ""), err2
    assert out2 == after
    return out


def header(data):
    """(magic, format version, body length, crc, runtime version, header size)"""
    version, flen = struct.unpack("<HI", data[8:14])
    size = 14 + flen + 12
    length, crc = struct.unpack("<QI", data[size - 12:size])
    runtime = read_fields(data[14:14 + flen])["runtime"].encode("ascii")
    return data[:8], version, length, crc, runtime, size


def refused(data):
    """load_snapshot must refuse `data` with a SnapshotError whose message is one line; returns the message."""
    with pytest.raises(S.SnapshotError) as e:
        S.load_snapshot(new_vm(out=io.StringIO()), data)
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


def assert_resume_refused(path):
    status, out, err = resume(path)
    assert status == EXIT_SNAPSHOT == 66
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("neutron: cannot resume")
    assert "Traceback" not in err
    return err


# A program with a bit of everything: classes, closures, a deep stack, modules, handlers, iterators.
VARIED = """
use math;
use json;
class Point {
    fun initialize(x, y) { this.x = x; this.y = y; }
    fun norm() { return math.sqrt(this.x * this.x + this.y * this.y); }
}
fun counter() {
    var n = 0;
    return fun() { n = n + 1; return n; };
}
var next = counter();
next();
var pts = [Point(3, 4), Point(6, 8)];
var floats = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5];
var text = "héllo ✓ 😀";
fun deep(k) {
    if (k == 0) {
        for (var i in {a: 1, b: 2}) {
            try {
                if (i == "b") sys.checkpoint(P);
            } catch (e) { say(e); }
        }
        return 0;
    }
    return 1 + deep(k - 1);
}
say(deep(30));
say(next());
say(pts[1].norm() + floats[9]);
say(json.stringify({t: text}));
"""
VARIED_AFTER = '30\n2\n19.5\n{"t":"héllo ✓ 😀"}\n'


@pytest.fixture
def varied_snapshot(tmp_path):
    split_run(tmp_path, VARIED, VARIED_AFTER, keep_source=True)
    return tmp_path / "snap"


# ---- sys.checkpoint and sys.resumed ---------------------------------------------------------------------------

def test_checkpoint_returns_true_and_prints_nothing(tmp_path):
    status, out, err = run_prog(tmp_path, "var r = sys.checkpoint(P);\n")
    assert (status, out, err) == (0, "", "")
    assert (tmp_path / "snap").is_file()
    status, out, err = run_prog(tmp_path, "say(sys.checkpoint(P));\n")
    assert (status, out, err) == (0, "true\n", "")
    status, out, err = resume(tmp_path / "snap")
    assert (status, out, err) == (0, "true\n", "")


def test_resumed_is_true_only_in_a_resumed_process(tmp_path):
    src = """
say("before " + sys.resumed());
sys.checkpoint(P);
say("after " + sys.resumed());
"""
    status, out, err = run_prog(tmp_path, src)
    assert (status, out) == (0, "before false\nafter false\n")
    os.unlink(tmp_path / "prog.nt")
    assert resume(tmp_path / "snap") == (0, "after true\n", "")


def test_resume_continues_right_after_the_call_in_an_expression(tmp_path):
    split_run(tmp_path, """
fun f(a, b, c) { return a + "," + b + "," + c; }
var x = 1;
say(f(x + 1, sys.checkpoint(P), x + 3) + " " + [x, sys.resumed()].length);
""", "2,true,4 2\n")


# ---- what survives ----------------------------------------------------------------------------------------------

def test_globals_and_locals(tmp_path):
    split_run(tmp_path, """
var g = 1;
var untouched = "same";
fun f(a, b) {
    var local = a + b;
    var arr = [a, b];
    sys.checkpoint(P);
    g = g + local;
    return arr[0] * arr[1] + local;
}
say(f(3, 4));
say(g);
say(untouched);
""", "19\n8\nsame\n")


def test_closures_share_captured_cells(tmp_path):
    split_run(tmp_path, """
fun makePair() {
    var n = 0;
    return [fun() { n = n + 1; return n; }, fun() { return n; }];
}
var c = makePair();
c[0](); c[0]();
var other = makePair();
other[0]();
fun owner() {
    var v = 1;
    var bump = fun() { v = v * 10; };
    sys.checkpoint(P);
    bump();
    bump();
    return v;
}
say(owner());
c[0]();
say(c[1]());
say(other[1]());
var adders = [];
for (var i = 0; i < 3; i++) {
    var mine = i * 10;
    adders.push(fun(y) { return mine + y; });
}
say(adders[0](1) + adders[1](1) + adders[2](1));
""", "100\n3\n1\n33\n")


def test_classes_instances_and_bound_methods(tmp_path):
    split_run(tmp_path, """
class Account {
    var history = [];
    fun initialize(owner) { this.owner = owner; this.balance = 0; }
    fun deposit(n) { this.balance = this.balance + n; this.history.push(n); return this; }
    fun report() { return this.owner + ": " + this.balance + " " + this.history; }
}
var a = Account("Ann");
a.deposit(5);
var dep = a.deposit;
var cls = Account;
sys.checkpoint(P);
dep(7);
say(a.report());
var b = cls("Bob");
say(b.report());
b.deposit(1).deposit(2);
say(b.report());
say(a);
""", "Ann: 12 [5, 7]\nBob: 0 []\nBob: 3 [1, 2]\n<Account instance>\n")


def test_checkpoint_inside_a_constructor_and_a_method(tmp_path):
    split_run(tmp_path, """
class Box {
    fun initialize(v) {
        this.v = v;
        sys.checkpoint(P);
        this.w = v * 2;
    }
    fun total() { return this.v + this.w; }
}
var b = Box(21);
say(b.total());
""", "63\n")


def test_every_used_module_works_after_resume(tmp_path):
    (tmp_path / "counter.nt").write_text("var count = 0;\nfun bump() { count = count + 1; return count; }\n")
    split_run(tmp_path, """
use json; use math; use time; use fmt; use arrays; use regex; use random; use path; use strings;
use collections; use crypto; use log; use http;
use counter;
counter.bump();
var set = collections.set_new();
collections.set_add(set, 1);
var srv = http.createServer(fun(req) { return "x"; });
var sq = math.sqrt;
sys.checkpoint(P);
say(json.stringify({a: [1, 2]}));
say(math.pow(2, 10) + sq(9));
say(time.now() > 0);
say(fmt.to_hex(255));
say(arrays.range(0, 3));
say(arrays.map([1, 2], fun(x) { return x * 2; }));
say(regex.replace("a+", "caat", "b") != nil);
say(path.basename("/x/y.txt"));
say(strings.repeat("ab", 2));
say(collections.set_has(set, 1));
say(crypto.hex_encode("hi"));
say(log.get_level() != nil);
say(http.urlEncode("a b"));
say(srv.running);
say(random.randint(1, 1) + counter.bump());
say(sys.exists(P));
""", "{\"a\":[1,2]}\n1027\ntrue\nff\n[0, 1, 2]\n[2, 4]\ntrue\ny.txt\nabab\ntrue\n6869\ntrue\na+b\nfalse\n3\n"
         "true\n")


def test_module_settings_survive(tmp_path):
    """The log module's settings are program state: the level and the log file are kept by the snapshot."""
    logfile = tmp_path / "app.log"
    status, out, err = run_prog(tmp_path, f"""
use log;
log.set_level("error");
log.set_file("{logfile}");
sys.checkpoint(P);
say(log.get_level());
log.info("hidden");
log.error("shown");
""")
    assert status == 0, err
    os.unlink(tmp_path / "prog.nt")
    os.unlink(logfile)
    status, out, err = resume(tmp_path / "snap")
    assert status == 0, err
    assert out.splitlines()[0] == "3"
    assert "shown" in out and "hidden" not in out
    text = logfile.read_text()
    assert "[ERROR] shown" in text and "hidden" not in text


def test_a_module_imported_only_after_resume(tmp_path):
    split_run(tmp_path, """
sys.checkpoint(P);
use math;
say(math.sqrt(16));
""", "4\n")


def test_a_native_modules_neutron_functions_keep_their_identity(tmp_path):
    """arrays.map is written in Neutron: the snapshot carries it, so a reference taken before is still the same
    function after the resume."""
    split_run(tmp_path, """
use arrays;
var f = arrays.map;
sys.checkpoint(P);
say(f == arrays.map);
say(f([1, 2], fun(x) { return x + 1; }));
""", "true\n[2, 3]\n")


def test_try_handlers_and_exception_in_flight(tmp_path):
    split_run(tmp_path, """
class Oops { fun initialize(m) { this.m = m; } }
fun thrower() { throw Oops("bad"); }
var log = [];
try {
    try {
        thrower();
    } finally {
        sys.checkpoint(P);
        log.push("finally");
    }
    log.push("not reached");
} catch (e) {
    log.push("caught " + e.m);
}
say(log);
try {
    throw "again";
} catch (e) {
    say(e);
}
""", "[finally, caught bad]\nagain\n")


def test_handler_opened_before_the_checkpoint_catches_after_it(tmp_path):
    split_run(tmp_path, """
fun deep(n) {
    if (n == 0) {
        sys.checkpoint(P);
        return 1 / 0;
    }
    return deep(n - 1);
}
try {
    deep(25);
} catch (e) {
    say("caught " + e);
}
try {
    sys.checkpoint(P);
    throw "x";
} catch (e) {
    say("second " + e);
} finally {
    say("finally");
}
""", "second x\nfinally\n")


def test_checkpoint_inside_catch_keeps_the_exception(tmp_path):
    split_run(tmp_path, """
class E { fun initialize(code) { this.code = code; } }
try {
    throw E(42);
} catch (e) {
    sys.checkpoint(P);
    say("code " + e.code);
}
""", "code 42\n")


def test_loop_iterators(tmp_path):
    split_run(tmp_path, """
var o = {zeta: 1, alpha: 2, mid: 3};
var seen = [];
var arr = ["a", "b", "c", "d"];
var s = "";
for (var i in arr) {
    for (var k in o) {
        if (i == 2 and k == "alpha") sys.checkpoint(P);
        if (i == 2) seen.push(k);
    }
    s = s + arr[i];
}
say(seen);
say(s);
var w = 0;
while (w < 5) { w = w + 1; }
say(w);
""", "[zeta, alpha, mid]\nabcd\n5\n")


def test_object_iteration_keys_are_fixed_when_the_loop_starts(tmp_path):
    split_run(tmp_path, """
var o = {zeta: 1, alpha: 2, mid: 3};
var seen = [];
for (var k in o) {
    seen.push(k);
    if (k == "zeta") sys.checkpoint(P);
    o[k + "2"] = 0;
}
say(seen);
var out = "";
for (var j in "héllo") {
    if (j == 1) sys.checkpoint(P);
    out = out + "héllo"[j].upper();
}
say(out);
""", "HÉLLO\n")


def test_retry_counters(tmp_path):
    split_run(tmp_path, """
var attempts = 0;
retry (5) {
    attempts++;
    if (attempts == 2) sys.checkpoint(P);
    if (attempts < 4) throw "fail " + attempts;
    say("succeeded on " + attempts);
}
""", "succeeded on 4\n")


def test_retry_exhausted_after_resume(tmp_path):
    split_run(tmp_path, """
var n = 0;
retry (3) {
    n++;
    if (n == 1) sys.checkpoint(P);
    throw "fail " + n;
} catch (e) {
    say(e);
}
say(n);
""", "fail 3\n3\n")


def test_typed_and_static_declarations(tmp_path):
    split_run(tmp_path, """
var int count = 1;
static var LIMIT = 10;
fun half(int n) -> int { return n / 2; }
fun wrong() -> string { return 5; }
class T { var int n = 0; }
sys.checkpoint(P);
try { count = "many"; } catch (e) { say(e.contains("Type mismatch")); }
say(count);
try { half("x"); } catch (e) { say(e); }
try { wrong(); } catch (e) { say(e.contains("Type mismatch")); }
say(LIMIT);
say(half(8));
var t = T();
say(t.n);
""", "true\n1\nType mismatch in function 'half' parameter 1: expected 'int' but got 'string'\ntrue\n10\n4\n"
         "0\n")


@pytest.mark.parametrize("before", ["random.seed(5);", "random.seed(5); random.gauss();", "random.random();"])
def test_random_sequence_continues_as_in_an_uninterrupted_run(tmp_path, before):
    src = "use random;\n" + before + """
var a = random.random();
sys.checkpoint(P);
say(random.random());
say(random.randint(1, 1000000));
say(random.gauss());
say(random.choice([1, 2, 3, 4, 5, 6, 7, 8, 9]));
var arr = [1, 2, 3, 4, 5, 6, 7, 8];
random.shuffle(arr);
say(arr);
"""
    status, out, err = run_prog(tmp_path, src)
    assert (status, err) == (0, "")
    os.unlink(tmp_path / "prog.nt")
    assert resume(tmp_path / "snap") == (0, out, "")
    assert resume(tmp_path / "snap") == (0, out, "")


def test_random_seed_5_matches_a_run_without_checkpoint(tmp_path):
    """The numbers after the resume are those an uninterrupted run without any checkpoint draws."""
    draws = "say(random.random()); say(random.random()); say(random.randint(1, 100));\n"
    status, plain, err = run_prog(tmp_path, "use random;\nrandom.seed(5);\nrandom.random();\n" + draws)
    assert status == 0
    status, out, err = run_prog(tmp_path, "use random;\nrandom.seed(5);\nrandom.random();\nsys.checkpoint(P);\n"
                                + draws)
    assert (status, out) == (0, plain)
    os.unlink(tmp_path / "prog.nt")
    assert resume(tmp_path / "snap") == (0, plain, "")


def test_aliasing_and_cycles(tmp_path):
    split_run(tmp_path, """
var shared = [1, 2];
var holder = {a: shared, b: shared, list: [shared, shared]};
var cyc = {name: "cyc"};
cyc.self = cyc;
var ring = [];
ring.push(ring);
class Node { fun initialize(v) { this.v = v; this.next = nil; } }
var n1 = Node(1);
var n2 = Node(2);
n1.next = n2;
n2.next = n1;
var fl = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5];
var flAlias = {f: fl};
var f = fun() { return n1; };
sys.checkpoint(P);
holder.a.push(3);
say(holder.b);
say(holder.list[1]);
say(shared.length);
cyc.self.self.name = "changed";
say(cyc.name);
say(ring[0][0][0].length);
n2.next.v = 10;
say(n1.v + n1.next.next.v);
say(f().next.next == n1);
flAlias.f.push(10.5);
say(fl.length);
say(fl[10]);
""", "[1, 2, 3]\n[1, 2, 3]\n3\nchanged\n1\n20\ntrue\n11\n10.5\n")


def test_unicode_strings(tmp_path):
    split_run(tmp_path, """
use strings;
var s = "héllo wörld ✓ 😀 ключ 中文";
var o = {"ключ": "значение", "😀": s};
var z = strings.from_char_code(0) + "é" + strings.from_char_code(127);
var long = "ab✓😀" * 50000;
sys.checkpoint(P);
say(s);
say(s.length);
say(o["ключ"] + o["😀"].length);
say(s.upper());
say(z.length + " " + strings.char_code(z, 0) + " " + strings.char_code(z, 1));
say(long.length + " " + (long == "ab✓😀" * 50000));
""", "héllo wörld ✓ 😀 ключ 中文\n23\nзначение23\nHÉLLO WÖRLD ✓ 😀 КЛЮЧ 中文\n3 0 233\n200000 true\n")


def test_numbers(tmp_path):
    split_run(tmp_path, """
var big = 1e300 * 1e10;
var vals = [1/3, -0, 0.1 + 0.2, 1e300, -1e-300, 9007199254740993, 123456789, -5, big, -big, big - big, 2.5];
sys.checkpoint(P);
say(vals);
say(vals[0] * 3 == 1);
say(vals[2] == 0.1 + 0.2);
say(vals[10] == vals[10]);
say(1 / vals[3]);
""", "[0.333333333333333, -0, 0.3, 1e+300, -1e-300, 9.00719925474099e+15, 123456789, -5, inf, -inf, nan, 2.5]\n"
         "true\ntrue\nfalse\n1e-300\n")


def test_arrays_of_numbers_booleans_and_mixed_values(tmp_path):
    """Arrays longer than FLOATS_MIN made only of numbers are written as doubles; booleans (which an array of
    doubles would take as 1 and 0) and anything else keep them out of that form."""
    split_run(tmp_path, """
var nums = [];
var flags = [];
var mixed = [];
var ones = [];
for (var i = 0; i < 20; i++) {
    nums.push(i * 0.5 - 3);
    flags.push(i % 2 == 0);
    ones.push(1);
    mixed.push(i);
}
flags.push(1);
ones.push(0);
mixed.push(true);
mixed.push(nil);
mixed.push("s");
sys.checkpoint(P);
say(nums);
say(flags);
say(ones);
say(mixed);
say(flags[0] == true and flags[20] == 1);
""", "[-3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5]\n"
         "[true, false, true, false, true, false, true, false, true, false, true, false, true, false, true, false, "
         "true, false, true, false, 1]\n"
         "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]\n"
         "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, true, nil, s]\ntrue\n")


def test_only_arrays_of_numbers_are_written_as_doubles():
    """writer.doubles_of packs an array's numbers as little-endian doubles in one call; it gives None when anything
    else is among them: a boolean (which struct, like array('d'), would take as 1 or 0), a string, nil, an array."""
    nums = [0.5, -0.0, float("inf"), float("nan"), 1.0, 0.0, 1e300, -2.0 ** 62]
    assert writer.doubles_of(nums) == struct.pack("<8d", *nums)
    for other in (True, False, "1", None, [1.0]):
        assert writer.doubles_of(nums + [other]) is None
        assert writer.doubles_of([other] + nums) is None


def test_new_objects_met_more_than_once_among_other_classes(tmp_path):
    """Objects first met together, several of them more than once and of three classes (writer.enter enters each
    once, in the order of first appearance): each keeps its identity."""
    split_run(tmp_path, """
class Pt { fun initialize(a, b) { this.a = a; this.b = b; } }
fun make() {
    var a = {"k": 1};
    var p = Pt(1, 2);
    var l = [7];
    return [a, p, a, l, p, a, l, {"k": 2}, Pt(3, 4), p];
}
var mix = make();
sys.checkpoint(P);
mix[0]["k"] = 5;
mix[1].a = 9;
mix[3].push(8);
say(mix[2]["k"] + mix[5]["k"]);
say(mix[4].a + mix[9].a);
say(mix[6].length);
say(mix[7]["k"] + mix[8].b);
""", "10\n18\n2\n6\n")


def test_objects_and_instances_of_one_shape(tmp_path):
    """Runs of objects and of instances that share one shape (writer.shapes_of finds it without a tuple per object)
    and runs that do not: keys, values, their order and classes survive, aliasing too."""
    split_run(tmp_path, """
class Pt { fun initialize(a, b) { this.a = a; this.b = b; } }
class Qu { fun initialize(a) { this.a = a; } }
fun frames(n, rows, ps) {
    var mine = [{"depth": n, "i": 0}, Pt(n, 1), {"depth": n, "i": 2}, Pt(n, 3)];
    rows.push(mine[0]);
    ps.push(mine[1]);
    if (n == 0) {
        sys.checkpoint(P);
        return mine;
    }
    var below = frames(n - 1, rows, ps);
    return [mine, below];
}
var rows = [];
var ps = [];
var odd = [{"i": 1, "depth": 2}, {}, {"x": nil}, Qu(5), Pt("s", [1]), {"depth": "a", "i": true}];
var r = frames(300, rows, ps);
var same = 0;
for (var i = 0; i < rows.length; i++) {
    if (rows[i]["depth"] == 300 - i and rows[i]["i"] == 0 and ps[i].a == 300 - i and ps[i].b == 1) { same++; }
}
rows[0]["i"] = 9;
say(same + " " + r[0][0]["i"] + " " + r[1][0][2] + " " + odd);
say("" + odd[3] + " " + odd[3].a + " " + ps[7] + " " + ps[7].b + " " + odd[4].a + odd[4].b[0]);
""", "301 9 {depth: 299, i: 2} [{i: 1, depth: 2}, {}, {x: nil}, <Qu instance>, <Pt instance>, "
     "{depth: a, i: true}]\n<Qu instance> 5 <Pt instance> 1 s1\n")


def test_a_large_state_is_compact(tmp_path):
    """Many small objects holding small integers and repeated keys: the string table and the narrow integer
    columns keep the file small (format 2 wrote this state in 315,859 bytes, 15.8 per object; format 3 in
    240,675)."""
    status, out, err = run_prog(tmp_path, """
var rows = [];
for (var i = 0; i < 20000; i++) {
    rows.push({"id": i, "n": i % 10});
}
var t = 1700000000000;
sys.checkpoint(P);
say(rows[19999]["id"] + rows.length);
""")
    assert (status, err) == (0, ""), err
    size = os.path.getsize(tmp_path / "snap")
    assert size < 20000 * 13, size
    assert resume(tmp_path / "snap") == (0, "39999\n", "")


def test_buffers(tmp_path):
    split_run(tmp_path, """
var b = sys.alloc(4);
b[0] = 255;
var alias = [b];
sys.checkpoint(P);
alias[0][1] = 7;
say(b[0] + b[1]);
say(b.length);
""", "262\n4\n")


def test_deep_stack(tmp_path):
    split_run(tmp_path, """
fun down(n) {
    if (n == 0) { sys.checkpoint(P); return 0; }
    return n + down(n - 1);
}
say(down(3000));
""", "4501500\n")


def test_resume_again_and_again(tmp_path):
    """The same snapshot resumes to the same output each time and is not changed by a resume."""
    src = """
var total = 0;
for (var i = 0; i < 5; i++) {
    total = total + i;
    if (i == 2) sys.checkpoint(P);
}
say(total);
"""
    status, out, err = run_prog(tmp_path, src)
    assert (status, out) == (0, "10\n")
    os.unlink(tmp_path / "prog.nt")
    data = (tmp_path / "snap").read_bytes()
    for _ in range(3):
        assert resume(tmp_path / "snap") == (0, "10\n", "")
        assert (tmp_path / "snap").read_bytes() == data


def test_chained_resumes_like_the_monitor(tmp_path):
    src = """
var days = 0;
while (true) {
    days = days + 1;
    say("Day " + days + " complete. Hibernating...");
    sys.checkpoint(P);
    sys.exit(0);
    say("Waking up for next day! resumed=" + sys.resumed());
}
"""
    status, out, err = run_prog(tmp_path, src)
    assert (status, out, err) == (0, "Day 1 complete. Hibernating...\n", "")
    os.unlink(tmp_path / "prog.nt")
    for day in (2, 3, 4):
        assert resume(tmp_path / "snap") == (
            0, f"Waking up for next day! resumed=true\nDay {day} complete. Hibernating...\n", "")


def test_exit_status_and_uncaught_errors_after_resume(tmp_path):
    status, out, err = run_prog(tmp_path, """
sys.checkpoint(P);
if (sys.resumed()) sys.exit(7);
say("first");
""")
    assert (status, out) == (0, "first\n")
    assert resume(tmp_path / "snap")[0] == 7
    status, out, err = run_prog(tmp_path, """
var a = [1];
sys.checkpoint(P);
say("ok");
say(a[5]);
""")
    assert status == 1
    status, out, err = resume(tmp_path / "snap")
    assert status == 1 and out == "ok\n"
    assert "RuntimeError" in err and "Traceback" not in err


def test_args_env_and_clock_are_read_fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("NT_SNAP_TEST_VAR", "before")
    use_time = "use time;\n"
    status, out, err = run_prog(tmp_path, use_time + """
var env1 = sys.env("NT_SNAP_TEST_VAR");
var args1 = sys.args();
var t1 = time.now();
sys.checkpoint(P);
say(env1 + " " + sys.env("NT_SNAP_TEST_VAR"));
say(args1.length + " " + sys.args());
say(time.now() - t1);
say(time.now());
""")
    assert status == 0
    os.unlink(tmp_path / "prog.nt")
    monkeypatch.setenv("NT_SNAP_TEST_VAR", "after")
    time.sleep(0.05)
    lo = time.time() * 1000
    status, out, err = resume(tmp_path / "snap", ["x", "y"])
    hi = time.time() * 1000
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "before after"
    assert lines[1] == f"2 [{tmp_path / 'prog.nt'}, x, y]"
    assert float(lines[2]) >= 40
    assert lo - 1 <= float(lines[3]) <= hi + 1


def test_changed_source_gives_one_line_on_stderr(tmp_path):
    src = "var x = 1;\nsys.checkpoint(P);\nsay(\"old code \" + x);\n"
    status, out, err = run_prog(tmp_path, src)
    assert status == 0
    assert resume(tmp_path / "snap") == (0, "old code 1\n", "")           # unchanged source: nothing
    (tmp_path / "prog.nt").write_text(HEAD + src.replace("old", "new"), encoding="utf-8")
    status, out, err = resume(tmp_path / "snap")
    assert (status, out) == (0, "old code 1\n")
    assert err.count("\n") == 1 and err.endswith("\n")
    assert "changed" in err and "snapshot's code is used" in err and "prog.nt" in err
    os.unlink(tmp_path / "prog.nt")
    assert resume(tmp_path / "snap") == (0, "old code 1\n", "")           # deleted source: nothing


# ---- the file ---------------------------------------------------------------------------------------------------

def test_header_layout(varied_snapshot):
    data = varied_snapshot.read_bytes()
    magic, version, length, crc, runtime, size = header(data)
    assert magic == MAGIC == b"NTRNSNAP"
    assert version == FORMAT_VERSION
    assert runtime == neutron.__version__.encode("ascii")
    assert length == len(data) - size
    body = data[size:]
    assert crc == zlib.crc32(body, zlib.crc32(data[10:size - 12]))        # the header's fields + body


def test_no_pickle_or_marshal_in_the_package():
    folder = os.path.dirname(S.__file__)
    names = [n for n in os.listdir(folder) if n.endswith(".py")]
    assert "reader.py" in names
    for name in names:
        src = open(os.path.join(folder, name), encoding="utf-8").read()
        for word in ("import pickle", "import marshal", "eval(", "exec("):
            assert word not in src, name


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_mode_is_0600_whatever_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        status, out, err = run_prog(tmp_path, "sys.checkpoint(P);\n")
    finally:
        os.umask(old)
    assert status == 0
    assert stat.S_IMODE(os.stat(tmp_path / "snap").st_mode) == 0o600


def test_overwriting_a_readable_file_leaves_it_0600(tmp_path):
    snap = tmp_path / "snap"
    snap.write_text("old")
    os.chmod(snap, 0o644)
    status, out, err = run_prog(tmp_path, "sys.checkpoint(P);\nsay(\"x\");\n")
    assert status == 0
    assert stat.S_IMODE(os.stat(snap).st_mode) == 0o600
    assert snap.read_bytes().startswith(MAGIC)


def test_written_to_a_temp_file_in_the_same_folder_fsynced_then_renamed(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", stat.S_ISREG(os.fstat(fd).st_mode)))
        return real_fsync(fd)

    def replace(src, dst):
        src, dst = os.fspath(src), os.fspath(dst)
        events.append(("replace", src, dst, stat.S_IMODE(os.stat(src).st_mode), open(src, "rb").read()))
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    status, out, err = run_prog(tmp_path, "sys.checkpoint(P);\n")
    monkeypatch.undo()
    assert status == 0, err
    names = [e[0] for e in events]
    assert ("fsync", True) in events
    i = names.index("replace")
    assert ("fsync", True) in events[:i]                                  # the data reached the disk before
    _, src, dst, mode, content = events[i]
    assert os.path.dirname(os.path.abspath(src)) == str(tmp_path)
    assert os.path.abspath(dst) == str(tmp_path / "snap")
    assert mode == 0o600
    assert content == (tmp_path / "snap").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["prog.nt", "snap"]           # no temporary file left


def encoded(put, *args):
    out = []
    put(out, *args)
    return memoryview(b"".join(bytes(memoryview(p).cast("B")) for p in out))


@given(st.lists(st.one_of(st.integers(0, 300), st.integers(0, 70000), st.integers(0, 2 ** 64 - 1),
                          st.sampled_from([0, 254, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32])), max_size=60))
@settings(max_examples=300, deadline=None)
def test_integer_columns_read_back_what_was_written(u):
    body = encoded(columns.put_uints, u)
    cur = columns.Cursor(body)
    assert columns.get_uints(cur) == u and cur.pos == len(body)


# Runs of one kind of value, long and short, as columns have them: interleave takes the long ones (RUN or more)
# whole, the reading of the values and numbers columns must not tell.
RUN_LENGTHS = st.one_of(st.integers(1, 3), st.integers(columns.RUN - 2, columns.RUN + 2), st.integers(40, 700))


@given(st.lists(st.tuples(st.sampled_from([0, 7, 254, 255, 256, 65534, 65535, 65536, 2 ** 40]), RUN_LENGTHS),
                min_size=1, max_size=8))
@settings(max_examples=150, deadline=None)
def test_long_integer_columns_with_few_or_many_large_ones_read_back(runs):
    u = []
    for base, n in runs:
        u += [base + (k % 3) for k in range(n)]
    body = encoded(columns.put_uints, u)
    cur = columns.Cursor(body)
    assert columns.get_uints(cur) == u and cur.pos == len(body)


@pytest.mark.parametrize("n, markers, large", [(40, 2, 1), (40, 1, 2), (40, 0, 1), (4, 2, 1), (4, 1, 2),
                                               (40, 3, 3)])
def test_an_integer_column_whose_markers_do_not_match_its_large_integers(n, markers, large):
    """narrow 1, wide 4: each 255 among the narrow bytes stands for the next large integer; a count that differs is
    refused, whether they are few (found by a search) or many. The unaligned 255s of a wider column are no markers."""
    lows = bytes([255] * markers + [1] * (n - markers))
    body = bytes([0x14]) + columns.varint(n) + lows + columns.varint(large) + struct.pack(f"<{large}I", *[300] * large)
    cur = columns.Cursor(memoryview(body))
    if markers == large:
        assert columns.get_uints(cur) == [300] * markers + [1] * (n - markers)
    else:
        with pytest.raises(S.SnapshotError, match="bad column"):
            columns.get_uints(cur)
    # narrow 2: 0x01FF, 0xFF01 side by side hold the bytes ff ff across two integers
    u = [0x1FF, 0xFF01] * 20 + [0xFFFF, 70000]
    body = encoded(columns.put_uints, u)
    assert body[0] == 0x24 and columns.get_uints(columns.Cursor(body)) == u


NUMBERS = st.one_of(st.floats(), st.integers(-2 ** 70, 2 ** 70).map(float), st.integers(-300, 300).map(float),
                    st.sampled_from([0.0, -0.0, 2.0 ** 62, -2.0 ** 62, 2.0 ** 62 - 1024, 1.7e12]))


@given(st.lists(NUMBERS, min_size=1, max_size=40))
@settings(max_examples=300, deadline=None)
def test_number_columns_read_back_every_bit(nums):
    body = encoded(columns.put_numbers, nums)
    cur = columns.Cursor(body)
    back = columns.get_numbers(cur, len(nums))
    assert cur.pos == len(body)
    assert [struct.pack("<d", x) for x in back] == [struct.pack("<d", x) for x in nums]




@given(st.lists(st.tuples(st.integers(0, 4), RUN_LENGTHS), min_size=1, max_size=12), st.randoms())
@settings(max_examples=150, deadline=None)
def test_value_columns_with_long_runs_read_back_in_order(runs, rnd):
    objects = [[k] for k in range(50)]
    strings = ["", "a", "b\u00e9"]
    values = []
    for tag, n in runs:
        for _ in range(n):
            values.append((None, rnd.random() < 0.5, rnd.choice([1.0, -2.0, 0.5, 3e9]), rnd.choice(strings),
                           rnd.choice(objects))[tag])
    tags = columns.tags_of(values)
    index = {x: i for i, x in enumerate(strings)}
    refs = [objects.index(v) for v in values if v.__class__ is list]
    strs = [index[v] for v in values if v.__class__ is str]
    body = encoded(columns.put_values, values, tags, strs, len(strings) - 1, refs, len(objects))
    cur = columns.Cursor(body)
    back = columns.get_values(cur, strings, objects)
    assert cur.pos == len(body)
    assert len(back) == len(values) and all(a is b or a == b and type(a) is type(b) for a, b in zip(back, values))
    for tag in range(5):
        assert columns.pick(values, tags, tag) == [v for v, t in zip(values, tags) if t == tag]


@given(st.lists(st.tuples(st.booleans(), RUN_LENGTHS), min_size=1, max_size=10))
@settings(max_examples=100, deadline=None)
def test_number_columns_with_runs_of_fractions_read_back_every_bit(runs):
    nums = []
    for fraction, n in runs:
        nums += [k + 0.25 if fraction else float(k) for k in range(n)]
    body = encoded(columns.put_numbers, nums)
    cur = columns.Cursor(body)
    assert columns.get_numbers(cur, len(nums)) == nums and cur.pos == len(body)


@given(st.integers(1, 3000), st.lists(st.tuples(st.integers(0, 2999), st.sampled_from(
    [0.5, -0.0, -2.25, 2.0 ** 53, 2.0 ** 62, -2.0 ** 63, 1e300, float("inf"), float("nan"), 7, -(2 ** 60) - 1,
     2 ** 60 + 1])), max_size=12), st.booleans())
@settings(max_examples=150, deadline=None)
def test_whole_numbers_with_a_few_others_read_back_every_bit(n, others, negative):
    """Long columns of whole numbers with a few others spread among them (columns.whole_ints finds those by
    blocks of bytes, up to BLOCKS_APART blocks, and leaves the rest to the general way)."""
    nums = [float((k * 37) % 5000 - (300 if negative else 0)) for k in range(n)]
    for at, x in others:
        if at < n:
            nums[at] = x
    as_floats = list(map(float, nums))
    body = encoded(columns.put_numbers, nums)
    assert bytes(body) == bytes(encoded(columns.put_numbers, as_floats))     # a Python int as its float
    cur = columns.Cursor(body)
    back = columns.get_numbers(cur, n)
    assert cur.pos == len(body)
    assert [struct.pack("<d", x) for x in back] == [struct.pack("<d", x) for x in as_floats]


def test_numbers_that_are_all_whole_take_the_fewest_bytes():
    nums = [float(k % 200) for k in range(1000)] + [-0.0]
    whole = encoded(columns.put_numbers, nums[:-1])
    assert whole[0] == 1 and len(whole) < 1010         # integers alone, a byte each
    mixed = encoded(columns.put_numbers, nums)          # -0.0 is a double
    assert mixed[0] == 3 and columns.get_numbers(columns.Cursor(mixed), 1001)[-1] == 0.0
    assert struct.pack("<d", columns.get_numbers(columns.Cursor(mixed), 1001)[-1]) == struct.pack("<d", -0.0)


def test_python_integers_among_numbers_are_written_as_their_floats():
    # the writer may meet an int where the program has a number: after a fraction, before one, alone
    for nums in ([0.5, 3, 2.0], [3, 0.5], [1, 2], [2 ** 60 + 1, 0.5], [-0.0, 7], [7, float("inf")]):
        as_floats = list(map(float, nums))
        assert bytes(encoded(columns.put_numbers, nums)) == bytes(encoded(columns.put_numbers, as_floats))


def test_an_object_met_twice_among_new_ones_gets_one_index():
    w = writer.Writer()
    a, b, c = [], {}, []
    w.body.vals += [a, b, a, 1.0, b, c]
    w.scan(w.body)
    # a run per class, in the order of first appearance, each object once
    assert list(map(id, w.objects)) == [id(a), id(c), id(b)] and len(w.memo) == 3
    assert [len(run) for kind, run in w.runs] == [2, 1]
    assert [w.objects[i] is v for i, v in zip(w.body.refs, (a, b, a, b, c))] == [True] * 5
    d, e = {}, {}
    w.body.vals += [d, b, e, d]
    w.scan(w.body)
    assert list(map(id, w.objects[3:])) == [id(d), id(e)] and w.body.refs[5:] == [3, 2, 4, 3]
    from neutron.runtime.values import Cell
    f, g, h, k = [], Cell(1.0), {}, Cell(2.0)        # three classes: a run each, in the order first met
    w.body.vals += [g, f, h, k, g]
    w.scan(w.body)
    assert list(map(id, w.objects[5:])) == [id(g), id(k), id(f), id(h)] and w.body.refs[9:] == [5, 7, 8, 6, 5]


@given(st.lists(st.text(st.characters(exclude_categories=()), max_size=8), max_size=30))
@settings(max_examples=200, deadline=None)
def test_the_string_table_keeps_lone_surrogates(strings):
    body = encoded(columns.put_strings, strings)
    cur = columns.Cursor(body)
    assert columns.get_strings(cur) == strings and cur.pos == len(body)


def test_the_writer_and_the_reader_know_the_same_kinds():
    for cls, kind in writer.SAVE.items():
        load = reader.LOAD[kind.tag]
        assert (load.make is None) == (kind.name is None), cls
        if load.make is None:
            shells = load.shells(3)
            assert len(shells) == 3 and all(x.__class__ is cls for x in shells), cls
            assert len({id(x) for x in shells}) == 3
    assert set(reader.LOAD) == {kind.tag for kind in writer.SAVE.values()}


# ---- a resume without the front end -------------------------------------------------------------------------------

def imports_of(path, package):
    """The modules a Python file of `package` imports, relative imports resolved, function-level ones included."""
    names = []
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(x for x in (base, node.module) if x)
            names.append(module)
            names.extend(f"{module}.{a.name}" for a in node.names)
    return names


def test_the_durable_package_imports_neither_the_front_end_nor_the_loader():
    folder = os.path.dirname(S.__file__)
    files = [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".py")]
    assert len(files) >= 6
    seen = set()
    for path in files:
        names = imports_of(path, "neutron.durable")
        seen.update(names)
        bad = [n for n in names if n.startswith(("neutron.frontend", "neutron.loader"))]
        assert bad == [], (path, bad)
    assert {"neutron.stdlib", "neutron.runtime.values", "neutron.durable.format"} <= seen     # resolved right


NO_FRONT_END = {
    "plain": ("var n = 1;\nsys.checkpoint(P);\nsay(n + 1);\n", "2\n"),
    "arrays": ("use arrays;\nsys.checkpoint(P);\nsay(arrays.range(0, 3));\nsay(arrays.reduce != nil);\n",
               "[0, 1, 2]\ntrue\n"),
    "arrays.map used before": ("use arrays;\nvar twice = fun(x) { return x * 2; };\nsay(arrays.map([1], twice));\n"
                               "sys.checkpoint(P);\nsay(arrays.map([1, 2], twice));\n", "[2, 4]\n"),
    "http": ("use http;\nsys.checkpoint(P);\nsay(http.urlEncode(\"a b\"));\n", "a+b\n"),
    "method prelude used before": ("var a = [3, 1].map(fun(x) { return x + 1; });\nsys.checkpoint(P);\n"
                                   "say(a);\nsay([5].map(fun(x) { return x; }));\n", "[4, 2]\n[5]\n"),
    "inside a callback": ("use arrays;\nvar r = arrays.map([1, 2, 3], fun(x) {\n    if (x == 2) sys.checkpoint(P);\n"
                          "    return x * 10;\n});\nsay(r);\nsay([1].filter(fun(x) { return true; }));\n",
                          "[10, 20, 30]\n[1]\n"),
}


@pytest.mark.parametrize("mode", ["vm", "compiled"])
@pytest.mark.parametrize("name", sorted(NO_FRONT_END))
def test_a_resume_does_not_import_the_front_end(tmp_path, name, mode):
    """`neutron --resume` loads no scanner, parser or compiler: the snapshot holds all the code it needs, the
    functions of native modules written in Neutron included (Lua's lundump does not include the parser either)."""
    source, after = NO_FRONT_END[name]
    status, out, err = run_prog(tmp_path, source)
    assert (status, err) == (0, ""), err
    assert out.endswith(after)
    os.unlink(tmp_path / "prog.nt")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(neutron.__file__)) + os.pathsep +
               os.environ.get("PYTHONPATH", ""))
    env.pop("NEUTRON_CHECKPOINT_LOG", None)
    env.pop("NEUTRON_TIER", None)
    if mode == "vm":
        env["NEUTRON_VM"] = "1"
    else:
        env.pop("NEUTRON_VM", None)
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "neutron", "--resume", "snap"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, after), done.stderr
    imported = [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:") and "|" in line]
    assert "neutron.durable.reader" in imported
    assert [m for m in imported if m.startswith("neutron.frontend")] == []


# ---- writes that fail -------------------------------------------------------------------------------------------

CATCHING = """
var ok = "unset";
try {
    ok = sys.checkpoint(TARGET);
} catch (e) {
    say("caught: " + e);
}
say("ok=" + ok);
"""


def _catching(tmp_path, target):
    status, out, err = run_prog(tmp_path, CATCHING.replace("TARGET", "sys.args()[2]"),
                                argv=[str(tmp_path / "snap"), str(target)])
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert lines[0].startswith("caught: sys.checkpoint: cannot write"), out
    assert lines[1] == "ok=unset"
    left = [n for n in os.listdir(tmp_path) if n.endswith(".tmp") or n.startswith(".snap-")]
    assert left == []
    return lines[0]


def test_write_into_a_missing_folder_fails_catchably(tmp_path):
    msg = _catching(tmp_path, tmp_path / "no" / "such" / "dir" / "x.snap")
    assert "x.snap" in msg


def test_write_below_a_regular_file_fails_catchably(tmp_path):
    (tmp_path / "plain.txt").write_text("not a folder")
    _catching(tmp_path, tmp_path / "plain.txt" / "x.snap")
    assert (tmp_path / "plain.txt").read_text() == "not a folder"


def test_write_over_a_directory_fails_catchably(tmp_path):
    d = tmp_path / "adir"
    d.mkdir()
    (d / "inside").write_text("keep")
    _catching(tmp_path, d)
    assert os.listdir(d) == ["inside"]


def test_a_fifo_or_a_device_at_the_target_is_refused_catchably(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "it is a FIFO, not a regular file" in _catching(tmp_path, fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert "it is a device, not a regular file" in _catching(tmp_path, "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_symbolic_link_at_the_target_writes_the_file_it_points_to(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "link.snap"
    link.symlink_to(elsewhere / "real.snap")        # dangling until the first write
    for n in (1, 2):
        status, out, err = run_prog(tmp_path, f'sys.checkpoint(P);\nsay("n={n}");\n', argv=[str(link)])
        assert (status, out, err) == (0, f"n={n}\n", "")
        assert link.is_symlink() and os.readlink(link) == str(elsewhere / "real.snap")
        assert sorted(os.listdir(elsewhere)) == ["real.snap"]       # its temporary file was in its folder
        assert stat.S_IMODE(os.stat(elsewhere / "real.snap").st_mode) == 0o600
    assert resume(link) == (0, "n=2\n", "")


def test_a_250_character_file_name(tmp_path):
    target = tmp_path / ("s" * 246 + ".snp")
    status, out, err = run_prog(tmp_path, 'sys.checkpoint(P);\nsay("done");\n', argv=[str(target)])
    assert (status, out, err) == (0, "done\n", "")
    assert sorted(os.listdir(tmp_path)) == sorted(["prog.nt", target.name])
    assert resume(target) == (0, "done\n", "")


def _dead_pid():
    p = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(p.stdout)


def test_temporary_files_of_a_writer_that_is_gone_are_removed_by_the_next_write(tmp_path):
    gone = tmp_path / f".snap.tmp-{_dead_pid()}-0123456789ab"
    other_target = tmp_path / f".other.snp.tmp-{_dead_pid()}-ba9876543210"
    running = tmp_path / f".snap.tmp-{os.getppid()}-00112233aabb"     # a writer still at work: left alone
    not_ours = tmp_path / ".snap.tmp-notes"
    for f in (gone, other_target, running, not_ours):
        f.write_bytes(b"partial")
    status, out, err = run_prog(tmp_path, 'sys.checkpoint(P);\nsay("done");\n')
    assert (status, err) == (0, "")
    assert sorted(os.listdir(tmp_path)) == sorted(["prog.nt", "snap", running.name, not_ours.name])


@pytest.mark.parametrize("arg", ['""', "42", "nil"])
def test_bad_path_argument_fails_catchably(tmp_path, arg):
    status, out, err = run_prog(tmp_path, f"""
try {{ sys.checkpoint({arg}); say("no error"); }} catch (e) {{ say("caught: " + e); }}
""")
    assert status == 0
    assert out.startswith("caught: sys.checkpoint"), out


def test_uncaught_write_failure_is_a_runtime_error(tmp_path):
    status, out, err = run_prog(tmp_path, 'sys.checkpoint(sys.args()[2]);\nsay("not reached");\n',
                                argv=[str(tmp_path / "snap"), str(tmp_path / "missing" / "x.snap")])
    assert status == 1 and out == ""
    assert "sys.checkpoint: cannot write" in err and "Traceback" not in err


class _FailingFile:
    def __init__(self, fh):
        self.fh = fh

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()

    def write(self, b):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.fh, name)


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_failed_write_leaves_the_previous_snapshot_untouched(tmp_path, monkeypatch, failing):
    """A disk that fills up (simulated) while writing a checkpoint: the error is catchable, the snapshot already
    at the path keeps its bytes and still resumes, and no temporary file is left behind."""
    status, out, err = run_prog(tmp_path, 'var n = 1;\nsys.checkpoint(P);\nsay("first n=" + n);\n')
    assert (status, out, err) == (0, "first n=1\n", "")
    snap = tmp_path / "snap"
    before = snap.read_bytes()

    def no_space(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if failing == "write":
        real_fdopen = os.fdopen
        monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: _FailingFile(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(atomic.os, failing, no_space)
    status, out, err = run_prog(tmp_path, CATCHING.replace("TARGET", "P"), name="second.nt")
    monkeypatch.undo()
    assert (status, err) == (0, ""), err
    lines = out.splitlines()
    assert lines[0].startswith("caught: sys.checkpoint: cannot write"), lines
    assert "No space left on device" in lines[0]
    assert lines[1] == "ok=unset"
    assert snap.read_bytes() == before
    assert [n for n in os.listdir(tmp_path) if n.startswith(".snap-")] == []
    os.unlink(tmp_path / "prog.nt")
    assert resume(snap) == (0, "first n=1\n", "")


# ---- damaged and foreign files ----------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    err = assert_resume_refused(tmp_path / "nothing.snap")
    assert "nothing.snap" in err


def test_empty_file(tmp_path):
    (tmp_path / "e.snap").write_bytes(b"")
    err = assert_resume_refused(tmp_path / "e.snap")
    assert "empty" in err


def test_a_directory_is_not_a_snapshot(tmp_path):
    assert_resume_refused(tmp_path)


@pytest.mark.parametrize("seed", range(6))
def test_random_bytes(tmp_path, seed):
    rnd = random.Random(seed)
    data = bytes(rnd.randrange(256) for _ in range(rnd.choice([1, 7, 22, 23, 100, 5000])))
    if seed % 2:
        data = MAGIC + data                   # looks like a snapshot at first sight
    (tmp_path / "r.snap").write_bytes(data)
    assert_resume_refused(tmp_path / "r.snap")
    refused(data)


def test_a_source_file_is_not_a_snapshot(tmp_path):
    (tmp_path / "p.nt").write_text('say("hi");\n')
    err = assert_resume_refused(tmp_path / "p.nt")
    assert "not a Neutron snapshot" in err


def test_newer_format_version(varied_snapshot):
    data = bytearray(varied_snapshot.read_bytes())
    struct.pack_into("<H", data, 8, FORMAT_VERSION + 1)
    varied_snapshot.write_bytes(bytes(data))
    err = assert_resume_refused(varied_snapshot)
    assert "newer" in err
    struct.pack_into("<H", data, 8, 0xFFFF)
    assert "newer" in refused(bytes(data))
    struct.pack_into("<H", data, 8, 0)
    refused(bytes(data))


def test_older_format_version(varied_snapshot):
    """A snapshot of the previous format (its native modules carried no Neutron functions) is refused in one
    line, with exit status 66."""
    data = bytearray(varied_snapshot.read_bytes())
    struct.pack_into("<H", data, 8, FORMAT_VERSION - 1)
    varied_snapshot.write_bytes(bytes(data))
    err = assert_resume_refused(varied_snapshot)
    assert f"unsupported snapshot format {FORMAT_VERSION - 1}" in err


def test_extra_bytes_after_the_snapshot(varied_snapshot):
    refused(varied_snapshot.read_bytes() + b"\0")


def test_truncated_at_every_byte(varied_snapshot):
    data = varied_snapshot.read_bytes()
    for n in range(len(data)):
        refused(data[:n])
    for n in sorted({0, 1, 7, 8, 21, 22, 23, 27, 28, len(data) // 2, len(data) - 1}):
        varied_snapshot.write_bytes(data[:n])
        assert_resume_refused(varied_snapshot)


def test_a_byte_changed_anywhere(varied_snapshot):
    data = varied_snapshot.read_bytes()
    for i in range(len(data)):
        for mask in (0x01, 0xFF):
            bad = bytearray(data)
            bad[i] ^= mask
            refused(bytes(bad))
    rnd = random.Random(1)
    for i in sorted(set(range(0, 40)) | {rnd.randrange(len(data)) for _ in range(10)}):
        bad = bytearray(data)
        bad[i] ^= 0x20
        varied_snapshot.write_bytes(bytes(bad))
        assert_resume_refused(varied_snapshot)


def _with_body(data, body):
    size = header(data)[5]
    fields = data[10:size - 12]
    return data[:10] + fields + struct.pack("<QI", len(body), zlib.crc32(body, zlib.crc32(fields))) + body


@pytest.mark.parametrize("old,new", [(b"math.sqrt", b"math.sq\nt"), (b"math.sqrt", b"math.nope"),
                                     (b"math", b"m\x1b[h"), (b"math", b"\xd0\x96\r\n")])
def test_unknown_names_are_refused_in_one_line(tmp_path, old, new):
    """A file with a valid checksum that names a module or built-in this Neutron lacks: one readable line."""
    status, out, err = run_prog(tmp_path, "use math;\nvar sq = math.sqrt;\nsys.checkpoint(P);\nsay(sq(4));\n")
    assert status == 0
    data = (tmp_path / "snap").read_bytes()
    size = header(data)[5]
    body = data[size:]
    assert old in body
    bad = _with_body(data, body.replace(old, new))
    msg = refused(bad)
    assert msg.isprintable() and len(msg) < 200, msg
    (tmp_path / "snap").write_bytes(bad)
    err = assert_resume_refused(tmp_path / "snap")
    assert "\x1b" not in err and "\r" not in err


def test_the_intact_file_still_loads(varied_snapshot):
    """The mutation tests above are meaningful only if the original loads and runs."""
    status, out, err = resume(varied_snapshot)
    assert (status, out, err) == (0, VARIED_AFTER, "")


def test_a_resumed_state_does_not_wait_for_a_young_collection(tmp_path):
    """load_snapshot puts what it read in the collector's oldest generation: the collector's young count is not
    left at the size of the state (which would set off a collection over all of it at the program's next
    allocations); the collector stays as it was, on or off."""
    import gc
    status, out, err = run_prog(tmp_path, """
var rows = [];
for (var i = 0; i < 5000; i++) { rows.push({"id": i, "tags": [i]}); }
sys.checkpoint(P);
say(rows[4999]["tags"][0]);
""")
    assert (status, out, err) == (0, "4999\n", "")
    data = (tmp_path / "snap").read_bytes()
    for on in (True, False):
        (gc.enable if on else gc.disable)()
        try:
            vm = new_vm(out=io.StringIO())
            S.load_snapshot(vm, data)
            assert gc.isenabled() == on and gc.get_count()[0] < 1000
            assert vm.globals["rows"][4999]["tags"] == [4999.0]
        finally:
            gc.enable()
