"""The interactive prompt: line editing (readline), multi-line input, errors do not end the session."""
from __future__ import annotations

import sys

from . import __version__
from .frontend import nodes as n
from .frontend.compiler import Compiler
from .errors import CompileFailed, ProgramExit, format_diagnostics
from .frontend.parser import parse
from .runner import format_uncaught, new_vm, start
from .runtime.frames import Uncaught


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


def repl(stdin=None, out=None, err=None):
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
    compiler_state = Compiler("<repl>", "")
    count = 0
    while True:
        try:
            text = _read(stdin, "> " if interactive else "", interactive)
            if text is None:
                break
            while not _balanced(text):
                more = _read(stdin, "... " if interactive else "", interactive)
                if more is None:
                    break
                text += "\n" + more
        except KeyboardInterrupt:
            out.write("\n")
            continue
        if not text.strip():
            continue
        count += 1
        vm.sources["<repl>"] = text
        try:
            try:
                program = parse(text, "<repl>")
            except CompileFailed:
                stripped = text.rstrip()
                if stripped.endswith((";", "}")):
                    raise
                program = parse(stripped + ";", "<repl>")     # a bare expression needs no ';' at the prompt
            body = program.body
            if body and isinstance(body[-1], n.ExprStmt) and not isinstance(body[-1].expr, (n.Assign, n.Update,
                                                                                            n.Call)):
                last = body[-1]
                body[-1] = n.Say(last.line, last.col, last.expr)
            compiler_state.source = text
            compiler_state.diagnostics = []
            compiler_state.captures = {}
            code = compiler_state.compile_program(program, repl=True)
        except CompileFailed as e:
            err.write(format_diagnostics(e))
            continue
        start(vm, code)
        try:
            vm.execute()
        except Uncaught as u:
            vm.flush()
            err.write(format_uncaught(vm, u))
        except ProgramExit as e:
            vm.flush()
            return e.status
        except KeyboardInterrupt:
            err.write("\nInterrupted.\n")
        vm.flush()
    if interactive:
        out.write("\n")
    return 0


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
