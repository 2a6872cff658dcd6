"""The disassembler, and the opcode table it reads. The golden listings of small programs pin what the compiler
emits: a change to code generation shows here as a readable diff."""
import ast
from pathlib import Path
from textwrap import dedent

import pytest

from neutron.bytecode import disasm
from neutron.bytecode import opcodes as op
from neutron.bytecode.code import Code
from neutron.cli import main
from neutron.frontend import compile_source
from neutron.frontend.scanner import scan
from neutron.frontend.tokens import STRING
from neutron.runtime.values import format_number


def listing(source):
    return disasm.disassemble(compile_source(dedent(source), "t.nt"))


# ---- golden listings ---------------------------------------------------------------------------------------------

def test_arithmetic_and_interpolation():
    """Operands in order, operator after them; `-4` is one constant; interpolation is TO_STR and CONCAT."""
    assert listing("""\
    var x = 2;
    say(1 + x * 3 - -4 / x % 5);
    say("x = ${x}");
    """) == dedent("""\
    Disassembly of <script> (file t.nt, arity 0, 0 locals):
       1       0 CONST                  0 (2)
               1 DEFINE_GLOBAL          0 (x)
       2       2 CONST                  1 (1)
               3 LOAD_GLOBAL            0 (x)
               4 CONST                  2 (3)
               5 MUL
               6 ADD
               7 CONST                  3 (-4)
               8 LOAD_GLOBAL            0 (x)
               9 DIV
              10 CONST                  4 (5)
              11 MOD
              12 SUB
              13 SAY
       3      14 CONST                  5 ("x = ")
              15 LOAD_GLOBAL            0 (x)
              16 TO_STR
              17 CONCAT                 2
              18 SAY
              19 NIL
              20 RETURN
    """)


def test_a_counting_loop_and_a_for_in_loop():
    """`continue` jumps to the step; a for-in loop keeps its iterator on the stack, FOR_ITER leaves at the end."""
    assert listing("""\
    var total = 0;
    for (var i = 0; i < 3; i++) {
      if (i == 1) continue;
      total += i;
    }
    for (k in [4, 5]) say(k);
    """) == dedent("""\
    Disassembly of <script> (file t.nt, arity 0, 2 locals):
       1       0 CONST                  0 (0)
               1 DEFINE_GLOBAL          0 (total)
       2       2 CONST                  0 (0)
               3 STORE_LOCAL            0
         >>    4 LOAD_LOCAL             0
               5 CONST                  1 (3)
               6 LT
               7 JUMP_IF_FALSE         26 (to 26)
       3       8 LOAD_LOCAL             0
               9 CONST                  2 (1)
              10 EQ
              11 JUMP_IF_FALSE         13 (to 13)
              12 JUMP                  19 (to 19)
       4 >>   13 LOAD_GLOBAL            0 (total)
              14 LOAD_LOCAL             0
              15 ADD
              16 DUP
              17 STORE_GLOBAL           0 (total)
              18 POP
       2 >>   19 LOAD_LOCAL             0
              20 CONST                  2 (1)
              21 ADD
              22 DUP
              23 STORE_LOCAL            0
              24 POP
              25 JUMP                   4 (to 4)
       6 >>   26 CONST                  3 (4)
              27 CONST                  4 (5)
              28 BUILD_LIST             2
              29 GET_ITER
         >>   30 FOR_ITER              35 (to 35)
              31 STORE_LOCAL            1
              32 LOAD_LOCAL             1
              33 SAY
              34 JUMP                  30 (to 30)
         >>   35 NIL
              36 RETURN
    """)


def test_a_function_returning_a_closure():
    """A captured local lives in a cell from its declaration; the inner function reaches it as a free variable."""
    assert listing("""\
    fun counter(start) {
      var n = start;
      return fun() { n = n + 1; return n; };
    }
    var next = counter(10);
    say(next());
    """) == dedent("""\
    Disassembly of <script> (file t.nt, arity 0, 0 locals):
       1       0 CLOSURE                0 (<code counter>)
               1 DEFINE_GLOBAL          0 (counter)
       5       2 LOAD_GLOBAL            0 (counter)
               3 CONST                  1 (10)
               4 CALL                   1
               5 DEFINE_GLOBAL          1 (next)
       6       6 LOAD_GLOBAL            1 (next)
               7 CALL                   0
               8 SAY
               9 NIL
              10 RETURN

    Disassembly of counter (file t.nt, arity 1, 2 locals):
       2       0 LOAD_LOCAL             0 (start)
               1 NEW_CELL               1
               2 STORE_CELL             1
       3       3 CLOSURE                0 (<code <anonymous>>)
               4 RETURN
               5 NIL
               6 RETURN

    Disassembly of <anonymous> (file t.nt, arity 0, 0 locals):
       3       0 LOAD_FREE              0 (outer slot 1)
               1 CONST                  0 (1)
               2 ADD
               3 DUP
               4 STORE_FREE             0 (outer slot 1)
               5 POP
               6 LOAD_FREE              0 (outer slot 1)
               7 RETURN
               8 NIL
               9 RETURN
    """)


def test_a_class_with_a_field_and_methods():
    """Field initializers run at the start of `initialize`; a method call is one INVOKE."""
    assert listing("""\
    class Point {
      var x = 0;
      fun initialize(y) { this.y = y; }
      fun sum() { return this.x + this.y; }
    }
    say(Point(2).sum());
    """) == dedent("""\
    Disassembly of <script> (file t.nt, arity 0, 0 locals):
       1       0 MAKE_CLASS             0 (Point)
               1 NIL
               2 ADD_FIELD              0 ("x", nil)
               3 CLOSURE                1 (<code initialize>)
               4 ADD_METHOD             1 (initialize)
               5 CLOSURE                2 (<code sum>)
               6 ADD_METHOD             2 (sum)
               7 DEFINE_GLOBAL          0 (Point)
       6       8 LOAD_GLOBAL            0 (Point)
               9 CONST                  3 (2)
              10 CALL                   1
              11 INVOKE               2 0 (sum/0)
              12 SAY
              13 NIL
              14 RETURN

    Disassembly of initialize (file t.nt, arity 1, 2 locals, method):
       2       0 LOAD_LOCAL             0 (this)
               1 CONST                  0 (0)
               2 SET_PROP               0 (x)
               3 POP
       3       4 LOAD_LOCAL             0 (this)
               5 LOAD_LOCAL             1 (y)
               6 SET_PROP               1 (y)
               7 POP
               8 LOAD_LOCAL             0 (this)
               9 RETURN

    Disassembly of sum (file t.nt, arity 0, 1 locals, method):
       4       0 LOAD_LOCAL             0 (this)
               1 GET_PROP               0 (x)
               2 LOAD_LOCAL             0 (this)
               3 GET_PROP               1 (y)
               4 ADD
               5 RETURN
               6 NIL
               7 RETURN
    """)


def test_try_catch_finally():
    """The finally body is compiled twice: once on the normal path, once in its handler, which rethrows. The
    handler starts with DUP POP, which marks it (line 0) as a finally's: its rethrow continues the exception."""
    assert listing("""\
    try {
      throw "oops";
    } catch (e) {
      say(e);
    } finally {
      say("done");
    }
    """) == dedent("""\
    Disassembly of <script> (file t.nt, arity 0, 1 locals):
       1       0 SETUP_TRY             13 (to 13)
               1 SETUP_TRY              6 (to 6)
       2       2 CONST                  0 ("oops")
               3 THROW
               4 POP_TRY
               5 JUMP                   9 (to 9)
         >>    6 STORE_LOCAL            0
       4       7 LOAD_LOCAL             0
               8 SAY
         >>    9 POP_TRY
       6      10 CONST                  1 ("done")
              11 SAY
              12 JUMP                  18 (to 18)
         >>   13 DUP
              14 POP
              15 CONST                  1 ("done")
              16 SAY
              17 THROW
         >>   18 NIL
              19 RETURN
    """)


# ---- the opcode table --------------------------------------------------------------------------------------------

# The instructions a snapshot may hold, in their numbering: new instructions go at the end, never in between.
SNAPSHOT_NUMBERING = (
    "CONST NIL TRUE FALSE POP DUP DUP2 ROT3 LOAD_LOCAL STORE_LOCAL LOAD_CELL STORE_CELL MAKE_CELL NEW_CELL LOAD_FREE "
    "STORE_FREE LOAD_GLOBAL STORE_GLOBAL DEFINE_GLOBAL GET_PROP GET_PROP_OPT SET_PROP GET_INDEX SET_INDEX ADD SUB MUL "
    "DIV MOD EQ NE LT LE GT GE BAND BOR BXOR SHL SHR NEG NOT BNOT TO_STR CONCAT JUMP JUMP_IF_FALSE JUMP_IF_TRUE "
    "JUMP_IF_FALSE_KEEP JUMP_IF_TRUE_KEEP JUMP_IF_NIL_KEEP CALL CALL_ARRAY INVOKE RETURN BUILD_LIST BUILD_OBJECT "
    "LIST_APPEND LIST_EXTEND CLOSURE MAKE_CLASS ADD_METHOD ADD_FIELD SETUP_TRY POP_TRY THROW END_FINALLY GET_ITER "
    "FOR_ITER SAY USE USING USING_ISOLATED GET_MEMBER CHECK_TYPE ERROR").split()

OPERAND_KINDS = {None, "const", "name", "slot", "free", "target", "count", "argc", "name,argc"}


def test_the_constants_are_plain_assignments_in_table_order():
    tree = ast.parse(Path(op.__file__).read_text(encoding="utf-8"))
    assigned = {node.targets[0].id: node.value.value for node in tree.body
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)}
    assert [assigned.get(name) for name in op.NAMES] == list(range(len(op.TABLE)))
    assert [getattr(op, name) for name in op.NAMES] == list(range(len(op.TABLE)))


def test_existing_instructions_keep_their_numbers():
    assert op.NAMES[:len(SNAPSHOT_NUMBERING)] == SNAPSHOT_NUMBERING


def test_every_instruction_has_a_meaning_an_operand_kind_and_stack_counts():
    for name, operand, pops, pushes, meaning in op.TABLE:
        assert meaning.strip(), name
        assert operand in OPERAND_KINDS, name
        for n in (pops, pushes):
            assert (n.__class__ is int and n >= 0) or (callable(n) and operand in ("count", "argc", "name,argc")), name


def sample_arg(o):
    kind = op.OPERAND[o]
    return None if kind is None else (0, 2) if kind == "name,argc" else 2


def test_stack_effect_is_pushes_less_pops():
    for o in range(len(op.TABLE)):
        arg = sample_arg(o)
        assert op.stack_effect(o, arg) == op.pushes(o, arg) - op.pops(o, arg), op.NAMES[o]
        if o in op.ON_JUMP:
            taken_pops, taken_pushes = op.ON_JUMP[o]
            assert op.stack_effect(o, arg, jump=True) == taken_pushes - taken_pops
        else:
            assert op.stack_effect(o, arg, jump=True) == op.stack_effect(o, arg)
    assert set(op.ON_JUMP) <= op.JUMPS


def every_instruction():
    """A code object holding each instruction once, with a valid operand."""
    inner = Code("inner", "t.nt")
    c = Code("all", "t.nt")
    c.params, c.nlocals, c.is_method = ["a"], 3, True
    c.consts = [1.5, "s", inner, ("int", "message")]
    c.names = ["n0", "n1"]
    c.freevars = [(True, 1)]
    args = {"const": 1, "name": 1, "slot": 1, "free": 0, "target": 0, "count": 2, "argc": 2, "name,argc": (1, 2)}
    c.instrs = [(o, None if op.OPERAND[o] is None else args[op.OPERAND[o]]) for o in range(len(op.TABLE))]
    c.instrs[op.CLOSURE] = (op.CLOSURE, 2)
    c.instrs[op.CHECK_TYPE] = (op.CHECK_TYPE, 3)
    c.lines = [10 + i // 8 for i in range(len(c.instrs))]
    return c


def test_the_disassembler_handles_every_instruction():
    code = every_instruction()
    rows = disasm.instructions(code)
    assert [r.opname for r in rows] == op.NAMES
    shown = {r.opname: r.shown for r in rows}
    assert (shown["CONST"], shown["LOAD_GLOBAL"], shown["LOAD_LOCAL"], shown["LOAD_FREE"], shown["JUMP"],
            shown["INVOKE"], shown["CLOSURE"], shown["CHECK_TYPE"], shown["CALL"]) == (
        '"s"', "n1", "a", "outer slot 1", "to 0", "n1/2", "<code inner>", '"int", "message"', "")
    text = disasm.disassemble(code).split("\n")
    assert text[0] == "Disassembly of all (file t.nt, arity 1, 3 locals, method):"
    assert all(name in line.split() for line, name in zip(text[1:], op.NAMES))
    assert text[len(op.NAMES) + 2] == "Disassembly of inner (file t.nt, arity 0, 0 locals):"


@pytest.mark.parametrize("n", [0.0, -0.0, 1.0, -7.0, 0.1, 1 / 3, 2.5e-8, 1e15, -1e15, 999999999999999.0, 1e300,
                               float("nan"), float("inf"), float("-inf"), 123456.789])
def test_numbers_look_as_the_runtime_prints_them(n):
    assert disasm.constant(n) == format_number(n)


@pytest.mark.parametrize("s, shown", [
    ("plain", '"plain"'),
    ('say "hi"\\now', '"say \\"hi\\"\\\\now"'),
    ("a\nb\tc\rd", '"a\\nb\\tc\\rd"'),
    ("cost: ${x} or $y", '"cost: \\${x} or $y"'),
    ("\x00\x1b\x7f", '"\\x00\\x1b\\x7f"'),
    ("é ✓ \u2028", '"é ✓ \\u2028"'),
])
def test_strings_are_quoted_as_neutron_literals(s, shown):
    assert disasm.constant(s) == shown
    tokens, problems = scan(shown)
    assert problems == [] and tokens[0].kind == STRING and tokens[0].value == s


def test_other_constants():
    assert [disasm.constant(v) for v in (None, True, False, ("x", None))] == ["nil", "true", "false", '"x", nil']


def test_the_disassembler_needs_nothing_from_the_runtime():
    for module in (disasm, op):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(alias.name.startswith("neutron") for alias in node.names)
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0 and node.module in ("__future__", "math", "typing") or \
                    node.level == 1 and node.module in ("opcodes", "code", None), ast.dump(node)


# ---- the command line ----------------------------------------------------------------------------------------------

def test_neutron_disassemble_prints_the_listing_and_runs_nothing(tmp_path, capsys):
    path = tmp_path / "p.nt"
    path.write_text("use sys;\nsys.exit(3);\n", encoding="utf-8")
    assert main(["--disassemble", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == disasm.disassemble(compile_source(path.read_text(), str(path))) and err == ""
    assert out.startswith(f"Disassembly of <script> (file {path}, arity 0, 0 locals):\n")


def test_neutron_disassemble_reports_compile_errors_with_65(tmp_path, capsys):
    path = tmp_path / "bad.nt"
    path.write_text('say("a");\nvar = ;\n', encoding="utf-8")
    assert main(["--disassemble", str(path)]) == 65
    out, err = capsys.readouterr()
    assert out == "" and "SyntaxError" in err and "line 2" in err


def test_neutron_disassemble_of_an_unreadable_file_is_2(tmp_path, capsys):
    assert main(["--disassemble", str(tmp_path / "missing.nt")]) == 2
    assert "cannot open" in capsys.readouterr().err
    assert main(["--disassemble"]) == 2
