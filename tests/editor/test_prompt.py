"""The rich prompt, driven through prompt_toolkit's pipe input (no terminal): multi-line input that ends when
the parser says the statement is complete, Ctrl-C cancelling the input, completion, and the REPL running it."""
from __future__ import annotations

import io

from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from neutron.editor.prompt import Reader, is_complete
from neutron.repl import repl
from neutron.runner import new_vm


def test_complete_from_the_parser():
    assert is_complete("say(1);")
    assert is_complete("1 + 2")                 # a bare expression needs no ';' at the prompt
    assert not is_complete("fun f() {")
    assert not is_complete("fun f() {\n  return 1;")
    assert is_complete('say("a {");')              # unbalanced by counting, complete to the parser
    assert not is_complete('var s = "unterminated')
    assert not is_complete("#{ a comment")
    assert not is_complete("if (x > 1)")
    assert is_complete("var x = ;")             # an error before the end: run it, to report it


def _run_repl(keys):
    out, err = io.StringIO(), io.StringIO()
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(keys)
        status = repl(io.StringIO(""), out, err,
                      make_reader=lambda vm, stdin: Reader(vm, input=pipe, output=DummyOutput(), history_path=None))
    return status, out.getvalue(), err.getvalue()


def test_repl_reads_multi_line_statements():
    status, out, err = _run_repl('fun f(x) {\r  return x * 2;\r}\rsay(f(21));\rsay("a {");\r1 + 2\r\x04')
    assert (status, out, err) == (0, "42\na {\n3\n", "")


def test_ctrl_c_cancels_the_input():
    status, out, err = _run_repl("fun f() {\r  say(1);\r\x03say(2);\r\x04")
    assert (status, out, err) == (0, "2\n", "")


def test_history_is_kept_in_a_file(tmp_path):
    path = tmp_path / "history"
    with create_pipe_input() as pipe:
        pipe.send_text("say(7);\r\x04")
        reader = Reader(new_vm(), input=pipe, output=DummyOutput(), history_path=str(path))
        assert reader() == "say(7);"
        assert reader() is None
    assert "say(7);" in path.read_text()


def test_completion():
    vm = new_vm()
    with create_pipe_input() as pipe:
        reader = Reader(vm, input=pipe, output=DummyOutput(), history_path=None)
    reader.source = "use math;\nvar counter = 1;\n"
    vm.globals["counter"] = 1.0

    def labels(text):
        completer = reader.session.completer
        return {c.text for c in completer.get_completions(Document(text), CompleteEvent(completion_requested=True))}
    assert {"sqrt", "pow", "PI"} <= labels("say(math.")
    assert labels("say(math.sq") == {"sqrt"}
    assert "counter" in labels("say(cou") and "while" in labels("wh")
    assert {"upper", "push", "map"} <= labels('"abc".')
