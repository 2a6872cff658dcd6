"""Property-based fuzzing of the snapshot loader.

Start from real snapshots of varied programs (classes, closures, deep stacks, modules, handlers, iterators, objects
and instances of shared and mixed shapes) and mutate them. Two families:
  * the whole file mutated or truncated: load_snapshot must refuse it with SnapshotError (the checksum and the
    header catch nearly everything) and never raise anything else;
  * the body mutated, then the header rebuilt with a correct length and checksum, so that the structural checks
    of the reader are what stands between the file and the VM: loading must either succeed or raise
    SnapshotError, never any other exception. Structurally valid but mutated states are not run (a mutated
    jump target may legitimately loop forever).
"""
from __future__ import annotations

import functools
import io
import os
import struct
import tempfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neutron import durable as S
from neutron.runner import run_file
from neutron.runner import new_vm

PROGRAMS = {
    "classes": """
use sys;
class Shape {
    var tags = [];
    fun initialize(name, sides) { this.name = name; this.sides = sides; }
    fun describe() { return this.name + "/" + this.sides; }
}
var shapes = [Shape("tri", 3), Shape("sq", 4)];
var d = shapes[0].describe;
shapes[1].tags.push(shapes[0]);
sys.checkpoint(sys.args()[1]);
say(d() + shapes[1].tags.length);
""",
    "closures": """
use sys;
fun make() {
    var n = 0;
    var inc = fun() { n = n + 1; return n; };
    var get = fun() { return n; };
    return {inc: inc, get: get};
}
var c = make();
c.inc();
var fs = [];
for (var i = 0; i < 3; i++) { var k = i; fs.push(fun() { return k; }); }
var int typed = 3;
static var S = "s";
sys.checkpoint(sys.args()[1]);
say(c.inc() + c.get() + fs[2]() + typed + S);
""",
    "deep": """
use sys;
fun down(n, acc) {
    if (n == 0) {
        try {
            for (var key in {a: 1, b: 2}) {
                if (key == "b") sys.checkpoint(sys.args()[1]);
            }
        } catch (e) { say(e); } finally { acc.push("f"); }
        return acc;
    }
    acc.push(n);
    return down(n - 1, acc);
}
var attempts = 0;
retry (3) {
    attempts++;
    if (attempts < 2) throw "again";
    say(down(40, []).length);
}
""",
    "modules": """
use sys;
use math;
use json;
use random;
use arrays;
use collections;
random.seed(5);
random.gauss();
var data = {xs: [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5], s: "héllo ✓ 😀", b: sys.alloc(3)};
data.self = data;
var st = collections.stack_new();
var sq = arrays.map([1, 2, 3], fun(x) {
    if (x == 2) sys.checkpoint(sys.args()[1]);
    return math.pow(x, 2);
});
say(json.stringify(sq) + random.random());
""",
    "shapes": """
use sys;
class P { fun initialize(a, b) { this.a = a; this.b = b; } }
class Q { fun initialize(b) { this.b = b; } }
var rows = [];
for (var i = 0; i < 12; i++) { rows.push({"x": i, "y": "s"}); rows.push(P(i, rows[0])); }
var odd = [{"y": 1, "x": 2}, {}, Q(rows), P("a", nil), {"k": [1, 2]}];
sys.checkpoint(sys.args()[1]);
say(rows.length + odd.length);
""",
    "tasks": """
use sys;
use async;
use process;
var slow = async.run(fun(n) { async.sleep(5000); return n; }, 2);
var waiter = async.run(fun() { return async.await(slow) + 1; });
var t = async.timer(fun() { return "t"; }, 4000);
fun echo() { var m = process.receive(); process.send(0, [m, m]); }
var pid = process.spawn(echo);
process.send(pid, {"k": [1, 2]});
var saver = async.run(fun() { sys.checkpoint(sys.args()[1]); return 1; });
async.await(saver);
say(pid);
""",
}


def _make_snapshots():
    snaps = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, src in PROGRAMS.items():
            path = os.path.join(tmp, name + ".nt")
            snap = os.path.join(tmp, name + ".snap")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(src)
            out, err = io.StringIO(), io.StringIO()
            vm, status = run_file(path, [snap], out, err)
            assert status == 0, (name, err.getvalue())
            with open(snap, "rb") as fh:
                snaps[name] = fh.read()
    return snaps


@functools.lru_cache(maxsize=None)
def _snapshots():
    return _make_snapshots()


@pytest.fixture(scope="module")
def snapshots():
    return _snapshots()


def split(data):
    size = 14 + struct.unpack("<I", data[10:14])[0] + 12
    return data[:size], data[size:]


def rebuild(data, body):
    """The header for `body`: the original's, with the right length and checksum (the header's fields + body)."""
    head, _ = split(data)
    fields = head[10:-12]
    return head[:10] + fields + struct.pack("<QI", len(body), zlib.crc32(body, zlib.crc32(fields)))


def load(data):
    """Load in a fresh VM: returns the VM, or None when the file is refused with SnapshotError."""
    vm = new_vm(out=io.StringIO())
    try:
        S.load_snapshot(vm, data)
    except S.SnapshotError as e:
        msg = str(e)
        assert msg and "\n" not in msg
        return None
    return vm


def test_originals_load(snapshots):
    for name, data in snapshots.items():
        vm = load(data)
        assert vm is not None and vm.frames, name
        head, body = split(data)
        assert load(rebuild(data, body) + body) is not None       # rebuild() is faithful


# ---- strategies -------------------------------------------------------------------------------------------------

NAMES = sorted(PROGRAMS)


@st.composite
def mutation(draw, size):
    """A list of edits for a buffer of `size` bytes."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "dup"]))
        pos = draw(st.integers(0, max(size - 1, 0)))
        if kind == "flip":
            edits.append((kind, pos, draw(st.integers(1, 255))))
        elif kind == "set":
            edits.append((kind, pos, draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, 6, 13, 14, 255]))))
        elif kind == "insert":
            edits.append((kind, pos, draw(st.binary(min_size=1, max_size=8))))
        elif kind == "delete":
            edits.append((kind, pos, draw(st.integers(1, 16))))
        elif kind == "dup":
            edits.append((kind, pos, draw(st.integers(1, 32))))
        else:
            edits.append((kind, pos, None))
    return edits


def apply(buf, edits):
    b = bytearray(buf)
    for kind, pos, arg in edits:
        pos = min(pos, len(b))
        if kind == "flip" and pos < len(b):
            b[pos] ^= arg
        elif kind == "set" and pos < len(b):
            b[pos] = arg
        elif kind == "insert":
            b[pos:pos] = arg
        elif kind == "delete":
            del b[pos:pos + arg]
        elif kind == "dup":
            b[pos:pos] = b[pos:pos + arg]
        elif kind == "truncate":
            del b[pos:]
    return bytes(b)


@st.composite
def file_case(draw):
    name = draw(st.sampled_from(NAMES))
    return name, draw(mutation(len(_snapshots()[name])))


@st.composite
def body_case(draw):
    name = draw(st.sampled_from(NAMES))
    return name, draw(mutation(len(split(_snapshots()[name])[1])))


FUZZ = settings(max_examples=int(os.environ.get("NEUTRON_FUZZ_EXAMPLES", "1500")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])


# ---- properties -------------------------------------------------------------------------------------------------

@FUZZ
@given(case=file_case())
def test_mutated_files_are_refused(snapshots, case):
    name, edits = case
    data = snapshots[name]
    bad = apply(data, edits)
    if bad == data:
        return
    assert load(bad) is None


@FUZZ
@given(name=st.sampled_from(NAMES), cut=st.integers(0, 1 << 20))
def test_truncated_files_are_refused(snapshots, name, cut):
    data = snapshots[name]
    assert load(data[:cut % len(data)]) is None


@FUZZ
@given(case=body_case())
def test_mutated_bodies_with_a_valid_checksum_load_or_are_refused(snapshots, case):
    name, edits = case
    data = snapshots[name]
    head, body = split(data)
    bad = apply(body, edits)
    new = rebuild(data, bad) + bad
    vm = load(new)
    if vm is not None:
        assert vm.frames
        for f in vm.frames:
            assert len(f.locals) == f.code.nlocals
            assert 0 <= f.ip <= len(f.code.instrs)


@FUZZ
@given(name=st.sampled_from(NAMES), cut=st.integers(0, 1 << 20))
def test_truncated_bodies_with_a_valid_checksum_are_refused(snapshots, name, cut):
    data = snapshots[name]
    head, body = split(data)
    short = body[:cut % len(body)]
    assert load(rebuild(data, short) + short) is None


@FUZZ
@given(name=st.sampled_from(NAMES), junk=st.binary(min_size=0, max_size=2000))
def test_random_bodies_with_a_valid_checksum_are_refused_or_load(snapshots, name, junk):
    data = snapshots[name]
    load(rebuild(data, junk) + junk)


def test_every_single_byte_of_small_bodies_with_a_valid_checksum(snapshots):
    """Exhaustive on the small snapshots: each byte of the body replaced by a few values, checksum recomputed.
    (The modules snapshot is covered by the properties above: it is large and slower to load.)"""
    for name in ("classes", "closures", "deep"):
        data = snapshots[name]
        head, body = split(data)
        for i in range(len(body)):
            for v in {body[i] ^ 0x01, body[i] ^ 0x80, 0x00}:
                bad = bytearray(body)
                bad[i] = v
                bad = bytes(bad)
                load(rebuild(data, bad) + bad)
