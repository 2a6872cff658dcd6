"""The front end: source text -> tokens -> syntax tree -> code objects. It knows nothing of the runtime.

compile_source is its one entry point; is_complete tells the prompt whether an entry typed so far can run.
"""
from __future__ import annotations

import sys

from ..errors import CompileFailed
from . import nodes as N
from .compiler import Compiler
from .parser import parse
from .scanner import scan


def compile_source(source, filename, safe=False, repl=False, imports=None):
    """Compile a program into the code object of its top level; raise CompileFailed with every error found.
    `safe`: a .ntsc file (every declaration typed); `repl`: an entry at the prompt (globals may be declared again);
    `imports`, a list, receives the program's `use` and `using` statements, so that the files they name can be
    compiled before anything runs."""
    program = parse(source, filename, safe)
    if imports is not None:
        imports.extend(_imports(program.body))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))     # the compiler walks nested statements recursively
    try:
        return Compiler(filename, source).compile_program(program, repl)
    finally:
        sys.setrecursionlimit(limit)


def is_complete(text: str) -> bool:
    """Whether an entry at the prompt can run: it parses (a bare expression needs no ';' at the prompt), or the
    parser stops at a problem before the end of the input; it is incomplete when the parser ran out of input (an
    open brace, bracket, string or comment, or an expression that ends with an operator)."""
    if not text.strip():
        return True
    try:
        parse(text, "<repl>")
        return True
    except CompileFailed as e:
        problems = e.diagnostics
    try:
        parse(text.rstrip() + ";", "<repl>")
        return True
    except CompileFailed:
        pass
    tokens, _ = scan(text, "<repl>")
    end = (tokens[-1].line, tokens[-1].col)
    for d in problems:
        if (d.line, d.col) >= end or d.message.startswith(("Unterminated", "Expect '}'")):
            return False
    return True


def _imports(body):
    """The Use and Using nodes anywhere in a program (in functions and blocks too), without recursion."""
    out = []
    stack = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, (N.Use, N.Using)):
            out.append(n)
        elif isinstance(n, N.Node):
            for v in vars(n).values():
                if isinstance(v, N.Node):
                    stack.append(v)
                elif isinstance(v, (list, tuple)):
                    stack.extend(x for x in v if isinstance(x, (N.Node, list, tuple)))
        elif isinstance(n, (list, tuple)):
            stack.extend(x for x in n if isinstance(x, (N.Node, list, tuple)))
    return out
