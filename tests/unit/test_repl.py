"""The prompt, fed from a file: each entry is compiled and run in one session; an error of any kind is reported
as for a program and the session goes on; sys.exit ends it."""
import io

from neutron.repl import repl


def session(tmp_path, *lines):
    """(status, stdout, stderr) of a session reading `lines`, run in tmp_path (where `using` finds files)."""
    import os
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        status = repl(io.StringIO("".join(line + "\n" for line in lines)), out, err)
    finally:
        os.chdir(old)
    return status, out.getvalue(), err.getvalue()


def test_entries_share_globals_and_a_bare_expression_prints(tmp_path):
    status, out, err = session(tmp_path, "var a = [1,", "2];", "a.length + 1", "say(a);", "fun f(x) { return x * 2; }",
                               "f(21)", "f(21) + 0")
    assert (status, out, err) == (0, "3\n[1, 2]\n42\n", "")         # a call alone prints nothing


def test_declared_types_hold_across_entries(tmp_path):
    status, out, err = session(tmp_path, "var int n = 1;", 'n = "x";', "say(n);")
    assert status == 0 and out == "1\n"
    assert "Type mismatch" in err


def test_errors_are_reported_and_the_session_goes_on(tmp_path):
    (tmp_path / "broken.nt").write_text("var x = ;\n", encoding="utf-8")
    status, out, err = session(tmp_path, "say(nope);", "var = 1;", 'using "broken.nt";', 'throw "up";',
                               'say("still here");')
    assert (status, out) == (0, "still here\n")
    assert "Undefined variable 'nope'." in err
    assert "SyntaxError in <repl>" in err
    assert "broken.nt at line 1" in err.split("SyntaxError in")[2]     # a `using` file that does not compile
    assert "Uncaught exception: up" in err


def test_exit_ends_the_session_with_its_status(tmp_path):
    status, out, err = session(tmp_path, "use sys;", 'say("before");', "sys.exit(3);", 'say("after");')
    assert (status, out, err) == (3, "before\n", "")
