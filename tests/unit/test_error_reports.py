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


@pytest.mark.parametrize("mode", MODES)
def test_a_module_used_without_use_gets_one_suggestion(tmp_path, mode):
    err = report(tmp_path, "say(math.sqrt(4));\n", mode)
    assert "Undefined variable 'math'. Did you forget to import it? Use 'use math;' at the top of your file." in err
    assert "Suggestion" not in err


@pytest.mark.parametrize("mode", MODES)
def test_one_piece_of_advice_per_error(tmp_path, mode):
    err = report(tmp_path, "use math;\nsay(math.sqr(4));\n", mode)
    assert "Module 'math' has no member 'sqr'.\n" in err and err.count("Suggestion:") == 1
    assert "Suggestion: Did you mean 'sqrt'?\n" in err
    err = report(tmp_path, "var total = 1;\nsay(totl);\n", mode)
    assert err.count("Suggestion:") == 1 and "Suggestion: Did you mean 'total'?\n" in err
    err = report(tmp_path, "var total = 1;\nsay(zzz);\n", mode)     # nothing near: the general advice
    assert err.count("Suggestion:") == 1 and "declare the variable with 'var'" in err


@pytest.mark.parametrize("mode", MODES)
def test_declared_later_names_the_kind_and_line(tmp_path, mode):
    err = report(tmp_path, "fun main() { return new_point(); }\nsay(main());\n\nclass Point {}\n"
                           "fun new_point() { return Point(); }\n", mode)
    assert "Suggestion: 'new_point' is defined later (line 5): a function can be called only after its " \
           "declaration has run.\n" in err
    err = report(tmp_path, "say(limit);\nvar int limit = 3;\n", mode)
    assert "Suggestion: 'limit' is defined later (line 2): a variable can be used only after its declaration" in err
    # a local of a block is not a declaration of the global
    err = report(tmp_path, "say(x);\nif (true) { var x = 1; }\n", mode)
    assert "defined later" not in err


def test_a_hint_that_fails_never_hides_the_error(tmp_path):
    from neutron.runner import format_uncaught, new_vm
    from neutron.runtime.frames import Uncaught

    def broken():
        raise ValueError("no")
    text = format_uncaught(new_vm(), Uncaught("Boom.", True, [], broken))
    assert "Boom." in text and "Suggestion" not in text
