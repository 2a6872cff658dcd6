"""Neutron parser: tokens -> AST (nodes.py), by recursive descent.

    parse(source, path, safe=False) -> nodes.Program, or raises errors.CompileFailed with every lexical and
    syntax diagnostic found (the parser recovers at statement boundaries to report several).

Node positions: statements, literals, names and prefix operators sit at their first token; infix operators,
assignments, the ternary, calls, property accesses, indexing and postfix ++/-- sit at their operator token
('+', '=', '?', '(', the property name, '[', '++'), which is where a runtime error in them should point when an
expression spans several lines.
"""
from __future__ import annotations

import sys

from . import nodes as N
from ..errors import CompileFailed, Diagnostic, Diagnostics
from .scanner import scan
from .tokens import EOF, ERROR, IDENT, INTERP, KEYWORDS, NUMBER, STRING, TYPE_NAMES

# Nesting of expressions and statements allowed before "nested too deeply"; deep enough for any real program,
# shallow enough that the recursive parser (and a recursive compiler walking the tree) stays within Python's stack.
MAX_DEPTH = 200
_FRAMES_PER_LEVEL = 12

# Binary operators by precedence, loosest first; all left-associative. Bitwise sits below equality, as in C.
_PRECEDENCE = {
    "or": 1, "||": 1,
    "and": 2, "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6, "!=": 6,
    "<": 7, "<=": 7, ">": 7, ">=": 7,
    "<<": 8, ">>": 8,
    "+": 9, "-": 9,
    "*": 10, "/": 10, "%": 10,
}
_LOGICAL = {"or": "or", "||": "or", "and": "and", "&&": "and"}
_ASSIGN = {"=": None, "+=": "+", "-=": "-", "*=": "*", "/=": "/", "%=": "%"}
_PREFIX = frozenset(("!", "-", "~", "++", "--"))

# Where recovery after a syntax error may resume (besides just after a ';').
_SYNC = frozenset((
    "class", "fun", "var", "static", "for", "if", "while", "do", "say", "return", "match", "try", "throw",
    "retry", "enum", "use", "using", "break", "continue", "case", "default", "}",
))

_CASE_SYNC = frozenset(("case", "default", "}"))

_STARTS_VALUE = frozenset((IDENT, NUMBER, STRING, INTERP, "true", "false", "nil", "this"))

_MISPLACED = {
    "else": "'else' must follow the statement of an 'if'.",
    "elif": "'elif' must follow the statement of an 'if'.",
    "catch": "'catch' must follow a try block.",
    "finally": "'finally' must follow a try block (or its catch block).",
    "case": "'case' belongs inside a match statement.",
    "default": "'default' belongs inside a match statement.",
}

_FOREIGN_KEYWORDS = {
    "function": "Neutron declares functions with 'fun', e.g. fun name(a, b) { ... }.",
    "func": "Neutron declares functions with 'fun', e.g. fun name(a, b) { ... }.",
    "def": "Neutron declares functions with 'fun', e.g. fun name(a, b) { ... }.",
    "fn": "Neutron declares functions with 'fun', e.g. fun name(a, b) { ... }.",
    "let": "Neutron declares variables with 'var', e.g. var x = 1;.",
    "const": "Neutron declares variables with 'var' (or 'static var' for one that never changes).",
}

_TYPES_HINT = "The types are int, float, string, bool, array, object and any."


def _suggestion(message: str):
    low = message.lower()
    if "expect ';'" in low:
        return "Every statement in Neutron must end with a semicolon."
    if "expect '('" in low or "expect ')'" in low:
        return "Check that all parentheses are properly matched."
    if "expect '{'" in low or "expect '}'" in low:
        return "Check that all braces are properly matched."
    if "expect ']'" in low:
        return "Check that all brackets are properly matched."
    return None


def _assignable(node) -> bool:
    cls = node.__class__
    return cls is N.Variable or cls is N.Index or (cls is N.Get and not node.optional)


class _ParseError(Exception):
    """Unwinds to the nearest statement boundary; the diagnostic is already recorded."""
    resume = False      # a ';' missing at the end of a line: the next line starts a fresh statement


class _TooDeep(Exception):
    """Ends the parse: the input is nested beyond MAX_DEPTH."""


class Parser:
    def __init__(self, tokens: list, path: str, diagnostics: list):
        self.tokens = tokens
        self.i = 0
        self.tok = tokens[0]
        self.prev = tokens[0]
        self.path = path
        self.diagnostics = diagnostics
        self.depth = 0

    # -- token helpers ----------------------------------------------------------------------------------------

    def advance(self):
        tok = self.tok
        self.prev = tok
        if tok.kind != EOF:
            self.i += 1
            self.tok = self.tokens[self.i]
        return tok

    def peek(self, k: int = 1):
        i = self.i + k
        tokens = self.tokens
        return tokens[i] if i < len(tokens) else tokens[-1]

    def expect(self, kind: str, message: str, suggestion: str = None):
        if self.tok.kind == kind:
            return self.advance()
        raise self.error_at(self.tok, message, suggestion)

    def expect_semicolon(self, message: str):
        tok = self.tok
        if tok.kind == ";":
            return self.advance()
        line, col = self.prev.end()
        if tok.line > line and self.prev is not tok:
            # Missing at the end of a line: point just after the last token of that line.
            err = self.error_at(tok, message, line=line, col=col)
            err.resume = True
            raise err
        raise self.error_at(tok, message)

    def close_list(self, kind: str, message: str, what: str):
        tok = self.tok
        if tok.kind == kind:
            return self.advance()
        hint = None
        if tok.kind in _STARTS_VALUE and tok.line == self.prev.end()[0]:
            hint = f"Separate {what} with commas."
        raise self.error_at(tok, message, hint)

    def name(self, message: str):
        tok = self.tok
        if tok.kind == IDENT:
            return self.advance()
        hint = None
        if tok.kind in KEYWORDS:
            hint = f"'{tok.lexeme}' is a reserved word in Neutron and cannot be used as a name."
        raise self.error_at(tok, message, hint)

    def property_name(self, message: str):
        # after '.', '?.', 'fun' in a class body, in enums and object keys: any keyword is a name too
        tok = self.tok
        if tok.kind == IDENT or tok.kind in KEYWORDS:
            return self.advance()
        raise self.error_at(tok, message)

    # -- errors -----------------------------------------------------------------------------------------------

    def error_at(self, tok, message: str, suggestion: str = None, line: int = None, col: int = None):
        if tok.kind != ERROR:       # an ERROR token was reported by the scanner already
            self.report(message, tok.line if line is None else line, tok.col if col is None else col,
                        suggestion)
        return _ParseError()

    def report(self, message: str, line: int, col: int, suggestion: str = None):
        if suggestion is None:
            suggestion = _suggestion(message)
        self.diagnostics.append(Diagnostic("SyntaxError", message, self.path, line, col, suggestion))

    def too_deep(self, message: str = "Expression nested too deeply."):
        self.report(message, self.tok.line, self.tok.col)
        raise _TooDeep()

    def synchronize(self, start: int, stops: frozenset = _SYNC):
        # Skip to just after a ';', to a '}' or to a statement word starting a line, but never stop inside
        # braces opened by the broken statement (its block belongs to it).
        balance = 0
        for tok in self.tokens[start:self.i]:
            if tok.kind == "{":
                balance += 1
            elif tok.kind == "}" and balance > 0:
                balance -= 1
        if self.i == start:
            if self.advance().kind == "{":
                balance += 1
        while self.tok.kind != EOF:
            kind = self.tok.kind
            if balance > 0:
                if kind == "{":
                    balance += 1
                elif kind == "}":
                    balance -= 1
            elif stops is not _SYNC:
                if kind in stops:
                    return
            elif self.prev.kind == ";" or kind == "}":
                return
            elif kind in _SYNC and (self.prev.kind in ("{", "}") or self.tok.line > self.prev.end()[0]):
                # a statement word in the middle of a line is more likely part of the broken statement
                return
            elif kind == "{":
                balance += 1
            self.advance()

    # -- statements -------------------------------------------------------------------------------------------

    def program(self) -> list:
        # program -> { declaration } EOF
        body = []
        while self.tok.kind != EOF:
            stmt = self.declaration()
            if stmt is not None:
                body.append(stmt)
        return body

    def declaration(self):
        # declaration -> statement, skipping to the next statement after a syntax error
        start, depth = self.i, self.depth
        try:
            return self.statement()
        except _ParseError as err:
            self.depth = depth
            if not err.resume:
                self.synchronize(start)
            return None

    def statement(self):
        # statement -> say | var | static | fun | class | if | while | do | for | return | break | continue
        #            | match | try | throw | retry | safe | enum | use | using | block | expr_stmt
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.too_deep("Statements nested too deeply.")
        tok = self.tok
        handler = _STATEMENTS.get(tok.kind)
        if handler is not None:
            node = handler(self)
        elif tok.kind == IDENT and tok.lexeme == "safe" and self.peek().kind == "{":
            node = self.safe_statement()
        else:
            node = self.expression_statement()
        self.depth -= 1
        return node

    def expression_statement(self):
        # expr_stmt -> expression ';'
        tok = self.tok
        if tok.kind in _MISPLACED:
            raise self.error_at(tok, "Expect expression.", _MISPLACED[tok.kind])
        expr = self.expression()
        if self.tok.kind == IDENT and expr.__class__ is N.Variable and expr.name in _FOREIGN_KEYWORDS:
            raise self.error_at(self.tok, "Expect ';' after expression.", _FOREIGN_KEYWORDS[expr.name])
        self.expect_semicolon("Expect ';' after expression.")
        return N.ExprStmt(tok.line, tok.col, expr)

    def block(self, message: str):
        # block -> '{' { declaration } '}'
        tok = self.expect("{", message)
        return N.Block(tok.line, tok.col, self.block_body())

    def block_statement(self):
        # block_stmt -> '{' { declaration } '}'
        tok = self.advance()
        return N.Block(tok.line, tok.col, self.block_body())

    def block_body(self) -> list:
        # block_body -> { declaration } '}'     (the '{' is already consumed)
        opening = self.prev
        body = []
        while self.tok.kind != "}" and self.tok.kind != EOF:
            stmt = self.declaration()
            if stmt is not None:
                body.append(stmt)
        if self.tok.kind == EOF and opening.kind == "{":
            raise self.error_at(self.tok, "Expect '}' after block.", f"The '{{' at line {opening.line} is never "
                                "closed. Check that all braces are properly matched.")
        self.expect("}", "Expect '}' after block.")
        return body

    def say_statement(self):
        # say_stmt -> 'say' '(' expression ')' ';'
        tok = self.advance()
        self.expect("(", "Expect '(' after 'say'.")
        value = self.expression()
        if self.tok.kind == ",":
            raise self.error_at(self.tok, "Expect ')' after value.",
                                "'say' prints one value; join several with +, e.g. say(a + \" \" + b).")
        self.expect(")", "Expect ')' after value.")
        self.expect_semicolon("Expect ';' after value.")
        return N.Say(tok.line, tok.col, value)

    def var_statement(self):
        # var_stmt -> 'var' '[' [NAME {',' NAME} [',']] ']' '=' expression ';'
        #           | 'var' '{' [key [':' NAME] {',' key [':' NAME]} [',']] '}' '=' expression ';'
        #           | 'var' [TYPE] NAME ['=' expression] {',' NAME ['=' expression]} ';'
        tok = self.advance()
        if self.tok.kind == "[":
            return self.destructure_array(tok)
        if self.tok.kind == "{":
            return self.destructure_object(tok)
        return self.var_names(tok, False)

    def static_statement(self):
        # static_stmt -> 'static' 'var' [TYPE] NAME '=' expression {',' NAME '=' expression} ';'
        tok = self.advance()
        self.expect("var", "Expect 'var' after 'static'.")
        return self.var_names(tok, True)

    def var_names(self, start, static: bool):
        type_ = self.type_prefix()
        names = []
        while True:
            name = self.name("Expect variable name.")
            init = None
            if self.tok.kind == "=":
                self.advance()
                init = self.expression()
            elif static:
                raise self.error_at(name, "Static variables must be initialized.")
            names.append((name.lexeme, init, name.line, name.col))
            if self.tok.kind != ",":
                break
            self.advance()
        self.expect_semicolon("Expect ';' after variable declaration.")
        return N.VarDecl(start.line, start.col, names, type_, static)

    def type_prefix(self):
        # [TYPE] before a name: a type name is only a type when a name follows it
        tok = self.tok
        if tok.kind == IDENT and tok.lexeme in TYPE_NAMES:
            nxt = self.peek().kind
            if nxt == IDENT or nxt in KEYWORDS:
                self.advance()
                return tok.lexeme
        return None

    def destructure_array(self, var):
        self.advance()
        names = []
        while self.tok.kind != "]":
            names.append(self.name("Expect variable name in array pattern.").lexeme)
            if self.tok.kind != ",":
                break
            self.advance()
        self.close_list("]", "Expect ']' after array pattern.", "names")
        self.expect("=", "Expect '=' after destructuring pattern.")
        value = self.expression()
        self.expect_semicolon("Expect ';' after variable declaration.")
        return N.DestructureArray(var.line, var.col, names, value)

    def destructure_object(self, var):
        self.advance()
        pairs = []
        while self.tok.kind != "}":
            key = self.tok
            if key.kind == STRING:
                self.advance()
                key_name = key.value
            else:
                key_name = self.property_name("Expect property name in object pattern.").lexeme
            if self.tok.kind == ":":
                self.advance()
                local = self.name("Expect variable name after ':'.").lexeme
            elif key.kind == IDENT:
                local = key_name
            else:
                raise self.error_at(self.tok, "Expect ':' and a variable name after key.",
                                    f"Write {{{key.lexeme}: name}} to bind this key to a variable.")
            pairs.append((key_name, local))
            if self.tok.kind != ",":
                break
            self.advance()
        self.close_list("}", "Expect '}' after object pattern.", "names")
        self.expect("=", "Expect '=' after destructuring pattern.")
        value = self.expression()
        self.expect_semicolon("Expect ';' after variable declaration.")
        return N.DestructureObject(var.line, var.col, pairs, value)

    def fun_statement(self):
        # fun_decl -> 'fun' NAME function_rest      ('fun' '(' starts a lambda expression statement)
        if self.peek().kind == "(":
            return self.expression_statement()
        tok = self.advance()
        name = self.name("Expect function name.")
        params, return_type, body = self.function_rest("function name")
        return N.FunDecl(tok.line, tok.col, name.lexeme, params, return_type, body)

    def function_rest(self, after: str):
        # function_rest -> '(' [param {',' param} [',']] ')' ['->' TYPE] '{' { declaration } '}'
        self.expect("(", f"Expect '(' after {after}.")
        params = self.parameters()
        return_type = None
        if self.tok.kind == "->":
            self.advance()
            tok = self.tok
            if tok.kind != IDENT or tok.lexeme not in TYPE_NAMES:
                raise self.error_at(tok, "Expect type after '->'.", _TYPES_HINT)
            return_type = self.advance().lexeme
        self.expect("{", "Expect '{' before function body.")
        return params, return_type, self.block_body()

    def parameters(self) -> list:
        # params -> [ param {',' param} [','] ] ')'      param -> [TYPE] NAME
        params = []
        while self.tok.kind != ")":
            type_ = self.type_prefix()
            name = self.name("Expect parameter name.")
            params.append(N.Param(name.lexeme, type_, name.line, name.col))
            if self.tok.kind != ",":
                break
            self.advance()
        self.close_list(")", "Expect ')' after parameters.", "parameters")
        return params

    def class_statement(self):
        # class_decl -> 'class' NAME '{' { member } '}'
        tok = self.advance()
        name = self.name("Expect class name.")
        if self.tok.kind != "{":
            hint = None
            if self.tok.kind == "<" or self.tok.lexeme in ("extends", ":"):
                hint = "Neutron classes do not inherit from other classes."
            raise self.error_at(self.tok, "Expect '{' before class body.", hint)
        self.advance()
        fields, methods = [], []
        while self.tok.kind != "}" and self.tok.kind != EOF:
            start, depth = self.i, self.depth
            try:
                self.member(fields, methods)
            except _ParseError:
                self.depth = depth
                self.synchronize(start)
        self.expect("}", "Expect '}' after class body.")
        return N.ClassDecl(tok.line, tok.col, name.lexeme, fields, methods)

    def member(self, fields: list, methods: list):
        # member -> 'var' [TYPE] NAME ['=' expression] {',' NAME ['=' expression]} ';'
        #         | ['fun'] NAME function_rest
        tok = self.tok
        if tok.kind == "var":
            self.advance()
            type_ = self.type_prefix()
            while True:
                name = self.name("Expect field name.")
                init = None
                if self.tok.kind == "=":
                    self.advance()
                    init = self.expression()
                fields.append(N.Field(name.lexeme, type_, init, name.line, name.col))
                if self.tok.kind != ",":
                    break
                self.advance()
            self.expect_semicolon("Expect ';' after field declaration.")
            return
        if tok.kind == "fun":
            self.advance()
            name = self.property_name("Expect method name.")
        elif tok.kind == IDENT and self.peek().kind == "(":
            name = self.advance()
        else:
            raise self.error_at(tok, "Expect field or method declaration in class body.",
                                "A class body holds only fields (var name = value;) and methods "
                                "(fun name(params) { ... }).")
        self.depth += 1
        params, return_type, body = self.function_rest("method name")
        self.depth -= 1
        methods.append(N.FunDecl(tok.line, tok.col, name.lexeme, params, return_type, body))

    def condition(self, keyword: str):
        # condition -> '(' expression ')'
        hint = f"Write the condition in parentheses: {keyword} (condition) ..."
        self.expect("(", f"Expect '(' after '{keyword}'.", hint)
        cond = self.expression()
        self.expect(")", "Expect ')' after condition.")
        return cond

    def if_statement(self):
        # if_stmt -> 'if' condition statement { ('elif' | 'else' 'if') condition statement } ['else' statement]
        tok = self.advance()
        node = last = N.If(tok.line, tok.col, self.condition("if"), self.statement())
        while True:
            kind = self.tok.kind
            if kind == "elif" or (kind == "else" and self.peek().kind == "if"):
                if kind == "else":
                    self.advance()
                branch = self.advance()
                nxt = N.If(branch.line, branch.col, self.condition(branch.lexeme), self.statement())
                last.otherwise = nxt
                last = nxt
            elif kind == "else":
                self.advance()
                last.otherwise = self.statement()
                return node
            else:
                return node

    def while_statement(self):
        # while_stmt -> 'while' condition statement
        tok = self.advance()
        cond = self.condition("while")
        return N.While(tok.line, tok.col, cond, self.statement())

    def do_statement(self):
        # do_stmt -> 'do' statement 'while' condition ';'
        tok = self.advance()
        body = self.statement()
        self.expect("while", "Expect 'while' after do-while body.")
        cond = self.condition("while")
        self.expect_semicolon("Expect ';' after do-while condition.")
        return N.DoWhile(tok.line, tok.col, body, cond)

    def for_statement(self):
        # for_stmt -> 'for' '(' ['var'] NAME 'in' expression ')' statement
        #           | 'for' '(' (';' | var_stmt | expr_stmt) [expression] ';' [expression] ')' statement
        tok = self.advance()
        self.expect("(", "Expect '(' after 'for'.")
        kind = self.tok.kind
        if ((kind == "var" and self.peek().kind == IDENT and self.peek(2).kind == "in")
                or (kind == IDENT and self.peek().kind == "in")):
            if kind == "var":
                self.advance()
            name = self.advance()
            self.advance()
            iterable = self.expression()
            self.expect(")", "Expect ')' after for-in clause.")
            return N.ForIn(tok.line, tok.col, name.lexeme, iterable, self.statement())
        try:
            if kind == ";":
                self.advance()
                init = None
            elif kind == "var":
                init = self.var_statement()
            else:
                init = self.expression_statement()
        except _ParseError as err:
            err.resume = False      # the rest of the for header follows, not a new statement
            raise
        cond = None
        if self.tok.kind != ";":
            cond = self.expression()
        self.expect(";", "Expect ';' after loop condition.",
                    "A for loop reads for (init; condition; step) or for (var name in collection).")
        step = None
        if self.tok.kind != ")":
            step = self.expression()
        self.expect(")", "Expect ')' after for clauses.")
        return N.For(tok.line, tok.col, init, cond, step, self.statement())

    def return_statement(self):
        # return_stmt -> 'return' [expression] ';'
        tok = self.advance()
        value = None
        if self.tok.kind not in (";", "}", EOF):
            value = self.expression()
        self.expect_semicolon("Expect ';' after return value." if value else "Expect ';' after 'return'.")
        return N.Return(tok.line, tok.col, value)

    def break_statement(self):
        # break_stmt -> 'break' ';'
        tok = self.advance()
        self.expect_semicolon("Expect ';' after 'break'.")
        return N.Break(tok.line, tok.col)

    def continue_statement(self):
        # continue_stmt -> 'continue' ';'
        tok = self.advance()
        self.expect_semicolon("Expect ';' after 'continue'.")
        return N.Continue(tok.line, tok.col)

    def match_statement(self):
        # match_stmt -> 'match' '(' expression ')' '{' { 'case' expression ['if' expression] '=>' statement }
        #               ['default' '=>' statement] '}'
        tok = self.advance()
        self.expect("(", "Expect '(' after 'match'.")
        subject = self.expression()
        self.expect(")", "Expect ')' after match value.")
        self.expect("{", "Expect '{' before match cases.")
        cases = []
        default = None
        seen_default = False
        while self.tok.kind != "}" and self.tok.kind != EOF:
            start, depth = self.i, self.depth
            try:
                case = self.tok
                if seen_default and case.kind in ("case", "default"):
                    self.report("'default' must be the last case in a match.", case.line, case.col)
                if case.kind == "case":
                    self.advance()
                    value = self.expression()
                    guard = None
                    if self.tok.kind == "if":
                        self.advance()
                        guard = self.expression()
                    self.expect("=>", "Expect '=>' after case value.")
                    cases.append(N.Case(value, guard, self.declaration(), case.line, case.col))
                elif case.kind == "default":
                    self.advance()
                    self.expect("=>", "Expect '=>' after 'default'.")
                    seen_default = True
                    default = self.declaration()
                else:
                    raise self.error_at(case, "Expect 'case' or 'default' in match statement.")
            except _ParseError:
                self.depth = depth
                self.synchronize(start, _CASE_SYNC)
        self.expect("}", "Expect '}' after match cases.")
        return N.Match(tok.line, tok.col, subject, cases, default)

    def catch_clause(self):
        # catch_clause -> 'catch' '(' NAME ')' block
        self.advance()
        self.expect("(", "Expect '(' after 'catch'.")
        name = self.name("Expect exception variable name.").lexeme
        self.expect(")", "Expect ')' after exception variable name.")
        return name, self.block("Expect '{' before catch body.")

    def try_statement(self):
        # try_stmt -> 'try' block [catch_clause] ['finally' block]      (at least one of the two)
        tok = self.advance()
        body = self.block("Expect '{' after 'try'.")
        catch_name = catch_body = finally_body = None
        if self.tok.kind == "catch":
            catch_name, catch_body = self.catch_clause()
        if self.tok.kind == "finally":
            self.advance()
            finally_body = self.block("Expect '{' after 'finally'.")
        if catch_body is None and finally_body is None:
            raise self.error_at(self.tok, "Expect 'catch' or 'finally' after try block.")
        return N.Try(tok.line, tok.col, body, catch_name, catch_body, finally_body)

    def throw_statement(self):
        # throw_stmt -> 'throw' expression ';'
        tok = self.advance()
        value = self.expression()
        self.expect_semicolon("Expect ';' after thrown value.")
        return N.Throw(tok.line, tok.col, value)

    def retry_statement(self):
        # retry_stmt -> 'retry' '(' expression ')' block [catch_clause]
        tok = self.advance()
        self.expect("(", "Expect '(' after 'retry'.")
        count = self.expression()
        self.expect(")", "Expect ')' after retry count.")
        body = self.block("Expect '{' before retry body.")
        catch_name = catch_body = None
        if self.tok.kind == "catch":
            catch_name, catch_body = self.catch_clause()
        return N.Retry(tok.line, tok.col, count, body, catch_name, catch_body)

    def safe_statement(self):
        # safe_stmt -> 'safe' '{' { declaration } '}'
        tok = self.advance()
        self.advance()
        return N.Safe(tok.line, tok.col, self.block_body())

    def enum_statement(self):
        # enum_decl -> 'enum' NAME '{' { NAME ['=' expression] [','] } '}'
        tok = self.advance()
        name = self.name("Expect enum name.")
        self.expect("{", "Expect '{' before enum members.")
        members = []
        while self.tok.kind != "}" and self.tok.kind != EOF:
            member = self.property_name("Expect enum member name.")
            value = None
            if self.tok.kind == "=":
                self.advance()
                value = self.expression()
            members.append((member.lexeme, value))
            if self.tok.kind == ",":
                self.advance()
        self.expect("}", "Expect '}' after enum members.")
        return N.Enum(tok.line, tok.col, name.lexeme, members)

    def import_names(self) -> list:
        # import_names -> '(' NAME {',' NAME} [','] ')' '=' 'from'
        self.advance()
        names = []
        while self.tok.kind != ")":
            names.append(self.name("Expect name to import.").lexeme)
            if self.tok.kind != ",":
                break
            self.advance()
        self.close_list(")", "Expect ')' after imported names.", "names")
        self.expect("=", "Expect '=' after imported names.", "Write use (a, b) = from module;")
        self.expect("from", "Expect 'from' after '='.")
        return names

    def use_statement(self):
        # use_stmt -> 'use' NAME ['as' NAME] ';' | 'use' import_names NAME ';'
        tok = self.advance()
        names = alias = None
        if self.tok.kind == "(":
            names = self.import_names()
        if self.tok.kind in (STRING, INTERP):
            raise self.error_at(self.tok, "Expect module name after 'use'.",
                                f"To run a Neutron file, write using {self.tok.lexeme};")
        module = self.name("Expect module name.").lexeme
        if names is None and self.tok.kind == "as":
            self.advance()
            alias = self.name("Expect alias name after 'as'.").lexeme
        self.expect_semicolon("Expect ';' after module name.")
        return N.Use(tok.line, tok.col, module, alias, names)

    def using_statement(self):
        # using_stmt -> 'using' STRING ';' | 'using' import_names STRING ';'
        tok = self.advance()
        names = None
        if self.tok.kind == "(":
            names = self.import_names()
        if self.tok.kind != STRING:
            raise self.error_at(self.tok, "Expect file path string after 'using'.",
                                "Write the path as a plain string, e.g. using 'utils.nt';")
        path = self.advance().value
        self.expect_semicolon("Expect ';' after file path.")
        return N.Using(tok.line, tok.col, path, names)

    # -- expressions ------------------------------------------------------------------------------------------

    def expression(self):
        # expression -> assignment
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.too_deep()
        expr = self.assignment()
        self.depth -= 1
        return expr

    def assignment(self):
        # assignment -> ternary [ ('=' | '+=' | '-=' | '*=' | '/=' | '%=') expression ]
        expr = self.ternary()
        kind = self.tok.kind
        if kind not in _ASSIGN:
            return expr
        tok = self.advance()
        value = self.expression()
        if not _assignable(expr):
            hint = None
            if expr.__class__ is N.Get:
                hint = "A value cannot be assigned through '?.'; use '.' instead."
            self.report("Invalid assignment target.", tok.line, tok.col, hint)
        return N.Assign(tok.line, tok.col, expr, value, _ASSIGN[kind])

    def ternary(self):
        # ternary -> binary [ '?' expression ':' ternary ]
        cond = self.binary(1)
        if self.tok.kind != "?":
            return cond
        tok = self.advance()
        then = self.expression()
        self.expect(":", "Expect ':' after then branch of conditional expression.")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.too_deep()
        otherwise = self.ternary()
        self.depth -= 1
        return N.Ternary(tok.line, tok.col, cond, then, otherwise)

    def binary(self, min_prec: int):
        # binary -> unary { BINOP unary }   by precedence climbing over _PRECEDENCE
        left = self.unary()
        precedence = _PRECEDENCE
        while True:
            op = self.tok.kind
            prec = precedence.get(op)
            if prec is None or prec < min_prec:
                return left
            tok = self.advance()
            right = self.binary(prec + 1)
            if prec <= 2:
                left = N.Logical(tok.line, tok.col, _LOGICAL[op], left, right)
            else:
                left = N.Binary(tok.line, tok.col, op, left, right)

    def unary(self):
        # unary -> ('!' | '-' | '~' | '++' | '--') unary | postfix
        if self.tok.kind not in _PREFIX:
            return self.postfix()
        ops = []
        while self.tok.kind in _PREFIX:
            ops.append(self.advance())
        if self.depth + len(ops) > MAX_DEPTH:
            self.too_deep()
        expr = self.postfix()
        for tok in reversed(ops):
            if tok.kind == "++" or tok.kind == "--":
                if not _assignable(expr):
                    self.report(f"Invalid {'increment' if tok.kind == '++' else 'decrement'} target.",
                                tok.line, tok.col, "'++' and '--' apply to a variable, a property or an index.")
                expr = N.Update(tok.line, tok.col, expr, tok.kind[0], True)
            else:
                expr = N.Unary(tok.line, tok.col, tok.kind, expr)
        return expr

    def postfix(self):
        # postfix -> primary { '(' args | '.' NAME | '?.' NAME | '[' expression ']' } [ '++' | '--' ]
        expr = self.primary()
        while True:
            kind = self.tok.kind
            if kind == "(":
                tok = self.advance()
                expr = N.Call(tok.line, tok.col, expr, self.arguments())
            elif kind == "." or kind == "?.":
                self.advance()
                name = self.property_name(f"Expect property name after '{kind}'.")
                expr = N.Get(name.line, name.col, expr, name.lexeme, kind == "?.")
            elif kind == "[":
                tok = self.advance()
                index = self.expression()
                self.expect("]", "Expect ']' after index.")
                expr = N.Index(tok.line, tok.col, expr, index)
            elif (kind == "++" or kind == "--") and self.tok.line == self.prev.end()[0]:
                # on the same line only, so that `a = b` + newline + `++c;` reports the missing ';'
                tok = self.advance()
                if not _assignable(expr):
                    self.report(f"Invalid {'increment' if kind == '++' else 'decrement'} target.",
                                tok.line, tok.col, "'++' and '--' apply to a variable, a property or an index.")
                return N.Update(tok.line, tok.col, expr, kind[0], False)
            else:
                return expr

    def arguments(self) -> list:
        # args -> [ arg {',' arg} [','] ] ')'      arg -> ['...'] expression
        args = []
        while self.tok.kind != ")":
            if self.tok.kind == "...":
                tok = self.advance()
                args.append(N.Spread(tok.line, tok.col, self.expression()))
            else:
                args.append(self.expression())
            if self.tok.kind != ",":
                break
            self.advance()
        self.close_list(")", "Expect ')' after arguments.", "arguments")
        return args

    def primary(self):
        # primary -> NUMBER | STRING | 'true' | 'false' | 'nil' | 'this' | NAME | '(' expression ')'
        #          | array | object | lambda
        tok = self.tok
        kind = tok.kind
        if kind == IDENT:
            self.advance()
            return N.Variable(tok.line, tok.col, tok.lexeme)
        if kind == NUMBER or kind == STRING:
            self.advance()
            return N.Literal(tok.line, tok.col, tok.value)
        if kind == INTERP:
            self.advance()
            return self.interpolation(tok)
        if kind == "true" or kind == "false":
            self.advance()
            return N.Literal(tok.line, tok.col, kind == "true")
        if kind == "nil":
            self.advance()
            return N.Literal(tok.line, tok.col, None)
        if kind == "this":
            self.advance()
            return N.This(tok.line, tok.col)
        if kind == "(":
            self.advance()
            expr = self.expression()
            self.expect(")", "Expect ')' after expression.")
            return expr
        if kind == "[":
            return self.array_literal()
        if kind == "{":
            return self.object_literal()
        if kind == "fun":
            return self.lambda_expression()
        hint = None
        if kind == "...":
            hint = "Spread '...' may only appear in call arguments and array literals."
        elif kind == "=" and self.prev.kind in ("==", "!="):
            hint = "Neutron compares with '==' and '!='; there is no '===' or '!=='."
        elif kind == "say":
            hint = "'say' is a statement, say(value); it is not a value."
        elif kind in KEYWORDS:
            hint = f"'{kind}' is a reserved word in Neutron and cannot be used as a value."
        raise self.error_at(tok, "Expect expression.", hint)

    def array_literal(self):
        # array -> '[' [ ['...'] expression {',' ['...'] expression} [','] ] ']'
        tok = self.advance()
        elements = []
        while self.tok.kind != "]":
            if self.tok.kind == "...":
                spread = self.advance()
                elements.append(N.Spread(spread.line, spread.col, self.expression()))
            else:
                elements.append(self.expression())
            if self.tok.kind != ",":
                break
            self.advance()
        self.close_list("]", "Expect ']' after array elements.", "elements")
        return N.ArrayLit(tok.line, tok.col, elements)

    def object_literal(self):
        # object -> '{' [ key ':' expression {',' key ':' expression} [','] ] '}'     key -> STRING | NAME
        tok = self.advance()
        pairs = []
        while self.tok.kind != "}":
            key = self.tok
            if key.kind == STRING:
                name = key.value
            elif key.kind == IDENT or key.kind in KEYWORDS:
                name = key.lexeme
            else:
                hint = None
                if key.kind == NUMBER:
                    hint = f"Keys are names or strings; write \"{key.lexeme}\" for this key."
                elif key.kind == INTERP:
                    hint = "A key cannot use ${...}; build the object and set obj[key] = value."
                raise self.error_at(key, "Expect property key.", hint)
            self.advance()
            self.expect(":", "Expect ':' after property key.")
            pairs.append((name, self.expression()))
            if self.tok.kind != ",":
                break
            self.advance()
        self.close_list("}", "Expect '}' after object literal.", "properties")
        return N.ObjectLit(tok.line, tok.col, pairs)

    def lambda_expression(self):
        # lambda -> 'fun' function_rest
        tok = self.advance()
        if self.tok.kind != "(":
            hint = None
            if self.tok.kind == IDENT:
                hint = "A named function is declared by a statement of its own: fun name(...) { ... }"
            raise self.error_at(self.tok, "Expect '(' after 'fun'.", hint)
        params, return_type, body = self.function_rest("'fun'")
        return N.Lambda(tok.line, tok.col, params, return_type, body)

    def interpolation(self, tok):
        # interpolation -> STRING pieces and embedded expressions, from the scanner's INTERP token
        parts = []
        for part in tok.value:
            if part.__class__ is str:
                parts.append(N.Literal(tok.line, tok.col, part))
            else:
                parts.append(self.embedded(part))
        return N.Interpolation(tok.line, tok.col, parts)

    def embedded(self, tokens: list):
        # embedded -> expression EOF     (the tokens of one ${...}; the EOF stands for its '}')
        saved = self.tokens, self.i, self.tok, self.prev
        reported = len(self.diagnostics)
        self.tokens, self.i, self.tok = tokens, 0, tokens[0]
        try:
            if self.tok.kind == EOF:
                raise self.error_at(self.tok, "Expect expression inside '${}'.")
            expr = self.expression()
            if self.tok.kind != EOF:
                raise self.error_at(self.tok, "Expect '}' after interpolated expression.")
            return expr
        except _ParseError:
            if tokens[-1].lexeme != "}":
                del self.diagnostics[reported:]     # unterminated: the scanner has said so
            raise
        finally:
            self.tokens, self.i, self.tok, self.prev = saved


_STATEMENTS = {
    "say": Parser.say_statement,
    "var": Parser.var_statement,
    "static": Parser.static_statement,
    "fun": Parser.fun_statement,
    "class": Parser.class_statement,
    "if": Parser.if_statement,
    "while": Parser.while_statement,
    "do": Parser.do_statement,
    "for": Parser.for_statement,
    "return": Parser.return_statement,
    "break": Parser.break_statement,
    "continue": Parser.continue_statement,
    "match": Parser.match_statement,
    "try": Parser.try_statement,
    "throw": Parser.throw_statement,
    "retry": Parser.retry_statement,
    "enum": Parser.enum_statement,
    "use": Parser.use_statement,
    "using": Parser.using_statement,
    "{": Parser.block_statement,
}


def _stack_depth() -> int:
    frame = sys._getframe(1)
    n = 0
    while frame is not None:
        n += 1
        frame = frame.f_back
    return n


def parse(source: str, path: str, safe: bool = False) -> N.Program:
    """Parse a whole file; raise CompileFailed with every lexical and syntax error found."""
    tokens, lexical = scan(source, path)
    parser = Parser(tokens, path, Diagnostics())
    limit = sys.getrecursionlimit()
    needed = _stack_depth() + MAX_DEPTH * _FRAMES_PER_LEVEL + 100
    if needed > limit:
        sys.setrecursionlimit(needed)
    try:
        body = parser.program()
    except _TooDeep:
        body = []
    except RecursionError:      # should not happen within MAX_DEPTH; never let it escape as a crash
        body = []
        parser.report("Expression nested too deeply.", parser.tok.line, parser.tok.col)
    finally:
        if needed > limit:
            sys.setrecursionlimit(limit)
    if lexical or parser.diagnostics:
        raise CompileFailed(Diagnostics.merge(lexical, parser.diagnostics), source)
    return N.Program(body, path, source, safe)
