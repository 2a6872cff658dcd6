"""The interactive prompt: line editing (readline), multi-line input, errors do not end the session."""
from __future__ import annotations

import sys

from . import __version__
from .frontend import nodes as n
from .frontend.compiler import Compiler
from .errors import CompileFailed, ProgramExit, format_diagnostics
from .frontend.parser import parse
from .runner import execute, new_vm, start


def _balanced(text):
    depth = 0
    quote = None
    escape = False
    for ch in text:
        if quote:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth <= 0 and quote is None


def repl(stdin=None, out=None, err=None, make_reader=None):
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    err = err or sys.stderr
    interactive = stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input()); lazy: start-up
        except ImportError:
            pass
        out.write(f"Neutron {__version__} REPL (Ctrl-D to exit)\n")
    vm = new_vm(["<repl>"], "<repl>", out)
    make_reader = make_reader or (_rich_reader if interactive else None)    # make_reader(vm, stdin) -> read()
    reader = make_reader(vm, stdin) if make_reader else None
    compiler = Compiler("<repl>", "")      # one for the session: it knows the globals declared so far
    while True:
        try:
            text = reader() if reader is not None else _read(stdin, "> " if interactive else "", interactive)
            if text is None:
                break
            while reader is None and not _balanced(text):
                more = _read(stdin, "... " if interactive else "", interactive)
                if more is None:
                    break
                text += "\n" + more
        except KeyboardInterrupt:
            out.write("\n")
            continue
        if not text.strip():
            continue
        vm.sources["<repl>"] = text
        try:
            code = _compile_entry(compiler, text)
        except CompileFailed as e:
            err.write(format_diagnostics(e))
            continue
        start(vm, code)
        try:
            execute(vm, err, session=True)      # errors are reported as for a program; the session goes on
        except ProgramExit as e:
            return e.status
    if interactive:
        out.write("\n")
    return 0


def _compile_entry(compiler, text):
    """One entry's code. A bare expression needs no ';' at the prompt, and a last expression statement that is
    not an assignment or a call prints its value."""
    try:
        program = parse(text, "<repl>")
    except CompileFailed:
        stripped = text.rstrip()
        if stripped.endswith((";", "}")):
            raise
        program = parse(stripped + ";", "<repl>")
    body = program.body
    if body and isinstance(body[-1], n.ExprStmt) and not isinstance(body[-1].expr, (n.Assign, n.Update, n.Call)):
        last = body[-1]
        body[-1] = n.Say(last.line, last.col, last.expr)
    # a new entry for the session's compiler: what belonged to the previous entry goes
    compiler.source = text
    compiler.diagnostics = []
    compiler.captures = {}
    return compiler.compile_program(program, repl=True)


def _rich_reader(vm, stdin):
    """The prompt_toolkit prompt (neutron/editor/prompt.py) when it is installed and stdin is a terminal."""
    try:
        from .editor.prompt import reader_for    # lazy: start-up (prompt_toolkit only on a terminal)
    except ImportError:
        return None
    return reader_for(vm, stdin)


def _read(stdin, prompt, interactive):
    if interactive:
        try:
            return input(prompt)
        except EOFError:
            return None
    line = stdin.readline()
    if not line:
        return None
    return line.rstrip("\n")
