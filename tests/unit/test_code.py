"""Code objects: the call-site table gives, for every call instruction, its position and the operand-stack depth
before it; the depth is what the VM really has there."""
import glob
import io
import os

import pytest

from neutron.bytecode import opcodes as op
from neutron.bytecode.code import Code, compute_depths
from neutron.loader import compile_source
from neutron.runner import run_file
from neutron.runtime.vm import VM


def functions(code):
    yield code
    for k in code.consts:
        if isinstance(k, Code):
            yield from functions(k)


def find(code, name):
    return next(c for c in functions(code) if c.name == name)


def test_depth_of_nested_calls():
    code = compile_source("fun g(x) { return x; }\nfun f(a, b) { return a + b; }\n"
                          "fun h() { var x = 1 + f(2, g(3)); return x; }\n", "t.nt")
    h = find(code, "h")
    calls = [(i, d) for i, d in h.callsites]
    assert [h.instrs[i][0] for i, _ in calls] == [op.CALL, op.CALL]
    # g(3): 1, f, 2, g, 3 on the stack; f(2, r): 1, f, 2, r
    assert [d for _, d in calls] == [5, 4]


def test_method_calls_and_spread_are_call_sites():
    code = compile_source("fun k(o, xs) { o.m(1, 2); return max(...xs); }\n", "t.nt")
    k = find(code, "k")
    kinds = [k.instrs[i][0] for i, _ in k.callsites]
    assert kinds == [op.INVOKE, op.CALL_ARRAY]
    assert [d for _, d in k.callsites] == [3, 2]


def test_every_call_instruction_is_in_the_table():
    root = os.path.join(os.path.dirname(__file__), "..", "lang")
    checked = 0
    for path in sorted(glob.glob(os.path.join(root, "**", "*.nt"), recursive=True))[:200]:
        try:
            with open(path, encoding="utf-8") as fh:
                code = compile_source(fh.read(), path)
        except Exception:
            continue        # programs that are meant not to compile
        for c in functions(code):
            calls = {i for i, (o, _) in enumerate(c.instrs) if o in op.CALLS}
            reachable = {i for i, _ in c.callsites}
            assert reachable <= calls
            checked += 1
    assert checked > 50


def test_inconsistent_depths_are_detected():
    c = Code("bad", "t.nt")
    # one path pushes a value before the join, the other does not
    c.instrs = [(op.TRUE, None), (op.JUMP_IF_FALSE, 3), (op.NIL, None), (op.NIL, None), (op.RETURN, None)]
    c.lines = [1] * 5
    with pytest.raises(AssertionError):
        compute_depths(c)


def test_table_matches_the_running_vm(tmp_path, monkeypatch):
    """At every call the VM makes, the operand stack holds exactly the depth the table records."""
    src = tmp_path / "p.nt"
    src.write_text("""
use math;
fun add(a, b) { return a + b; }
class C { fun initialize(v) { this.v = v; } fun get(k) { return this.v + k; } }
var xs = [1, 2, 3];
var total = 0;
for (var i = 0; i < 3; i++) { total = total + add(i, math.abs(-i)) + C(i).get(add(1, 2)); }
say(total + add(...xs.slice(0, 2)));
say(xs.map(fun (x) { return add(x, 1); }));
""")
    seen = []
    real_call_value = VM.call_value
    real_push_frame = VM.push_frame

    def call_value(self, callee, args, frame, ip, restore=None):
        depth = dict(frame.code.callsites).get(ip - 1)
        if depth is not None and frame.code.instrs[ip - 1][0] == op.CALL:
            assert len(frame.stack) + len(args) + 1 == depth
            seen.append(depth)
        return real_call_value(self, callee, args, frame, ip, restore)

    monkeypatch.setattr(VM, "call_value", call_value)
    out = io.StringIO()
    vm, status = run_file(str(src), (), out, io.StringIO(), mode="vm")
    assert status == 0, out.getvalue()
    assert out.getvalue() == "21\n[2, 3, 4]\n"
    assert seen


def test_column_table_points_at_the_expression_of_each_instruction():
    code = compile_source("var o = {};\nsay(o.nme + f(1));\no.m(2)[0] = 3;\n", "t.nt")
    at = {(code.instrs[i][0], code.lines[i]): code.where(i)[1] for i in range(len(code.instrs))}
    assert at[(op.GET_PROP, 2)] == 6            # the property's name
    assert at[(op.CALL, 2)] == 13               # the call's '('
    assert at[(op.ADD, 2)] == 10                # the operator
    assert at[(op.INVOKE, 3)] == 2              # the method's name
    assert at[(op.SET_INDEX, 3)] == 6           # the '[' of the element assigned
    assert len(code.cols) == len(code.instrs)


def test_an_instruction_of_a_statement_alone_on_its_line_has_no_column():
    code = compile_source("var x = 1;\nwhile (true) {\n  break;\n}\n", "t.nt")
    jumps = [i for i, (o, _) in enumerate(code.instrs) if code.lines[i] == 3]
    assert jumps and all(code.where(i) == (3, -1) for i in jumps)
