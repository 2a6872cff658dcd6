"""The front end: source text -> tokens -> syntax tree -> code objects. It knows nothing of the runtime.

compile_source is its one entry point.
"""
from __future__ import annotations

import sys

from . import nodes as N
from .compiler import Compiler
from .parser import parse


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
