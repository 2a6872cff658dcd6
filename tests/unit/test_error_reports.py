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
