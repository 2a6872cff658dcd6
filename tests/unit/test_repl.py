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
                               "f(21) + 0")
    assert (status, out, err) == (0, "3\n[1, 2]\n42\n", "")


def test_the_value_of_a_last_expression_statement_prints_unless_nil(tmp_path):
    # Regression: a call alone printed nothing (`f(4)`, `"abc".upper()`), unlike Python's and Node's prompts.
    status, out, err = session(tmp_path, "fun f(x) { return x * 2; }", "f(4)", '"abc".upper()', "f(1); f(2)",
                               "fun g() {}", "g()", "say(5)", "nil", "var b = 1;", "b = 2", "b++", "b", "[nil][0]",
                               "false", "fun () { return 3; }()")
    assert (status, out, err) == (0, "8\nABC\n4\n5\n3\nfalse\n3\n", "")


def test_completeness_comes_from_the_parser_not_from_counting_characters(tmp_path):
    # Regression: a quote or a brace inside a comment (or a string) left the prompt waiting for more input for
    # good, so later entries ran together with it (here: never, as one of them does not compile).
    status, out, err = session(tmp_path, "say(1); // don't forget", "var = ;", 'say("{");', "say(2); // a {",
                               "var = ;", "#{ a ' and a {", "}# say(3);", "fun h() {", "  return 4;", "}", "h() + 1")
    assert (status, out) == (0, "1\n{\n2\n3\n5\n")
    assert err.count("SyntaxError in <repl>") == 2


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
