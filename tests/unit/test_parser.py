"""The parser: the tree each construct gives, the errors it reports (position, message, suggestion), recovery after
an error, and that no input, however odd, escapes as anything but CompileFailed."""
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neutron.frontend import nodes as N
from neutron.errors import CompileFailed, format_diagnostics
from neutron.frontend.parser import parse


def program(source, safe=False):
    return parse(source, "test.nt", safe)


def stmts(source):
    return program(source).body


def stmt(source):
    (s,) = stmts(source)
    return s


def expr(source):
    s = stmt(source + ";")
    assert isinstance(s, N.ExprStmt)
    return s.expr


def failure(source):
    with pytest.raises(CompileFailed) as info:
        program(source)
    return info.value


def errors(source):
    return [(d.message, d.line, d.col) for d in failure(source).diagnostics]


def first_error(source):
    return failure(source).diagnostics[0]


def show(node):
    """A compact prefix form of an expression, to check structure and precedence."""
    if isinstance(node, N.Literal):
        v = node.value
        if isinstance(v, float):
            return str(int(v)) if v.is_integer() else str(v)
        return repr(v) if isinstance(v, str) else str(v).lower() if v is not None else "nil"
    if isinstance(node, N.Variable):
        return node.name
    if isinstance(node, N.This):
        return "this"
    if isinstance(node, (N.Binary, N.Logical)):
        return f"({node.op} {show(node.left)} {show(node.right)})"
    if isinstance(node, N.Unary):
        return f"({node.op} {show(node.operand)})"
    if isinstance(node, N.Ternary):
        return f"(? {show(node.cond)} {show(node.then)} {show(node.otherwise)})"
    if isinstance(node, N.Assign):
        return f"({node.op or ''}= {show(node.target)} {show(node.value)})"
    if isinstance(node, N.Update):
        return f"({'pre' if node.prefix else 'post'}{node.op * 2} {show(node.target)})"
    if isinstance(node, N.Call):
        return f"(call {show(node.callee)}{''.join(' ' + show(a) for a in node.args)})"
    if isinstance(node, N.Get):
        return f"({'?.' if node.optional else '.'} {show(node.obj)} {node.name})"
    if isinstance(node, N.Index):
        return f"([] {show(node.obj)} {show(node.index)})"
    if isinstance(node, N.Spread):
        return f"...{show(node.value)}"
    if isinstance(node, N.ArrayLit):
        return "[" + " ".join(show(e) for e in node.elements) + "]"
    if isinstance(node, N.ObjectLit):
        return "{" + " ".join(f"{k}:{show(v)}" for k, v in node.pairs) + "}"
    if isinstance(node, N.Interpolation):
        return "(str " + " ".join(show(p) for p in node.parts) + ")"
    if isinstance(node, N.Lambda):
        return "(fun)"
    raise AssertionError(node)


def sx(source):
    return show(expr(source))


# ---- expressions -------------------------------------------------------------------------------------------

def test_literals():
    assert sx("1") == "1"
    assert sx("2.5") == "2.5"
    assert sx('"s"') == "'s'"
    assert sx("true") == "true" and sx("false") == "false" and sx("nil") == "nil"
    assert sx("this") == "this"
    assert expr("true").value is True and expr("nil").value is None


@pytest.mark.parametrize("source, tree", [
    ("1 + 2 * 3", "(+ 1 (* 2 3))"),
    ("1 - 2 - 3", "(- (- 1 2) 3)"),
    ("a / b % c", "(% (/ a b) c)"),
    ("1 << 2 + 3", "(<< 1 (+ 2 3))"),
    ("a < b << 1", "(< a (<< b 1))"),
    ("a == b < c", "(== a (< b c))"),
    ("a & b == c", "(& a (== b c))"),
    ("a | b ^ c & d", "(| a (^ b (& c d)))"),
    ("a or b and c", "(or a (and b c))"),
    ("a || b && c", "(or a (and b c))"),
    ("a and b | c", "(and a (| b c))"),
    ("!a == b", "(== (! a) b)"),
    ("-a.b", "(- (. a b))"),
    ("- -a", "(- (- a))"),
    ("~!-x", "(~ (! (- x)))"),
    ("a ? b : c ? d : e", "(? a b (? c d e))"),
    ("a or b ? c : d", "(? (or a b) c d)"),
    ("a ? b = 1 : c", "(? a (= b 1) c)"),
    ("a = b = 1", "(= a (= b 1))"),
    ("a += b -= 2", "(+= a (-= b 2))"),
    ("x *= 2", "(*= x 2)"), ("x /= 2", "(/= x 2)"), ("x %= 2", "(%= x 2)"),
    ("a.b.c = 1", "(= (. (. a b) c) 1)"),
    ("a[1][2] = 3", "(= ([] ([] a 1) 2) 3)"),
    ("(a) = 1", "(= a 1)"),
    ("((1 + 2)) * 3", "(* (+ 1 2) 3)"),
])
def test_precedence_and_associativity(source, tree):
    assert sx(source) == tree


def test_logical_nodes_for_words_and_symbols():
    for source in ("a and b", "a && b"):
        e = expr(source)
        assert isinstance(e, N.Logical) and e.op == "and"
    for source in ("a or b", "a || b"):
        e = expr(source)
        assert isinstance(e, N.Logical) and e.op == "or"


def test_compound_assignment_op():
    e = expr("a.b += 1")
    assert isinstance(e, N.Assign) and e.op == "+" and isinstance(e.target, N.Get)
    assert expr("a = 1").op is None


@pytest.mark.parametrize("source, tree", [
    ("x++", "(post++ x)"), ("x--", "(post-- x)"), ("++x", "(pre++ x)"), ("--x", "(pre-- x)"),
    ("a.b++", "(post++ (. a b))"), ("--a[i]", "(pre-- ([] a i))"), ("++this.count", "(pre++ (. this count))"),
    ("-x++", "(- (post++ x))"), ("x++ + 1", "(+ (post++ x) 1)"),
])
def test_increment_and_decrement(source, tree):
    assert sx(source) == tree


@pytest.mark.parametrize("source", ["1 = 2", "a + b = c", "f() = 1", "a ? b : c = d", "-a = 1"])
def test_invalid_assignment_targets(source):
    assert "Invalid assignment target." in [m for m, _, _ in errors(source + ";")]


def test_no_assignment_through_optional_chaining():
    d = first_error("a?.b = 1;")
    assert d.message == "Invalid assignment target." and "?." in d.suggestion


@pytest.mark.parametrize("source, message", [
    ("++1;", "Invalid increment target."), ("f()++;", "Invalid increment target."),
    ("--(a + b);", "Invalid decrement target."), ("a?.b++;", "Invalid increment target."),
])
def test_invalid_update_targets(source, message):
    assert errors(source)[0][0] == message


@pytest.mark.parametrize("source, tree", [
    ("f()", "(call f)"),
    ("f(1, 2,)", "(call f 1 2)"),
    ("f(...a, b)", "(call f ...a b)"),
    ("a.b(1)(2)", "(call (call (. a b) 1) 2)"),
    ("a?.b", "(?. a b)"),
    ("a?.b(1)", "(call (?. a b) 1)"),
    ("a?.b.c", "(. (?. a b) c)"),
    ("a[0].b", "(. ([] a 0) b)"),
    ("obj.class", "(. obj class)"),
    ("obj.default.for", "(. (. obj default) for)"),
    ("obj?.var", "(?. obj var)"),
    ("[]", "[]"),
    ("[1, [2], 3,]", "[1 [2] 3]"),
    ("[...a, 1, ...b]", "[...a 1 ...b]"),
    ("{}", "{}"),
    ('{"a": 1, b: 2, default: 3, class: 4,}', "{a:1 b:2 default:3 class:4}"),
    ('{"k": {x: [1]}}', "{k:{x:[1]}}"),
    ("fun (a) { return a; }", "(fun)"),
])
def test_postfix_and_literals(source, tree):
    if source.startswith("{") or source.startswith("fun"):
        assert show(stmt(f"x = {source};").expr.value) == tree
    else:
        assert sx(source) == tree


def test_lambda():
    lam = stmt("var f = fun (a, int b,) -> int { return a + b; };").names[0][1]
    assert isinstance(lam, N.Lambda)
    assert [(p.name, p.type) for p in lam.params] == [("a", None), ("b", "int")]
    assert lam.return_type == "int"
    assert isinstance(lam.body[0], N.Return)


def test_immediately_invoked_lambda_statement():
    s = stmt("fun(x){ say(x); }(5);")
    assert isinstance(s, N.ExprStmt) and isinstance(s.expr, N.Call)
    assert isinstance(s.expr.callee, N.Lambda) and show(s.expr.args[0]) == "5"


def test_spread_elsewhere_is_an_error():
    d = first_error("x = ...a;")
    assert d.message == "Expect expression." and "Spread" in d.suggestion


# ---- strings and interpolation -----------------------------------------------------------------------------

def test_plain_string_is_literal():
    e = expr('"no interpolation $ here"')
    assert isinstance(e, N.Literal) and e.value == "no interpolation $ here"


def test_interpolation_node():
    assert sx('"a ${x} b ${y + 1}"') == "(str 'a ' x ' b ' (+ y 1))"
    assert sx('"${x}"') == "(str x)"
    assert sx('"${1}${2}"') == "(str 1 2)"
    assert sx('"${ {"a": 1}["a"] }"') == "(str ([] {a:1} 'a'))"
    assert sx('"${ f("}") }"') == "(str (call f '}'))"
    assert sx('"a${ "b${c}" }"') == "(str 'a' (str 'b' c))"
    assert sx('"\\${x}"') == "'${x}'"
    assert sx('r"${x}"') == "'${x}'"


def test_interpolation_positions():
    e = stmt('say(\n  "v=${ a + b }");').value
    plus = e.parts[1]
    assert (plus.line, plus.col) == (2, 10)
    assert (plus.left.line, plus.left.col) == (2, 8)


def test_interpolation_errors():
    assert errors('x = "${}";') == [("Expect expression inside '${}'.", 1, 7)]
    assert errors('x = "${a b}";') == [("Expect '}' after interpolated expression.", 1, 9)]
    assert errors('x = "${a +}";') == [("Expect expression.", 1, 10)]


def test_unterminated_strings_and_comments_are_reported_once():
    for source in ('x = "${a', 'x = "abc', "x = r'abc", "x = 1 #{ abc", 'say("${ f(1, 2'):
        diags = failure(source).diagnostics
        assert [d.kind for d in diags] == ["LexicalError"], diags


# ---- statements --------------------------------------------------------------------------------------------

def test_say():
    s = stmt("say(1 + 2);")
    assert isinstance(s, N.Say) and show(s.value) == "(+ 1 2)"


def test_say_with_two_values():
    d = first_error("say(a, b);")
    assert d.message == "Expect ')' after value." and "+" in d.suggestion


def test_var_declarations():
    s = stmt("var a = 1, b, c = 3;")
    assert isinstance(s, N.VarDecl) and s.type is None and not s.static
    assert [(n, show(i) if i else None, line, col) for n, i, line, col in s.names] == [
        ("a", "1", 1, 4), ("b", None, 1, 11), ("c", "3", 1, 14)]


def test_typed_var_declarations():
    s = stmt("var string a = 1, b = 2;")
    assert s.type == "string" and [n[0] for n in s.names] == ["a", "b"]
    for t in ("int", "float", "string", "bool", "array", "object", "any"):
        assert stmt(f"var {t} x;").type == t


def test_type_names_are_identifiers_elsewhere():
    s = stmt("var array = [1];")
    assert s.type is None and s.names[0][0] == "array"
    assert stmt("var int = 5;").names[0][0] == "int"
    assert stmt("var int;").names[0][0] == "int"
    assert sx("string + object") == "(+ string object)"
    f = stmt("fun f(int, any) {}")
    assert [(p.name, p.type) for p in f.params] == [("int", None), ("any", None)]


def test_static_var():
    s = stmt("static var N = 5;")
    assert isinstance(s, N.VarDecl) and s.static and s.names[0][0] == "N"
    assert stmt("static var int N = 5, M = 6;").type == "int"
    assert errors("static var N;") == [("Static variables must be initialized.", 1, 11)]
    assert errors("static var N = 1, M;") == [("Static variables must be initialized.", 1, 18)]
    assert errors("static x = 1;")[0][0] == "Expect 'var' after 'static'."


def test_destructuring():
    s = stmt("var [a, b,] = pair;")
    assert isinstance(s, N.DestructureArray) and s.names == ["a", "b"] and show(s.value) == "pair"
    s = stmt('var {x, y: renamed, "z": zed, class: k} = point;')
    assert isinstance(s, N.DestructureObject)
    assert s.pairs == [("x", "x"), ("y", "renamed"), ("z", "zed"), ("class", "k")]
    assert errors("var {class} = o;")[0][0] == "Expect ':' and a variable name after key."


def test_reserved_word_as_name():
    d = first_error("var class = 1;")
    assert (d.message, d.line, d.col) == ("Expect variable name.", 1, 4)
    assert "reserved word" in d.suggestion


def test_safe_is_contextual():
    assert stmt("var safe = 1;").names[0][0] == "safe"
    assert sx("safe = 2") == "(= safe 2)"
    assert sx("safe.x") == "(. safe x)"
    s = stmt("safe { var int x = 1; }")
    assert isinstance(s, N.Safe) and isinstance(s.body[0], N.VarDecl)


def test_other_contextual_identifiers():
    assert sx("not(x)") == "(call not x)"
    assert sx("super.init()") == "(call (. super init))"
    assert sx("initialize") == "initialize"


def test_fun_declaration():
    s = stmt("fun add(int a, b,) -> string { return a + b; }")
    assert isinstance(s, N.FunDecl) and s.name == "add" and s.return_type == "string"
    assert [(p.name, p.type, p.line, p.col) for p in s.params] == [("a", "int", 1, 12), ("b", None, 1, 15)]
    assert isinstance(s.body[0], N.Return)
    assert stmt("fun f() {}").params == [] and stmt("fun f() {}").return_type is None


def test_fun_errors():
    assert errors("fun f() -> number { }")[0][0] == "Expect type after '->'."
    assert errors("fun class() {}")[0][0] == "Expect function name."
    assert errors("fun f(a b) {}")[0][0] == "Expect ')' after parameters."
    assert errors("fun f(a) return a;")[0][0] == "Expect '{' before function body."


def test_class_declaration():
    s = stmt("""
class Person {
    var name;
    var int age = 5, height;
    init(a) { this.a = a; }
    initialize(a) {}
    fun greet(string who) -> string { return "hi " + who; }
    fun class() {}
}""")
    assert isinstance(s, N.ClassDecl) and s.name == "Person"
    assert [(f.name, f.type, show(f.init) if f.init else None) for f in s.fields] == [
        ("name", None, None), ("age", "int", "5"), ("height", "int", None)]
    assert [m.name for m in s.methods] == ["init", "initialize", "greet", "class"]
    assert all(isinstance(m, N.FunDecl) for m in s.methods)
    assert s.methods[2].params[0].type == "string" and s.methods[2].return_type == "string"
    assert (s.fields[0].line, s.fields[0].col) == (3, 8)


def test_class_body_errors():
    d = first_error("class A { say(1); }")
    assert d.message == "Expect field or method declaration in class body."
    assert "fields" in d.suggestion
    assert errors("class A { 1 + 2; static var x = 1; init() {} }") == [
        ("Expect field or method declaration in class body.", 1, 10),
        ("Expect field or method declaration in class body.", 1, 17)]
    d = first_error("class B < A {}")
    assert d.message == "Expect '{' before class body." and "inherit" in d.suggestion


def test_if_elif_else_chain():
    s = stmt("if (a) x; elif (b) y; else if (c) z; else w;")
    assert isinstance(s, N.If) and show(s.cond) == "a"
    assert isinstance(s.otherwise, N.If) and show(s.otherwise.cond) == "b"
    assert isinstance(s.otherwise.otherwise, N.If) and show(s.otherwise.otherwise.cond) == "c"
    assert isinstance(s.otherwise.otherwise.otherwise, N.ExprStmt)
    assert stmt("if (a) x;").otherwise is None


def test_dangling_else_binds_to_nearest_if():
    s = stmt("if (a) if (b) x; else y;")
    assert s.otherwise is None and s.then.otherwise is not None


def test_long_else_if_chain_is_not_too_deep():
    source = "if (a) x;" + " else if (a) x;" * 1000 + " else y;"
    s = stmt(source)
    n = 0
    while isinstance(s, N.If):
        s, n = s.otherwise, n + 1
    assert n == 1001


def test_loops():
    s = stmt("while (i < 3) i++;")
    assert isinstance(s, N.While) and show(s.cond) == "(< i 3)"
    s = stmt("do { i++; } while (i < 3);")
    assert isinstance(s, N.DoWhile) and isinstance(s.body, N.Block) and show(s.cond) == "(< i 3)"


def test_for_loops():
    s = stmt("for (var i = 0; i < n; i++) say(i);")
    assert isinstance(s, N.For) and isinstance(s.init, N.VarDecl)
    assert show(s.cond) == "(< i n)" and show(s.step) == "(post++ i)" and isinstance(s.body, N.Say)
    s = stmt("for (;;) break;")
    assert s.init is None and s.cond is None and s.step is None and isinstance(s.body, N.Break)
    s = stmt("for (i = 0; i < 3;) {}")
    assert isinstance(s.init, N.ExprStmt) and s.step is None
    s = stmt("for (var int i = 0; ; i += 1) {}")
    assert s.init.type == "int" and s.cond is None


def test_for_in():
    for source in ("for (var k in obj) say(k);", "for (k in obj) say(k);"):
        s = stmt(source)
        assert isinstance(s, N.ForIn) and s.name == "k" and show(s.iterable) == "obj"
        assert isinstance(s.body, N.Say)


def test_jumps():
    assert isinstance(stmt("return;"), N.Return) and stmt("return;").value is None
    assert show(stmt("return a + 1;").value) == "(+ a 1)"
    assert isinstance(stmt("break;"), N.Break)
    assert isinstance(stmt("continue;"), N.Continue)


def test_match():
    s = stmt("""match (x) {
        case 1 => say("one");
        case 2 if y > 0 => { say("two"); }
        case "three" => return 3;
        default => say("other");
    }""")
    assert isinstance(s, N.Match) and show(s.subject) == "x"
    assert [show(c.value) for c in s.cases] == ["1", "2", "'three'"]
    assert s.cases[0].guard is None and show(s.cases[1].guard) == "(> y 0)"
    assert isinstance(s.cases[0].body, N.Say) and isinstance(s.cases[1].body, N.Block)
    assert isinstance(s.cases[2].body, N.Return)
    assert isinstance(s.default, N.Say)
    assert (s.cases[1].line, s.cases[1].col) == (3, 8)
    assert stmt("match (x) { case 1 => {} }").default is None


def test_match_errors():
    assert errors("match (x) { default => a; case 1 => b; }") == [
        ("'default' must be the last case in a match.", 1, 26)]
    assert errors("match (x) { 1 => a; }")[0][0] == "Expect 'case' or 'default' in match statement."
    assert errors("match (x) { case 1 say(1); case 2 => b; }") == [("Expect '=>' after case value.", 1, 19)]


def test_try():
    s = stmt("try { a(); } catch (e) { say(e); } finally { b(); }")
    assert isinstance(s, N.Try) and isinstance(s.body, N.Block)
    assert s.catch_name == "e" and isinstance(s.catch_body, N.Block) and isinstance(s.finally_body, N.Block)
    s = stmt("try { a(); } catch (e) {}")
    assert s.finally_body is None
    s = stmt("try { a(); } finally {}")
    assert s.catch_name is None and s.catch_body is None and s.finally_body.body == []
    assert errors("try { a(); }\nx = 1;") == [("Expect 'catch' or 'finally' after try block.", 2, 0)]


def test_throw_and_retry():
    s = stmt('throw "boom";')
    assert isinstance(s, N.Throw) and s.value.value == "boom"
    s = stmt("retry (3) { work(); } catch (e) { say(e); }")
    assert isinstance(s, N.Retry) and show(s.count) == "3" and isinstance(s.body, N.Block)
    assert s.catch_name == "e" and isinstance(s.catch_body, N.Block)
    s = stmt("retry (n + 1) { work(); }")
    assert s.catch_name is None and s.catch_body is None


def test_enum():
    s = stmt("enum Color { RED, GREEN = 5, BLUE, }")
    assert isinstance(s, N.Enum) and s.name == "Color"
    assert [(n, show(v) if v else None) for n, v in s.members] == [("RED", None), ("GREEN", "5"), ("BLUE", None)]
    assert [n for n, _ in stmt("enum E { A B }").members] == ["A", "B"]
    assert stmt("enum E {}").members == []


def test_use_and_using():
    s = stmt("use sys;")
    assert isinstance(s, N.Use) and (s.module, s.alias, s.names) == ("sys", None, None)
    s = stmt("use math as m;")
    assert (s.module, s.alias) == ("math", "m")
    s = stmt("use (now, sleep) = from time;")
    assert (s.module, s.names) == ("time", ["now", "sleep"])
    s = stmt("using 'utils.nt';")
    assert isinstance(s, N.Using) and (s.path, s.names) == ("utils.nt", None)
    s = stmt('using (add, mul) = from "lib/math.nt";')
    assert (s.path, s.names) == ("lib/math.nt", ["add", "mul"])
    d = first_error('use "x.nt";')
    assert "using" in d.suggestion
    assert errors("using x;")[0][0] == "Expect file path string after 'using'."


def test_block():
    s = stmt("{ var a = 1; { say(a); } }")
    assert isinstance(s, N.Block) and isinstance(s.body[1], N.Block)


def test_statement_positions():
    body = stmts("var a = 1;\n  say(a);\n\tx = a + b;")
    assert [(s.line, s.col) for s in body] == [(1, 0), (2, 2), (3, 1)]
    assign = body[2].expr
    assert (assign.line, assign.col) == (3, 3)        # at the '='
    assert (assign.value.line, assign.value.col) == (3, 7)  # at the '+'


def test_program_fields():
    p = parse("say(1);", "dir/main.ntsc", safe=True)
    assert p.path == "dir/main.ntsc" and p.source == "say(1);" and p.safe is True
    assert parse("", "e.nt").body == [] and parse("", "e.nt").safe is False
    assert parse("// only a comment\n#{ and a block }#", "e.nt").body == []


def test_the_acceptance_programs_parse():
    paths = sorted((Path(__file__).resolve().parents[1] / "cli" / "acceptance").glob("*.nt"))
    assert len(paths) == 4
    for path in paths:
        parse(path.read_text(encoding="utf-8"), path.name)


# ---- errors ------------------------------------------------------------------------------------------------

def test_expect_expression():
    d = first_error("x = ;")
    assert (d.kind, d.message, d.path, d.line, d.col) == ("SyntaxError", "Expect expression.", "test.nt", 1, 4)


def test_missing_semicolon_at_end_of_line_points_after_previous_token():
    d = first_error("var x = 1\nsay(x);")
    assert (d.message, d.line, d.col) == ("Expect ';' after variable declaration.", 1, 9)
    assert d.suggestion == "Every statement in Neutron must end with a semicolon."
    d = first_error('say("multi\nline")\nx;')
    assert (d.message, d.line, d.col) == ("Expect ';' after value.", 2, 6)


def test_missing_semicolon_on_the_same_line_points_at_the_token():
    d = first_error("x = 1 y = 2;")
    assert (d.message, d.line, d.col) == ("Expect ';' after expression.", 1, 6)


def test_missing_semicolon_does_not_swallow_the_next_statement():
    assert errors("a = 1\nb = 2\nc = 3;") == [
        ("Expect ';' after expression.", 1, 5), ("Expect ';' after expression.", 2, 5)]
    assert errors("x = 1\nfunction foo() {}")[1][0] == "Expect ';' after expression."


def test_suggestions_from_the_reference():
    assert first_error("f(1;").suggestion == "Check that all parentheses are properly matched."
    assert first_error("fun f() return;").suggestion == "Check that all braces are properly matched."
    assert first_error("x = [1, 2;").suggestion == "Check that all brackets are properly matched."


def test_helpful_suggestions():
    assert "'fun'" in first_error("function foo() {}").suggestion
    assert "'var'" in first_error("let x = 1;").suggestion
    assert "'=='" in first_error("a === b;").suggestion
    assert "commas" in first_error("f(a b);").suggestion
    assert "commas" in first_error("x = [1 2];").suggestion
    assert "'if'" in first_error("else { }").suggestion
    assert "parentheses" in first_error("if x > 1 { }").suggestion
    assert "statement" in first_error("f(say);").suggestion
    assert "reserved word" in first_error("x = class;").suggestion


def test_several_errors_are_collected_in_order():
    source = "var = 1;\nsay(;\nx = 1 +;\nvar ok = 2;\nfun (;\n"
    assert errors(source) == [
        ("Expect variable name.", 1, 4),
        ("Expect expression.", 2, 4),
        ("Expect expression.", 3, 7),
        ("Expect parameter name.", 5, 5),
    ]


def test_recovery_skips_the_block_of_a_broken_statement():
    assert errors("if x > 1 { a; b; }\nc = 1;") == [("Expect '(' after 'if'.", 1, 3)]
    assert errors("var o = {a: 1 2};\nsay(o);") == [("Expect '}' after object literal.", 1, 14)]


def test_recovery_ignores_statement_words_in_the_middle_of_a_line():
    assert errors("t = type(say);\nsay(1);") == [("Expect expression.", 1, 9)]
    assert errors("f(1 2, fun(x) { return x; });\nsay(2);") == [("Expect ')' after arguments.", 1, 4)]


def test_windows_line_endings():
    body = stmts("var a = 1;\r\nsay(a);\r\n")
    assert [(s.line, s.col) for s in body] == [(1, 0), (2, 0)]
    assert errors("var a = 1\r\nsay(a);") == [("Expect ';' after variable declaration.", 1, 9)]


def test_errors_inside_blocks_recover_inside_the_block():
    assert errors("fun f() {\n  x = ;\n  y = ;\n}\nz = ;") == [
        ("Expect expression.", 2, 6), ("Expect expression.", 3, 6), ("Expect expression.", 5, 4)]


def test_lexical_and_syntax_errors_together():
    diags = failure('x = "\\xZZ";\ny = 1 @ 2;\nz = ;').diagnostics
    assert [(d.kind, d.line) for d in diags] == [("LexicalError", 1), ("LexicalError", 2), ("SyntaxError", 3)]


def test_bad_character_is_not_reported_twice():
    assert errors("x = @;") == [("Unexpected character '@'", 1, 4)]


def test_unterminated_block_comment_fails_the_parse():
    assert errors("say(1);\n#{ open") == [("Unterminated block comment.", 2, 0)]


def test_compile_failed_carries_the_source():
    f = failure("x = ;")
    assert f.source == "x = ;"
    text = format_diagnostics(f)
    assert "SyntaxError in test.nt at line 1, column 4:" in text and "Expect expression." in text


def test_unclosed_block_at_end_of_file():
    assert errors("fun f() {\n  say(1);\n") == [("Expect '}' after block.", 3, 0)]


# ---- nesting limits ----------------------------------------------------------------------------------------

_DEEP = {
    "parens": "(" * 10000 + "1" + ")" * 10000 + ";",
    "arrays": "x = " + "[" * 10000 + "]" * 10000 + ";",
    "objects": "x = " + "{a: " * 10000 + "1" + "}" * 10000 + ";",
    "minus": "-" * 10000 + "x;",
    "not": "!" * 10000 + "x;",
    "assignments": "x" + " = x" * 10000 + ";",
    "ternaries": "a ? b : " * 10000 + "c;",
    "blocks": "{" * 10000 + "}" * 10000,
    "ifs": "if (a) " * 10000 + "x;",
    "whiles": "while (a) " * 10000 + "x;",
    "lambdas": "f = fun() {" * 3000 + "}" * 3000 + ";",
    "unclosed calls": "f" + "(" * 10000,
}


@pytest.mark.parametrize("source", list(_DEEP.values()), ids=list(_DEEP))
def test_deep_nesting_is_a_syntax_error_not_a_crash(source):
    limit = sys.getrecursionlimit()
    diags = failure(source).diagnostics
    assert diags[-1].message in ("Expression nested too deeply.", "Statements nested too deeply.")
    assert sys.getrecursionlimit() == limit


def test_reasonable_nesting_is_fine():
    assert sx("(" * 150 + "1" + ")" * 150) == "1"
    assert len(stmts("{" * 150 + "}" * 150)) == 1
    e = expr("f" + "()" * 5000)     # a long chain is a loop, not nesting
    assert isinstance(e, N.Call) and isinstance(e.callee, N.Call)


# ---- robustness --------------------------------------------------------------------------------------------

def check_only_compile_failed(source):
    try:
        parse(source, "fuzz.nt")
    except CompileFailed as failed:
        assert failed.diagnostics
        for d in failed.diagnostics:
            assert d.kind in ("SyntaxError", "LexicalError")
            assert d.line >= 1 and d.col >= 0


@settings(max_examples=400, deadline=None)
@given(st.text(st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("\n\t"), max_size=200))
def test_random_printable_input_only_raises_compile_failed(source):
    check_only_compile_failed(source)


_PIECES = [
    "var", "x", "y", "=", ";", "(", ")", "{", "}", "[", "]", ",", ".", "?.", "...", "fun", "class", "if", "else",
    "elif", "for", "in", "while", "do", "match", "case", "default", "=>", "try", "catch", "finally", "throw",
    "retry", "safe", "enum", "use", "using", "from", "as", "say", "return", "break", "continue", "static", "int",
    "->", "1", "2.5", '"s"', '"a${x}b"', '"${', '}"', "'q'", "+", "-", "++", "--", "*", "+=", "&&", "||", "!",
    "?", ":", "==", "<", "#{", "}#", "//", "\n", "@", "\\", '"', "r'", "this", "nil", "$", "${",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60))
def test_random_token_soup_only_raises_compile_failed(pieces):
    check_only_compile_failed(" ".join(pieces))
