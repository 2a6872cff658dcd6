"""The report of an uncaught runtime error, as the command line prints it: the place (a caret under the expression),
the advice, the stack trace. The `.nt` tests check the message and the line; the rest of the layout is checked here,
in both modes and after a resume."""
from __future__ import annotations

import pytest

from neutron.testing import MODES, run

MODES_AND_ROUND_TRIP = [(m, None) for m in MODES] + [(m, 1) for m in MODES]


def report(tmp_path, source, mode="vm", checkpoint_at=None, name="prog.nt"):
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    outcome = run(str(path), mode, checkpoint_at=checkpoint_at, cwd=str(tmp_path))
    assert outcome.status == 1, outcome
    assert "Traceback" not in outcome.stderr
    return outcome.stderr


@pytest.mark.parametrize("mode,checkpoint_at", MODES_AND_ROUND_TRIP)
def test_a_caret_points_at_the_expression(tmp_path, mode, checkpoint_at):
    err = report(tmp_path, 'say("start");\nvar o = {name: 1};\nsay(o.name + o.nme);\n', mode, checkpoint_at)
    assert "   3 | say(o.name + o.nme);\n     |                ^\n" in err


@pytest.mark.parametrize("mode", MODES)
def test_the_caret_of_an_operator_and_of_a_call_in_an_outer_frame(tmp_path, mode):
    err = report(tmp_path, 'fun f(a) {\n\treturn a - "x";\n}\nvar r = 1 + f(2);\n', mode)
    assert "   2 | \treturn a - \"x\";\n     | \t         ^\n" in err      # a tab in the line stays a tab
    assert "  at f (prog.nt:2)\n  at <script> (prog.nt:4)\n" in err


@pytest.mark.parametrize("mode", MODES)
def test_no_caret_for_a_statement_without_an_expression(tmp_path, mode):
    err = report(tmp_path, "var a = [];\nthrow\n  a;\n", mode)
    assert "Uncaught exception: []" in err and "^" not in err


@pytest.mark.parametrize("mode,checkpoint_at", MODES_AND_ROUND_TRIP)
def test_a_trace_shows_built_ins_written_in_neutron_as_the_built_in_called(tmp_path, mode, checkpoint_at):
    err = report(tmp_path, "use arrays;\n"
                           "fun bad(x) { return x.y; }\n"
                           "say([1].map(fun (x) { return x; }));\n"
                           "var r = [1, 2].map(bad);\n", mode, checkpoint_at)
    assert "Stack trace:\n  at bad (prog.nt:2)\n  at Array.map\n  at <script> (prog.nt:4)\n\n" in err
    assert "<prelude>" not in err and "__array" not in err


@pytest.mark.parametrize("mode", MODES)
def test_a_module_function_and_the_method_it_calls_are_one_entry(tmp_path, mode):
    err = report(tmp_path, "use arrays;\n"
                           "fun add(a, b) { return a + b.z; }\n"
                           "fun go() { return arrays.reduce([1, 2], add, 0); }\n"
                           "go();\n", mode)
    assert ("Stack trace:\n  at add (prog.nt:2)\n  at arrays.reduce\n  at go (prog.nt:3)\n  at <script> (prog.nt:4)\n\n"
            in err)
    assert "module>" not in err
    # the place reported is the program's own line
    assert "RuntimeError in" in err and "prog.nt at line 2:" in err


@pytest.mark.parametrize("mode", MODES)
def test_an_error_raised_by_a_built_in_written_in_neutron_is_reported_at_the_call(tmp_path, mode):
    err = report(tmp_path, "use arrays;\nsay(1);\nvar r = arrays.reduce([], fun (a, b) { return a; });\n", mode)
    assert "prog.nt at line 3:" in err and "   3 | var r = arrays.reduce(" in err
    assert "Stack trace:\n  at arrays.reduce\n  at <script> (prog.nt:3)\n\n" in err
