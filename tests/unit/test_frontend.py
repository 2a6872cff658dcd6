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


def test_constants_equal_but_of_another_sign_or_class_get_their_own_slots():
    from neutron.frontend.compiler import const_key
    assert const_key(0.0) != const_key(-0.0)
    assert const_key(1.0) != const_key(True) and const_key(1) != const_key(1.0)
    assert const_key(("int", 0.0)) != const_key(("int", -0.0))
    assert const_key(float("nan")) is not None
    code = compile_source("say(0); say(-0); say(0); say(-0);\n", "t.nt")
    assert [repr(c) for c in code.consts] == ["0.0", "-0.0"]


CHAINS = {      # programs whose syntax trees are chains 10,000 long, and what they print
    "sum": ("say(" + "+".join(["1"] * 10000) + ");", "10000"),
    "and": ("say(" + " and ".join(["true"] * 10000) + ");", "true"),
    "or": ("say(" + " || ".join(["false"] * 9999) + " || 7);", "7"),
    "methods": ("class B { fun m() { return this; } }\nsay(B()" + ".m()" * 10000 + " != nil);", "true"),
    "fields": ("var o = {};\no.a = o;\nsay(o" + ".a" * 10000 + " == o);", "true"),
    "indexes": ("var xs = [0];\nxs[0] = xs;\nsay(xs" + "[0]" * 10000 + " == xs);", "true"),
    "calls": ("fun me() { return me; }\nsay(me" + "()" * 10000 + " == me);", "true"),
    "elif": ("fun f(x) {\nif (x == 0) return 0;\n" + "".join(f"elif (x == {i}) return {i};\n" for i in range(1, 10000))
             + "else return -1;\n}\nsay(f(9999));", "9999"),
    "closure": ("fun outer() { var c = 1; return fun () { return " + "+".join(["c"] * 10000) + "; }; }\n"
                "say(outer()());", "10000"),
}


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_chains_of_any_length_compile_without_deep_recursion(name):
    try:
        code = compile_source(CHAINS[name][0], "t.nt")
    except RecursionError:
        pytest.fail("RecursionError", pytrace=False)   # its 20,000-frame traceback would take minutes to print
    assert code.instrs[-1] == (op.RETURN, None)
