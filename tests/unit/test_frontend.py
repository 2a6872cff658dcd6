"""The front end's one entry point, neutron.frontend.compile_source: what its options do, and the imports it
collects for the loader."""
import inspect
import sys

import pytest

from neutron import loader
from neutron.bytecode import opcodes as op
from neutron.bytecode.disasm import disassemble
from neutron.errors import CompileFailed
from neutron.frontend import compile_source
from neutron.frontend import nodes as N

PROGRAM = """use math;
fun f(x) {
    use json;
    if (x) { using "a.nt"; }
    return math.abs(x);
}
var t = [fun() { using (g) = from "b.nt"; }];
"""


def test_the_same_code_as_the_loader_compiles():
    assert disassemble(compile_source(PROGRAM, "t.nt")) == disassemble(loader.compile_source(PROGRAM, "t.nt"))


def test_imports_are_collected_from_everywhere_in_the_program():
    found = []
    compile_source(PROGRAM, "t.nt", imports=found)
    assert sorted(n.module if isinstance(n, N.Use) else n.path for n in found) == ["a.nt", "b.nt", "json", "math"]


def test_safe_mode_checks_declarations_when_they_run():
    code = compile_source("var x = 1;\n", "t.ntsc", safe=True)
    assert (op.ERROR, 0) in code.instrs
    assert code.consts[0] == "Variable 'x' must have a type annotation in safe file (.ntsc)."
    assert op.ERROR not in [o for o, _ in compile_source("var x = 1;\n", "t.nt").instrs]


def test_a_prompt_entry_may_declare_a_global_again():
    with pytest.raises(CompileFailed, match="already declared"):
        compile_source("var x = 1;\nvar x = 2;\n", "t.nt")
    compile_source("var x = 1;\nvar x = 2;\n", "<repl>", repl=True)


def test_nesting_the_parser_allows_compiles_whatever_the_recursion_limit():
    source = "if (true) {\n" * 90 + "say(1);\n" + "}\n" * 90      # 180 of the parser's 200 levels
    saved = sys.getrecursionlimit()
    low = len(inspect.stack()) + 100
    sys.setrecursionlimit(low)
    try:
        code = compile_source(source, "t.nt")
        assert sys.getrecursionlimit() == low
    finally:
        sys.setrecursionlimit(saved)
    assert op.SAY in [o for o, _ in code.instrs]
