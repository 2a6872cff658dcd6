"""Snapshots whose checksum is right but whose content does not hold together: each is made by loading a real
snapshot, changing one thing in its object graph, and writing it again with the project's own writer. Resuming
refuses it with a one-line reason (exit 66), before anything runs.
"""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

from neutron import durable as S
from neutron.bytecode import opcodes as O
from neutron.durable import format as F
from neutron.durable import writer
from neutron.runner import new_vm, run_file
from neutron.runtime.frames import Iter
from neutron.runtime.values import BoundMethod, Instance, Native
from neutron.stdlib import native_module

PROGRAM = """use sys;
use arrays;
class Point {
    fun initialize(x) { this.x = x; }
    fun get() { return this.x; }
}
fun make() {
    var n = 1;
    return fun() { n = n + 1; return n; };
}
var p = Point(3);
var getter = p.get;
var counter = make();
var items = [1, 2, 3];
var doubled = arrays.map(items, fun(x) { return x * 2; });
for (var key in {a: 1, b: 2}) {
    if (key == "b") {
        try { sys.checkpoint(sys.args()[1]); } finally { say("finally"); }
    }
}
say(p.get() + getter() + counter() + doubled[2]);
"""


def snapshot_of(d, source, expected):
    """The snapshot a program writes at its checkpoint (its path the program's first argument)."""
    prog, snap = d / "p.nt", d / "p.snap"
    prog.write_text(source, encoding="utf-8")
    out = io.StringIO()
    _, status = run_file(str(prog), [str(snap)], out, io.StringIO())
    assert (status, out.getvalue()) == (0, expected)
    return snap.read_bytes()


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    return snapshot_of(tmp_path_factory.mktemp("verify"), PROGRAM, "finally\n14\n")


def loaded(data):
    vm = new_vm(out=io.StringIO())
    S.load_snapshot(vm, data)
    return vm


def written(vm, original):
    parts = writer.encode(vm, vm.frames, False)
    return F.header(F.head(S.read_header(original).fields), parts) + b"".join(parts)


def refused(data):
    """The reason a resume gives for refusing `data`; fails if it is accepted."""
    with pytest.raises(S.SnapshotError) as e:
        loaded(data)
    msg = str(e.value)
    assert msg.startswith("the file is damaged (") and "\n" not in msg
    return msg


def top_code(vm):
    return vm.frames[0].code


def test_the_snapshot_written_again_unchanged_resumes(snapshot, tmp_path):
    vm = loaded(snapshot)
    path = tmp_path / "same.snap"
    path.write_bytes(written(vm, snapshot))
    done = subprocess.run([sys.executable, "-m", "neutron", "--resume", str(path)], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "finally\n14\n", "")


def test_an_instruction_that_takes_more_than_the_stack_holds(snapshot):
    vm = loaded(snapshot)
    code = vm.globals["make"].code
    code.instrs[0] = (O.DUP2, None)         # on an empty stack: the net depth alone would not see it
    assert "operand stack underflow" in refused(written(vm, snapshot))


def test_a_loop_step_without_an_iterator(snapshot):
    vm = loaded(snapshot)
    f = vm.frames[0]
    f.stack[:] = [1.0 if v.__class__ is Iter else v for v in f.stack]
    assert "operand stack does not match the code" in refused(written(vm, snapshot))


def test_an_iterator_used_as_a_value(snapshot):
    vm = loaded(snapshot)
    code = vm.globals["make"].code
    code.instrs[:2] = [(O.NIL, None), (O.GET_ITER, None)]
    code.instrs.insert(2, (O.SAY, None))
    code.lines.insert(2, 1)
    code.cols.insert(2, -1)
    assert refused(written(vm, snapshot))


def test_a_cell_read_before_it_is_made(snapshot):
    vm = loaded(snapshot)
    code = vm.globals["make"].code
    slot = next(a for o, a in code.instrs if o == O.NEW_CELL)
    code.instrs[0] = (O.LOAD_CELL, slot)
    assert "a cell read before it is made" in refused(written(vm, snapshot))


def test_an_instance_of_something_other_than_a_class(snapshot):
    vm = loaded(snapshot)
    vm.globals["p"].klass = [1.0]
    assert "an instance of something other than a class" in refused(written(vm, snapshot))


def test_a_method_that_is_not_a_method(snapshot):
    vm = loaded(snapshot)
    vm.globals["Point"].methods["get"] = vm.globals["make"]
    assert "bad method" in refused(written(vm, snapshot))


@pytest.mark.parametrize("change", ["method", "receiver"])
def test_a_bound_method_whose_parts_do_not_fit(snapshot, change):
    vm = loaded(snapshot)
    b = vm.globals["getter"]
    assert b.__class__ is BoundMethod
    if change == "method":
        b.method = 2.5
    else:
        b.receiver = "text"
    assert "bad bound method" in refused(written(vm, snapshot))


def test_a_method_frame_whose_this_is_not_an_instance(snapshot):
    vm = loaded(snapshot)
    vm.frames[0].func = vm.globals["Point"].methods["get"]
    assert refused(written(vm, snapshot))


def test_a_cell_held_as_a_value(snapshot):
    vm = loaded(snapshot)
    vm.globals["items"].append(vm.globals["counter"].cells[0])
    assert "bad array element" in refused(written(vm, snapshot))


def test_code_held_as_a_value(snapshot):
    vm = loaded(snapshot)
    vm.globals["items"][0] = vm.globals["make"].code
    assert "bad array element" in refused(written(vm, snapshot))


@pytest.mark.parametrize("qualname", ["http._serve", "arrays._sort", "prelude.__extend"])
def test_a_private_built_in_where_a_program_could_reach_it(snapshot, qualname):
    vm = loaded(snapshot)
    mod, _, name = qualname.partition(".")
    if mod == "prelude":
        from neutron.runtime.methods import PRELUDE_NATIVES
        fn, lo, hi = PRELUDE_NATIVES[name]
        native = Native(qualname, fn, lo, hi)
    else:
        native = native_module(mod).functions[name]
    vm.globals["items"].append(native)
    assert "bad array element" in refused(written(vm, snapshot))
    vm.globals["items"].pop()
    vm.globals["hidden"] = native
    assert "bad object member" in refused(written(vm, snapshot))


def test_user_code_running_in_a_built_in_modules_globals(snapshot):
    vm = loaded(snapshot)
    module_globals = vm.modules["arrays"].members["map"].globals
    vm.globals["counter"].globals = module_globals      # could then name arrays._sort and the like
    assert "a function running in a built-in module's globals" in refused(written(vm, snapshot))


def test_handlers_that_the_code_did_not_set_up(snapshot):
    vm = loaded(snapshot)
    f = vm.frames[0]
    assert f.handlers
    f.handlers[-1] = (f.handlers[-1][0], f.handlers[-1][1] + 1)
    assert "bad handler" in refused(written(vm, snapshot))


def test_a_jump_to_the_end_of_the_code(snapshot):
    vm = loaded(snapshot)
    code = vm.globals["make"].code
    code.instrs[0] = (O.JUMP, len(code.instrs))
    assert "jump target out of range" in refused(written(vm, snapshot))


def test_a_constant_of_the_wrong_kind(snapshot):
    vm = loaded(snapshot)
    code = vm.globals["make"].code
    code.consts.append(vm.globals["items"])
    code.instrs[0] = (O.CONST, len(code.consts) - 1)
    assert "bad constant" in refused(written(vm, snapshot))


def test_refused_at_the_command_line_with_status_66(snapshot, tmp_path):
    vm = loaded(snapshot)
    vm.globals["p"].klass = vm.globals["make"]
    path = tmp_path / "bad.snap"
    path.write_bytes(written(vm, snapshot))
    done = subprocess.run([sys.executable, "-m", "neutron", "--resume", str(path)], capture_output=True, text=True)
    assert done.returncode == 66 and done.stdout == ""
    assert done.stderr == f"neutron: cannot resume '{path}': the file is damaged (an instance of something other " \
                          "than a class)\n"



# Frames stopped at one instruction of one code are checked as a group, a column of stacks or locals at a time
# (verify.check_group): one bad frame in the middle of a deep recursion must still be found.
RECURSION = """use sys;
fun rec(n, label) {
    var held = [n, label];
    if (n == 0) {
        sys.checkpoint(sys.args()[1]);
        return 0;
    }
    return n + rec(n - 1, label);
}
say(rec(40, "x"));
"""


@pytest.fixture(scope="module")
def deep_snapshot(tmp_path_factory):
    return snapshot_of(tmp_path_factory.mktemp("verify-deep"), RECURSION, "820\n")


def middle_frame(vm):
    rec = [f for f in vm.frames if f.code.name == "rec"]
    assert len(rec) == 41 and len({(id(f.code), f.ip) for f in rec[:-1]}) == 1
    return rec[20]


def test_the_deep_snapshot_written_again_unchanged_loads(deep_snapshot):
    vm = loaded(written(loaded(deep_snapshot), deep_snapshot))
    assert middle_frame(vm).stack == [20.0]


def test_an_iterator_on_the_stack_of_one_frame_among_many(deep_snapshot):
    vm = loaded(deep_snapshot)
    f = middle_frame(vm)
    f.stack[0] = vm.globals["rec"]      # a function where the code has a value: still a value
    loaded(written(vm, deep_snapshot))
    f.stack[0] = Iter(None, 0)
    assert "bad value on the operand stack" in refused(written(vm, deep_snapshot))


def test_a_private_built_in_on_the_stack_of_one_frame_among_many(deep_snapshot):
    vm = loaded(deep_snapshot)
    middle_frame(vm).stack[0] = native_module("arrays").functions["_sort"]
    assert refused(written(vm, deep_snapshot))


def test_a_missing_stack_entry_in_one_frame_among_many(deep_snapshot):
    vm = loaded(deep_snapshot)
    middle_frame(vm).stack.pop()
    assert "operand stack does not match the code" in refused(written(vm, deep_snapshot))


def test_code_in_a_local_of_one_frame_among_many(deep_snapshot):
    vm = loaded(deep_snapshot)
    f = middle_frame(vm)
    f.locals[1] = f.code
    assert "bad local variable" in refused(written(vm, deep_snapshot))


def test_handlers_in_one_frame_among_many(deep_snapshot):
    vm = loaded(deep_snapshot)
    middle_frame(vm).handlers.append((0, 0))
    assert "bad handler" in refused(written(vm, deep_snapshot))


def test_a_cell_in_an_array_beside_arrays_read_as_doubles(snapshot):
    """Arrays read as doubles are left out of check_graph's look at array elements; the others are still looked
    at."""
    vm = loaded(snapshot)
    vm.globals["numbers"] = [float(i) for i in range(100)]
    vm.globals["more"] = [0.5] * 50
    again = loaded(written(vm, snapshot))
    assert again.globals["numbers"] == [float(i) for i in range(100)]
    vm.globals["items"].append(vm.globals["counter"].cells[0])
    assert "bad array element" in refused(written(vm, snapshot))


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_bad_member_among_many_plain_ones(snapshot, where):
    """Runs of arrays, objects and instances whose items hold no reference at all are left out of check_graph's
    look at values (reader.Reader.plain); one bad member makes its run looked at whole, wherever it is in it."""
    vm = loaded(snapshot)
    point = vm.globals["p"]
    vm.globals["plain_objects"] = [{"a": float(i), "b": "s"} for i in range(60)]
    vm.globals["plain_points"] = [Instance(point.klass, {"x": float(i)}) for i in range(60)]
    vm.globals["plain_arrays"] = [[float(i), None, True] for i in range(60)]
    again = loaded(written(vm, snapshot))
    assert again.globals["plain_objects"][59] == {"a": 59.0, "b": "s"}
    assert again.globals["plain_points"][3].fields == {"x": 3.0}
    k = {"first": 0, "middle": 30, "last": 59}[where]
    cell = vm.globals["counter"].cells[0]
    vm.globals["plain_objects"][k]["b"] = cell
    assert "bad object member" in refused(written(vm, snapshot))
    vm.globals["plain_objects"][k]["b"] = "s"
    vm.globals["plain_points"][k].fields["x"] = vm.globals["make"].code
    assert "bad instance" in refused(written(vm, snapshot))
    vm.globals["plain_points"][k].fields["x"] = 1.0
    vm.globals["plain_arrays"][k][1] = cell
    assert "bad array element" in refused(written(vm, snapshot))
    vm.globals["plain_arrays"][k][1] = native_module("http").functions["_serve"]
    assert "bad array element" in refused(written(vm, snapshot))


def test_objects_of_one_size_keep_their_keys_in_order(snapshot):
    """Maps of one size are filled a position at a time (reader.fill_maps): each keeps its own keys, values and
    order, a repeated key (only a damaged file has one) ends as it would pair by pair."""
    vm = loaded(snapshot)
    point = vm.globals["p"]
    shapes = [{"a": 1.0, "b": "x"}, {"b": 2.0, "a": None}, {"c": True, "d": [1.0]}, {"a": 3.0, "z": 4.0}]
    vm.globals["same_size"] = [dict(shapes[i % 4]) for i in range(40)]
    vm.globals["same_size_points"] = [Instance(point.klass, dict(shapes[i % 3])) for i in range(40)]
    vm.globals["mixed_sizes"] = [{"k": 1.0}, {}, {"p": 1.0, "q": 2.0, "r": 3.0}, {"k": 2.0}]
    again = loaded(written(vm, snapshot))
    for name in ("same_size", "mixed_sizes"):
        assert [list(d.items()) for d in again.globals[name]] == [list(d.items()) for d in vm.globals[name]]
    assert [list(x.fields.items()) for x in again.globals["same_size_points"]] == \
        [list(x.fields.items()) for x in vm.globals["same_size_points"]]
    from neutron.durable import reader
    maps = [{}, {}, {}]
    reader.fill_maps(maps, [2, 2, 2], ["a", "a", "b", "c", "d", "b"], [1, 2, 3, 4, 5, 6])
    assert maps == [{"a": 2}, {"b": 3, "c": 4}, {"d": 5, "b": 6}]


def test_objects_and_instances_by_shape(snapshot):
    """Objects and instances are written by shape (writer.save_dict, save_instance): many sharing one shape, shapes
    that differ only in their keys' order or only in their class, empty ones, large ones, few and many of a kind;
    each comes back with its own keys, values, order and class."""
    vm = loaded(snapshot)
    point = vm.globals["p"]
    other = type(point.klass)("Other", {}, [])
    vm.globals["Other"] = other
    rows = [{"depth": float(i), "i": float(i % 10)} for i in range(200)]
    rows += [{"i": 1.0, "depth": 2.0}, {}, {"depth": "x"}, {str(k): float(k) for k in range(300)}]
    vm.globals["rows"] = rows
    vm.globals["few"] = [{"a": 1.0, "b": None}, {"a": True, "b": "s"}]
    vm.globals["big"] = [{f"k{k}": [float(k)] for k in range(100)}]
    points = [Instance(point.klass, {"x": float(i), "y": -float(i)}) for i in range(100)]
    points += [Instance(other, {"x": 1.0, "y": 2.0}), Instance(point.klass, {"y": 3.0, "x": 4.0}),
               Instance(point.klass, {}), Instance(other, {"x": points[0]})]
    vm.globals["points"] = points
    vm.globals["one_point"] = [Instance(other, {"z": 5.0})]
    again = loaded(written(vm, snapshot))
    for name in ("rows", "few", "big"):
        assert [list(d.items()) for d in again.globals[name]] == [list(d.items()) for d in vm.globals[name]]
    for name in ("points", "one_point"):
        got = again.globals[name]
        assert [x.klass.name for x in got] == [x.klass.name for x in vm.globals[name]]
        assert [list(x.fields) for x in got] == [list(x.fields) for x in vm.globals[name]]
    got = again.globals["points"]
    assert got[0].fields == {"x": 0.0, "y": -0.0} and got[99].fields == {"x": 99.0, "y": -99.0}
    assert got[100].klass is again.globals["Other"] and got[101].klass is again.globals["Point"]
    assert got[103].fields["x"] is got[0]
    assert again.globals["one_point"][0].klass is again.globals["Other"]
    # a shape is written once for its run, not once per object
    assert len(written(vm, snapshot)) < len(snapshot) + 200 * 6 + 100 * 6 + 300 * 16 + 100 * 20 + 2000


@pytest.mark.parametrize("damage,reason", [
    ("shape out of range", "shape out of range"),
    ("repeated key", "a key repeated in a shape"),
    ("no shape", "bad shapes"),
    ("more shapes than objects", "count out of range"),
])
def test_damaged_shapes(snapshot, monkeypatch, damage, reason):
    """The shapes of a run of objects or instances are checked as they are read: each object's shape among the
    run's, no key twice in a shape, at least one shape for a run of objects and no more than it has objects."""
    vm = loaded(snapshot)
    point = vm.globals["p"]
    vm.globals["rows"] = [{"a": 1.0, "b": 2.0}, {"b": 1.0}, {"a": 3.0, "b": 4.0}]
    vm.globals["points"] = [Instance(point.klass, {"x": 1.0}), Instance(point.klass, {"y": 2.0})]
    save_shapes = writer.save_shapes

    def bad(s, shapes, ids):
        shapes = list(shapes)
        if len(shapes) < 2:
            return save_shapes(s, shapes, ids)
        if damage == "shape out of range":
            ids = ids[:-1] + [len(shapes)]
        elif damage == "repeated key":
            shapes[1] = tuple(shapes[1]) + tuple(shapes[1][-1:])
        elif damage == "no shape":
            s.uints.append(0)
            return
        elif damage == "more shapes than objects":
            shapes += [("x",)] * (len(ids) + 1 - len(shapes))
        save_shapes(s, shapes, ids)
    monkeypatch.setattr(writer, "save_shapes", bad)
    data = written(vm, snapshot)
    monkeypatch.setattr(writer, "save_shapes", save_shapes)
    assert reason in refused(data)
